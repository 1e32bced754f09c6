package org.acdajvm.layers.involution;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layers;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layer.Settings;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.PixelFilterOracle;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Involution's oracle (its filter through the core) against loops written here without the core, the depthwise
 * special case against an independent depthwise conv, input checks, and its backward against central finite
 * differences in double.
 *
 * <h2>The finite-difference criterion</h2>
 * Away from ReLU's kink, {@code L = sum dy y} is, along any one parameter, affine (every parameter enters one
 * affine stage: the 1x1 convs, BatchNorm's gamma and beta), and along one input element a quadratic ({@code x}
 * enters the kernel {@code H} affinely through pool, reduce, BatchNorm and the active ReLUs, and the patch
 * linearly). So the central difference {@code D(h) = (L(v+h) - L(v-h)) / 2h = L1 + h^2 L3 / 6} has no truncation
 * error at all ({@code L3 = 0}), provided no ReLU input changes sign between {@code v - h} and {@code v + h}: the
 * test checks the sign pattern of every ReLU input at both points and keeps only points where it is unchanged
 * (a point that straddles the kink is skipped and counted; with {@code h = 2^-14 max(1, |v|)} they are rare).
 * What remains is rounding: one evaluation of {@code L} in double is within {@code eps_L = sum |dy| b_i +
 * (n_L + 1) u_d sum |dy y|} ({@code b_i} the forward's worst-case bound with {@code u_d = 2^-53} for {@code u}),
 * so {@code D(h)} is within {@code eps_L / h}; the analytic gradient within its own worst-case bound scaled to
 * {@code u_d}. The test allows twice the sum (second-order terms). {@code h} is a power of two times
 * {@code max(1, |v|)}, so {@code v +- h} is exact.
 */
class InvolutionOracleTest {

    private static final double U_DOUBLE = 0x1.0p-53;

    /** C, K, s, d, circular, G, r, H, W. */
    private static final int[][] CASES = {
            {4, 3, 1, 1, 0, 2, 2, 6, 5}, {4, 3, 2, 1, 1, 1, 1, 7, 6}, {6, 5, 1, 2, 0, 3, 2, 6, 7}, {3, 1, 3, 1, 0, 3, 3, 7, 5},
            {4, 3, 1, 1, 1, 4, 4, 5, 5}, {6, 3, 3, 2, 1, 2, 3, 8, 7}, {2, 5, 2, 1, 0, 1, 1, 5, 4}};

    static InvolutionConfig config(int[] c) {
        return new InvolutionConfig(c[0], c[1], c[2], c[3], c[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS, c[5], c[6]);
    }

    static Tensor input(InvolutionConfig c, int n, int h, int w, long seed) {
        return InvolutionKind.INSTANCE.randomInputs(InvolutionKind.random(c, seed), n, h, w, seed + 1).x();
    }

    /** Involution written without the oracle core: every pixel's kernel from scratch, then applied. */
    static double[] naive(InvolutionConfig c, Map<String, double[]> p, Tensor x) {
        int n = x.dim(0);
        int ch = c.channels();
        int h = x.dim(2);
        int w = x.dim(3);
        int s = c.stride();
        int k = c.kernelSize();
        int pad = c.dilation() * (k - 1) / 2;
        int oh = (h + s - 1) / s;
        int ow = (w + s - 1) / s;
        int red = c.reduced();
        double[] y = new double[n * ch * oh * ow];
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < oh; r++) {
                for (int q = 0; q < ow; q++) {
                    double[] pooled = new double[ch];
                    for (int cc = 0; cc < ch; cc++) {
                        double acc = 0;
                        int cnt = 0;
                        for (int a = r * s; a < Math.min(h, r * s + s); a++) {
                            for (int b = q * s; b < Math.min(w, q * s + s); b++) {
                                acc += x.get(i, cc, a, b);
                                cnt++;
                            }
                        }
                        pooled[cc] = acc / cnt;
                    }
                    double[] hidden = new double[red];
                    for (int j = 0; j < red; j++) {
                        double acc = p.get(InvolutionLayer.REDUCE_BIAS)[j];
                        for (int cc = 0; cc < ch; cc++) {
                            acc += p.get(InvolutionLayer.REDUCE_WEIGHT)[j * ch + cc] * pooled[cc];
                        }
                        double norm = (acc - p.get(InvolutionLayer.BN_MEAN)[j]) / Math.sqrt(p.get(InvolutionLayer.BN_VAR)[j] + 1e-5)
                                * p.get(InvolutionLayer.BN_WEIGHT)[j] + p.get(InvolutionLayer.BN_BIAS)[j];
                        hidden[j] = norm > 0 ? norm : 0;
                    }
                    for (int cc = 0; cc < ch; cc++) {
                        int g = cc / (ch / c.groups());
                        double acc = 0;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int kk = g * k * k + a * k + b;
                                double kernel = p.get(InvolutionLayer.SPAN_BIAS)[kk];
                                for (int j = 0; j < red; j++) {
                                    kernel += p.get(InvolutionLayer.SPAN_WEIGHT)[kk * red + j] * hidden[j];
                                }
                                int hh = r * s + a * c.dilation() - pad;
                                int ww = q * s + b * c.dilation() - pad;
                                if (c.paddingMode() == PaddingMode.CIRCULAR) {
                                    hh = Math.floorMod(hh, h);
                                    ww = Math.floorMod(ww, w);
                                } else if (hh < 0 || hh >= h || ww < 0 || ww >= w) {
                                    continue;
                                }
                                acc += kernel * x.get(i, cc, hh, ww);
                            }
                        }
                        y[((i * ch + cc) * oh + r) * ow + q] = acc;
                    }
                }
            }
        }
        return y;
    }

    @Test
    void forwardMatchesLoopsWrittenWithoutTheCore() {
        long seed = 3;
        for (int[] cs : CASES) {
            InvolutionConfig c = config(cs);
            InvolutionLayer layer = InvolutionKind.random(c, seed);
            Tensor x = input(c, 2, cs[7], cs[8], seed + 10);
            OracleResult r = InvolutionKind.INSTANCE.oracleForward(layer, Inputs.of(x));
            double[] expected = naive(c, InvolutionFilter.params(layer), x);
            assertEquals(expected.length, r.size(), c.summary());
            assertEquals(2, r.shape()[0]);
            assertEquals((cs[7] + cs[2] - 1) / cs[2], r.shape()[2], "H' = ceil(H/s)");
            assertEquals((cs[8] + cs[2] - 1) / cs[2], r.shape()[3], "W' = ceil(W/s)");
            int active = 0;
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], r.y()[i], 1e-12 * (1 + r.sumAbs()[i]), c.summary() + " element " + i);
                assertTrue(r.sumAbs()[i] >= Math.abs(r.y()[i]) * (1 - 1e-12), "S >= |y|");
                assertTrue(r.carried()[i] >= 0);
                active += r.y()[i] != 0 ? 1 : 0;
            }
            assertTrue(active > expected.length / 2, "most outputs are non-zero: " + active + " of " + expected.length);
            seed++;
        }
    }

    /** Depthwise conv written here: y[c] = sum_u kernel[c][u] xp[c, s p + d u - pad]. */
    static double[] depthwise(double[][] kernel, Tensor x, int k, int s, int d, PaddingMode mode) {
        int n = x.dim(0);
        int ch = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int pad = d * (k - 1) / 2;
        int oh = (h + s - 1) / s;
        int ow = (w + s - 1) / s;
        double[] y = new double[n * ch * oh * ow];
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < ch; c++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double acc = 0;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int hh = r * s + a * d - pad;
                                int ww = q * s + b * d - pad;
                                if (mode == PaddingMode.CIRCULAR) {
                                    hh = Math.floorMod(hh, h);
                                    ww = Math.floorMod(ww, w);
                                } else if (hh < 0 || hh >= h || ww < 0 || ww >= w) {
                                    continue;
                                }
                                acc += kernel[c][a * k + b] * x.get(i, c, hh, ww);
                            }
                        }
                        y[((i * ch + c) * oh + r) * ow + q] = acc;
                    }
                }
            }
        }
        return y;
    }

    @Test
    void groupsEqualChannelsWithAConstantKernelIsADepthwiseConv() {
        for (int[] cs : new int[][] {{3, 3, 1, 1, 0, 3, 1, 6, 5}, {4, 5, 2, 1, 1, 4, 2, 7, 6}, {2, 3, 1, 2, 1, 2, 2, 5, 5}}) {
            InvolutionConfig c = config(cs);
            InvolutionLayer layer = InvolutionKind.random(c, 17).with(InvolutionLayer.SPAN_WEIGHT,
                    Tensor.zeros(c.kernelChannels(), c.reduced(), 1, 1));
            float[] kernel = layer.data(InvolutionLayer.SPAN_BIAS);
            double[][] perChannel = new double[c.channels()][c.taps()];
            for (int ch = 0; ch < c.channels(); ch++) {
                for (int u = 0; u < c.taps(); u++) {
                    perChannel[ch][u] = kernel[ch * c.taps() + u];
                }
            }
            Tensor x = input(c, 2, cs[7], cs[8], 23);
            double[] expected = depthwise(perChannel, x, c.kernelSize(), c.stride(), c.dilation(), c.paddingMode());
            OracleResult r = InvolutionKind.INSTANCE.oracleForward(layer, Inputs.of(x));
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], r.y()[i], 1e-12 * (1 + r.sumAbs()[i]), c.summary() + " element " + i);
                assertEquals(0, r.carried()[i], "a constant kernel carries no generator error");
            }
        }
    }

    @Test
    void settingsAndInputsAreChecked() {
        InvolutionKind kind = InvolutionKind.INSTANCE;
        assertTrue(Layers.names().contains("involution"));
        InvolutionLayer layer = kind.random(Settings.empty().with("in_channels", 6).with("groups", 3).with("reduction", 2), 1);
        assertEquals(3, layer.config().reduced());
        Settings round = kind.settingsOf(layer);
        assertEquals(layer.config(), kind.config(round));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> kind.config(Settings.empty().with("in_channels", 6).with("groups", 4)));
        assertTrue(e.getMessage().contains("groups = 4") && e.getMessage().contains("divide"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> kind.config(Settings.empty().with("kernel_size", 4)));
        assertTrue(e.getMessage().contains("kernel_size"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> kind.config(Settings.empty().with("reduction", 17)));
        assertTrue(e.getMessage().contains("reduction"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> kind.checkInputs(layer, Inputs.of(Tensor.zeros(1, 5, 4, 4))));
        assertTrue(e.getMessage().contains("'x'") && e.getMessage().contains("6"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> kind.checkInputs(layer,
                Inputs.builder().put(Inputs.X, Tensor.zeros(1, 6, 4, 4)).put("guidance", Tensor.zeros(1, 6, 4, 4)).build()));
        assertTrue(e.getMessage().contains("guidance"), e.getMessage());
        var sd = layer.stateDict();
        sd.put(InvolutionLayer.SPAN_BIAS, Tensor.zeros(5));
        e = assertThrows(IllegalArgumentException.class, () -> kind.load(round, sd));
        assertTrue(e.getMessage().contains("span.bias"), e.getMessage());
        assertEquals(List.of("reduce.weight", "reduce.bias", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var",
                "span.weight", "span.bias"), new ArrayList<>(layer.stateDict().keySet()));
    }

    private record Loss(double value, double error) {
    }

    private static Loss loss(InvolutionConfig c, Map<String, double[]> p, double[][][][] x, double[] dy) {
        OracleResult r = InvolutionFilter.forward(c, p, x);
        int n = r.chainLength().get(ErrorBounds.Evaluation.ANY);
        double l = 0;
        double err = 0;
        double abs = 0;
        for (int i = 0; i < dy.length; i++) {
            l += dy[i] * r.y()[i];
            abs += Math.abs(dy[i] * r.y()[i]);
            err += Math.abs(dy[i]) * (ErrorBounds.accept(n, r.sumAbs()[i], r.carried()[i]) - ErrorBounds.TINY)
                    * (U_DOUBLE / ErrorBounds.U);
        }
        return new Loss(l, err + (dy.length + 1) * U_DOUBLE * abs);
    }

    private static Map<String, double[]> copy(Map<String, double[]> p) {
        Map<String, double[]> m = new java.util.LinkedHashMap<>();
        p.forEach((k, v) -> m.put(k, v.clone()));
        return m;
    }

    private static double[][][][] copy(double[][][][] x) {
        double[][][][] y = new double[x.length][][][];
        for (int i = 0; i < x.length; i++) {
            y[i] = new double[x[i].length][][];
            for (int c = 0; c < x[i].length; c++) {
                y[i][c] = new double[x[i][c].length][];
                for (int h = 0; h < x[i][c].length; h++) {
                    y[i][c][h] = x[i][c][h].clone();
                }
            }
        }
        return y;
    }

    @Test
    void backwardMatchesFiniteDifferencesAwayFromReluKinks() {
        long seed = 41;
        int checked = 0;
        int resolving = 0;
        int skipped = 0;
        int nonZero = 0;
        for (int[] cs : CASES) {
            InvolutionConfig c = config(cs);
            InvolutionLayer layer = InvolutionKind.random(c, seed);
            Map<String, double[]> p = InvolutionFilter.params(layer);
            double[][][][] x = PixelFilterOracle.images(input(c, 2, cs[7], cs[8], seed + 5));
            OracleResult fwd = InvolutionFilter.forward(c, p, x);
            double[] dy = new double[fwd.size()];
            SplittableRandom rng = new SplittableRandom(seed + 7);
            for (int i = 0; i < dy.length; i++) {
                dy[i] = (float) (2 * rng.nextDouble() - 1);
            }
            double[][][][] dy4 = new double[fwd.shape()[0]][fwd.shape()[1]][fwd.shape()[2]][fwd.shape()[3]];
            int idx = 0;
            for (double[][][] a : dy4) {
                for (double[][] b : a) {
                    for (double[] row : b) {
                        for (int i = 0; i < row.length; i++) {
                            row[i] = dy[idx++];
                        }
                    }
                }
            }
            AcdaOracleBackward.Gradients g = InvolutionFilter.backward(c, p, x, dy4);
            java.util.BitSet base = InvolutionFilter.reluPattern(c, p, x);
            SplittableRandom pick = new SplittableRandom(seed + 9);
            for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
                String key = e.getKey();
                AcdaOracleBackward.Gradient grad = e.getValue();
                for (int t = 0; t < 12; t++) {
                    int i = pick.nextInt(grad.value().length);
                    double v0;
                    java.util.function.DoubleFunction<Object[]> at;
                    if (key.equals(PixelFilterOracle.X)) {
                        int w = x[0][0][0].length;
                        int hgt = x[0][0].length;
                        int n = i / (c.channels() * hgt * w);
                        int ch = i / (hgt * w) % c.channels();
                        int hh = i / w % hgt;
                        int ww = i % w;
                        v0 = x[n][ch][hh][ww];
                        at = v -> {
                            double[][][][] xx = copy(x);
                            xx[n][ch][hh][ww] = v;
                            return new Object[] {p, xx};
                        };
                    } else {
                        v0 = p.get(key)[i];
                        final int ii = i;
                        at = v -> {
                            Map<String, double[]> pp = copy(p);
                            pp.get(key)[ii] = v;
                            return new Object[] {pp, x};
                        };
                    }
                    double h = 0x1.0p-14 * Math.max(1, Math.abs(v0));
                    Object[] plus = at.apply(v0 + h);
                    Object[] minus = at.apply(v0 - h);
                    @SuppressWarnings("unchecked")
                    Map<String, double[]> pPlus = (Map<String, double[]>) plus[0];
                    @SuppressWarnings("unchecked")
                    Map<String, double[]> pMinus = (Map<String, double[]>) minus[0];
                    if (!InvolutionFilter.reluPattern(c, pPlus, (double[][][][]) plus[1]).equals(base)
                            || !InvolutionFilter.reluPattern(c, pMinus, (double[][][][]) minus[1]).equals(base)) {
                        skipped++;      // the step straddles a ReLU kink: L is not one polynomial there
                        continue;
                    }
                    Loss lp = loss(c, pPlus, (double[][][][]) plus[1], dy);
                    Loss lm = loss(c, pMinus, (double[][][][]) minus[1], dy);
                    double numeric = (lp.value() - lm.value()) / (2 * h);
                    double tol = 2 * (Math.max(lp.error(), lm.error()) / h + grad.bound(i) * (U_DOUBLE / ErrorBounds.U))
                            + Double.MIN_NORMAL;
                    assertEquals(numeric, grad.value()[i], tol, c.summary() + ": dL/d" + key + "[" + i + "]");
                    checked++;
                    nonZero += grad.value()[i] != 0 ? 1 : 0;
                    if (1e-5 * Math.abs(grad.value()[i]) > tol) {
                        resolving++;
                    }
                }
            }
            seed++;
        }
        System.out.printf("involution finite differences: %d elements checked (%d non-zero), %d skipped at a ReLU kink,"
                + " a 1e-5 relative error would fail %d of them%n", checked, nonZero, skipped, resolving);
        assertTrue(checked >= CASES.length * 7 * 10, "checked " + checked);
        assertTrue(skipped <= checked / 20, "skipped " + skipped + " of " + (checked + skipped));
        // Gradients of a hidden channel whose ReLU is off at every pixel are exactly 0: no relative error to resolve.
        assertTrue(resolving >= nonZero * 9 / 10, "the criterion resolves 1e-5 relative at only " + resolving + " of "
                + nonZero + " non-zero gradients");
    }
}
