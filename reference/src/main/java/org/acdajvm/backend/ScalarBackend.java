package org.acdajvm.backend;

import java.util.Map;
import java.util.Optional;

import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;

/** The readable float32 two-layer path ({@link AcdaForwardScalar}, {@link AcdaBackwardScalar}). Always available. */
public final class ScalarBackend implements AcdaBackend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public Tensor forward(AcdaLayer layer, Tensor x) {
        return AcdaForwardScalar.forward(layer, x);
    }

    @Override
    public Optional<String> backwardUnavailableReason() {
        return Optional.empty();
    }

    @Override
    public Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        return AcdaBackwardScalar.backward(layer, x, dy);
    }

    @Override
    public String description() {
        return "scalar (two-layer, float32, one thread)";
    }
}
