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
 * {@code L = sum dy * y}. Richardson extrapolation of two step sizes cancels the {@code h^2} term,
 * so a correct gradient agrees to about 1e-9 relative and any wrong term shows by orders of magnitude.
 */
class AcdaOracleBackwardTest {

    private static double loss(Params p, Images x, double[] dy) {
        double[] y = AcdaOracle.forward(p, x).y();
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += dy[i] * y[i];
        }
        return l;
    }

    /** dL/dv[i] by Richardson-extrapolated central differences; {@code set} writes v[i]. */
    private static double numeric(double v0, java.util.function.DoubleUnaryOperator lossAt) {
        double h = 1e-3 * Math.max(1, Math.abs(v0));
        double d1 = (lossAt.applyAsDouble(v0 + h) - lossAt.applyAsDouble(v0 - h)) / (2 * h);
        double d2 = (lossAt.applyAsDouble(v0 + h / 2) - lossAt.applyAsDouble(v0 - h / 2)) / h;
        return (4 * d2 - d1) / 3;
    }

    private static void check(AcdaConfig cfg, int batch, int h, int w, long seed) {
        AcdaLayer layer = AcdaInit.randomized(cfg, seed);
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
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
            String key = e.getKey();
            double[] analytic = e.getValue().value();
            double scale = 0;
            for (double v : analytic) {
                scale = Math.max(scale, Math.abs(v));
            }
            int samples = Math.min(analytic.length, 6);
            for (int s = 0; s < samples; s++) {
                int i = s == 0 ? 0 : pick.nextInt(analytic.length);
                double fd;
                if (key.equals(AcdaOracleBackward.INPUT)) {
                    double v0 = x.data[i];
                    fd = numeric(v0, v -> {
                        Images xx = x.copy();
                        xx.data[i] = v;
                        return loss(p, xx, dy);
                    });
                } else {
                    double v0 = p.byKey.get(key)[i];
                    fd = numeric(v0, v -> {
                        Params pp = p.copy();
                        pp.byKey.get(key)[i] = v;
                        return loss(pp, x, dy);
                    });
                }
                double tol = 1e-7 * (Math.abs(fd) + 1e-3 * scale) + 1e-12;
                assertEquals(fd, analytic[i], tol, cfg.summary() + ": d L / d " + key + "[" + i + "]");
                checked++;
            }
        }
        assertTrue(checked > 40, "elements checked: " + checked);
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
