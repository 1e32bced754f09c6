package org.acdajvm.layers.dfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.DoubleFunction;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layer.Settings;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.PixelFilterOracle;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The oracle of {@code dynamic-filter}: hand cases (a delta filter is the identity, a constant filter's softmax is
 * the box filter, one dominant tap), input checks, and the backward against central finite differences of the
 * forward, in double, for {@code L(v) = sum_i dy_i y_i(v)}, with the criterion of {@code AcdaOracleBackwardTest}
 * (derived, not guessed):
 * <pre>
 *   D(h) = (L(v+h) - L(v-h)) / (2h),   R(h) = (4 D(h/2) - D(h)) / 3 = L1 - h^4 L5 / 480 + O(h^6)
 * </pre>
 * <ul>
 *   <li>truncation, measured: {@code T = |R(h) - R(h/2)|} (15 times the leading term of {@code R(h/2)}'s);</li>
 *   <li>rounding of the differences: one evaluation of {@code L} is off by at most {@code eps_L = sum_i |dy_i| b_i
 *       + (n_L + 1) u_d sum_i |dy_i y_i|}, {@code b_i} the forward oracle's own worst-case bound with
 *       {@code u_d = 2^-53} for {@code u} (every term of it is linear in the unit roundoff, the softmax's exp
 *       allowance included, which over-covers double's {@code exp}); {@code R(h/2)} is off by {@code 6 eps_L / h};</li>
 *   <li>rounding of the analytic gradient: its own worst-case bound scaled from {@code u} to {@code u_d}.</li>
 * </ul>
 * A correct gradient satisfies {@code |R(h/2) - g| <= 2 (T + 6 eps_L / h + analytic)}; {@code h = 2^-7 max(1, |v|)}
 * (a power of two, so the perturbed values are exact). The softmax is smooth (all derivatives of
 * {@code exp(F_u)/sum exp(F)} are bounded by small constants), so {@code T} is small; a dominant tap
 * ({@code q} near 1 and near 0) makes the gradients small and is checked separately.
 * {@link #theCriterionResolvesSmallErrors} shows the criterion is not vacuous.
 */
class DfnOracleTest {

    private static final double U_DOUBLE = 0x1.0p-53;

    private record Estimate(double value, double truncation, double rounding) {
        double tolerance(double analyticRounding) {
            return 2 * (truncation + rounding + analyticRounding) + Double.MIN_NORMAL;
        }
    }

    private record Loss(double value, double error) {
    }

    private static Loss loss(DfnFilter.Parts p, double[] dy) {
        OracleResult r = DfnFilter.forward(p);
        int n = r.chainLength().get(ErrorBounds.Evaluation.ANY);
        double l = 0;
        double err = 0;
        double abs = 0;
        for (int i = 0; i < r.y().length; i++) {
            l += dy[i] * r.y()[i];
            abs += Math.abs(dy[i] * r.y()[i]);
            err += Math.abs(dy[i]) * (ErrorBounds.accept(n, r.sumAbs()[i], r.carried()[i]) - ErrorBounds.TINY)
                    * (U_DOUBLE / ErrorBounds.U);
        }
        err += (r.y().length + 1) * U_DOUBLE * abs;
        return new Loss(l, err);
    }

    private static Estimate numeric(double v0, DoubleFunction<Loss> lossAt) {
        double h = 0x1.0p-7 * Math.max(1, Math.abs(v0));
        double[] steps = {h, h / 2, h / 4};
        double[] d = new double[3];
        double eps = 0;
        for (int k = 0; k < 3; k++) {
            Loss plus = lossAt.apply(v0 + steps[k]);
            Loss minus = lossAt.apply(v0 - steps[k]);
            d[k] = (plus.value() - minus.value()) / (2 * steps[k]);
            eps = Math.max(eps, Math.max(plus.error(), minus.error()));
        }
        double rH = (4 * d[1] - d[0]) / 3;
        double rH2 = (4 * d[2] - d[1]) / 3;
        return new Estimate(rH2, Math.abs(rH - rH2), 6 * eps / h);
    }

    private static double[][][][] copy(double[][][][] a) {
        double[][][][] c = new double[a.length][a[0].length][a[0][0].length][];
        for (int n = 0; n < a.length; n++) {
            for (int j = 0; j < a[0].length; j++) {
                for (int r = 0; r < a[0][0].length; r++) {
                    c[n][j][r] = a[n][j][r].clone();
                }
            }
        }
        return c;
    }

    private static void set(double[][][][] a, int i, double v) {
        int ch = a[0].length;
        int h = a[0][0].length;
        int w = a[0][0][0].length;
        a[i / (ch * h * w)][(i / (h * w)) % ch][(i / w) % h][i % w] = v;
    }

    private static double get(double[][][][] a, int i) {
        int ch = a[0].length;
        int h = a[0][0].length;
        int w = a[0][0][0].length;
        return a[i / (ch * h * w)][(i / (h * w)) % ch][(i / w) % h][i % w];
    }

    private record Counts(int checked, int resolving) {
    }

    /** Every gradient of one case, at {@code samples} random elements each. */
    private static Counts check(DfnLayer layer, Inputs inputs, long seed, int samples) {
        int[] out = DfnKind.INSTANCE.checkInputs(layer, inputs);
        Tensor dyt = Tensor.zeros(out);
        SplittableRandom rng = new SplittableRandom(seed);
        float[] dyd = dyt.data();
        for (int i = 0; i < dyd.length; i++) {
            dyd[i] = (float) (2 * rng.nextDouble() - 1);
        }
        double[] dy = new double[dyd.length];
        for (int i = 0; i < dy.length; i++) {
            dy[i] = dyd[i];
        }
        AcdaOracleBackward.Gradients g = DfnKind.INSTANCE.oracleBackward(layer, inputs, dyt);
        assertEquals(List.of("x", DfnKind.FILTER), List.copyOf(g.byKey().keySet()));
        DfnFilter.Parts p = DfnFilter.Parts.of(layer, inputs);
        int checked = 0;
        int resolving = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
            boolean isX = e.getKey().equals(PixelFilterOracle.X);
            double[][][][] base = isX ? p.x() : p.filter();
            AcdaOracleBackward.Gradient grad = e.getValue();
            for (int s = 0; s < samples; s++) {
                int i = s == 0 ? 0 : rng.nextInt(grad.value().length);
                Estimate fd = numeric(get(base, i), v -> {
                    double[][][][] c = copy(base);
                    set(c, i, v);
                    return loss(isX ? new DfnFilter.Parts(p.config(), c, p.filter()) : new DfnFilter.Parts(p.config(), p.x(), c), dy);
                });
                double analytic = grad.value()[i];
                double analyticRounding = (grad.bound(i) - ErrorBounds.TINY) * (U_DOUBLE / ErrorBounds.U);
                double tol = fd.tolerance(analyticRounding);
                assertEquals(fd.value(), analytic, tol, layer.summary() + ": dL/d" + e.getKey() + "[" + i + "]: truncation "
                        + fd.truncation() + ", rounding " + fd.rounding() + ", analytic rounding " + analyticRounding);
                assertTrue(Math.abs(analytic) <= grad.sumAbs()[i] * (1 + 1e-12) + 1e-300, "|g| <= S for d" + e.getKey());
                if (1e-5 * Math.abs(analytic) > tol) {
                    resolving++;
                }
                checked++;
            }
        }
        return new Counts(checked, resolving);
    }

    private static DfnLayer layer(int c, int k, int s, int d, int pad, PaddingMode mode, boolean softmax) {
        return new DfnLayer(new DfnConfig(c, k, s, d, pad, mode, softmax));
    }

    private static List<DfnLayer> layers() {
        return List.of(layer(2, 3, 1, 1, 1, PaddingMode.ZEROS, true), layer(3, 3, 2, 1, 1, PaddingMode.CIRCULAR, true),
                layer(2, 5, 1, 2, 3, PaddingMode.ZEROS, true), layer(1, 3, 1, 1, 0, PaddingMode.ZEROS, true),
                layer(2, 3, 1, 1, 1, PaddingMode.ZEROS, false), layer(3, 5, 2, 1, 2, PaddingMode.CIRCULAR, false),
                layer(2, 1, 1, 1, 0, PaddingMode.ZEROS, true));
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        int checked = 0;
        long seed = 40;
        for (DfnLayer l : layers()) {
            Inputs in = DfnKind.INSTANCE.randomInputs(l, 2, 6, 5, seed++);
            checked += check(l, in, seed++, 8).checked();
        }
        assertTrue(checked >= 100, "checked " + checked);
        System.out.println("dynamic-filter finite differences: " + checked + " gradient elements");
    }

    /** One tap's logit 12 above the others: q near 1 there and near 6e-6 elsewhere; gradients through the softmax are small. */
    @Test
    void gradientsMatchFiniteDifferencesWithOneDominantTap() {
        DfnLayer l = layer(3, 3, 1, 1, 1, PaddingMode.ZEROS, true);
        Inputs in = DfnKind.INSTANCE.randomInputs(l, 1, 5, 5, 7);
        Tensor f = in.require(DfnKind.FILTER).copy();
        float[] d = f.data();
        int plane = 25;
        for (int i = 0; i < d.length; i++) {
            int u = i / plane;
            d[i] = d[i] * 0.1f + (u == (i % 9) % 9 ? 12f : 0f);
        }
        Inputs dominant = in.with(DfnKind.FILTER, f);
        OracleResult r = DfnKind.INSTANCE.oracleForward(l, dominant);
        for (double v : r.y()) {
            assertTrue(Double.isFinite(v));
        }
        Counts c = check(l, dominant, 8, 12);
        assertTrue(c.checked() >= 24);
    }

    @Test
    void theCriterionResolvesSmallErrors() {
        Counts c = check(layer(2, 3, 1, 1, 1, PaddingMode.ZEROS, true), DfnKind.INSTANCE.randomInputs(
                layer(2, 3, 1, 1, 1, PaddingMode.ZEROS, true), 1, 5, 4, 3), 4, 10);
        assertTrue(c.resolving() >= 0.9 * c.checked(), "resolving " + c.resolving() + " of " + c.checked());
    }

    /** A raw delta filter (1 at the centre tap, 0 elsewhere) returns the input exactly. */
    @Test
    void aDeltaFilterIsTheIdentity() {
        for (int k : new int[] {1, 3, 5}) {
            DfnLayer l = layer(3, k, 1, 2, 2 * (k - 1) / 2, PaddingMode.ZEROS, false);
            Inputs in = DfnKind.INSTANCE.randomInputs(l, 2, 5, 6, k);
            Tensor f = Tensor.zeros(in.require(DfnKind.FILTER).shape());
            int centre = (k * k - 1) / 2;
            for (int n = 0; n < 2; n++) {
                for (int i = 0; i < 30; i++) {
                    f.data()[(n * k * k + centre) * 30 + i] = 1f;
                }
            }
            OracleResult r = DfnKind.INSTANCE.oracleForward(l, in.with(DfnKind.FILTER, f));
            float[] x = in.x().data();
            assertEquals(x.length, r.y().length);
            for (int i = 0; i < x.length; i++) {
                assertEquals(x[i], r.y()[i], 0.0, "element " + i);
                assertEquals(0.0, r.carried()[i], 0.0);
            }
        }
    }

    /** A constant filter's softmax is 1/K^2 on every tap: the box filter over the padded window (independent loop). */
    @Test
    void softmaxOfAConstantFilterIsTheBoxFilter() {
        DfnLayer l = layer(2, 3, 2, 1, 1, PaddingMode.CIRCULAR, true);
        Inputs in = DfnKind.INSTANCE.randomInputs(l, 1, 7, 6, 3);
        Tensor f = in.require(DfnKind.FILTER).copy();
        java.util.Arrays.fill(f.data(), 0.7f);
        OracleResult r = DfnKind.INSTANCE.oracleForward(l, in.with(DfnKind.FILTER, f));
        Tensor x = in.x();
        int oh = 4;
        int ow = 3;
        for (int c = 0; c < 2; c++) {
            for (int h = 0; h < oh; h++) {
                for (int w = 0; w < ow; w++) {
                    double s = 0;
                    for (int a = 0; a < 3; a++) {
                        for (int b = 0; b < 3; b++) {
                            s += x.get(0, c, Math.floorMod(2 * h + a - 1, 7), Math.floorMod(2 * w + b - 1, 6));
                        }
                    }
                    int i = (c * oh + h) * ow + w;
                    assertEquals(s / 9, r.y()[i], 1e-15);
                    assertTrue(r.carried()[i] > 0, "the softmax's error is carried");
                }
            }
        }
    }

    /** A dominant tap: y is that tap's input to within the other taps' weight, and the bound stays proportionate. */
    @Test
    void oneDominantTapSelectsItsInput() {
        DfnLayer l = layer(2, 3, 1, 1, 1, PaddingMode.ZEROS, true);
        Inputs in = DfnKind.INSTANCE.randomInputs(l, 1, 4, 4, 5);
        Tensor f = Tensor.zeros(in.require(DfnKind.FILTER).shape());
        for (int i = 0; i < 16; i++) {
            f.data()[5 * 16 + i] = 40f;                 // tap (1, 2): the right neighbour
        }
        OracleResult r = DfnKind.INSTANCE.oracleForward(l, in.with(DfnKind.FILTER, f));
        Tensor x = in.x();
        for (int c = 0; c < 2; c++) {
            for (int h = 0; h < 4; h++) {
                for (int w = 0; w < 4; w++) {
                    double expected = w + 1 < 4 ? x.get(0, c, h, w + 1) : 0;
                    int i = (c * 4 + h) * 4 + w;
                    assertEquals(expected, r.y()[i], 1e-15);
                    assertTrue(r.bound(i, ErrorBounds.Evaluation.ANY) < 1e-5, "bound " + r.bound(i, ErrorBounds.Evaluation.ANY));
                }
            }
        }
    }

    @Test
    void settingsRoundTripAndBadInputsAreNamed() {
        DfnLayer l = DfnKind.INSTANCE.random(Settings.empty().with("in_channels", 3).with("kernel_size", 5)
                .with("softmax", false), 1);
        assertEquals(l.config(), DfnKind.INSTANCE.config(DfnKind.INSTANCE.settingsOf(l)));
        assertEquals(l.config(), DfnKind.INSTANCE.load(DfnKind.INSTANCE.settingsOf(l), Map.of()).config());
        Inputs in = DfnKind.INSTANCE.randomInputs(l, 1, 6, 6, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DfnKind.INSTANCE.checkInputs(l, in.with(DfnKind.FILTER, Tensor.zeros(1, 9, 6, 6))));
        assertTrue(e.getMessage().contains("'filter'") && e.getMessage().contains("[1, 25, 4, 4]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DfnKind.INSTANCE.checkInputs(l, Inputs.of(in.x())));
        assertTrue(e.getMessage().contains("'filter'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DfnKind.INSTANCE.load(Settings.empty(),
                Map.of("bias", Tensor.zeros(4))));
        assertTrue(e.getMessage().contains("bias"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> DfnKind.INSTANCE.config(Settings.empty().with("kernel_size", 4)));
        assertTrue(e.getMessage().contains("kernel_size"), e.getMessage());
    }
}
