package org.acdajvm.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The backward oracle against central finite differences of the forward oracle, in double, for
 * {@code L(v) = sum_i dy_i y_i(v)}, with an agreement criterion derived rather than guessed.
 *
 * <h2>The criterion</h2>
 * For one parameter or input element {@code v} and step {@code h}, Taylor expansion gives
 * <pre>
 *   D(h) = (L(v+h) - L(v-h)) / (2h) = L1 + h^2 L3/6 + h^4 L5/120 + O(h^6)
 *   R(h) = (4 D(h/2) - D(h)) / 3    = L1 - h^4 L5/480 + O(h^6)            (Richardson: the h^2 term cancels)
 * </pre>
 * with {@code Lk} the k-th derivative of {@code L} along {@code v}.
 * <ul>
 *   <li><b>Truncation.</b> {@code L5} runs through two tanh and two BatchNorms of the data and has no useful
 *       a-priori bound, so it is measured: {@code R(h) - R(h/2) = -(15/16) h^4 L5/480 + O(h^6)}, hence the
 *       truncation of {@code R(h/2)} is {@code |R(h) - R(h/2)| / 15} to leading order. The criterion takes the
 *       whole difference {@code T = |R(h) - R(h/2)|} (a factor 15 for the {@code O(h^6)} remainder, which is
 *       small while {@code h^2 |L7 / L5|} is well below 15).</li>
 *   <li><b>Rounding of the differences.</b> One evaluation of {@code L} in double is off by at most
 *       {@code eps_L = sum_i |dy_i| b_i + (n_L + 1) u_d sum_i |dy_i y_i|}, where {@code b_i} is the forward
 *       oracle's own worst-case bound of {@code y_i} ({@code 4 u n S + E}) with the double unit roundoff
 *       {@code u_d = 2^-53} in place of float32's {@code u} (every term of it is linear in the unit roundoff),
 *       and {@code n_L} the number of terms of {@code L}. A difference quotient divides two such errors by
 *       {@code 2h}: {@code D(h)} is off by {@code eps_L / h}, {@code D(h/2)} by {@code 2 eps_L / h}, so
 *       {@code R(h)} by {@code 3 eps_L / h} and {@code R(h/2)} (built from {@code D(h/2)} and {@code D(h/4)})
 *       by {@code 6 eps_L / h}; the same noise also sits in {@code T}.</li>
 *   <li><b>Rounding of the analytic gradient.</b> The backward oracle's own worst-case bound
 *       ({@link AcdaOracleBackward.Gradient#bound}) scaled from {@code u} to {@code u_d}.</li>
 * </ul>
 * So a correct gradient satisfies {@code |R(h/2) - g| <= T + 6 eps_L / h + (u_d/u) bound_g}, up to
 * second-order terms, for which the criterion is doubled. The step {@code h = 2^-7 max(1, |v|)} (a power
 * of two, so {@code v +- h}, {@code v +- h/2} and {@code v +- h/4} are exact in double) balances
 * {@code h^4} against {@code 1/h}. {@link #theCriterionResolvesSmallErrors} shows the criterion is not
 * vacuous: it would reject analytic values off by 1e-5 relative at almost every element it checks
 * (the rigorous rounding term dominates, at 1e-8 to 5e-6 of the gradient; the truncation is 1e-15 to 1e-7).
 *
 * <h2>Saturation</h2>
 * {@link #gradientsMatchFiniteDifferencesNearTanhSaturation} scales both BatchNorms' gamma by 25 so that
 * most tanh inputs sit far out, where {@code tanh' = 1 - tanh^2} falls by many orders: gradients through
 * the generator become tiny next to the direct path's, and the largest higher derivatives occur near
 * {@code |a| ~ 1} in the remaining pixels; the criterion must hold there too.
 */
class AcdaOracleBackwardTest {

    private static final double U_DOUBLE = 0x1.0p-53;

    /** One finite-difference estimate with the parts of its criterion (class comment). */
    private record Estimate(double value, double truncation, double rounding) {
        double tolerance(double analyticRounding) {
            return 2 * (truncation + rounding + analyticRounding) + Double.MIN_NORMAL;
        }
    }

    /** {@code L} and its evaluation error bound {@code eps_L}. */
    private record Loss(double value, double error) {
    }

    private static Loss loss(Params p, Images x, double[] dy) {
        OracleResult r = AcdaOracle.forward(p, x);
        double[] y = r.y();
        int n = r.chainLength().get(ErrorBounds.Evaluation.ANY);
        double l = 0;
        double err = 0;
        double abs = 0;
        for (int i = 0; i < y.length; i++) {
            l += dy[i] * y[i];
            abs += Math.abs(dy[i] * y[i]);
            double bound = ErrorBounds.accept(n, r.sumAbs()[i], r.carried()[i]) - ErrorBounds.TINY;
            err += Math.abs(dy[i]) * bound * (U_DOUBLE / ErrorBounds.U);
        }
        err += (y.length + 1) * U_DOUBLE * abs;
        return new Loss(l, err);
    }

    /** Richardson-extrapolated central differences at steps {@code h/2} (and {@code h} for the truncation). */
    private static Estimate numeric(double v0, java.util.function.DoubleFunction<Loss> lossAt) {
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

    /** Elements compared, and how many of them a 1e-5 relative error in the analytic value would fail. */
    private record Counts(int checked, int resolving) {
    }

    private static Counts check(AcdaLayer layer, int batch, int h, int w, long seed) {
        AcdaConfig cfg = layer.config();
        Tensor xt = AcdaInit.input(cfg, batch, h, w, seed + 1);
        Params p = Params.of(layer);
        Images x = Images.of(xt);
        int[] outShape = {batch, cfg.outChannels(), cfg.outSize(h), cfg.outSize(w)};
        Tensor dyt = Tensor.zeros(outShape);
        AcdaInit.fill(dyt, new SplittableRandom(seed + 2), -1, 1);
        double[] dy = new double[dyt.size()];
        for (int i = 0; i < dy.length; i++) {
            dy[i] = dyt.data()[i];
        }
        AcdaOracleBackward.Gradients g = AcdaOracleBackward.backward(layer, xt, dyt);
        SplittableRandom pick = new SplittableRandom(seed + 3);
        int checked = 0;
        int resolving = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
            String key = e.getKey();
            AcdaOracleBackward.Gradient grad = e.getValue();
            double[] analytic = grad.value();
            int samples = Math.min(analytic.length, 6);
            for (int s = 0; s < samples; s++) {
                int i = s == 0 ? 0 : pick.nextInt(analytic.length);
                Estimate fd;
                if (key.equals(AcdaOracleBackward.INPUT)) {
                    fd = numeric(x.data[i], v -> {
                        Images xx = x.copy();
                        xx.data[i] = v;
                        return loss(p, xx, dy);
                    });
                } else {
                    fd = numeric(p.byKey.get(key)[i], v -> {
                        Params pp = p.copy();
                        pp.byKey.get(key)[i] = v;
                        return loss(pp, x, dy);
                    });
                }
                double analyticRounding = (grad.bound(i) - ErrorBounds.TINY) * (U_DOUBLE / ErrorBounds.U);
                double tol = fd.tolerance(analyticRounding);
                assertEquals(fd.value(), analytic[i], tol, cfg.summary() + ": d L / d " + key + "[" + i + "]: truncation "
                        + fd.truncation() + ", rounding " + fd.rounding() + ", analytic rounding " + analyticRounding);
                if (1e-5 * Math.abs(analytic[i]) > tol) {
                    resolving++;
                }
                checked++;
            }
        }
        assertTrue(checked > 40, "elements checked: " + checked);
        return new Counts(checked, resolving);
    }

    private static Counts check(AcdaConfig cfg, int batch, int h, int w, long seed) {
        return check(AcdaInit.randomized(cfg, seed), batch, h, w, seed);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        check(AcdaConfig.builder(2, 3, 3).atoms(2).basesPerScale(2).build(), 1, 5, 4, 1);
        check(AcdaConfig.builder(2, 2, 5).stride(2).atoms(3).basesPerScale(1).build(), 2, 6, 5, 2);
        check(AcdaConfig.builder(1, 2, 3).dilation(2).padding(PaddingMode.CIRCULAR).atoms(2).basesPerScale(3)
                .generatorKernel(1).bias(false).build(), 1, 4, 6, 3);
        check(AcdaConfig.builder(2, 1, 3).stride(3).padding(PaddingMode.CIRCULAR).atoms(1).basesPerScale(4).build(),
                1, 7, 5, 4);
    }

    @Test
    void gradientsMatchFiniteDifferencesNearTanhSaturation() {
        AcdaConfig cfg = AcdaConfig.builder(2, 2, 3).atoms(2).basesPerScale(2).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 11);
        for (String gamma : List.of(AcdaLayer.BN1_WEIGHT, AcdaLayer.BN2_WEIGHT)) {
            Tensor t = layer.param(gamma).copy();
            for (int i = 0; i < t.size(); i++) {
                t.data()[i] *= 25;
            }
            layer = layer.with(gamma, t);
        }
        // The layer is saturated: most generator outputs G have |G| > tanh(3) = 0.995.
        Tensor xs = AcdaInit.input(cfg, 1, 5, 5, 12);
        AcdaOracle.Generator gen = AcdaOracle.generator(Params.of(layer), Images.of(xs), 0, 5, 5);
        int saturated = 0;
        int total = 0;
        for (double[][] ch : gen.value()) {
            for (double[] row : ch) {
                for (double v : row) {
                    total++;
                    saturated += Math.abs(v) > Math.tanh(3) ? 1 : 0;
                }
            }
        }
        assertTrue(saturated > total / 2, "saturated generator outputs: " + saturated + " of " + total);
        check(layer, 1, 5, 5, 11);
    }

    /**
     * The criterion is not vacuous: at almost every element its tolerance is below 1e-5 of the gradient, so an
     * analytic value off by that much would fail.
     */
    @Test
    void theCriterionResolvesSmallErrors() {
        Counts c = check(AcdaConfig.builder(2, 3, 3).atoms(2).basesPerScale(2).build(), 1, 5, 4, 1);
        assertTrue(c.resolving() >= 0.95 * c.checked(), "resolving " + c.resolving() + " of " + c.checked());
    }

    @Test
    void gradientKeysShapesAndBounds() {
        AcdaConfig cfg = AcdaConfig.builder(2, 3, 3).atoms(2).basesPerScale(2).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 5);
        Tensor x = AcdaInit.input(cfg, 1, 4, 4, 6);
        Tensor dy = AcdaInit.input(AcdaConfig.builder(3, 3, 3).build(), 1, 4, 4, 7);
        AcdaOracleBackward.Gradients g = AcdaOracleBackward.backward(layer, x, dy);
        assertEquals(List.of("x", "bases_net.0.weight", "bases_net.0.bias", "bases_net.1.weight", "bases_net.1.bias",
                "bases_net.3.weight", "bases_net.3.bias", "bases_net.4.weight", "bases_net.4.bias", "coef", "bias"),
                List.copyOf(g.byKey().keySet()));
        assertArrayEquals(x.shape(), g.byKey().get("x").shape());
        assertArrayEquals(new int[] {64, 2, 3, 3}, g.byKey().get("bases_net.0.weight").shape());
        for (AcdaOracleBackward.Gradient gr : g.byKey().values()) {
            for (int i = 0; i < gr.value().length; i++) {
                assertTrue(Math.abs(gr.value()[i]) <= gr.sumAbs()[i] * (1 + 1e-12), "|value| <= S");
                assertTrue(gr.bound(i) > 0);
            }
        }
        // dbias[o] is exactly the sum of dy over the pixels of channel o.
        double sum = 0;
        for (int i = 0; i < 16; i++) {
            sum += dy.data()[16 + i];
        }
        assertEquals(sum, g.byKey().get("bias").value()[1], 1e-12);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AcdaOracleBackward.backward(layer, x, Tensor.zeros(1, 3, 4, 5)));
        assertTrue(e.getMessage().contains("upstream gradient dy has shape [1, 3, 4, 5], expected [1, 3, 4, 4]"),
                e.getMessage());
    }
}
