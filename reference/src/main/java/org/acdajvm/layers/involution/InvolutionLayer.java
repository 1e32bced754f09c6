package org.acdajvm.layers.involution;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Layer;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.tensor.Tensor;

/**
 * An involution ({@link InvolutionConfig}): the per-pixel filter {@code Wpix[n,p][o,c,u] = delta(o,c) H[n, g(c), u, p]}
 * with the kernel {@code H} generated from the (average-pooled, for {@code s > 1}) input:
 * <pre>
 *   xa  = x, or avgpool_s(x)                          [N, C, H', W']
 *   r1  = reduce.bias + reduce.weight * xa            [N, R, H', W']   (1x1 conv)
 *   e   = relu(bn(r1))                                (evaluation mode, eps 1e-5)
 *   H   = span.bias + span.weight * e                 [N, G K^2, H', W'], channel g K^2 + u
 *   y[n,c,p] = sum_u H[n, g(c) K^2 + u, p] * xp[n, c, s p + d u - pad]
 * </pre>
 * No output bias. Immutable.
 */
public final class InvolutionLayer implements Layer {

    /** State-dict keys, in order (see {@link InvolutionKind}). */
    public static final String REDUCE_WEIGHT = "reduce.weight";
    public static final String REDUCE_BIAS = "reduce.bias";
    public static final String BN_WEIGHT = "bn.weight";
    public static final String BN_BIAS = "bn.bias";
    public static final String BN_MEAN = "bn.running_mean";
    public static final String BN_VAR = "bn.running_var";
    public static final String SPAN_WEIGHT = "span.weight";
    public static final String SPAN_BIAS = "span.bias";
    /** The BatchNorm's prefix in the state dict. */
    public static final String BN = "bn.";

    private final InvolutionConfig config;
    private final Map<String, Tensor> params;

    /**
     * @param params every key of {@link #expectedShapes}; copied
     * @throws IllegalArgumentException naming the missing, unknown or mis-shaped key, or a non-positive
     *                                  {@code bn.running_var + 1e-5}
     */
    public InvolutionLayer(InvolutionConfig config, Map<String, Tensor> params) {
        this.config = config;
        this.params = StateDicts.checked("involution layer " + config.summary(), expectedShapes(config), params);
        float[] var = this.params.get(BN_VAR).data();
        for (int i = 0; i < var.length; i++) {
            if (!(var[i] + 1e-5 > 0)) {
                throw new IllegalArgumentException("key '" + BN_VAR + "' element " + i + " is " + var[i]
                        + ": expected running_var + eps > 0");
            }
        }
    }

    /** Keys and shapes in state-dict order. */
    public static Map<String, int[]> expectedShapes(InvolutionConfig c) {
        int r = c.reduced();
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(REDUCE_WEIGHT, new int[] {r, c.channels(), 1, 1});
        m.put(REDUCE_BIAS, new int[] {r});
        m.put(BN_WEIGHT, new int[] {r});
        m.put(BN_BIAS, new int[] {r});
        m.put(BN_MEAN, new int[] {r});
        m.put(BN_VAR, new int[] {r});
        m.put(SPAN_WEIGHT, new int[] {c.kernelChannels(), r, 1, 1});
        m.put(SPAN_BIAS, new int[] {c.kernelChannels()});
        return m;
    }

    public InvolutionConfig config() {
        return config;
    }

    /** One parameter's data (the layer's own array: do not modify). */
    public float[] data(String key) {
        Tensor t = params.get(key);
        if (t == null) {
            throw new IllegalArgumentException("no parameter '" + key + "': expected one of " + params.keySet());
        }
        return t.data();
    }

    @Override
    public InvolutionKind kind() {
        return InvolutionKind.INSTANCE;
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
    public InvolutionLayer with(String key, Tensor value) {
        Map<String, Tensor> m = new LinkedHashMap<>(params);
        m.put(key, value);
        return new InvolutionLayer(config, m);
    }

    @Override
    public String toString() {
        return "InvolutionLayer(" + config.summary() + ")";
    }
}
