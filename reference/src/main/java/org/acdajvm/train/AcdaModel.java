package org.acdajvm.train;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.AcdaGradients;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;

/**
 * An ACDA layer being trained on a backend that has a backward. {@link AcdaLayer} is immutable,
 * so the model keeps a modifiable copy of the learned parameters and builds a new layer from them
 * after every step ({@code bases} and BatchNorm's running statistics stay as they were).
 */
public final class AcdaModel implements Trainer.Model {

    private final AcdaBackend backend;
    private final Map<String, Tensor> all;
    private final Map<String, Tensor> learned = new LinkedHashMap<>();
    private AcdaLayer layer;

    /**
     * @param initial the starting layer (not modified)
     * @param backend where forward and backward run (not closed here)
     * @throws IllegalStateException if the backend has no backward
     */
    public AcdaModel(AcdaLayer initial, AcdaBackend backend) {
        backend.backwardUnavailableReason().ifPresent(r -> {
            throw new IllegalStateException("cannot train on backend '" + backend.name() + "': " + r);
        });
        this.backend = backend;
        this.layer = initial;
        this.all = initial.stateDict();
        all.forEach((key, t) -> {
            if (AcdaGradients.learned(key)) {
                learned.put(key, t);
            }
        });
    }

    /** The layer with the current parameters. */
    public AcdaLayer layer() {
        return layer;
    }

    @Override
    public Tensor forward(Tensor x) {
        return backend.forward(layer, x);
    }

    @Override
    public Map<String, Tensor> gradients(Tensor x, Tensor dy) {
        return backend.backward(layer, x, dy);
    }

    @Override
    public Map<String, Tensor> parameters() {
        return learned;
    }

    @Override
    public void updated() {
        layer = new AcdaLayer(layer.config(), all);
    }
}
