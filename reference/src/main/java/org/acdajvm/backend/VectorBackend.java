package org.acdajvm.backend;

import java.lang.System.Logger.Level;
import java.util.Map;
import java.util.Optional;

import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.AcdaBackwardVector;
import org.acdajvm.vector.AcdaForwardVector;
import org.acdajvm.vector.TapConvVector;

/**
 * The fast CPU path ({@link AcdaForwardVector}, JDK Vector API, multi-threaded); plain conv and PAC on
 * {@link TapConvVector}.
 *
 * <p>The implementation is chosen once, when the backend is created: the Vector API when the
 * module {@code jdk.incubator.vector} is readable (the JVM was started with
 * {@code --add-modules jdk.incubator.vector}), else the scalar path, with the reason logged. The
 * system property {@code acda.vector.implementation=scalar} forces the fallback (tests use it);
 * {@code acda.threads=N} sets the thread count (default: available processors).
 *
 * <p>This class must not touch {@code org.acdajvm.vector} before the module check: it is the only
 * place that decides whether those classes may be loaded.
 */
public final class VectorBackend implements AcdaBackend {

    private static final System.Logger LOG = System.getLogger(VectorBackend.class.getName());
    /** System property that forces the implementation: {@code vector} or {@code scalar}. */
    public static final String IMPLEMENTATION_PROPERTY = "acda.vector.implementation";
    /** System property for the thread count. */
    public static final String THREADS_PROPERTY = "acda.threads";

    private static final java.util.Set<String> LOGGED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private final int threads;
    private final String fallbackReason;
    private AcdaForwardVector impl;
    private AcdaBackwardVector backwardImpl;
    private TapConvVector tapConv;

    public VectorBackend() {
        this(Integer.getInteger(THREADS_PROPERTY, Runtime.getRuntime().availableProcessors()));
    }

    /** A backend with {@code threads} worker threads. */
    public VectorBackend(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException(THREADS_PROPERTY + " = " + threads + " is not allowed: expected >= 1");
        }
        this.threads = threads;
        this.fallbackReason = fallbackReason();
        // Once per reason and JVM: a command creates the backend more than once (to list it, then to run it).
        if (fallbackReason != null && LOGGED.add(fallbackReason)) {
            LOG.log(Level.WARNING, "vector backend falls back to the scalar path: " + fallbackReason);
        }
    }

    /** Why the Vector API cannot be used here, or {@code null} when it can. */
    static String fallbackReason() {
        String forced = System.getProperty(IMPLEMENTATION_PROPERTY, "vector");
        if (forced.equals("scalar")) {
            return "forced by -D" + IMPLEMENTATION_PROPERTY + "=scalar";
        }
        if (!forced.equals("vector")) {
            throw new IllegalArgumentException(IMPLEMENTATION_PROPERTY + " = '" + forced
                    + "' is not allowed: expected vector or scalar");
        }
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            return "the module jdk.incubator.vector is not readable (start the JVM with --add-modules jdk.incubator.vector)";
        }
        return null;
    }

    /** True when the Vector API path is in use (false: the scalar fallback). */
    public boolean vectorized() {
        return fallbackReason == null;
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public Tensor forward(AcdaLayer layer, Tensor x) {
        if (fallbackReason != null) {
            return AcdaForwardScalar.forward(layer, x);
        }
        return impl().forward(layer, x);
    }

    /** Forward into a caller-owned output (the vector path allocates nothing in steady state). */
    public void forwardInto(AcdaLayer layer, Tensor x, Tensor y) {
        if (fallbackReason != null) {
            Tensor r = AcdaForwardScalar.forward(layer, x);
            y.requireShape("output y", r.shape());
            System.arraycopy(r.data(), 0, y.data(), 0, r.size());
            return;
        }
        impl().forwardInto(layer, x, y);
    }

    @Override
    public Optional<String> backwardUnavailableReason() {
        return Optional.empty();
    }

    /** The backward ({@link AcdaBackwardVector}), or the scalar one when the Vector API cannot be used (see the class comment). */
    @Override
    public Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        if (fallbackReason != null) {
            return AcdaBackwardScalar.backward(layer, x, dy);
        }
        if (backwardImpl == null) {
            backwardImpl = new AcdaBackwardVector(threads);
        }
        return backwardImpl.backward(layer, x, dy);
    }

    /** Plain conv and the PAC layers on {@link TapConvVector} (the scalar kernels in the fallback); ACDA as before. */
    @Override
    public <L extends Layer> Optional<LayerOp<L>> op(LayerKind<L> kind) {
        return switch (kind.name()) {
            case "conv" -> FamilyOps.conv(this::tapConv);
            case "pac-conv", "pac-transposed", "pac-pool", "pac-kernel" -> FamilyOps.pac(this::tapConv);
            case "dynamic-filter" -> org.acdajvm.layers.dfn.DfnPaths.op(this::tapConv, () -> fallbackReason == null
                    ? org.acdajvm.vector.SoftmaxVector.INSTANCE : org.acdajvm.layers.dfn.DfnPaths.Softmax.SCALAR);
            case "involution" -> org.acdajvm.layers.involution.InvolutionPaths.op(this::tapConv);
            case "tvconv" -> org.acdajvm.layers.tvconv.TvConvPaths.op(this::tapConv);
            default -> AcdaBackend.super.op(kind);
        };
    }

    private TapConv tapConv() {
        if (fallbackReason != null) {
            return TapConv.SCALAR;
        }
        if (tapConv == null) {
            tapConv = new TapConvVector(threads);
        }
        return tapConv;
    }

    private AcdaForwardVector impl() {
        if (impl == null) {
            impl = new AcdaForwardVector(threads);
        }
        return impl;
    }

    @Override
    public String description() {
        if (fallbackReason != null) {
            return "vector (FALLBACK to the scalar path: " + fallbackReason + ")";
        }
        return "vector (Vector API, " + AcdaForwardVector.lanes() + " float lanes, " + threads + " thread"
                + (threads == 1 ? "" : "s") + ")";
    }

    @Override
    public void close() {
        if (impl != null) {
            impl.close();
            impl = null;
        }
        if (backwardImpl != null) {
            backwardImpl.close();
            backwardImpl = null;
        }
        if (tapConv != null) {
            tapConv.close();
            tapConv = null;
        }
    }
}
