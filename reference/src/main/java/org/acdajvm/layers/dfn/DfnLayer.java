package org.acdajvm.layers.dfn;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Layer;
import org.acdajvm.tensor.Tensor;

/** Dynamic local filtering: its settings only (the filter is an input; there are no parameters). Immutable. */
public final class DfnLayer implements Layer {

    private final DfnConfig config;

    public DfnLayer(DfnConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config is null: expected a DfnConfig");
        }
        this.config = config;
    }

    public DfnConfig config() {
        return config;
    }

    @Override
    public DfnKind kind() {
        return DfnKind.INSTANCE;
    }

    /** Empty: the layer has no parameters. */
    @Override
    public Map<String, Tensor> stateDict() {
        return new LinkedHashMap<>();
    }

    @Override
    public String summary() {
        return config.summary();
    }

    @Override
    public String toString() {
        return "DfnLayer(" + config.summary() + ")";
    }
}
