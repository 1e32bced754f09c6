package org.acdajvm.layers.tvconv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The verdict against plausible TVConv bugs and precision shortcuts: a small, readable float32 TVConv written here
 * (independent of {@link TvConvPaths}), with switches for each mutant. The correct one must be ACCEPTED on every
 * case; each mutant must not be (SUSPICIOUS or REJECTED) on every case. The table of each mutant's smallest excess
 * over the cases ({@link ErrorReport#excess}: how many times more error than float32 rounding explains) and its
 * worst-case ratio is printed.
 */
class TvConvMutantsTest {

    enum Mutant {
        CORRECT("correct float32"),
        LN_EPS("LayerNorm eps 1e-3 instead of 1e-5"),
        LN_SPATIAL("LayerNorm over [h, w] per channel, not [mid, h, w]"),
        NO_RELU("ReLU replaced by the identity"),
        BF16_FILTER("filter F stored in bfloat16"),
        ONE_OFF("one output element off by 1e-5 max|y|"),
        DROPPED_TAP("the last tap of every filter dropped");

        final String what;

        Mutant(String what) {
            this.what = what;
        }
    }

    /** The float32 forward, with {@code m}'s bug. */
    static float[] forward(TvConvLayer layer, Tensor x, Mutant m) {
        TvConvConfig c = layer.config();
        int hh = c.height();
        int ww = c.width();
        int p = c.positions();
        float[] in = layer.param(TvConvLayer.AFFINITY);
        for (int l = 0; l < c.layers(); l++) {
            float[] g = conv(in, layer.param(TvConvLayer.convWeight(l)), layer.param(TvConvLayer.convBias(l)), c.convIn(l),
                    c.midChannels(), hh, ww);
            float eps = m == Mutant.LN_EPS ? 1e-3f : 1e-5f;
            float[] gamma = layer.param(TvConvLayer.normWeight(l));
            float[] beta = layer.param(TvConvLayer.normBias(l));
            int groups = m == Mutant.LN_SPATIAL ? c.midChannels() : 1;
            int size = g.length / groups;
            float[] h = new float[g.length];
            for (int q = 0; q < groups; q++) {
                float s = 0f;
                for (int i = q * size; i < (q + 1) * size; i++) {
                    s += g[i];
                }
                float mu = s / size;
                float v = 0f;
                for (int i = q * size; i < (q + 1) * size; i++) {
                    v += (g[i] - mu) * (g[i] - mu);
                }
                float r = 1f / (float) Math.sqrt(v / size + eps);
                for (int i = q * size; i < (q + 1) * size; i++) {
                    float a = gamma[i] * ((g[i] - mu) * r) + beta[i];
                    h[i] = m == Mutant.NO_RELU ? a : Math.max(0f, a);
                }
            }
            in = h;
        }
        float[] f = conv(in, layer.param(TvConvLayer.convWeight(c.layers())), layer.param(TvConvLayer.convBias(c.layers())),
                c.midChannels(), c.filterChannels(), hh, ww);
        if (m == Mutant.BF16_FILTER) {
            for (int i = 0; i < f.length; i++) {
                int bits = Float.floatToRawIntBits(f[i]);
                bits = (bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000;
                f[i] = Float.intBitsToFloat(bits);
            }
        }
        int k = c.kernelSize();
        int taps = c.taps();
        float[] bias = layer.biasOrZeros();
        float[] xd = x.data();
        float[] y = new float[xd.length];
        for (int n = 0; n < x.dim(0); n++) {
            for (int ch = 0; ch < c.channels(); ch++) {
                for (int i = 0; i < hh; i++) {
                    for (int j = 0; j < ww; j++) {
                        float acc = bias[ch];
                        for (int u = 0; u < taps; u++) {
                            if (m == Mutant.DROPPED_TAP && u == taps - 1) {
                                continue;
                            }
                            int r = c.paddingMode().index(i + c.dilation() * (u / k) - c.pad(), hh);
                            int q = c.paddingMode().index(j + c.dilation() * (u % k) - c.pad(), ww);
                            if (r >= 0 && q >= 0) {
                                acc += f[(ch * taps + u) * p + i * ww + j] * xd[((n * c.channels() + ch) * hh + r) * ww + q];
                            }
                        }
                        y[((n * c.channels() + ch) * hh + i) * ww + j] = acc;
                    }
                }
            }
        }
        if (m == Mutant.ONE_OFF) {
            float max = 0f;
            for (float v : y) {
                max = Math.max(max, Math.abs(v));
            }
            y[y.length / 2] += 1e-5f * max;
        }
        return y;
    }

    private static float[] conv(float[] in, float[] w, float[] b, int inC, int outC, int hh, int ww) {
        float[] out = new float[outC * hh * ww];
        for (int j = 0; j < outC; j++) {
            for (int y = 0; y < hh; y++) {
                for (int x = 0; x < ww; x++) {
                    float acc = b[j];
                    for (int i = 0; i < inC; i++) {
                        for (int a = 0; a < 3; a++) {
                            for (int bb = 0; bb < 3; bb++) {
                                int yy = y + a - 1;
                                int xx = x + bb - 1;
                                if (yy >= 0 && yy < hh && xx >= 0 && xx < ww) {
                                    acc += w[((j * inC + i) * 3 + a) * 3 + bb] * in[(i * hh + yy) * ww + xx];
                                }
                            }
                        }
                    }
                    out[(j * hh + y) * ww + x] = acc;
                }
            }
        }
        return out;
    }

    private static List<TvConvLayer> layers() {
        List<TvConvLayer> l = new ArrayList<>();
        l.add(TvConvKind.random(new TvConvConfig(8, 3, 1, PaddingMode.ZEROS, 12, 12, 4, 8, 2, true), 1));
        l.add(TvConvKind.random(new TvConvConfig(4, 7, 1, PaddingMode.CIRCULAR, 10, 14, 3, 6, 1, false), 2));
        l.add(TvConvKind.random(new TvConvConfig(6, 5, 2, PaddingMode.ZEROS, 9, 11, 2, 12, 3, true), 3));
        return l;
    }

    @Test
    void theVerdictRejectsEveryMutantAndAcceptsTheCorrectKernel() {
        Map<Mutant, double[]> table = new EnumMap<>(Mutant.class);       // {min excess, min worst-case ratio, verdicts not accepted}
        Map<Mutant, ErrorReport.Verdict> weakest = new EnumMap<>(Mutant.class);
        long seed = 40;
        for (TvConvLayer layer : layers()) {
            TvConvConfig c = layer.config();
            Inputs in = TvConvKind.INSTANCE.randomInputs(layer, 2, c.height(), c.width(), seed++);
            OracleResult ref = TvConvKind.INSTANCE.oracleForward(layer, in);
            for (Mutant m : Mutant.values()) {
                Tensor y = Tensor.wrap(forward(layer, in.x(), m), in.x().shape());
                ErrorReport r = ErrorReport.compare(ref, y, ErrorBounds.Evaluation.ANY);
                double[] row = table.computeIfAbsent(m, k -> new double[] {Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, 0,
                        0});
                if (m == Mutant.CORRECT) {
                    row[0] = Math.max(row[0] == Double.POSITIVE_INFINITY ? 0 : row[0], r.excess());
                    row[1] = Math.max(row[1] == Double.POSITIVE_INFINITY ? 0 : row[1], r.maxWorstRatio());
                    assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), "correct kernel, " + c.summary() + ": " + r.describe());
                } else {
                    row[0] = Math.min(row[0], r.excess());
                    row[1] = Math.min(row[1], r.maxWorstRatio());
                    assertNotEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), m.what + ", " + c.summary() + ": " + r.describe());
                }
                row[r.verdict() == ErrorReport.Verdict.REJECTED ? 3 : 2]++;
                ErrorReport.Verdict prev = weakest.get(m);
                if (prev == null || r.verdict().ordinal() < prev.ordinal()) {
                    weakest.put(m, r.verdict());
                }
            }
        }
        System.out.println("TVConv forward mutants over " + layers().size() + " layers (correct: the largest; mutants: the smallest):");
        System.out.printf("  %-52s %-11s %12s %14s %s%n", "mutant", "weakest", "excess", "worst-case", "(cases: not rejected / rejected)");
        for (Mutant m : Mutant.values()) {
            double[] row = table.get(m);
            System.out.printf("  %-52s %-11s %12.3g %14.3g (%d / %d)%n", m.what, weakest.get(m), row[0], row[1], (int) row[2],
                    (int) row[3]);
        }
        assertTrue(table.get(Mutant.CORRECT)[0] <= 1, "the correct kernel's excess");
    }

    // ---------------------------------------------------------------------------------------------------------
    // Gradients

    enum GradMutant {
        CORRECT("correct float32"),
        LN_NO_PROJECTION("LayerNorm backward without the - z mean(dz z) term"),
        RELU_NO_MASK("ReLU backward passes every gradient (no mask)"),
        LAST_IMAGE_ONLY("filter gradient from the last image only (not summed over the batch)"),
        ONE_OFF("one element of weight_net.0.weight off by 1e-5 max|g| (reported)"),
        ONE_OFF_1E3("one element of weight_net.0.weight off by 1e-3 max|g|"),
        ONE_OFF_LAST("one element of the last conv's weight off by 1e-3 max|g|"),
        ONE_OFF_X("one element of x's gradient off by 1e-5 max|g| (reported)");

        boolean reported() {
            return what.endsWith("(reported)");
        }

        final String what;

        GradMutant(String what) {
            this.what = what;
        }
    }

    /** The float32 backward, keyed as the oracle's (x, then the parameters in state-dict order), with {@code m}'s bug. */
    static Map<String, float[]> backward(TvConvLayer layer, Tensor x, Tensor dyT, GradMutant m) {
        TvConvConfig c = layer.config();
        int hh = c.height();
        int ww = c.width();
        int p = c.positions();
        int layers = c.layers();
        int mm = c.midChannels() * p;
        float[][] in = new float[layers + 1][];
        float[][] z = new float[layers][];
        float[][] a = new float[layers][];
        float[] r = new float[layers];
        in[0] = layer.param(TvConvLayer.AFFINITY);
        for (int l = 0; l < layers; l++) {
            float[] g = conv(in[l], layer.param(TvConvLayer.convWeight(l)), layer.param(TvConvLayer.convBias(l)), c.convIn(l),
                    c.midChannels(), hh, ww);
            float s = 0f;
            for (float v : g) {
                s += v;
            }
            float mu = s / mm;
            float v2 = 0f;
            for (float v : g) {
                v2 += (v - mu) * (v - mu);
            }
            r[l] = 1f / (float) Math.sqrt(v2 / mm + 1e-5f);
            z[l] = new float[mm];
            a[l] = new float[mm];
            in[l + 1] = new float[mm];
            float[] gamma = layer.param(TvConvLayer.normWeight(l));
            float[] beta = layer.param(TvConvLayer.normBias(l));
            for (int i = 0; i < mm; i++) {
                z[l][i] = (g[i] - mu) * r[l];
                a[l][i] = gamma[i] * z[l][i] + beta[i];
                in[l + 1][i] = Math.max(0f, a[l][i]);
            }
        }
        float[] f = conv(in[layers], layer.param(TvConvLayer.convWeight(layers)), layer.param(TvConvLayer.convBias(layers)),
                c.midChannels(), c.filterChannels(), hh, ww);
        int k = c.kernelSize();
        int taps = c.taps();
        float[] xd = x.data();
        float[] dy = dyT.data();
        float[] dx = new float[xd.length];
        float[] dF = new float[f.length];
        for (int n = 0; n < x.dim(0); n++) {
            boolean toF = m != GradMutant.LAST_IMAGE_ONLY || n == x.dim(0) - 1;
            for (int ch = 0; ch < c.channels(); ch++) {
                for (int i = 0; i < hh; i++) {
                    for (int j = 0; j < ww; j++) {
                        float gy = dy[((n * c.channels() + ch) * hh + i) * ww + j];
                        for (int u = 0; u < taps; u++) {
                            int rr = c.paddingMode().index(i + c.dilation() * (u / k) - c.pad(), hh);
                            int q = c.paddingMode().index(j + c.dilation() * (u % k) - c.pad(), ww);
                            if (rr < 0 || q < 0) {
                                continue;
                            }
                            int fi = (ch * taps + u) * p + i * ww + j;
                            int xi = ((n * c.channels() + ch) * hh + rr) * ww + q;
                            dx[xi] += f[fi] * gy;
                            if (toF) {
                                dF[fi] += xd[xi] * gy;
                            }
                        }
                    }
                }
            }
        }
        Map<String, float[]> grads = new java.util.LinkedHashMap<>();
        grads.put("x", dx);
        Map<String, float[]> params = new java.util.LinkedHashMap<>();
        TvConvLayer.expectedShapes(c).forEach((key, shape) -> params.put(key, new float[(int) Tensor.elementCount(shape)]));
        float[] up = convBackward(dF, in[layers], layer.param(TvConvLayer.convWeight(layers)), c.midChannels(),
                c.filterChannels(), hh, ww, params.get(TvConvLayer.convWeight(layers)), params.get(TvConvLayer.convBias(layers)));
        for (int l = layers - 1; l >= 0; l--) {
            float[] gamma = layer.param(TvConvLayer.normWeight(l));
            float[] dz = new float[mm];
            float s1 = 0f;
            float s2 = 0f;
            for (int i = 0; i < mm; i++) {
                float da = m == GradMutant.RELU_NO_MASK || a[l][i] > 0f ? up[i] : 0f;
                params.get(TvConvLayer.normWeight(l))[i] = da * z[l][i];
                params.get(TvConvLayer.normBias(l))[i] = da;
                dz[i] = gamma[i] * da;
                s1 += dz[i];
                s2 += dz[i] * z[l][i];
            }
            float m1 = s1 / mm;
            float m2 = m == GradMutant.LN_NO_PROJECTION ? 0f : s2 / mm;
            float[] dg = new float[mm];
            for (int i = 0; i < mm; i++) {
                dg[i] = r[l] * (dz[i] - m1 - z[l][i] * m2);
            }
            up = convBackward(dg, in[l], layer.param(TvConvLayer.convWeight(l)), c.convIn(l), c.midChannels(), hh, ww,
                    params.get(TvConvLayer.convWeight(l)), params.get(TvConvLayer.convBias(l)));
        }
        System.arraycopy(up, 0, params.get(TvConvLayer.AFFINITY), 0, up.length);
        if (c.bias()) {
            float[] db = params.get(TvConvLayer.BIAS);
            for (int n = 0; n < x.dim(0); n++) {
                for (int ch = 0; ch < c.channels(); ch++) {
                    for (int i = 0; i < p; i++) {
                        db[ch] += dy[(n * c.channels() + ch) * p + i];
                    }
                }
            }
        }
        if (m == GradMutant.ONE_OFF || m == GradMutant.ONE_OFF_1E3) {
            float[] w0 = params.get(TvConvLayer.convWeight(0));
            float max = 0f;
            for (float v : w0) {
                max = Math.max(max, Math.abs(v));
            }
            w0[w0.length / 2] += (m == GradMutant.ONE_OFF ? 1e-5f : 1e-3f) * max;
        }
        if (m == GradMutant.ONE_OFF_LAST || m == GradMutant.ONE_OFF_X) {
            float[] t = m == GradMutant.ONE_OFF_X ? dx : params.get(TvConvLayer.convWeight(layers));
            float max = 0f;
            for (float v : t) {
                max = Math.max(max, Math.abs(v));
            }
            t[t.length / 2] += (m == GradMutant.ONE_OFF_X ? 1e-5f : 1e-3f) * max;
        }
        grads.putAll(params);
        return grads;
    }

    /** Adds {@code dW}, {@code db} of a 3x3 zero-padded conv for output gradient {@code dg}; returns the input gradient. */
    private static float[] convBackward(float[] dg, float[] in, float[] w, int inC, int outC, int hh, int ww, float[] dw,
                                        float[] db) {
        float[] din = new float[inC * hh * ww];
        for (int j = 0; j < outC; j++) {
            for (int y = 0; y < hh; y++) {
                for (int x = 0; x < ww; x++) {
                    float g = dg[(j * hh + y) * ww + x];
                    db[j] += g;
                    for (int i = 0; i < inC; i++) {
                        for (int a = 0; a < 3; a++) {
                            for (int bb = 0; bb < 3; bb++) {
                                int yy = y + a - 1;
                                int xx = x + bb - 1;
                                if (yy >= 0 && yy < hh && xx >= 0 && xx < ww) {
                                    int wi = ((j * inC + i) * 3 + a) * 3 + bb;
                                    int q = (i * hh + yy) * ww + xx;
                                    dw[wi] += g * in[q];
                                    din[q] += g * w[wi];
                                }
                            }
                        }
                    }
                }
            }
        }
        return din;
    }

    /**
     * Every structural bug and single gradient elements off by 1e-3 of the largest are caught; single elements off by
     * 1e-5 (of the first conv's weight gradient, or of dx, whose filter errors are bounded by Cauchy-Schwarz over the
     * taps) are near or within the tight bound, so their excess is printed, not asserted.
     */
    @Test
    void theGradientVerdictsRejectEveryGradientMutantAndAcceptTheCorrectBackward() {
        System.out.println("TVConv gradient mutants (per mutant: the tensor it is caught on, its smallest excess over the layers):");
        long seed = 60;
        Map<GradMutant, String> caught = new EnumMap<>(GradMutant.class);
        Map<GradMutant, Double> excess = new EnumMap<>(GradMutant.class);
        for (TvConvLayer layer : layers()) {
            TvConvConfig c = layer.config();
            Inputs in = TvConvKind.INSTANCE.randomInputs(layer, 2, c.height(), c.width(), seed++);
            Tensor dy = Tensor.zeros(in.x().shape());
            org.acdajvm.layers.conv.StateDicts.uniform(dy, new java.util.SplittableRandom(seed), -1, 1);
            var oracle = TvConvKind.INSTANCE.oracleBackward(layer, in, dy);
            for (GradMutant m : GradMutant.values()) {
                Map<String, float[]> g = backward(layer, in.x(), dy, m);
                assertEquals(List.copyOf(oracle.byKey().keySet()), List.copyOf(g.keySet()));
                double worst = 0;
                String where = "";
                for (var e : oracle.byKey().entrySet()) {
                    ErrorReport r = ErrorReport.compare(e.getValue().reference(org.acdajvm.oracle.Precision.FP32),
                            ErrorReport.widen(Tensor.wrap(g.get(e.getKey()), e.getValue().shape())), e.getValue().shape(),
                            ErrorReport.Tier.TIGHT);
                    if (m == GradMutant.CORRECT) {
                        assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), "correct backward d" + e.getKey() + ", "
                                + c.summary() + ": " + r.describe());
                    }
                    if (r.excess() > worst) {
                        worst = r.excess();
                        where = e.getKey();
                    }
                }
                if (m != GradMutant.CORRECT && !m.reported()) {
                    assertTrue(worst > 1, m.what + " passes every gradient verdict, " + c.summary());
                }
                if (!excess.containsKey(m) || (m == GradMutant.CORRECT ? worst > excess.get(m) : worst < excess.get(m))) {
                    excess.put(m, worst);
                    caught.put(m, where);
                }
            }
        }
        for (GradMutant m : GradMutant.values()) {
            System.out.printf("  %-72s %-22s excess %.3g%n", m.what, "d" + caught.get(m), excess.get(m));
        }
    }
}
