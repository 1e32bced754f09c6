package org.acdajvm.layers.tvconv;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Layer;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.tensor.Tensor;

/**
 * A TVConv layer ({@link TvConvConfig}); immutable. State-dict keys are those of a PyTorch module holding the
 * position map as {@code affinity} and the weight net as an {@code nn.Sequential} called {@code weight_net}
 * ({@code L = layers}):
 * <pre>
 *   affinity                               [ca, h, w]          the position map A (default init: ones)
 *   weight_net.{3l}.weight, .bias          [mid, in_l, 3, 3], [mid]     conv l (in_0 = ca, else mid), l &lt; L
 *   weight_net.{3l+1}.weight, .bias        [mid, h, w] each    LayerNorm([mid, h, w]) l, eps 1e-5
 *   (weight_net.{3l+2} is the ReLU: no parameters)
 *   weight_net.{3L}.weight, .bias          [C*K*K, mid, 3, 3], [C*K*K]  the last conv: F, channel c*K*K + u
 *   bias                                   [C]                 when the config has a bias
 * </pre>
 * The bias is a plain per-channel bias (the simpler of the two choices; a per-position bias would be one more
 * 3x3 conv of the weight net's hidden features, not implemented).
 */
public final class TvConvLayer implements Layer {

    public static final String AFFINITY = "affinity";
    public static final String BIAS = "bias";
    /** LayerNorm's epsilon, as {@code nn.LayerNorm}'s default. */
    public static final double LN_EPS = 1e-5;

    private final TvConvConfig config;
    private final Map<String, Tensor> params;

    /**
     * @param params every key of {@link #expectedShapes}, copied
     * @throws IllegalArgumentException naming the missing, unknown or mis-shaped key
     */
    public TvConvLayer(TvConvConfig config, Map<String, Tensor> params) {
        this.config = config;
        this.params = StateDicts.checked("tvconv layer " + config.summary(), expectedShapes(config), params);
    }

    /** {@code weight_net.{3l}.weight}: conv {@code l}'s weight ({@code l = layers}: the last conv). */
    public static String convWeight(int l) {
        return "weight_net." + 3 * l + ".weight";
    }

    public static String convBias(int l) {
        return "weight_net." + 3 * l + ".bias";
    }

    /** {@code weight_net.{3l+1}.weight}: LayerNorm {@code l}'s elementwise scale {@code [mid, h, w]}. */
    public static String normWeight(int l) {
        return "weight_net." + (3 * l + 1) + ".weight";
    }

    public static String normBias(int l) {
        return "weight_net." + (3 * l + 1) + ".bias";
    }

    /** Keys and shapes in state-dict order. */
    public static Map<String, int[]> expectedShapes(TvConvConfig c) {
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(AFFINITY, new int[] {c.affinityChannels(), c.height(), c.width()});
        for (int l = 0; l < c.layers(); l++) {
            m.put(convWeight(l), new int[] {c.midChannels(), c.convIn(l), 3, 3});
            m.put(convBias(l), new int[] {c.midChannels()});
            m.put(normWeight(l), new int[] {c.midChannels(), c.height(), c.width()});
            m.put(normBias(l), new int[] {c.midChannels(), c.height(), c.width()});
        }
        m.put(convWeight(c.layers()), new int[] {c.filterChannels(), c.midChannels(), 3, 3});
        m.put(convBias(c.layers()), new int[] {c.filterChannels()});
        if (c.bias()) {
            m.put(BIAS, new int[] {c.channels()});
        }
        return m;
    }

    public TvConvConfig config() {
        return config;
    }

    /** The parameter called {@code key} (the layer's own array: do not modify). */
    public float[] param(String key) {
        Tensor t = params.get(key);
        if (t == null) {
            throw new IllegalArgumentException("tvconv has no parameter '" + key + "': expected one of " + params.keySet());
        }
        return t.data();
    }

    /** {@code bias [C]}, or a new array of zeros when the layer has none. */
    public float[] biasOrZeros() {
        return config.bias() ? params.get(BIAS).data() : new float[config.channels()];
    }

    @Override
    public TvConvKind kind() {
        return TvConvKind.INSTANCE;
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
    public TvConvLayer with(String key, Tensor value) {
        Map<String, Tensor> m = new LinkedHashMap<>(params);
        m.put(key, value);
        return new TvConvLayer(config, m);
    }

    @Override
    public String toString() {
        return "TvConvLayer(" + config.summary() + ")";
    }
}
