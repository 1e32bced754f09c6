package org.acdajvm.tornado;

import java.util.Map;
import java.util.Optional;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.AcdaGradients;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * The {@code tornado} backend: {@link AcdaForwardTornado}, the two-layer forward, and
 * {@link AcdaBackwardTornado}, its backward, each one TornadoVM task graph, on one TornadoVM device,
 * found through {@link java.util.ServiceLoader}.
 *
 * <p>It needs a JVM started with TornadoVM's flags ({@code java @$TORNADOVM_HOME/tornado-argfile ...});
 * elsewhere {@link #unavailableReason()} says so. The device is TornadoVM's default device, or the
 * one the system property {@value TornadoDevices#DEVICE_PROPERTY} names ({@code backend:device}
 * indices as {@code tornado --devices} lists them). Construction does no work; the task graph is
 * built on the first {@link #forward} (the backward's on the first {@link #backward}) and kept, with its
 * device buffers, until {@link #close()}.
 */
public final class TornadoBackend implements AcdaBackend {

    private final String selector;
    private final boolean profile;
    private AcdaForwardTornado engine;
    private AcdaBackwardTornado backwardEngine;
    private boolean closed;

    /** The device named by {@value TornadoDevices#DEVICE_PROPERTY}, or TornadoVM's default device; no profiling. */
    public TornadoBackend() {
        this(System.getProperty(TornadoDevices.DEVICE_PROPERTY), false);
    }

    /**
     * @param deviceSelector {@code backend:device} indices, or {@code null} for TornadoVM's default device
     * @param profile        whether to run with TornadoVM's profiler, so that {@link #lastKernelNanos()}
     *                       reports device time (it adds events to every call)
     */
    public TornadoBackend(String deviceSelector, boolean profile) {
        this.selector = deviceSelector;
        this.profile = profile;
    }

    @Override
    public String name() {
        return "tornado";
    }

    @Override
    public Optional<String> unavailableReason() {
        return TornadoDevices.unavailableReason(selector);
    }

    @Override
    public Tensor forward(AcdaLayer layer, Tensor x) {
        if (layer == null) {
            throw new IllegalArgumentException("layer is null");
        }
        AcdaShapes.checkInput(layer.config(), x);
        return engine().forward(layer, x);
    }

    /** The backward runs wherever the forward does: empty exactly when {@link #unavailableReason()} is. */
    @Override
    public Optional<String> backwardUnavailableReason() {
        return unavailableReason();
    }

    @Override
    public Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        if (layer == null) {
            throw new IllegalArgumentException("layer is null");
        }
        AcdaGradients.checkArguments(layer, x, dy);
        return backwardEngine().backward(layer, x, dy);
    }

    @Override
    public String description() {
        Optional<String> reason = unavailableReason();
        if (reason.isPresent()) {
            return "tornado (unavailable: " + reason.get() + ")";
        }
        return "tornado (TornadoVM " + TornadoDevices.tornadoVersion() + ", two-layer, float32) on "
                + TornadoDevices.label(selector);
    }

    /** The device the task graph runs on, as TornadoVM names it (selected now if not yet). */
    public String deviceName() {
        return engine != null ? engine.deviceName() : TornadoDevices.label(selector);
    }

    /**
     * Device time of the kernels of the last backward from TornadoVM's profiler, in nanoseconds; 0 when
     * this backend was made without profiling or has run no backward (see {@link #lastKernelNanos()}).
     */
    public long lastBackwardKernelNanos() {
        return backwardEngine == null ? 0 : backwardEngine.lastKernelNanos();
    }

    /** Backward task graphs built so far: a repeated backward of the same shape builds none. */
    public int backwardPlansBuilt() {
        return backwardEngine == null ? 0 : backwardEngine.plansBuilt();
    }

    /**
     * Device time of the kernels of the last forward from TornadoVM's profiler, in nanoseconds; 0 when
     * this backend was made without profiling or has not run. Kernels that TornadoVM ran as Java on
     * the host instead of on the device report none.
     */
    public long lastKernelNanos() {
        return engine == null ? 0 : engine.lastKernelNanos();
    }

    /** Task graphs (execution plans) built so far: a repeated call of the same shape builds none. */
    public int plansBuilt() {
        return engine == null ? 0 : engine.plansBuilt();
    }

    /** The engine, opened on first use. */
    AcdaForwardTornado engine() {
        requireOpen();
        if (engine == null) {
            requireAvailable();
            engine = new AcdaForwardTornado(TornadoDevices.select(selector), profile);
        }
        return engine;
    }

    /** The backward's engine, opened on first use, on the forward's device. */
    AcdaBackwardTornado backwardEngine() {
        requireOpen();
        if (backwardEngine == null) {
            requireAvailable();
            backwardEngine = new AcdaBackwardTornado(TornadoDevices.select(selector), profile);
        }
        return backwardEngine;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the tornado backend is closed");
        }
    }

    private void requireAvailable() {
        Optional<String> reason = unavailableReason();
        if (reason.isPresent()) {
            throw new IllegalStateException("backend 'tornado' cannot run here: " + reason.get());
        }
    }

    @Override
    public void close() {
        closed = true;
        AcdaForwardTornado e = engine;
        AcdaBackwardTornado b = backwardEngine;
        engine = null;
        backwardEngine = null;
        try {
            if (e != null) {
                e.close();
            }
        } finally {
            if (b != null) {
                b.close();
            }
        }
    }
}
