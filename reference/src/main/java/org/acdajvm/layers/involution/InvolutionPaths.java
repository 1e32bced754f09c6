package org.acdajvm.layers.involution;

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
 * Involution's float32 forward and backward on a {@link TapConv} (the scalar or the vector kernels), written once for
 * every backend, never building {@code Wpix} (ARCHITECTURE: "GEMMs, then the local filter with filter index = group"):
 * <pre>
 *   xa = x (s = 1) or the s x s average pool (ceil mode: in-image elements only)        here, O(C H W)
 *   r1 = reduce: the 1x1 conv C -> R                                                   TapConv.forward, K = 1 (VectorGemm)
 *   e  = max(r1 * scale + shift, 0), scale = gamma / sqrt(var + eps), shift = beta - mean scale   TapConv.affineRelu
 *   H  = span: the 1x1 conv R -> G K^2                                                 TapConv.forward, K = 1
 *   y  = the local filter of x with H, filter index = group                            TapConv.localFilter(groups)
 * </pre>
 * The backward recomputes the forward's intermediates, then runs the chain backwards: the local filter's backward
 * ({@code dx} direct and {@code dH}), span's conv backward ({@code de}, {@code span.*}), ReLU's mask and BatchNorm
 * ({@code bn.*}, {@code dr1}), reduce's conv backward ({@code dxa}, {@code reduce.*}), and the pool's adjoint into
 * {@code dx}. Inputs are checked by {@link InvolutionKind#checkInputs} first.
 */
public final class InvolutionPaths {

    private final TapConv kernels;

    public InvolutionPaths(TapConv kernels) {
        this.kernels = kernels;
    }

    /** The involution op on the kernels {@code kernels} gives (asked for on each call, so a backend may create them lazily). */
    public static <L extends Layer> Optional<LayerOp<L>> op(Supplier<TapConv> kernels) {
        LayerOp<InvolutionLayer> op = new LayerOp<>() {
            @Override
            public Tensor forward(InvolutionLayer layer, Inputs inputs) {
                return new InvolutionPaths(kernels.get()).forward(InvolutionKind.INSTANCE.cast(layer), inputs);
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return Optional.empty();
            }

            @Override
            public Map<String, Tensor> backward(InvolutionLayer layer, Inputs inputs, Tensor dy) {
                return new InvolutionPaths(kernels.get()).backward(InvolutionKind.INSTANCE.cast(layer), inputs, dy);
            }
        };
        @SuppressWarnings("unchecked")
        LayerOp<L> cast = (LayerOp<L>) op;
        return Optional.of(cast);
    }

    /** The forward's intermediates, each {@code [N, channels, H', W']}. */
    private record Branch(float[] xa, float[] r1, float[] e, float[] h, float[] scale, float[] shift) {
    }

    private static FilterGeometry oneByOne(int batch, int in, int out, int oh, int ow) {
        return FilterGeometry.of(batch, in, oh, ow, out, 1, 1, 1, 0, PaddingMode.ZEROS);
    }

    private static FilterGeometry apply(InvolutionConfig c, Tensor x) {
        return FilterGeometry.of(x.dim(0), c.channels(), x.dim(2), x.dim(3), c.channels(), c.kernelSize(), c.stride(),
                c.dilation(), c.padding(), c.paddingMode());
    }

    private Branch branch(InvolutionLayer layer, Tensor x, FilterGeometry g) {
        InvolutionConfig c = layer.config();
        int n = g.batch();
        int oh = g.outH();
        int ow = g.outW();
        int red = c.reduced();
        float[] xa = pool(x, c.stride(), oh, ow);
        float[] r1 = new float[n * red * oh * ow];
        kernels.forward(oneByOne(n, c.channels(), red, oh, ow), xa, layer.data(InvolutionLayer.REDUCE_WEIGHT),
                layer.data(InvolutionLayer.REDUCE_BIAS), null, false, r1);
        float[] gamma = layer.data(InvolutionLayer.BN_WEIGHT);
        float[] beta = layer.data(InvolutionLayer.BN_BIAS);
        float[] mean = layer.data(InvolutionLayer.BN_MEAN);
        float[] var = layer.data(InvolutionLayer.BN_VAR);
        float[] scale = new float[red];
        float[] shift = new float[red];
        for (int j = 0; j < red; j++) {
            scale[j] = gamma[j] / (float) Math.sqrt(var[j] + 1e-5f);
            shift[j] = beta[j] - mean[j] * scale[j];
        }
        float[] e = r1.clone();
        kernels.affineRelu(e, n, red, oh * ow, scale, shift);
        float[] h = new float[n * c.kernelChannels() * oh * ow];
        kernels.forward(oneByOne(n, red, c.kernelChannels(), oh, ow), e, layer.data(InvolutionLayer.SPAN_WEIGHT),
                layer.data(InvolutionLayer.SPAN_BIAS), null, false, h);
        return new Branch(xa, r1, e, h, scale, shift);
    }

    /** {@code x} itself for {@code s = 1}; else the mean of each {@code s x s} window's in-image elements. */
    private static float[] pool(Tensor x, int s, int oh, int ow) {
        if (s == 1) {
            return x.data();
        }
        int n = x.dim(0);
        int ch = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        float[] d = x.data();
        float[] out = new float[n * ch * oh * ow];
        for (int p = 0; p < n * ch; p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    float acc = 0f;
                    int cnt = 0;
                    for (int a = i * s; a < Math.min(h, i * s + s); a++) {
                        for (int b = j * s; b < Math.min(w, j * s + s); b++) {
                            acc += d[(p * h + a) * w + b];
                            cnt++;
                        }
                    }
                    out[(p * oh + i) * ow + j] = acc / cnt;
                }
            }
        }
        return out;
    }

    /** A new output {@code [N, C, H', W']}. */
    public Tensor forward(InvolutionLayer layer, Inputs inputs) {
        InvolutionKind.INSTANCE.checkInputs(layer, inputs);
        Tensor x = inputs.x();
        FilterGeometry g = apply(layer.config(), x);
        Branch b = branch(layer, x, g);
        Tensor y = Tensor.zeros(g.batch(), g.outC(), g.outH(), g.outW());
        kernels.localFilter(g, b.h(), layer.config().groups(), x.data(), y.data());
        return y;
    }

    /** New gradients keyed as the oracle's: {@code x}, then every parameter but the running statistics, in state-dict order. */
    public Map<String, Tensor> backward(InvolutionLayer layer, Inputs inputs, Tensor dy) {
        int[] out = InvolutionKind.INSTANCE.checkInputs(layer, inputs);
        dy.requireShape("upstream gradient dy", out);
        InvolutionConfig c = layer.config();
        Tensor x = inputs.x();
        FilterGeometry g = apply(c, x);
        Branch b = branch(layer, x, g);
        int n = g.batch();
        int oh = g.outH();
        int ow = g.outW();
        int plane = oh * ow;
        int red = c.reduced();
        Tensor dx = Tensor.zeros(x.shape());
        float[] dh = new float[b.h().length];
        kernels.localFilterBackward(g, b.h(), c.groups(), x.data(), dy.data(), dx.data(), dh);
        // span: H = sb + sw e.
        float[] de = new float[b.e().length];
        Tensor dsw = Tensor.zeros(c.kernelChannels(), red, 1, 1);
        Tensor dsb = Tensor.zeros(c.kernelChannels());
        kernels.backward(oneByOne(n, red, c.kernelChannels(), oh, ow), b.e(), layer.data(InvolutionLayer.SPAN_WEIGHT), null,
                false, dh, de, dsw.data(), dsb.data(), null);
        // ReLU's mask and BatchNorm: da = de [a > 0]; dbeta = sum da, dgamma = sum da (r1 - mean)/sigma, dr1 = da scale.
        Tensor dgamma = Tensor.zeros(red);
        Tensor dbeta = Tensor.zeros(red);
        float[] mean = layer.data(InvolutionLayer.BN_MEAN);
        float[] var = layer.data(InvolutionLayer.BN_VAR);
        float[] dr1 = new float[de.length];
        for (int j = 0; j < red; j++) {
            float inv = 1f / (float) Math.sqrt(var[j] + 1e-5f);
            float sg = 0f;
            float sb = 0f;
            for (int i = 0; i < n; i++) {
                int off = (i * red + j) * plane;
                for (int p = 0; p < plane; p++) {
                    float r = b.r1()[off + p];
                    if (r * b.scale()[j] + b.shift()[j] > 0f) {
                        float da = de[off + p];
                        sb += da;
                        sg += da * ((r - mean[j]) * inv);
                        dr1[off + p] = da * b.scale()[j];
                    }
                }
            }
            dgamma.data()[j] = sg;
            dbeta.data()[j] = sb;
        }
        // reduce: r1 = rb + rw xa.
        float[] dxa = new float[b.xa().length];
        Tensor drw = Tensor.zeros(red, c.channels(), 1, 1);
        Tensor drb = Tensor.zeros(red);
        kernels.backward(oneByOne(n, c.channels(), red, oh, ow), b.xa(), layer.data(InvolutionLayer.REDUCE_WEIGHT), null,
                false, dr1, dxa, drw.data(), drb.data(), null);
        unpool(dxa, dx, c.stride(), oh, ow);
        Map<String, Tensor> grads = new LinkedHashMap<>();
        grads.put(Inputs.X, dx);
        grads.put(InvolutionLayer.REDUCE_WEIGHT, drw);
        grads.put(InvolutionLayer.REDUCE_BIAS, drb);
        grads.put(InvolutionLayer.BN_WEIGHT, dgamma);
        grads.put(InvolutionLayer.BN_BIAS, dbeta);
        grads.put(InvolutionLayer.SPAN_WEIGHT, dsw);
        grads.put(InvolutionLayer.SPAN_BIAS, dsb);
        return grads;
    }

    /** The pool's adjoint: {@code dx[window of q] += dxa[q] / cnt(q)} ({@code dx += dxa} for {@code s = 1}). */
    private static void unpool(float[] dxa, Tensor dx, int s, int oh, int ow) {
        int h = dx.dim(2);
        int w = dx.dim(3);
        float[] d = dx.data();
        for (int p = 0; p < dx.dim(0) * dx.dim(1); p++) {
            for (int i = 0; i < oh; i++) {
                for (int j = 0; j < ow; j++) {
                    int a1 = Math.min(h, i * s + s);
                    int b1 = Math.min(w, j * s + s);
                    float t = dxa[(p * oh + i) * ow + j] / ((a1 - i * s) * (b1 - j * s));
                    for (int a = i * s; a < a1; a++) {
                        for (int bb = j * s; bb < b1; bb++) {
                            d[(p * h + a) * w + bb] += t;
                        }
                    }
                }
            }
        }
    }
}
