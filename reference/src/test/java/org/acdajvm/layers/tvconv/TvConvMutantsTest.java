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
}
