package org.acdajvm.layers.involution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The tight verdict against plausible involution bugs and precision shortcuts: a small float32 implementation
 * written here (loops, independent of the library's fast paths) with one switch per mutant. The correct setting must
 * be ACCEPTED on every layer; every mutant must not be (SUSPICIOUS or REJECTED) wherever it changes the computation
 * (the group shift needs {@code G >= 2}, subsampling {@code s > 1}). The excess table is printed.
 */
class InvolutionMutationTest {

    /** The switches of {@link #run}. */
    private record Mutant(String name, double bnEps, boolean reluIdentity, boolean groupShift, boolean subsample,
                          boolean bf16Weights, boolean offByOne) {
        static Mutant correct() {
            return new Mutant("correct float32", 1e-5, false, false, false, false, false);
        }

        boolean appliesTo(InvolutionConfig c) {
            return (!groupShift || c.groups() >= 2) && (!subsample || c.stride() > 1);
        }
    }

    private static final List<Mutant> MUTANTS = List.of(
            new Mutant("BatchNorm eps 1e-3", 1e-3, false, false, false, false, false),
            new Mutant("ReLU replaced by the identity", 1e-5, true, false, false, false, false),
            new Mutant("group g's kernel applied to group g+1", 1e-5, false, true, false, false, false),
            new Mutant("average pool replaced by subsampling", 1e-5, false, false, true, false, false),
            new Mutant("weights rounded to bf16", 1e-5, false, false, false, true, false),
            new Mutant("one element off by 1e-5 max|y|", 1e-5, false, false, false, false, true));

    private static float bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        bits += 0x7FFF + ((bits >>> 16) & 1);       // round to nearest even on the 16 dropped bits
        return Float.intBitsToFloat(bits & 0xFFFF0000);
    }

    private static float[] param(InvolutionLayer layer, String key, boolean bf16) {
        float[] d = layer.data(key).clone();
        if (bf16) {
            for (int i = 0; i < d.length; i++) {
                d[i] = bf16(d[i]);
            }
        }
        return d;
    }

    /** Involution in float32, loops in the obvious order, with the mutant's switches. */
    static float[] run(InvolutionLayer layer, Tensor x, Mutant m) {
        InvolutionConfig c = layer.config();
        boolean b = m.bf16Weights();
        float[] rw = param(layer, InvolutionLayer.REDUCE_WEIGHT, b);
        float[] rb = param(layer, InvolutionLayer.REDUCE_BIAS, b);
        float[] gamma = param(layer, InvolutionLayer.BN_WEIGHT, b);
        float[] beta = param(layer, InvolutionLayer.BN_BIAS, b);
        float[] mean = param(layer, InvolutionLayer.BN_MEAN, b);
        float[] var = param(layer, InvolutionLayer.BN_VAR, b);
        float[] sw = param(layer, InvolutionLayer.SPAN_WEIGHT, b);
        float[] sb = param(layer, InvolutionLayer.SPAN_BIAS, b);
        int n = x.dim(0);
        int ch = c.channels();
        int h = x.dim(2);
        int w = x.dim(3);
        int s = c.stride();
        int k = c.kernelSize();
        int taps = k * k;
        int pad = c.padding();
        int oh = (h + s - 1) / s;
        int ow = (w + s - 1) / s;
        int red = c.reduced();
        float[] y = new float[n * ch * oh * ow];
        float[] pooled = new float[ch];
        float[] hidden = new float[red];
        float[] kernel = new float[c.kernelChannels()];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    for (int cc = 0; cc < ch; cc++) {
                        if (m.subsample()) {
                            pooled[cc] = x.get(i, cc, r * s, q * s);
                            continue;
                        }
                        float acc = 0f;
                        int cnt = 0;
                        for (int a = r * s; a < Math.min(h, r * s + s); a++) {
                            for (int bb = q * s; bb < Math.min(w, q * s + s); bb++) {
                                acc += x.get(i, cc, a, bb);
                                cnt++;
                            }
                        }
                        pooled[cc] = acc / cnt;
                    }
                    for (int j = 0; j < red; j++) {
                        float acc = rb[j];
                        for (int cc = 0; cc < ch; cc++) {
                            acc += rw[j * ch + cc] * pooled[cc];
                        }
                        float a = (acc - mean[j]) / (float) Math.sqrt(var[j] + (float) m.bnEps()) * gamma[j] + beta[j];
                        hidden[j] = m.reluIdentity() ? a : Math.max(a, 0f);
                    }
                    for (int kk = 0; kk < kernel.length; kk++) {
                        float acc = sb[kk];
                        for (int j = 0; j < red; j++) {
                            acc += sw[kk * red + j] * hidden[j];
                        }
                        kernel[kk] = acc;
                    }
                    for (int cc = 0; cc < ch; cc++) {
                        int g = c.group(cc);
                        if (m.groupShift()) {
                            g = (g + c.groups() - 1) % c.groups();     // channel of group g+1 gets group g's kernel
                        }
                        float acc = 0f;
                        for (int a = 0; a < k; a++) {
                            for (int bb = 0; bb < k; bb++) {
                                int hh = r * s + a * c.dilation() - pad;
                                int ww = q * s + bb * c.dilation() - pad;
                                if (c.paddingMode() == PaddingMode.CIRCULAR) {
                                    hh = Math.floorMod(hh, h);
                                    ww = Math.floorMod(ww, w);
                                } else if (hh < 0 || hh >= h || ww < 0 || ww >= w) {
                                    continue;
                                }
                                acc += kernel[g * taps + a * k + bb] * x.get(i, cc, hh, ww);
                            }
                        }
                        y[((i * ch + cc) * oh + r) * ow + q] = acc;
                    }
                }
            }
        }
        if (m.offByOne()) {
            float max = 0f;
            for (float v : y) {
                max = Math.max(max, Math.abs(v));
            }
            y[y.length / 2] += 1e-5f * max;
        }
        return y;
    }

    @Test
    void theVerdictRejectsEveryMutantAndAcceptsCorrectCode() {
        // C, K, s, d, circular, G, r, H, W
        int[][] layers = {{8, 3, 1, 1, 0, 2, 2, 12, 11}, {8, 3, 2, 1, 0, 4, 4, 13, 12}, {16, 5, 1, 2, 1, 4, 4, 10, 10},
                {6, 3, 3, 1, 1, 3, 2, 14, 13}, {32, 7, 1, 1, 0, 4, 4, 12, 12}};
        List<String> lines = new ArrayList<>();
        int caught = 0;
        int total = 0;
        double largestCorrect = 0;
        double smallestMutant = Double.POSITIVE_INFINITY;
        long seed = 101;
        for (int[] cs : layers) {
            InvolutionConfig c = InvolutionOracleTest.config(cs);
            InvolutionLayer layer = InvolutionKind.random(c, seed);
            Tensor x = InvolutionKind.INSTANCE.randomInputs(layer, 2, cs[7], cs[8], seed + 1).x();
            OracleResult ref = InvolutionKind.INSTANCE.oracleForward(layer, Inputs.of(x));
            ErrorReport ok = ErrorReport.compare(ref, Tensor.wrap(run(layer, x, Mutant.correct()), ref.shape()),
                    ErrorBounds.Evaluation.ANY);
            assertEquals(ErrorReport.Verdict.ACCEPTED, ok.verdict(), c.summary() + ": correct code " + ok.describe());
            largestCorrect = Math.max(largestCorrect, ok.excess());
            lines.add(String.format(Locale.ROOT, "  %-44s %-40s %-10s excess %10.3g  worst-case ratio %10.3g", c.summary(),
                    "correct float32", ok.verdict(), ok.excess(), ok.maxWorstRatio()));
            for (Mutant m : MUTANTS) {
                if (!m.appliesTo(c)) {
                    continue;
                }
                total++;
                ErrorReport r = ErrorReport.compare(ref, Tensor.wrap(run(layer, x, m), ref.shape()), ErrorBounds.Evaluation.ANY);
                lines.add(String.format(Locale.ROOT, "  %-44s %-40s %-10s excess %10.3g  worst-case ratio %10.3g", c.summary(),
                        m.name(), r.verdict(), r.excess(), r.maxWorstRatio()));
                assertNotEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), c.summary() + ": mutant '" + m.name()
                        + "' was ACCEPTED: " + r.describe());
                caught++;
                smallestMutant = Math.min(smallestMutant, r.excess());
            }
            seed++;
        }
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "involution mutation score: %d / %d caught; smallest excess of a caught mutant %.3g, "
                + "largest excess of correct code %.3g%n", caught, total, smallestMutant, largestCorrect);
        assertTrue(total >= 25, "mutants run: " + total);
        assertTrue(largestCorrect <= 1);
    }

    /** The switches of {@link #backward}. */
    private record BackwardMutant(String name, double bnEps, boolean maskIgnored, boolean dropBranch, boolean bf16Kernel,
                                  boolean groupShift) {
        static BackwardMutant correct() {
            return new BackwardMutant("correct float32", 1e-5, false, false, false, false);
        }
    }

    private static final List<BackwardMutant> BACKWARD_MUTANTS = List.of(
            new BackwardMutant("BatchNorm eps 1e-3", 1e-3, false, false, false, false),
            new BackwardMutant("ReLU mask ignored in the backward", 1e-5, true, false, false, false),
            new BackwardMutant("dx without the kernel-generating branch", 1e-5, false, true, false, false),
            new BackwardMutant("kernel H stored in bf16", 1e-5, false, false, true, false),
            new BackwardMutant("dH of group g summed over group g+1", 1e-5, false, false, false, true));

    /**
     * Involution's backward in float32, pixel by pixel (loops in the obvious order), gradients keyed as the oracle's;
     * with the mutant's switches.
     */
    static Map<String, float[]> backward(InvolutionLayer layer, Tensor x, Tensor dy, BackwardMutant m) {
        InvolutionConfig c = layer.config();
        float[] rw = layer.data(InvolutionLayer.REDUCE_WEIGHT);
        float[] rb = layer.data(InvolutionLayer.REDUCE_BIAS);
        float[] gamma = layer.data(InvolutionLayer.BN_WEIGHT);
        float[] beta = layer.data(InvolutionLayer.BN_BIAS);
        float[] mean = layer.data(InvolutionLayer.BN_MEAN);
        float[] var = layer.data(InvolutionLayer.BN_VAR);
        float[] sw = layer.data(InvolutionLayer.SPAN_WEIGHT);
        float[] sb = layer.data(InvolutionLayer.SPAN_BIAS);
        int n = x.dim(0);
        int ch = c.channels();
        int h = x.dim(2);
        int w = x.dim(3);
        int s = c.stride();
        int k = c.kernelSize();
        int taps = k * k;
        int pad = c.padding();
        int oh = (h + s - 1) / s;
        int ow = (w + s - 1) / s;
        int red = c.reduced();
        int kc = c.kernelChannels();
        float[] dx = new float[x.size()];
        float[] drw = new float[rw.length];
        float[] drb = new float[red];
        float[] dgamma = new float[red];
        float[] dbeta = new float[red];
        float[] dsw = new float[sw.length];
        float[] dsb = new float[kc];
        float[] pooled = new float[ch];
        float[] r1 = new float[red];
        float[] a = new float[red];
        float[] e = new float[red];
        float[] kernel = new float[kc];
        float[] dH = new float[kc];
        float[] dr1 = new float[red];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    for (int cc = 0; cc < ch; cc++) {
                        float acc = 0f;
                        int cnt = 0;
                        for (int aa = r * s; aa < Math.min(h, r * s + s); aa++) {
                            for (int bb = q * s; bb < Math.min(w, q * s + s); bb++) {
                                acc += x.get(i, cc, aa, bb);
                                cnt++;
                            }
                        }
                        pooled[cc] = acc / cnt;
                    }
                    for (int j = 0; j < red; j++) {
                        float acc = rb[j];
                        for (int cc = 0; cc < ch; cc++) {
                            acc += rw[j * ch + cc] * pooled[cc];
                        }
                        r1[j] = acc;
                        a[j] = (acc - mean[j]) / (float) Math.sqrt(var[j] + (float) m.bnEps()) * gamma[j] + beta[j];
                        e[j] = Math.max(a[j], 0f);
                    }
                    for (int kk = 0; kk < kc; kk++) {
                        float acc = sb[kk];
                        for (int j = 0; j < red; j++) {
                            acc += sw[kk * red + j] * e[j];
                        }
                        kernel[kk] = m.bf16Kernel() ? bf16(acc) : acc;
                    }
                    java.util.Arrays.fill(dH, 0f);
                    for (int cc = 0; cc < ch; cc++) {
                        int g = c.group(cc);
                        int gH = m.groupShift() ? (g + 1) % c.groups() : g;
                        float gy = dy.get(i, cc, r, q);
                        for (int aa = 0; aa < k; aa++) {
                            for (int bb = 0; bb < k; bb++) {
                                int hh = r * s + aa * c.dilation() - pad;
                                int ww = q * s + bb * c.dilation() - pad;
                                if (c.paddingMode() == PaddingMode.CIRCULAR) {
                                    hh = Math.floorMod(hh, h);
                                    ww = Math.floorMod(ww, w);
                                } else if (hh < 0 || hh >= h || ww < 0 || ww >= w) {
                                    continue;
                                }
                                int u = aa * k + bb;
                                dx[((i * ch + cc) * h + hh) * w + ww] += kernel[g * taps + u] * gy;
                                dH[gH * taps + u] += x.get(i, cc, hh, ww) * gy;
                            }
                        }
                    }
                    for (int kk = 0; kk < kc; kk++) {
                        dsb[kk] += dH[kk];
                        for (int j = 0; j < red; j++) {
                            dsw[kk * red + j] += dH[kk] * e[j];
                        }
                    }
                    for (int j = 0; j < red; j++) {
                        float de = 0f;
                        for (int kk = 0; kk < kc; kk++) {
                            de += dH[kk] * sw[kk * red + j];
                        }
                        float da = a[j] > 0f || m.maskIgnored() ? de : 0f;
                        float inv = 1f / (float) Math.sqrt(var[j] + (float) m.bnEps());
                        dbeta[j] += da;
                        dgamma[j] += da * ((r1[j] - mean[j]) * inv);
                        dr1[j] = da * (gamma[j] * inv);
                        drb[j] += dr1[j];
                        for (int cc = 0; cc < ch; cc++) {
                            drw[j * ch + cc] += dr1[j] * pooled[cc];
                        }
                    }
                    if (m.dropBranch()) {
                        continue;
                    }
                    for (int cc = 0; cc < ch; cc++) {
                        float dxa = 0f;
                        for (int j = 0; j < red; j++) {
                            dxa += dr1[j] * rw[j * ch + cc];
                        }
                        int a1 = Math.min(h, r * s + s);
                        int b1 = Math.min(w, q * s + s);
                        float t = dxa / ((a1 - r * s) * (b1 - q * s));
                        for (int aa = r * s; aa < a1; aa++) {
                            for (int bb = q * s; bb < b1; bb++) {
                                dx[((i * ch + cc) * h + aa) * w + bb] += t;
                            }
                        }
                    }
                }
            }
        }
        Map<String, float[]> g = new java.util.LinkedHashMap<>();
        g.put("x", dx);
        g.put(InvolutionLayer.REDUCE_WEIGHT, drw);
        g.put(InvolutionLayer.REDUCE_BIAS, drb);
        g.put(InvolutionLayer.BN_WEIGHT, dgamma);
        g.put(InvolutionLayer.BN_BIAS, dbeta);
        g.put(InvolutionLayer.SPAN_WEIGHT, dsw);
        g.put(InvolutionLayer.SPAN_BIAS, dsb);
        return g;
    }

    /** The largest excess over every gradient (above 1 when one is not ACCEPTED), and where. */
    private static double worstExcess(org.acdajvm.oracle.AcdaOracleBackward.Gradients ref, Map<String, float[]> g,
                                      StringBuilder where) {
        double worst = 0;
        for (var e : ref.byKey().entrySet()) {
            float[] actual = g.get(e.getKey());
            double[] wide = new double[actual.length];
            for (int i = 0; i < wide.length; i++) {
                wide[i] = actual[i];
            }
            ErrorReport r = ErrorReport.compare(e.getValue().reference(org.acdajvm.oracle.Precision.FP32), wide,
                    e.getValue().shape(), ErrorReport.Tier.TIGHT);
            double ex = r.verdict() == ErrorReport.Verdict.ACCEPTED ? Math.min(1, r.excess()) : Math.max(1.0001, r.excess());
            if (ex > worst) {
                worst = ex;
                where.setLength(0);
                where.append("d").append(e.getKey()).append(" ").append(r.verdict());
            }
        }
        return worst;
    }

    @Test
    void theGradientVerdictRejectsEveryBackwardMutantAndAcceptsCorrectCode() {
        int[][] layers = {{8, 3, 1, 1, 0, 2, 2, 9, 8}, {8, 3, 2, 1, 1, 4, 4, 11, 10}, {12, 5, 1, 2, 1, 3, 3, 9, 9},
                {6, 3, 3, 1, 0, 3, 2, 10, 11}};
        List<String> lines = new ArrayList<>();
        int caught = 0;
        int total = 0;
        double largestCorrect = 0;
        double smallestMutant = Double.POSITIVE_INFINITY;
        long seed = 201;
        for (int[] cs : layers) {
            InvolutionConfig c = InvolutionOracleTest.config(cs);
            InvolutionLayer layer = InvolutionKind.random(c, seed);
            Tensor x = InvolutionKind.INSTANCE.randomInputs(layer, 2, cs[7], cs[8], seed + 1).x();
            int[] out = InvolutionKind.INSTANCE.checkInputs(layer, Inputs.of(x));
            Tensor dy = InvolutionKind.INSTANCE.randomInputs(layer, out[0], out[2], out[3], seed + 2).x();
            var ref = InvolutionKind.INSTANCE.oracleBackward(layer, Inputs.of(x), dy);
            StringBuilder where = new StringBuilder();
            double ok = worstExcess(ref, backward(layer, x, dy, BackwardMutant.correct()), where);
            assertTrue(ok <= 1, c.summary() + ": correct gradients not ACCEPTED, " + where);
            largestCorrect = Math.max(largestCorrect, ok);
            lines.add(String.format(Locale.ROOT, "  %-44s %-44s excess %10.3g (%s)", c.summary(), "correct float32", ok, where));
            for (BackwardMutant m : BACKWARD_MUTANTS) {
                if (m.groupShift() && c.groups() < 2) {
                    continue;
                }
                total++;
                double ex = worstExcess(ref, backward(layer, x, dy, m), where);
                lines.add(String.format(Locale.ROOT, "  %-44s %-44s excess %10.3g (%s)", c.summary(), m.name(), ex, where));
                assertTrue(ex > 1, c.summary() + ": backward mutant '" + m.name() + "' was ACCEPTED");
                caught++;
                smallestMutant = Math.min(smallestMutant, ex);
            }
            seed++;
        }
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "involution backward mutation score: %d / %d caught; smallest excess of a caught mutant"
                + " %.3g, largest excess of correct code %.3g%n", caught, total, smallestMutant, largestCorrect);
        assertEquals(total, caught);
    }
}
