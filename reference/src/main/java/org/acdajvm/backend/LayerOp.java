package org.acdajvm.backend;

import java.util.Map;
import java.util.Optional;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.tensor.Tensor;

/**
 * One layer's passes on one backend: the forward, and the backward where the backend has one. A backend
 * answers {@link AcdaBackend#op} with one of these per layer kind it implements; a layer it does not
 * implement is {@code Optional.empty()}, never another backend's op in disguise.
 *
 * @param <L> the layer class
 */
public interface LayerOp<L extends Layer> {

    /**
     * The forward in float32.
     *
     * @param layer  the layer (not modified)
     * @param inputs the named inputs, checked by the layer's kind first (not modified)
     * @return a new output tensor
     */
    Tensor forward(L layer, Inputs inputs);

    /** The order in which this op evaluates the final sum; it picks the chain length of the bound. */
    default ErrorBounds.Evaluation evaluation() {
        return ErrorBounds.Evaluation.ANY;
    }

    /** Empty when {@link #backward} can run; otherwise why not (the op has none, no device). */
    default Optional<String> backwardUnavailableReason() {
        return Optional.of("no backward is implemented for this layer on this backend");
    }

    /**
     * The backward in float32, keyed as the layer kind's oracle backward ({@code "x"} and other inputs
     * that take a gradient first, then the parameters in state-dict order).
     *
     * @throws IllegalStateException with {@link #backwardUnavailableReason()} when there is none
     */
    default Map<String, Tensor> backward(L layer, Inputs inputs, Tensor dy) {
        throw new IllegalStateException("no backward: " + backwardUnavailableReason().orElse("not implemented"));
    }
}
