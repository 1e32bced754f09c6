package org.acdajvm.layers.tvconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.junit.jupiter.api.Test;

/**
 * TVConv's backward oracle against central finite differences of its forward oracle, in double, for
 * {@code L(v) = sum_i dy_i y_i(v)}, with the criterion of ACDA's {@code AcdaOracleBackwardTest} (derived there):
 * Richardson's {@code R(h) = (4 D(h/2) - D(h)) / 3}, the truncation measured as {@code T = |R(h) - R(h/2)|}, the
 * rounding of the differences {@code 6 eps_L / h} with {@code eps_L} the forward oracle's own worst-case bound in
 * double ({@code u_d = 2^-53} for {@code u}), and the analytic gradient's own bound scaled the same way; the sum
 * doubled for second-order terms. Steps are powers of two times {@code max(1, |v|)}, so every shifted value is exact.
 *
 * <h2>ReLU's kink</h2>
 * The loss is not differentiable where a ReLU input {@code a} is 0, and a difference quotient over a step that
 * crosses 0 measures a mixture of both sides. The test keeps every point away from the kink: it shifts each
 * LayerNorm bias so that {@code |a| >= 0.1} everywhere ({@link #awayFromTheKink}), uses {@code h = 2^-9 max(1, |v|)},
 * and asserts at every evaluation that no ReLU input changed sign (so each estimate is of one smooth piece).
 */
class TvConvOracleBackwardTest {

    private static final double U_DOUBLE = 0x1.0p-53;
    private static final double MARGIN = 0.1;

    private record Estimate(double value, double truncation, double rounding) {
        double tolerance(double analyticRounding) {
            return 2 * (truncation + rounding + analyticRounding) + Double.MIN_NORMAL;
        }
    }

    private record Loss(double value, double error, boolean[][] masks) {
    }

    /** A perturbable view of one parameter (or x) element. */
    private interface Slot {
        double get();

        void set(double v);
    }

    private static TvConvConfig config(PaddingMode mode, boolean bias, int dilation) {
        return new TvConvConfig(3, 3, dilation, mode, 6, 5, 2, 4, 2, bias);
    }

    /** Shifts each LayerNorm bias so that every ReLU input is at least {@link #MARGIN} from 0. */
    static TvConvOracle.Parts awayFromTheKink(TvConvOracle.Parts p) {
        for (int l = 0; l < p.config().layers(); l++) {
            TvConvWeightNet net = new TvConvWeightNet(p);
            double[] a = net.ln[l].v;
            for (int i = 0; i < a.length; i++) {
                if (Math.abs(a[i]) < MARGIN) {
                    p.normBias()[l][i] += (a[i] >= 0 ? 1 : -1) * MARGIN;
                }
            }
        }
        return p;
    }

    private static Loss loss(TvConvOracle.Parts p, double[][][][] dy) {
        OracleResult r = TvConvOracle.forward(p);
        double[] y = r.y();
        int n = r.chainLength().get(ErrorBounds.Evaluation.ANY);
        double l = 0;
        double err = 0;
        double abs = 0;
        int c = p.config().channels();
        int hh = p.config().height();
        int ww = p.config().width();
        for (int i = 0; i < y.length; i++) {
            int w = i % ww;
            int h = (i / ww) % hh;
            int ch = (i / (ww * hh)) % c;
            int b = i / (ww * hh * c);
            double d = dy[b][ch][h][w];
            l += d * y[i];
            abs += Math.abs(d * y[i]);
            err += Math.abs(d) * ErrorBounds.accept(n, r.sumAbs()[i], r.carried()[i]) * (U_DOUBLE / ErrorBounds.U);
        }
        err += (y.length + 1) * U_DOUBLE * abs;
        TvConvWeightNet net = new TvConvWeightNet(p);
        boolean[][] masks = new boolean[p.config().layers()][];
        for (int k = 0; k < masks.length; k++) {
            double[] a = net.ln[k].v;
            masks[k] = new boolean[a.length];
            for (int i = 0; i < a.length; i++) {
                masks[k][i] = a[i] > 0;
            }
        }
        return new Loss(l, err, masks);
    }

    private static double difference(TvConvOracle.Parts p, double[][][][] dy, Slot s, double v, double h, boolean[][] masks,
                                     double[] epsL) {
        s.set(v + h);
        Loss plus = loss(p, dy);
        s.set(v - h);
        Loss minus = loss(p, dy);
        s.set(v);
        for (int k = 0; k < masks.length; k++) {
            assertArrayEquals(masks[k], plus.masks()[k], "a ReLU input crossed the kink at +h");
            assertArrayEquals(masks[k], minus.masks()[k], "a ReLU input crossed the kink at -h");
        }
        epsL[0] = Math.max(epsL[0], Math.max(plus.error(), minus.error()));
        return (plus.value() - minus.value()) / (2 * h);
    }

    private static Estimate estimate(TvConvOracle.Parts p, double[][][][] dy, Slot s, boolean[][] masks) {
        double v = s.get();
        double h = Math.scalb(Math.max(1, Math.abs(v)) > 1 ? Math.pow(2, Math.getExponent(Math.abs(v)) + 1) : 1.0, -9);
        double[] epsL = new double[1];
        double d1 = difference(p, dy, s, v, h, masks, epsL);
        double d2 = difference(p, dy, s, v, h / 2, masks, epsL);
        double d4 = difference(p, dy, s, v, h / 4, masks, epsL);
        double r1 = (4 * d2 - d1) / 3;
        double r2 = (4 * d4 - d2) / 3;
        return new Estimate(r2, Math.abs(r1 - r2), 6 * epsL[0] / h);
    }

    private static Slot slot(double[] a, int i) {
        return new Slot() {
            public double get() {
                return a[i];
            }

            public void set(double v) {
                a[i] = v;
            }
        };
    }

    /** Every perturbable array of the parts, by gradient key. */
    private static Map<String, double[]> arrays(TvConvOracle.Parts p) {
        Map<String, double[]> m = new java.util.LinkedHashMap<>();
        m.put(TvConvLayer.AFFINITY, p.affinity());
        for (int l = 0; l <= p.config().layers(); l++) {
            m.put(TvConvLayer.convWeight(l), p.convWeight()[l]);
            m.put(TvConvLayer.convBias(l), p.convBias()[l]);
            if (l < p.config().layers()) {
                m.put(TvConvLayer.normWeight(l), p.normWeight()[l]);
                m.put(TvConvLayer.normBias(l), p.normBias()[l]);
            }
        }
        if (p.config().bias()) {
            m.put(TvConvLayer.BIAS, p.bias());
        }
        return m;
    }

    private static double[][][][] random(int n, int c, int h, int w, SplittableRandom rng) {
        double[][][][] a = new double[n][c][h][w];
        for (double[][][] b : a) {
            for (double[][] cc : b) {
                for (double[] row : cc) {
                    for (int i = 0; i < row.length; i++) {
                        row[i] = (float) (2 * rng.nextDouble() - 1);
                    }
                }
            }
        }
        return a;
    }

    private static int check(TvConvConfig c, long seed, int perKey) {
        SplittableRandom rng = new SplittableRandom(seed);
        TvConvLayer layer = TvConvKind.random(c, seed);
        double[][][][] x = random(2, c.channels(), c.height(), c.width(), rng);
        TvConvOracle.Parts p = awayFromTheKink(TvConvOracle.Parts.of(layer,
                org.acdajvm.tensor.Tensor.zeros(2, c.channels(), c.height(), c.width())).withX(x));
        double[][][][] dy = random(2, c.channels(), c.height(), c.width(), rng);
        AcdaOracleBackward.Gradients g = TvConvOracle.backward(p, dy);
        boolean[][] masks = loss(p, dy).masks();
        int checked = 0;
        List<String> failures = new ArrayList<>();
        Map<String, double[]> arrays = arrays(p);
        for (Map.Entry<String, double[]> e : arrays.entrySet()) {
            AcdaOracleBackward.Gradient gr = g.byKey().get(e.getKey());
            for (int t = 0; t < perKey; t++) {
                int i = rng.nextInt(e.getValue().length);
                Estimate est = estimate(p, dy, slot(e.getValue(), i), masks);
                double tol = est.tolerance(gr.bound(i) * (U_DOUBLE / ErrorBounds.U));
                if (Math.abs(est.value() - gr.value()[i]) > tol) {
                    failures.add(e.getKey() + "[" + i + "]: analytic " + gr.value()[i] + ", finite differences " + est.value()
                            + " +- " + tol);
                }
                checked++;
            }
        }
        AcdaOracleBackward.Gradient gx = g.byKey().get("x");
        for (int t = 0; t < perKey; t++) {
            int b = rng.nextInt(2);
            int ch = rng.nextInt(c.channels());
            int h = rng.nextInt(c.height());
            int w = rng.nextInt(c.width());
            double[] row = x[b][ch][h];
            Estimate est = estimate(p, dy, slot(row, w), masks);
            int i = ((b * c.channels() + ch) * c.height() + h) * c.width() + w;
            double tol = est.tolerance(gx.bound(i) * (U_DOUBLE / ErrorBounds.U));
            if (Math.abs(est.value() - gx.value()[i]) > tol) {
                failures.add("x[" + i + "]: analytic " + gx.value()[i] + ", finite differences " + est.value() + " +- " + tol);
            }
            checked++;
        }
        assertTrue(failures.isEmpty(), failures.size() + " of " + checked + " elements disagree: " + failures);
        return checked;
    }

    @Test
    void everyGradientMatchesFiniteDifferencesZeroPadding() {
        int n = check(config(PaddingMode.ZEROS, true, 1), 11, 5);
        assertEquals(5 * 13, n);
    }

    @Test
    void everyGradientMatchesFiniteDifferencesCircularDilated() {
        check(config(PaddingMode.CIRCULAR, false, 2), 12, 4);
    }

    /**
     * The criterion resolves an analytic error of 1e-5 relative: at each tensor's largest gradient element it would
     * reject a value that far off (printed: the tolerance and its parts).
     */
    @Test
    void theCriterionResolvesSmallErrors() {
        TvConvConfig c = config(PaddingMode.ZEROS, true, 1);
        SplittableRandom rng = new SplittableRandom(5);
        TvConvLayer layer = TvConvKind.random(c, 5);
        double[][][][] x = random(2, c.channels(), c.height(), c.width(), rng);
        TvConvOracle.Parts p = awayFromTheKink(TvConvOracle.Parts.of(layer,
                org.acdajvm.tensor.Tensor.zeros(2, c.channels(), c.height(), c.width())).withX(x));
        double[][][][] dy = random(2, c.channels(), c.height(), c.width(), rng);
        AcdaOracleBackward.Gradients g = TvConvOracle.backward(p, dy);
        boolean[][] masks = loss(p, dy).masks();
        int resolved = 0;
        int total = 0;
        for (Map.Entry<String, double[]> e : arrays(p).entrySet()) {
            AcdaOracleBackward.Gradient gr = g.byKey().get(e.getKey());
            int i = 0;
            for (int j = 1; j < gr.value().length; j++) {
                i = Math.abs(gr.value()[j]) > Math.abs(gr.value()[i]) ? j : i;
            }
            Estimate est = estimate(p, dy, slot(e.getValue(), i), masks);
            double tol = est.tolerance(gr.bound(i) * (U_DOUBLE / ErrorBounds.U));
            total++;
            System.out.printf("%-22s g = %10.3e  tolerance %.2e (truncation %.1e, differences %.1e, analytic %.1e)%n",
                    e.getKey(), gr.value()[i], tol, est.truncation(), est.rounding(), gr.bound(i) * (U_DOUBLE / ErrorBounds.U));
            if (tol < 1e-5 * Math.abs(gr.value()[i])) {
                resolved++;
            }
        }
        assertTrue(resolved >= total - 1, "the criterion resolves 1e-5 relative at only " + resolved + " of " + total);
    }
}
