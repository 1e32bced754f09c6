package org.acdajvm.layers.pac;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Layer;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.tensor.Tensor;

/**
 * One PAC layer (DESIGN section 8) with its parameters, keyed as PyTorch users would:
 * {@code weight [O, C, K, K]} ({@code [C, O, K, K]} for the transpose, as {@code ConvTranspose2d}),
 * {@code bias [O]}, and for the inverse kernel the learnable scalars {@code inv_alpha [1]},
 * {@code inv_lambda [1]}. Pool and kernel have no weight. Immutable.
 */
public final class PacLayer implements Layer {

    public static final String WEIGHT = "weight";
    public static final String BIAS = "bias";
    public static final String INV_ALPHA = "inv_alpha";
    public static final String INV_LAMBDA = "inv_lambda";

    private final PacConfig config;
    private final Map<String, Tensor> params;

    /**
     * @param params every key of {@link #expectedShapes}; copied
     * @throws IllegalArgumentException naming the missing, unknown or mis-shaped key
     */
    public PacLayer(PacConfig config, Map<String, Tensor> params) {
        this.config = config;
        this.params = StateDicts.checked(config.variant().id + " layer " + config.summary(), expectedShapes(config), params);
    }

    /** Keys and shapes in state-dict order. */
    public static Map<String, int[]> expectedShapes(PacConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        int k = c.kernelSize();
        switch (c.variant()) {
            case CONV -> m.put(WEIGHT, new int[] {c.outChannels(), c.inChannels(), k, k});
            case TRANSPOSED -> m.put(WEIGHT, new int[] {c.inChannels(), c.outChannels(), k, k});
            default -> {
            }
        }
        if (c.bias()) {
            m.put(BIAS, new int[] {c.outChannels()});
        }
        if (c.inverse()) {
            m.put(INV_ALPHA, new int[] {1});
            m.put(INV_LAMBDA, new int[] {1});
        }
        return m;
    }

    public PacConfig config() {
        return config;
    }

    /** The parameter {@code key} (the layer's own tensor: do not modify). */
    public Tensor param(String key) {
        Tensor t = params.get(key);
        if (t == null) {
            throw new IllegalArgumentException("this " + config.variant().id + " layer has no parameter '" + key + "'; it has "
                    + params.keySet());
        }
        return t;
    }

    /** {@code bias [O]}, or a new array of zeros when the layer has none. */
    public float[] biasOrZeros() {
        return config.bias() ? params.get(BIAS).data() : new float[config.outChannels()];
    }

    /** {@code inv_alpha} (0 for the gaussian kernel). */
    public float invAlpha() {
        return config.inverse() ? params.get(INV_ALPHA).data()[0] : 0f;
    }

    /** {@code inv_lambda} (0 for the gaussian kernel). */
    public float invLambda() {
        return config.inverse() ? params.get(INV_LAMBDA).data()[0] : 0f;
    }

    @Override
    public PacKind kind() {
        return PacKind.of(config.variant());
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
    public PacLayer with(String key, Tensor value) {
        Map<String, Tensor> m = new LinkedHashMap<>(params);
        m.put(key, value);
        return new PacLayer(config, m);
    }

    @Override
    public String toString() {
        return "PacLayer(" + config.summary() + ")";
    }
}
