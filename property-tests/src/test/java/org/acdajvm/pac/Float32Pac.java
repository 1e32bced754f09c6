package org.acdajvm.pac;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.tensor.Tensor;

/**
 * A float32 PAC forward and backward (conv, pool, transposed, and the kernel alone) written for the verdict's
 * tests, independently of the oracle's structure: the transpose is a gather over the output grid (not the
 * adjoint's scatter), the backward's {@code dx} a gather too. Every long sum runs in a chosen {@link Order},
 * with or without fused multiply-adds. Public knobs turn it into a mutant at one place; at their defaults it is
 * a correct float32 implementation in any order. Slow and simple on purpose.
 */
final class Float32Pac {

    /** The order of every long float32 sum. */
    enum Order { SEQUENTIAL, REVERSED, PAIRWISE }

    /** A rounding applied to a value. */
    interface Rounding {
        float apply(float v);
    }

    static final Rounding NONE = v -> v;
    static final Rounding BF16 = Float32Pac::bf16;
    static final Rounding FP16 = v -> Float.float16ToFloat(Float.floatToFloat16(v));

    Order order = Order.SEQUENTIAL;
    boolean fma;

    // Mutant knobs (defaults: correct).
    Rounding guidanceR = NONE;          // guidance as read
    Rounding kernelR = NONE;            // kernel values stored
    boolean normalizeOverAllTaps;       // the normaliser sums every tap, padded guidance zeros included
    float eps = (float) PacConfig.INVERSE_EPS;
    float gaussianScale = 0.5f;         // exp(-scale * d2)
    int badElement = -1;
    double badDelta;
    int dropTap = -1;                   // this tap skipped in the forward's apply
    boolean guidanceGradNegated;

    static float bf16(float v) {
        int b = Float.floatToRawIntBits(v);
        int lsb = (b >> 16) & 1;
        b += 0x7fff + lsb;
        return Float.intBitsToFloat(b & 0xffff0000);
    }

    /** {@code sum_k t[k]} in float32 in this implementation's order. */
    float sum(float[] t, int n) {
        return sumRange(t, 0, n, order);
    }

    private float sumRange(float[] t, int from, int to, Order o) {
        switch (o) {
            case SEQUENTIAL: {
                float acc = 0;
                for (int k = from; k < to; k++) {
                    acc += t[k];
                }
                return acc;
            }
            case REVERSED: {
                float acc = 0;
                for (int k = to - 1; k >= from; k--) {
                    acc += t[k];
                }
                return acc;
            }
            default: {
                if (to - from <= 2) {
                    return sumRange(t, from, to, Order.SEQUENTIAL);
                }
                int mid = (from + to) >>> 1;
                return sumRange(t, from, mid, o) + sumRange(t, mid, to, o);
            }
        }
    }

    /** {@code sum_k a[k] b[k]}: products rounded (or fused in sequential order). */
    float dot(float[] a, float[] b, int n) {
        if (fma && order == Order.SEQUENTIAL) {
            float acc = 0;
            for (int k = 0; k < n; k++) {
                acc = Math.fma(a[k], b[k], acc);
            }
            return acc;
        }
        float[] t = new float[n];
        for (int k = 0; k < n; k++) {
            t[k] = a[k] * b[k];
        }
        return sum(t, n);
    }

    // ---------------------------------------------------------------- geometry and the kernel

    /** The kernel of one image over a grid: {@code kn[ph][pw][g][v]}, with what the backward needs. */
    private final class Kernel {
        final int kh;
        final int kw;
        final int k;
        final int stride;
        final int dil;
        final int pad;
        final PaddingMode mode;
        final int hg;
        final int wg;
        final int groups;
        final int taps;
        final float[][][][] kv;
        final float[][][][] kn;
        final float[][][] sigma;
        final boolean[][][] zero;
        final float[][][] f;            // guidance image [Cf][Hg][Wg] as read (null: precomputed)
        final PacConfig c;
        final float alpha;
        final float lambda;

        Kernel(PacConfig c, float[][][] f, float[][][] pre, int hg, int wg, int kh, int kw, int stride, int pad,
               PaddingMode mode, float alpha, float lambda) {
            this.c = c;
            this.f = f;
            this.hg = hg;
            this.wg = wg;
            this.kh = kh;
            this.kw = kw;
            this.k = c.kernelSize();
            this.stride = stride;
            this.dil = c.dilation();
            this.pad = pad;
            this.mode = mode;
            this.groups = c.kernelChannels();
            this.taps = k * k;
            this.alpha = alpha;
            this.lambda = lambda;
            kv = new float[kh][kw][groups][taps];
            kn = new float[kh][kw][groups][taps];
            sigma = new float[kh][kw][groups];
            zero = new boolean[kh][kw][groups];
            int mid = (k - 1) / 2;
            for (int ph = 0; ph < kh; ph++) {
                for (int pw = 0; pw < kw; pw++) {
                    for (int g = 0; g < groups; g++) {
                        for (int v = 0; v < taps; v++) {
                            float value;
                            if (pre != null) {
                                value = pre[g * taps + v][ph][pw];
                            } else if (!inImage(ph, pw, v) && !normalizeOverAllTaps) {
                                value = 0f;             // outside the image (zero padding): K = 0
                            } else {
                                float d2 = 0;
                                for (int j = first(g); j < last(g); j++) {
                                    float delta = read(j, row(ph, v / k), col(pw, v % k)) - read(j, row(ph, mid), col(pw, mid));
                                    d2 += delta * delta;
                                }
                                if (c.kernelType() == PacConfig.KernelType.GAUSSIAN) {
                                    value = (float) Math.exp(-gaussianScale * d2);
                                } else {
                                    value = alpha + (float) Math.pow(d2 + eps, lambda / 2f);
                                }
                            }
                            kv[ph][pw][g][v] = kernelR.apply(value);
                        }
                        float s = 0;
                        for (int v = 0; v < taps; v++) {
                            if (normalizeOverAllTaps || inImage(ph, pw, v)) {
                                s += kv[ph][pw][g][v];
                            }
                        }
                        zero[ph][pw][g] = s == 0;
                        sigma[ph][pw][g] = s == 0 ? 1 : s;
                        for (int v = 0; v < taps; v++) {
                            kn[ph][pw][g][v] = normalize() ? kernelR.apply(kv[ph][pw][g][v] / sigma[ph][pw][g])
                                    : kv[ph][pw][g][v];
                        }
                    }
                }
            }
        }

        /** A given kernel is used as given; the guidance's is normalised when the layer says so. */
        boolean normalize() {
            return c.normalizeKernel() && f != null;
        }

        int first(int g) {
            return c.channelWise() ? g : 0;
        }

        int last(int g) {
            return c.channelWise() ? g + 1 : f.length;
        }

        int row(int ph, int a) {
            return stride * ph + dil * a - pad;
        }

        int col(int pw, int b) {
            return stride * pw + dil * b - pad;
        }

        boolean inImage(int ph, int pw, int v) {
            return mode.index(row(ph, v / k), hg) >= 0 && mode.index(col(pw, v % k), wg) >= 0;
        }

        float read(int j, int h, int w) {
            int hh = mode.index(h, hg);
            int ww = mode.index(w, wg);
            return hh < 0 || ww < 0 ? 0f : f[j][hh][ww];
        }

        /** dL/dKn -> the guidance's, the kernel input's and the scalars' gradients. */
        void backward(float[][][][] dkn, float[][][] df, float[][][] dkIn, float[] dAlpha, float[] dLambda) {
            int mid = (k - 1) / 2;
            for (int ph = 0; ph < kh; ph++) {
                for (int pw = 0; pw < kw; pw++) {
                    for (int g = 0; g < groups; g++) {
                        float[] dk = new float[taps];
                        if (normalize() && !zero[ph][pw][g]) {
                            float[] t = new float[taps];
                            for (int v = 0; v < taps; v++) {
                                t[v] = dkn[ph][pw][g][v] * kn[ph][pw][g][v];
                            }
                            float m = sum(t, taps) / sigma[ph][pw][g];
                            for (int v = 0; v < taps; v++) {
                                dk[v] = dkn[ph][pw][g][v] / sigma[ph][pw][g] - (inImage(ph, pw, v) ? m : 0);
                            }
                        } else {
                            dk = dkn[ph][pw][g].clone();
                        }
                        for (int v = 0; v < taps; v++) {
                            if (dkIn != null) {
                                dkIn[g * taps + v][ph][pw] += dk[v];
                                continue;
                            }
                            if (!inImage(ph, pw, v)) {
                                continue;
                            }
                            float d2 = 0;
                            for (int j = first(g); j < last(g); j++) {
                                float delta = read(j, row(ph, v / k), col(pw, v % k)) - read(j, row(ph, mid), col(pw, mid));
                                d2 += delta * delta;
                            }
                            float dd2;
                            if (c.kernelType() == PacConfig.KernelType.GAUSSIAN) {
                                dd2 = dk[v] * (-0.5f * kv[ph][pw][g][v]);
                            } else {
                                float s = d2 + eps;
                                float p = (float) Math.pow(s, lambda / 2f);
                                dd2 = dk[v] * (lambda / 2f * p / s);
                                dAlpha[0] += dk[v];
                                dLambda[0] += dk[v] * (0.5f * (float) Math.log(s) * p);
                            }
                            for (int j = first(g); j < last(g); j++) {
                                float delta = read(j, row(ph, v / k), col(pw, v % k)) - read(j, row(ph, mid), col(pw, mid));
                                float t = 2 * delta * dd2 * (guidanceGradNegated ? -1 : 1);
                                add(df, j, row(ph, v / k), col(pw, v % k), t);
                                add(df, j, row(ph, mid), col(pw, mid), -t);
                            }
                        }
                    }
                }
            }
        }

        private void add(float[][][] df, int j, int h, int w, float v) {
            int hh = mode.index(h, hg);
            int ww = mode.index(w, wg);
            if (hh >= 0 && ww >= 0) {
                df[j][hh][ww] += v;
            }
        }
    }

    private static float[][][] image(Tensor t, int n, Rounding r) {
        float[][][] a = new float[t.dim(1)][t.dim(2)][t.dim(3)];
        for (int c = 0; c < t.dim(1); c++) {
            for (int h = 0; h < t.dim(2); h++) {
                for (int w = 0; w < t.dim(3); w++) {
                    a[c][h][w] = r.apply(t.get(n, c, h, w));
                }
            }
        }
        return a;
    }

    private Kernel kernel(PacLayer layer, Inputs in, int n) {
        PacConfig c = layer.config();
        Tensor x = in.x();
        int h = x.dim(2);
        int w = x.dim(3);
        if (c.variant() == PacConfig.Variant.KERNEL) {
            int kh = c.sampling(h, w).outHeight();
            int kw = c.sampling(h, w).outWidth();
            return new Kernel(c, image(x, n, guidanceR), null, h, w, kh, kw, c.stride(), c.padding(), c.paddingMode(),
                    layer.invAlpha(), layer.invLambda());
        }
        Tensor g = in.get(PacKind.GUIDANCE);
        Tensor pre = in.get(PacKind.KERNEL);
        if (c.variant() == PacConfig.Variant.TRANSPOSED) {
            int oh = c.outSize(h);
            int ow = c.outSize(w);
            return new Kernel(c, g == null ? null : image(g, n, guidanceR), pre == null ? null : image(pre, n, NONE), oh, ow,
                    oh, ow, 1, c.dilation() * (c.kernelSize() - 1) / 2, PaddingMode.ZEROS, layer.invAlpha(), layer.invLambda());
        }
        int kh = c.sampling(h, w).outHeight();
        int kw = c.sampling(h, w).outWidth();
        return new Kernel(c, g == null ? null : image(g, n, guidanceR), pre == null ? null : image(pre, n, NONE), h, w, kh, kw,
                c.stride(), c.padding(), c.paddingMode(), layer.invAlpha(), layer.invLambda());
    }

    // ---------------------------------------------------------------- forward

    /** The forward of any PAC layer, shaped as the oracle's output. */
    Tensor forward(PacLayer layer, Inputs in) {
        PacConfig c = layer.config();
        int[] shape = c.variant().equals(PacConfig.Variant.KERNEL) ? null : null;
        Tensor x = in.x();
        int batch = x.dim(0);
        int k = c.kernelSize();
        int taps = k * k;
        float[] bias = layer.biasOrZeros();
        float[] weight = c.variant() == PacConfig.Variant.CONV || c.variant() == PacConfig.Variant.TRANSPOSED
                ? layer.param(PacLayer.WEIGHT).data() : null;
        Tensor y;
        if (c.variant() == PacConfig.Variant.KERNEL) {
            int kh = c.sampling(x.dim(2), x.dim(3)).outHeight();
            int kw = c.sampling(x.dim(2), x.dim(3)).outWidth();
            int groups = c.kernelChannels();
            y = Tensor.zeros(batch, groups * taps, kh, kw);
            for (int n = 0; n < batch; n++) {
                Kernel kern = kernel(layer, in, n);
                for (int h = 0; h < kh; h++) {
                    for (int w = 0; w < kw; w++) {
                        for (int g = 0; g < groups; g++) {
                            for (int u = 0; u < taps; u++) {
                                y.set(n, g * taps + u, h, w, kern.kn[h][w][g][u]);
                            }
                        }
                    }
                }
            }
        } else if (c.variant() == PacConfig.Variant.TRANSPOSED) {
            int hin = x.dim(2);
            int win = x.dim(3);
            int oh = c.outSize(hin);
            int ow = c.outSize(win);
            int cin = c.inChannels();
            int cout = c.outChannels();
            y = Tensor.zeros(batch, cout, oh, ow);
            for (int n = 0; n < batch; n++) {
                Kernel kern = kernel(layer, in, n);
                for (int o = 0; o < cout; o++) {
                    for (int qh = 0; qh < oh; qh++) {
                        for (int qw = 0; qw < ow; qw++) {
                            float[] a = new float[cin * taps];
                            float[] b = new float[cin * taps];
                            int m = 0;
                            for (int u = 0; u < taps; u++) {
                                int ph = source(qh, u / k, c);
                                int pw = source(qw, u % k, c);
                                if (ph < 0 || ph >= hin || pw < 0 || pw >= win || u == dropTap) {
                                    continue;
                                }
                                float kn = kern.kn[qh][qw][0][taps - 1 - u];
                                for (int ci = 0; ci < cin; ci++) {
                                    a[m] = weight[(ci * cout + o) * taps + u] * kn;
                                    b[m++] = x.get(n, ci, ph, pw);
                                }
                            }
                            y.set(n, o, qh, qw, bias[o] + dot(a, b, m));
                        }
                    }
                }
            }
        } else {
            int h = x.dim(2);
            int w = x.dim(3);
            var s = c.sampling(h, w);
            int cin = c.inChannels();
            int cout = c.outChannels();
            y = Tensor.zeros(batch, cout, s.outHeight(), s.outWidth());
            for (int n = 0; n < batch; n++) {
                Kernel kern = kernel(layer, in, n);
                for (int o = 0; o < cout; o++) {
                    for (int ph = 0; ph < s.outHeight(); ph++) {
                        for (int pw = 0; pw < s.outWidth(); pw++) {
                            float[] a = new float[cin * taps];
                            float[] b = new float[cin * taps];
                            int m = 0;
                            for (int ci = 0; ci < cin; ci++) {
                                if (weight == null && ci != o) {
                                    continue;
                                }
                                int g = c.channelWise() ? ci : 0;
                                for (int u = 0; u < taps; u++) {
                                    if (u == dropTap) {
                                        continue;
                                    }
                                    float kn = kern.kn[ph][pw][g][u];
                                    a[m] = weight == null ? kn : weight[(o * cin + ci) * taps + u] * kn;
                                    b[m++] = readX(x, n, ci, s.row(ph, u / k), s.col(pw, u % k), c.paddingMode());
                                }
                            }
                            y.set(n, o, ph, pw, bias[o] + dot(a, b, m));
                        }
                    }
                }
            }
        }
        if (badElement >= 0) {
            y.data()[badElement] += (float) badDelta;
        }
        return y;
    }

    /** The transpose's input row/column that output {@code q} reads at tap index {@code a}, or -1. */
    private static int source(int q, int a, PacConfig c) {
        int t = q + c.padding() - c.dilation() * a;
        if (t < 0 || t % c.stride() != 0) {
            return -1;
        }
        return t / c.stride();
    }

    private static float readX(Tensor x, int n, int c, int h, int w, PaddingMode mode) {
        int hh = mode.index(h, x.dim(2));
        int ww = mode.index(w, x.dim(3));
        return hh < 0 || ww < 0 ? 0f : x.get(n, c, hh, ww);
    }

    // ---------------------------------------------------------------- backward

    /** The gradients keyed as the oracle's ({@code x}, {@code guidance} or {@code kernel}, then the parameters). */
    Map<String, Tensor> backward(PacLayer layer, Inputs in, Tensor dy) {
        PacConfig c = layer.config();
        Tensor x = in.x();
        int batch = x.dim(0);
        int h = x.dim(2);
        int w = x.dim(3);
        int k = c.kernelSize();
        int taps = k * k;
        int groups = c.kernelChannels();
        float[] weight = c.variant() == PacConfig.Variant.CONV || c.variant() == PacConfig.Variant.TRANSPOSED
                ? layer.param(PacLayer.WEIGHT).data() : null;
        Tensor dx = Tensor.zeros(x.shape());
        Tensor g = in.get(PacKind.GUIDANCE);
        Tensor pre = in.get(PacKind.KERNEL);
        Tensor dg = g == null ? null : Tensor.zeros(g.shape());
        Tensor dpre = pre == null ? null : Tensor.zeros(pre.shape());
        float[] dw = weight == null ? null : new float[weight.length];
        float[] db = new float[c.outChannels()];
        float[] dAlpha = new float[1];
        float[] dLambda = new float[1];
        int cin = c.inChannels();
        int cout = c.outChannels();
        for (int n = 0; n < batch; n++) {
            Kernel kern = kernel(layer, in, n);
            float[][][][] dkn = new float[kern.kh][kern.kw][groups][taps];
            if (c.variant() == PacConfig.Variant.TRANSPOSED) {
                int oh = c.outSize(h);
                int ow = c.outSize(w);
                // dx[ci, p] = sum_{u, o} W[ci, o, u] Kn[q][flip u] dOut[o, q],  q = s p + d u - pad (a gather).
                for (int ci = 0; ci < cin; ci++) {
                    for (int ph = 0; ph < h; ph++) {
                        for (int pw = 0; pw < w; pw++) {
                            float[] a = new float[taps * cout];
                            float[] b = new float[taps * cout];
                            int m = 0;
                            for (int u = 0; u < taps; u++) {
                                int qh = c.stride() * ph + c.dilation() * (u / k) - c.padding();
                                int qw = c.stride() * pw + c.dilation() * (u % k) - c.padding();
                                if (qh < 0 || qh >= oh || qw < 0 || qw >= ow) {
                                    continue;
                                }
                                float kn = kern.kn[qh][qw][0][taps - 1 - u];
                                for (int o = 0; o < cout; o++) {
                                    a[m] = weight[(ci * cout + o) * taps + u] * kn;
                                    b[m++] = dy.get(n, o, qh, qw);
                                    dkn[qh][qw][0][taps - 1 - u] += x.get(n, ci, ph, pw) * dy.get(n, o, qh, qw)
                                            * weight[(ci * cout + o) * taps + u];
                                    dw[(ci * cout + o) * taps + u] += x.get(n, ci, ph, pw) * dy.get(n, o, qh, qw) * kn;
                                }
                            }
                            dx.set(n, ci, ph, pw, dot(a, b, m));
                        }
                    }
                }
                for (int o = 0; o < cout; o++) {
                    for (int qh = 0; qh < oh; qh++) {
                        for (int qw = 0; qw < ow; qw++) {
                            db[o] += dy.get(n, o, qh, qw);
                        }
                    }
                }
            } else if (c.variant() != PacConfig.Variant.KERNEL) {
                var s = c.sampling(h, w);
                for (int o = 0; o < cout; o++) {
                    for (int ph = 0; ph < s.outHeight(); ph++) {
                        for (int pw = 0; pw < s.outWidth(); pw++) {
                            float up = dy.get(n, o, ph, pw);
                            db[o] += up;
                            for (int ci = 0; ci < cin; ci++) {
                                if (weight == null && ci != o) {
                                    continue;
                                }
                                int gg = c.channelWise() ? ci : 0;
                                for (int u = 0; u < taps; u++) {
                                    float xv = readX(x, n, ci, s.row(ph, u / k), s.col(pw, u % k), c.paddingMode());
                                    float wv = weight == null ? 1f : weight[(o * cin + ci) * taps + u];
                                    dkn[ph][pw][gg][u] += up * xv * wv;
                                    if (dw != null) {
                                        dw[(o * cin + ci) * taps + u] += up * xv * kern.kn[ph][pw][gg][u];
                                    }
                                }
                            }
                        }
                    }
                }
                // dx[ci, q]: a gather over the pixels and taps that read q.
                for (int ci = 0; ci < cin; ci++) {
                    int gg = c.channelWise() ? ci : 0;
                    for (int qh = 0; qh < h; qh++) {
                        for (int qw = 0; qw < w; qw++) {
                            float[] a = new float[s.outHeight() * s.outWidth() * taps * cout];
                            float[] b = new float[a.length];
                            int m = 0;
                            for (int ph = 0; ph < s.outHeight(); ph++) {
                                for (int pw = 0; pw < s.outWidth(); pw++) {
                                    for (int u = 0; u < taps; u++) {
                                        int rh = c.paddingMode().index(s.row(ph, u / k), h);
                                        int rw = c.paddingMode().index(s.col(pw, u % k), w);
                                        if (rh != qh || rw != qw) {
                                            continue;
                                        }
                                        for (int o = 0; o < cout; o++) {
                                            if (weight == null && o != ci) {
                                                continue;
                                            }
                                            a[m] = (weight == null ? 1f : weight[(o * cin + ci) * taps + u]) * kern.kn[ph][pw][gg][u];
                                            b[m++] = dy.get(n, o, ph, pw);
                                        }
                                    }
                                }
                            }
                            dx.set(n, ci, qh, qw, dot(a, b, m));
                        }
                    }
                }
            } else {
                for (int ph = 0; ph < kern.kh; ph++) {
                    for (int pw = 0; pw < kern.kw; pw++) {
                        for (int gg = 0; gg < groups; gg++) {
                            for (int u = 0; u < taps; u++) {
                                dkn[ph][pw][gg][u] = dy.get(n, gg * taps + u, ph, pw);
                            }
                        }
                    }
                }
            }
            float[][][] df = c.variant() == PacConfig.Variant.KERNEL ? new float[x.dim(1)][h][w]
                    : g == null ? null : new float[g.dim(1)][g.dim(2)][g.dim(3)];
            float[][][] dk = pre == null ? null : new float[pre.dim(1)][pre.dim(2)][pre.dim(3)];
            kern.backward(dkn, df, dk, dAlpha, dLambda);
            Tensor target = c.variant() == PacConfig.Variant.KERNEL ? dx : dg;
            if (df != null) {
                copyInto(target, n, df);
            }
            if (dk != null) {
                copyInto(dpre, n, dk);
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        out.put("x", dx);
        if (dg != null) {
            out.put(PacKind.GUIDANCE, dg);
        }
        if (dpre != null) {
            out.put(PacKind.KERNEL, dpre);
        }
        if (dw != null) {
            out.put(PacLayer.WEIGHT, Tensor.wrap(dw, layer.param(PacLayer.WEIGHT).shape()));
        }
        if (c.bias()) {
            out.put(PacLayer.BIAS, Tensor.wrap(db, c.outChannels()));
        }
        if (c.inverse()) {
            out.put(PacLayer.INV_ALPHA, Tensor.wrap(dAlpha, 1));
            out.put(PacLayer.INV_LAMBDA, Tensor.wrap(dLambda, 1));
        }
        return out;
    }

    private static void copyInto(Tensor t, int n, float[][][] a) {
        for (int c = 0; c < a.length; c++) {
            for (int h = 0; h < a[c].length; h++) {
                for (int w = 0; w < a[c][h].length; w++) {
                    t.set(n, c, h, w, a[c][h][w]);
                }
            }
        }
    }
}
