package org.acdajvm.layers.conv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

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
 * The plain-conv oracle (the trivial filter through {@link PixelFilterOracle}) on hand cases, against an
 * independent naive convolution written here, and its backward against central finite differences.
 */
class ConvOracleTest {

    /** Every geometry the tests sweep: K, stride, dilation, padding, mode. */
    private static final List<int[]> GEOMETRIES = List.of(
            new int[] {3, 1, 1, 1, 0}, new int[] {3, 2, 1, 1, 0}, new int[] {5, 1, 2, 3, 1}, new int[] {3, 3, 2, 0, 0},
            new int[] {1, 2, 1, 0, 1}, new int[] {3, 1, 1, 2, 1}, new int[] {5, 2, 1, 0, 0}, new int[] {3, 2, 3, 4, 0});

    private static ConvConfig config(int[] g, int c, int o, boolean bias) {
        return new ConvConfig(c, o, g[0], g[1], g[2], g[3], g[4] == 0 ? PaddingMode.ZEROS : PaddingMode.CIRCULAR, bias);
    }

    /** Naive conv, written without the oracle core: loops in the order o, h', w', c, a, b. */
    static double[] naive(ConvConfig cfg, float[] w, float[] b, Tensor x) {
        int n = x.dim(0);
        int h = x.dim(2);
        int wd = x.dim(3);
        int k = cfg.kernelSize();
        int p = cfg.padding();
        int oh = (h + 2 * p - cfg.dilation() * (k - 1) - 1) / cfg.stride() + 1;
        int ow = (wd + 2 * p - cfg.dilation() * (k - 1) - 1) / cfg.stride() + 1;
        double[] y = new double[n * cfg.outChannels() * oh * ow];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < cfg.outChannels(); o++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        double acc = b[o];
                        for (int c = 0; c < cfg.inChannels(); c++) {
                            for (int a = 0; a < k; a++) {
                                for (int bb = 0; bb < k; bb++) {
                                    int hh = r * cfg.stride() + a * cfg.dilation() - p;
                                    int ww = q * cfg.stride() + bb * cfg.dilation() - p;
                                    if (cfg.paddingMode() == PaddingMode.CIRCULAR) {
                                        hh = Math.floorMod(hh, h);
                                        ww = Math.floorMod(ww, wd);
                                    } else if (hh < 0 || hh >= h || ww < 0 || ww >= wd) {
                                        continue;
                                    }
                                    acc += (double) w[((o * cfg.inChannels() + c) * k + a) * k + bb] * x.get(i, c, hh, ww);
                                }
                            }
                        }
                        y[((i * cfg.outChannels() + o) * oh + r) * ow + q] = acc;
                    }
                }
            }
        }
        return y;
    }

    private static Tensor random(SplittableRandom rng, int... shape) {
        Tensor t = Tensor.zeros(shape);
        StateDicts.uniform(t, rng, -1, 1);
        return t;
    }

    @Test
    void deltaInputReadsTheWeightBackwards() {
        ConvConfig cfg = config(new int[] {3, 1, 1, 1, 0}, 2, 3, true);
        ConvLayer layer = ConvKind.random(cfg, 5);
        Tensor x = Tensor.zeros(1, 2, 5, 5);
        x.set(0, 1, 2, 2, 1f);
        OracleResult r = ConvKind.INSTANCE.oracleForward(layer, Inputs.of(x));
        float[] w = layer.weight();
        float[] b = layer.biasOrZeros();
        for (int o = 0; o < 3; o++) {
            for (int h = 0; h < 5; h++) {
                for (int col = 0; col < 5; col++) {
                    int a = 2 - h + 1;                      // tap row that reads (2, 2) from output row h
                    int bb = 2 - col + 1;
                    double expected = (double) b[o] + (a >= 0 && a < 3 && bb >= 0 && bb < 3 ? (double) w[((o * 2 + 1) * 3 + a) * 3 + bb] : 0.0);
                    assertEquals(expected, r.y()[(o * 5 + h) * 5 + col], 0, "o=" + o + " h=" + h + " w=" + col);
                }
            }
        }
    }

    @Test
    void oneHotWeightShiftsTheInput() {
        ConvConfig cfg = config(new int[] {3, 1, 2, 2, 1}, 2, 1, false);
        Map<String, Tensor> p = new LinkedHashMap<>();
        Tensor w = Tensor.zeros(1, 2, 3, 3);
        w.set(0, 1, 0, 2, 1f);                          // tap (a, b) = (0, 2) of channel 1
        p.put(ConvLayer.WEIGHT, w);
        ConvLayer layer = new ConvLayer(cfg, p);
        Tensor x = random(new SplittableRandom(1), 1, 2, 6, 7);
        OracleResult r = ConvKind.INSTANCE.oracleForward(layer, Inputs.of(x));
        for (int h = 0; h < 6; h++) {
            for (int col = 0; col < 7; col++) {
                float v = x.get(0, 1, Math.floorMod(h + 0 - 2, 6), Math.floorMod(col + 4 - 2, 7));
                assertEquals(v, r.y()[h * 7 + col], 0);
            }
        }
    }

    @Test
    void equalsNaiveConvOverGeometries() {
        SplittableRandom rng = new SplittableRandom(11);
        int compared = 0;
        for (int[] g : GEOMETRIES) {
            for (boolean bias : new boolean[] {true, false}) {
                ConvConfig cfg = config(g, 3, 4, bias);
                ConvLayer layer = ConvKind.random(cfg, rng.nextLong());
                Tensor x = random(rng, 2, 3, 7 + rng.nextInt(3), 6 + rng.nextInt(4));
                OracleResult r = ConvKind.INSTANCE.oracleForward(layer, Inputs.of(x));
                double[] expected = naive(cfg, layer.weight(), layer.biasOrZeros(), x);
                assertEquals(expected.length, r.y().length, cfg.summary());
                for (int i = 0; i < expected.length; i++) {
                    // Same terms, other order: the sums may differ in the last bits of a double.
                    assertEquals(expected[i], r.y()[i], 1e-13 * (1 + r.sumAbs()[i]), cfg.summary() + " at " + i);
                    assertTrue(r.sumAbs()[i] >= Math.abs(r.y()[i]));
                }
                assertEquals(ErrorBounds.filterForwardChain(3, cfg.taps(), 0),
                        r.chainLength().get(ErrorBounds.Evaluation.ANY));
                compared += expected.length;
            }
        }
        assertTrue(compared > 1000, "compared " + compared);
    }

    @Test
    void outputSizeIsPyTorchs() {
        ConvLayer layer = ConvKind.INSTANCE.random(Settings.empty().with("in_channels", 1).with("out_channels", 1)
                .with("kernel_size", 5).with("stride", 3).with("dilation", 2).with("padding", 1), 1);
        Tensor x = Tensor.zeros(1, 1, 17, 12);
        // floor((17 + 2 - 8 - 1)/3) + 1 = 4, floor((12 + 2 - 8 - 1)/3) + 1 = 2
        assertArrayEquals(new int[] {1, 1, 4, 2}, ConvKind.INSTANCE.checkInputs(layer, Inputs.of(x)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConvKind.INSTANCE.checkInputs(layer, Inputs.of(Tensor.zeros(1, 1, 6, 6))));
        assertTrue(e.getMessage().contains("too small"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ConvKind.INSTANCE.random(Settings.empty().with("kernel_size", 4), 1));
        assertTrue(e.getMessage().contains("'kernel_size'"), e.getMessage());
    }

    /**
     * Backward against central differences in double. {@code L = sum dy * y} is bilinear in the weight and
     * the input, so a central difference has no truncation error ({@code f''' = 0}); what remains is the
     * rounding of the two evaluations of {@code L}, each within about {@code u_double S_L} ({@code S_L =
     * sum |dy| S_y}, {@code u_double = 2^-53}), divided by {@code 2h}: with {@code h = 1e-3} and {@code S_L < 1e3}
     * here that is below {@code 1e-10}. The test allows {@code 1e-8 (1 + |g|)}: a wrong term would be O(1).
     */
    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(21);
        int checked = 0;
        for (int[] g : GEOMETRIES) {
            ConvConfig cfg = config(g, 2, 3, true);
            ConvLayer layer = ConvKind.random(cfg, rng.nextLong());
            Tensor x = random(rng, 2, 2, 6, 5);
            int[] out = ConvKind.INSTANCE.checkInputs(layer, Inputs.of(x));
            Tensor dy = random(rng, out);
            AcdaOracleBackward.Gradients grads = ConvKind.INSTANCE.oracleBackward(layer, Inputs.of(x), dy);
            assertEquals(List.of("x", "weight", "bias"), List.copyOf(grads.byKey().keySet()));
            double[] w = ConvFilter.widen(layer.weight());
            double[] b = ConvFilter.widen(layer.biasOrZeros());
            double[][][][] xd = PixelFilterOracle.images(x);
            double[] dyd = ConvFilter.widen(dy.data());
            for (String key : grads.byKey().keySet()) {
                AcdaOracleBackward.Gradient gr = grads.byKey().get(key);
                for (int s = 0; s < 5; s++) {
                    int i = rng.nextInt(gr.value().length);
                    double h = 1e-3;
                    double lp = loss(cfg, key, i, h, w, b, xd, dyd);
                    double lm = loss(cfg, key, i, -h, w, b, xd, dyd);
                    double fd = (lp - lm) / (2 * h);
                    assertEquals(fd, gr.value()[i], 1e-8 * (1 + Math.abs(fd)), cfg.summary() + " d" + key + "[" + i + "]");
                    assertTrue(gr.sumAbs()[i] >= Math.abs(gr.value()[i]) * (1 - 1e-12));
                    checked++;
                }
            }
        }
        assertTrue(checked >= 100, "checked " + checked);
    }

    private static double loss(ConvConfig cfg, String key, int i, double h, double[] w, double[] b, double[][][][] x,
                               double[] dy) {
        double[] ww = w.clone();
        double[] bb = b.clone();
        double[][][][] xx = x;
        switch (key) {
            case "weight" -> ww[i] += h;
            case "bias" -> bb[i] += h;
            default -> {
                xx = deepCopy(x);
                int wd = x[0][0][0].length;
                int hd = x[0][0].length;
                int ch = x[0].length;
                xx[i / (wd * hd * ch)][(i / (wd * hd)) % ch][(i / wd) % hd][i % wd] += h;
            }
        }
        ConvFilter f = new ConvFilter(cfg.sampling(x[0][0].length, x[0][0][0].length), cfg.inChannels(), cfg.outChannels(), ww, bb);
        double[] y = PixelFilterOracle.forward(f, xx, 1).y();
        double l = 0;
        for (int k = 0; k < y.length; k++) {
            l += dy[k] * y[k];
        }
        return l;
    }

    static double[][][][] deepCopy(double[][][][] x) {
        double[][][][] c = new double[x.length][][][];
        for (int i = 0; i < x.length; i++) {
            c[i] = new double[x[i].length][][];
            for (int j = 0; j < x[i].length; j++) {
                c[i][j] = new double[x[i][j].length][];
                for (int k = 0; k < x[i][j].length; k++) {
                    c[i][j][k] = x[i][j][k].clone();
                }
            }
        }
        return c;
    }
}
