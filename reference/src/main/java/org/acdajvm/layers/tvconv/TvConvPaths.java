package org.acdajvm.layers.tvconv;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.acdajvm.backend.LayerOp;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.tensor.Tensor;

/**
 * TVConv's float32 forward and backward on a {@link TapConv} (the scalar or the vector kernels), written once for
 * every backend: the weight net's 3x3 convs are the shared tap-weighted conv (an implicit GEMM on the vector
 * backend), LayerNorm and ReLU are plain float loops ({@code O(mid h w)}, beside the convs' {@code O(9 mid^2 h w)}),
 * and the apply is the shared local filter with one filter per channel, shared by the batch. The filter never
 * depends on the input, so inference can compute it once ({@link #precompute}) and reuse it
 * ({@link #forward(TvConvLayer, float[], Inputs)}): the same float operations in the same order, so the output is
 * bit-identical to computing it on the fly. LayerNorm's statistics are two-pass (mean, then the mean of squared
 * deviations: the order the tight tier models), accumulated in index order.
 */
public final class TvConvPaths {

    private final TapConv kernels;

    public TvConvPaths(TapConv kernels) {
        this.kernels = kernels;
    }

    /** The weight net's values of one evaluation (kept for the backward). */
    private record Net(float[][] in, float[][] z, float[][] a, float[] r, float[] filter) {
    }

    private static FilterGeometry conv3x3(TvConvConfig c, int inC, int outC) {
        return FilterGeometry.of(1, inC, c.height(), c.width(), outC, 3, 1, 1, 1, PaddingMode.ZEROS);
    }

    /** The apply's geometry over {@code x [N, C, h, w]}. */
    private static FilterGeometry apply(TvConvConfig c, int batch) {
        return FilterGeometry.of(batch, c.channels(), c.height(), c.width(), c.channels(), c.kernelSize(), 1, c.dilation(),
                c.pad(), c.paddingMode());
    }

    private Net net(TvConvLayer layer) {
        TvConvConfig c = layer.config();
        int layers = c.layers();
        int m = c.midChannels() * c.positions();
        float[][] in = new float[layers + 1][];
        float[][] z = new float[layers][];
        float[][] a = new float[layers][];
        float[] r = new float[layers];
        in[0] = layer.param(TvConvLayer.AFFINITY);
        for (int l = 0; l < layers; l++) {
            float[] g = new float[m];
            kernels.forward(conv3x3(c, c.convIn(l), c.midChannels()), in[l], layer.param(TvConvLayer.convWeight(l)),
                    layer.param(TvConvLayer.convBias(l)), null, false, g);
            float[] gamma = layer.param(TvConvLayer.normWeight(l));
            float[] beta = layer.param(TvConvLayer.normBias(l));
            float sum = 0f;
            for (float v : g) {
                sum += v;
            }
            float mu = sum / m;
            float sq = 0f;
            for (float v : g) {
                float d = v - mu;
                sq += d * d;
            }
            float rr = 1f / (float) Math.sqrt(sq / m + (float) TvConvLayer.LN_EPS);
            float[] zl = new float[m];
            float[] al = new float[m];
            float[] h = new float[m];
            for (int i = 0; i < m; i++) {
                zl[i] = (g[i] - mu) * rr;
                al[i] = gamma[i] * zl[i] + beta[i];
                h[i] = Math.max(0f, al[i]);
            }
            z[l] = zl;
            a[l] = al;
            r[l] = rr;
            in[l + 1] = h;
        }
        float[] f = new float[c.filterChannels() * c.positions()];
        kernels.forward(conv3x3(c, c.midChannels(), c.filterChannels()), in[layers], layer.param(TvConvLayer.convWeight(layers)),
                layer.param(TvConvLayer.convBias(layers)), null, false, f);
        return new Net(in, z, a, r, f);
    }

    /** The filter {@code F [C, K*K, h, w]} (row-major) the weight net makes: compute once, reuse for every input. */
    public float[] precompute(TvConvLayer layer) {
        return net(layer).filter();
    }

    /** The forward with the filter computed on the fly. */
    public Tensor forward(TvConvLayer layer, Inputs inputs) {
        TvConvKind.INSTANCE.checkInputs(layer, inputs);
        return apply(layer, precompute(layer), inputs.x());
    }

    /**
     * The forward with a precomputed filter (inference).
     *
     * @param filter {@code [C, K*K, h, w]} from {@link #precompute} of the same layer
     */
    public Tensor forward(TvConvLayer layer, float[] filter, Inputs inputs) {
        TvConvKind.INSTANCE.checkInputs(layer, inputs);
        TvConvConfig c = layer.config();
        if (filter == null || filter.length != c.filterChannels() * c.positions()) {
            throw new IllegalArgumentException("filter has " + (filter == null ? "no" : filter.length) + " values: expected "
                    + "[C, K*K, h, w] = " + c.filterChannels() * c.positions() + " (from precompute of this layer)");
        }
        return apply(layer, filter, inputs.x());
    }

    private Tensor apply(TvConvLayer layer, float[] filter, Tensor x) {
        TvConvConfig c = layer.config();
        FilterGeometry g = apply(c, x.dim(0));
        Tensor y = Tensor.zeros(x.shape());
        kernels.localFilter(g, filter, true, true, x.data(), y.data());
        if (c.bias()) {
            float[] b = layer.biasOrZeros();
            float[] yd = y.data();
            int plane = c.positions();
            for (int nc = 0; nc < x.dim(0) * c.channels(); nc++) {
                float bv = b[nc % c.channels()];
                for (int p = nc * plane; p < (nc + 1) * plane; p++) {
                    yd[p] += bv;
                }
            }
        }
        return y;
    }

    /** New gradients keyed as the oracle's: {@code x}, then every parameter in state-dict order. */
    public Map<String, Tensor> backward(TvConvLayer layer, Inputs inputs, Tensor dy) {
        int[] out = TvConvKind.INSTANCE.checkInputs(layer, inputs);
        dy.requireShape("upstream gradient dy", out);
        TvConvConfig c = layer.config();
        Tensor x = inputs.x();
        Net net = net(layer);
        int layers = c.layers();
        int m = c.midChannels() * c.positions();
        Map<String, Tensor> params = new LinkedHashMap<>();
        TvConvLayer.expectedShapes(c).forEach((k, s) -> params.put(k, Tensor.zeros(s)));
        Tensor dx = Tensor.zeros(x.shape());
        float[] dF = new float[net.filter().length];
        kernels.localFilterBackward(apply(c, x.dim(0)), net.filter(), true, true, x.data(), dy.data(), dx.data(), dF);
        float[] up = new float[m];
        kernels.backward(conv3x3(c, c.midChannels(), c.filterChannels()), net.in()[layers],
                layer.param(TvConvLayer.convWeight(layers)), null, false, dF, up,
                params.get(TvConvLayer.convWeight(layers)).data(), params.get(TvConvLayer.convBias(layers)).data(), null);
        for (int l = layers - 1; l >= 0; l--) {
            float[] gamma = layer.param(TvConvLayer.normWeight(l));
            float[] dGamma = params.get(TvConvLayer.normWeight(l)).data();
            float[] dBeta = params.get(TvConvLayer.normBias(l)).data();
            float[] z = net.z()[l];
            float[] a = net.a()[l];
            float[] dz = new float[m];
            float s1 = 0f;
            float s2 = 0f;
            for (int i = 0; i < m; i++) {
                float da = a[i] > 0f ? up[i] : 0f;
                dGamma[i] = da * z[i];
                dBeta[i] = da;
                dz[i] = gamma[i] * da;
                s1 += dz[i];
                s2 += dz[i] * z[i];
            }
            float m1 = s1 / m;
            float m2 = s2 / m;
            float r = net.r()[l];
            float[] dg = new float[m];
            for (int i = 0; i < m; i++) {
                dg[i] = r * (dz[i] - m1 - z[i] * m2);
            }
            float[] din = new float[c.convIn(l) * c.positions()];
            kernels.backward(conv3x3(c, c.convIn(l), c.midChannels()), net.in()[l], layer.param(TvConvLayer.convWeight(l)), null,
                    false, dg, din, params.get(TvConvLayer.convWeight(l)).data(), params.get(TvConvLayer.convBias(l)).data(), null);
            up = din;
        }
        System.arraycopy(up, 0, params.get(TvConvLayer.AFFINITY).data(), 0, up.length);
        if (c.bias()) {
            float[] db = params.get(TvConvLayer.BIAS).data();
            float[] d = dy.data();
            int plane = c.positions();
            for (int nc = 0; nc < x.dim(0) * c.channels(); nc++) {
                float s = 0f;
                for (int p = nc * plane; p < (nc + 1) * plane; p++) {
                    s += d[p];
                }
                db[nc % c.channels()] += s;
            }
        }
        Map<String, Tensor> grads = new LinkedHashMap<>();
        grads.put(Inputs.X, dx);
        grads.putAll(params);
        return grads;
    }

    /**
     * What an op offers beyond {@link LayerOp} for inference: the filter computed once ({@link #precompute}) and
     * reused ({@link #forward(TvConvLayer, float[], Inputs)}); the scalar and vector backends' TVConv ops have it.
     */
    public interface Inference {
        /** The filter {@code [C, K*K, h, w]} of {@code layer}. */
        float[] precompute(TvConvLayer layer);

        /** The forward with {@code filter} from {@link #precompute} of the same layer. */
        Tensor forward(TvConvLayer layer, float[] filter, Inputs inputs);
    }

    /** TVConv's op on a backend's kernels (asked for on each call, so a backend may create them lazily). */
    private record Op(Supplier<TapConv> kernels) implements LayerOp<TvConvLayer>, Inference {
        @Override
        public Tensor forward(TvConvLayer layer, Inputs inputs) {
            return new TvConvPaths(kernels.get()).forward(TvConvKind.INSTANCE.cast(layer), inputs);
        }

        @Override
        public Optional<String> backwardUnavailableReason() {
            return Optional.empty();
        }

        @Override
        public Map<String, Tensor> backward(TvConvLayer layer, Inputs inputs, Tensor dy) {
            return new TvConvPaths(kernels.get()).backward(TvConvKind.INSTANCE.cast(layer), inputs, dy);
        }

        @Override
        public float[] precompute(TvConvLayer layer) {
            return new TvConvPaths(kernels.get()).precompute(layer);
        }

        @Override
        public Tensor forward(TvConvLayer layer, float[] filter, Inputs inputs) {
            return new TvConvPaths(kernels.get()).forward(layer, filter, inputs);
        }
    }

    /** TVConv's {@link LayerOp} (also an {@link Inference}) on a backend's kernels. */
    public static <L extends Layer> Optional<LayerOp<L>> op(Supplier<TapConv> kernels) {
        @SuppressWarnings("unchecked")
        LayerOp<L> cast = (LayerOp<L>) (LayerOp<?>) new Op(kernels);
        return Optional.of(cast);
    }
}
