package org.acdajvm.backend;

import java.util.Map;
import java.util.Optional;

import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.tensor.Tensor;

/**
 * A way to run the ACDA forward: the oracle, the scalar and vector CPU paths, OpenCL, ...
 *
 * <p>Backends are found by {@link #name()} through {@link java.util.ServiceLoader} (see
 * {@link Backends}); an implementation needs a public no-argument constructor that does no work
 * (probing for a device belongs in {@link #unavailableReason()}). A backend may keep workspaces
 * or device buffers between calls; {@link #close()} releases them. Instances are not thread-safe:
 * use one per thread.
 */
public interface AcdaBackend extends AutoCloseable {

    /** The name users select it by, e.g. {@code oracle}, {@code scalar}, {@code vector}, {@code opencl}. */
    String name();

    /** Empty when this backend can run here; otherwise a sentence saying why it cannot (no device, module missing). */
    Optional<String> unavailableReason();

    /**
     * The layer's forward in float32.
     *
     * @param layer the layer (not modified)
     * @param x     input {@code [N, C, H, W]} (not modified)
     * @return a new tensor {@code [N, O, ceil(H/s), ceil(W/s)]}
     * @throws IllegalArgumentException for an input that does not fit the layer (naming the argument)
     * @throws IllegalStateException    if the backend is unavailable (with {@link #unavailableReason()})
     */
    Tensor forward(AcdaLayer layer, Tensor x);

    /**
     * Empty when this backend has a backward ({@link #backward}) that can run here; otherwise a
     * sentence saying why not. A backend without a backward says so here and never substitutes
     * another backend's.
     */
    default Optional<String> backwardUnavailableReason() {
        return Optional.of("the " + name() + " backend has no backward");
    }

    /**
     * The layer's backward in float32 (DESIGN section 6): for an upstream gradient {@code dy = dL/dy},
     * {@code dL/dx} and the gradient of every parameter ({@code bases} and BatchNorm's running
     * statistics excluded), both paths by which {@code x} reaches {@code y} counted.
     *
     * @param layer the layer (not modified)
     * @param x     input {@code [N, C, H, W]} (not modified)
     * @param dy    upstream gradient {@code [N, O, H', W']} (not modified)
     * @return new tensors keyed as {@link org.acdajvm.oracle.AcdaOracleBackward}'s: {@code "x"}
     *         ({@code [N, C, H, W]}) first, then the parameter keys in state-dict order, each shaped
     *         as its parameter (see {@link AcdaGradients#keys})
     * @throws IllegalArgumentException for inputs that do not fit the layer (naming the argument)
     * @throws IllegalStateException    if this backend has no backward here (with {@link #backwardUnavailableReason()})
     */
    default Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        throw new IllegalStateException("backend '" + name() + "' cannot run a backward: "
                + backwardUnavailableReason().orElse("it does not implement one"));
    }

    /**
     * This backend's op for layer {@code kind}, or empty when it does not implement that layer (the
     * capability map that {@code acda layers} prints). The default answers for ACDA with this backend's
     * own {@link #forward} and {@link #backward}; a backend that implements more layers overrides it with
     * an explicit {@code switch} on the kind's name and falls back to {@code AcdaBackend.super.op(kind)}.
     */
    default <L extends Layer> Optional<LayerOp<L>> op(LayerKind<L> kind) {
        if (kind != AcdaKind.INSTANCE) {
            return Optional.empty();
        }
        AcdaBackend self = this;
        LayerOp<AcdaLayer> acda = new LayerOp<>() {
            @Override
            public Tensor forward(AcdaLayer layer, Inputs inputs) {
                AcdaKind.INSTANCE.checkInputs(layer, inputs);
                return self.forward(layer, inputs.x());
            }

            @Override
            public ErrorBounds.Evaluation evaluation() {
                return self.evaluation();
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return self.backwardUnavailableReason();
            }

            @Override
            public Map<String, Tensor> backward(AcdaLayer layer, Inputs inputs, Tensor dy) {
                AcdaKind.INSTANCE.checkInputs(layer, inputs);
                return self.backward(layer, inputs.x(), dy);
            }
        };
        @SuppressWarnings("unchecked")
        LayerOp<L> op = (LayerOp<L>) acda;
        return Optional.of(op);
    }

    /** The order in which this backend evaluates the final sum; it fixes the chain length of its error bound. */
    default ErrorBounds.Evaluation evaluation() {
        return ErrorBounds.Evaluation.TWO_LAYER;
    }

    /** A longer description for reports (the device, the thread count); defaults to the name. */
    default String description() {
        return name();
    }

    /** Releases workspaces and native resources; the backend may not be used afterwards. */
    @Override
    default void close() {
    }
}
