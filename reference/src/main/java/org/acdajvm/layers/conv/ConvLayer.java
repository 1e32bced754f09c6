package org.acdajvm.layers.conv;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Layer;
import org.acdajvm.tensor.Tensor;

/** A plain convolution, the trivial per-pixel filter {@code Wpix[n,p][o,c,u] = weight[o,c,u]}; immutable. */
public final class ConvLayer implements Layer {

    /** State-dict keys, as {@code nn.Conv2d}'s. */
    public static final String WEIGHT = "weight";
    public static final String BIAS = "bias";

    private final ConvConfig config;
    private final Map<String, Tensor> params;

    /**
     * @param params {@code weight [O, C, K, K]} and, when the config has a bias, {@code bias [O]}; copied
     * @throws IllegalArgumentException naming the missing, unknown or mis-shaped key
     */
    public ConvLayer(ConvConfig config, Map<String, Tensor> params) {
        this.config = config;
        this.params = StateDicts.checked("conv layer " + config.summary(), expectedShapes(config), params);
    }

    /** Keys and shapes in state-dict order. */
    public static Map<String, int[]> expectedShapes(ConvConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(WEIGHT, new int[] {c.outChannels(), c.inChannels(), c.kernelSize(), c.kernelSize()});
        if (c.bias()) {
            m.put(BIAS, new int[] {c.outChannels()});
        }
        return m;
    }

    public ConvConfig config() {
        return config;
    }

    /** {@code weight [O, C, K, K]} (the layer's own array: do not modify). */
    public float[] weight() {
        return params.get(WEIGHT).data();
    }

    /** {@code bias [O]}, or a new array of zeros when the layer has none. */
    public float[] biasOrZeros() {
        return config.bias() ? params.get(BIAS).data() : new float[config.outChannels()];
    }

    @Override
    public ConvKind kind() {
        return ConvKind.INSTANCE;
    }

    @Override
    public Map<String, Tensor> stateDict() {
        return StateDicts.copy(params);
    }

    @Override
    public String summary() {
        return config.summary();
    }

    /** A new layer with one parameter replaced (checked like the constructor). */
    public ConvLayer with(String key, Tensor value) {
        Map<String, Tensor> m = new LinkedHashMap<>(params);
        m.put(key, value);
        return new ConvLayer(config, m);
    }

    @Override
    public String toString() {
        return "ConvLayer(" + config.summary() + ")";
    }
}
