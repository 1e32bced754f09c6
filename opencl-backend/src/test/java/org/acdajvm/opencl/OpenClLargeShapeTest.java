package org.acdajvm.opencl;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Locale;

import org.acdajvm.backend.AcdaForwardScalar;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.DeviceTests;
import org.junit.jupiter.api.Test;

/**
 * A layer of realistic size, C = O = 64, 56x56, K = 7, where the whole-image oracle (naive
 * per-pixel filters, about 1.2 M multiply-adds per pixel, in double, twice for the bound) would
 * take too long for the test suite. Two checks, each honest about what it proves:
 * <ol>
 *   <li><b>The oracle on crops, with its exact bound.</b> An output pixel depends on the input
 *       within {@code R = max(pad, 2)} pixels (generator conv 1 and conv 2 reach 1 + 1 at s = 1, the
 *       atom convolution reaches pad = 3), and on the padding only where that neighbourhood leaves
 *       the image. So the oracle run on an input crop extended by R on every side that is not an
 *       image border computes, for the pixels of the window, exactly what it would compute on the
 *       whole image: same terms, same order, same S and E. Three windows (two corners, the centre)
 *       are checked element by element within the DESIGN section 7 bound.</li>
 *   <li><b>The whole image against the scalar path.</b> Both evaluate the same two-layer
 *       expression in float32, each within the oracle's bound of the exact value, so they differ
 *       by at most twice that bound. The per-element bound is known only on the crops, so each
 *       output channel gets twice the largest bound the crops saw for that channel. That is an
 *       estimate outside the crops (interior pixels sum the same number of terms of the same
 *       distribution; border pixels fewer), and it is loose, but a wrong index or a dropped term
 *       anywhere in the image errs by the size of the output itself, about 100 times more.</li>
 * </ol>
 */
class OpenClLargeShapeTest {

    private static final int SIZE = 56;

    @Test
    void channels64At56x56WithK7() {
        DeviceTests.require("opencl");
        AcdaConfig cfg = AcdaConfig.builder(64, 64, 7).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 56);
        Tensor x = AcdaInit.input(cfg, 1, SIZE, SIZE, 57);
        Tensor y;
        try (OpenClBackend backend = new OpenClBackend()) {
            y = backend.forward(layer, x);
            System.out.println("opencl C=O=64 56x56 K=7: " + backend.lastTimes().describe());
        }
        int reach = Math.max(cfg.pad(), 2);
        int outC = cfg.outChannels();
        double[] channelBound = new double[outC];
        int[][] windows = {{0, 10, 0, 10}, {23, 33, 23, 33}, {46, 56, 46, 56}};    // output rows h0..h1, cols w0..w1
        long checked = 0;
        double worstRatio = 0;
        for (int[] win : windows) {
            int h0 = Math.max(0, win[0] - reach);
            int h1 = Math.min(SIZE, win[1] + reach);
            int w0 = Math.max(0, win[2] - reach);
            int w1 = Math.min(SIZE, win[3] + reach);
            OracleResult oracle = AcdaOracle.forward(layer, crop(x, h0, h1, w0, w1));
            int ch = h1 - h0;
            int cw = w1 - w0;
            for (int o = 0; o < outC; o++) {
                for (int h = win[0]; h < win[1]; h++) {
                    for (int w = win[2]; w < win[3]; w++) {
                        int i = (o * ch + (h - h0)) * cw + (w - w0);
                        double bound = oracle.bound(i, ErrorBounds.Evaluation.TWO_LAYER);
                        float actual = y.get(0, o, h, w);
                        double ratio = Math.abs(actual - oracle.y()[i]) / bound;
                        assertTrue(ratio <= 1, String.format(Locale.ROOT, "oracle on window %d..%d x %d..%d: output "
                                        + "(0, %d, %d, %d) expected %.9g, actual %.9g, bound %.3g (ratio %.3g)", win[0],
                                win[1], win[2], win[3], o, h, w, oracle.y()[i], actual, bound, ratio));
                        worstRatio = Math.max(worstRatio, ratio);
                        channelBound[o] = Math.max(channelBound[o], bound);
                        checked++;
                    }
                }
            }
        }
        System.out.printf(Locale.ROOT, "opencl vs oracle on %d sampled elements: max error ratio %.3g%n", checked, worstRatio);

        Tensor scalar = AcdaForwardScalar.forward(layer, x);
        double worstScalar = 0;
        for (int o = 0; o < outC; o++) {
            for (int h = 0; h < SIZE; h++) {
                for (int w = 0; w < SIZE; w++) {
                    double diff = Math.abs(y.get(0, o, h, w) - scalar.get(0, o, h, w));
                    double tol = 2 * channelBound[o];
                    assertTrue(diff <= tol, String.format(Locale.ROOT, "opencl vs scalar at (0, %d, %d, %d): %.9g vs "
                            + "%.9g, |diff| %.3g > %.3g", o, h, w, y.get(0, o, h, w), scalar.get(0, o, h, w), diff, tol));
                    worstScalar = Math.max(worstScalar, diff / tol);
                }
            }
        }
        System.out.printf(Locale.ROOT, "opencl vs scalar on all %d elements: max |diff| / (2 bound) %.3g%n", y.size(),
                worstScalar);
    }

    /** {@code x[0, :, h0..h1, w0..w1]} as a new {@code [1, C, h1-h0, w1-w0]} tensor. */
    private static Tensor crop(Tensor x, int h0, int h1, int w0, int w1) {
        Tensor c = Tensor.zeros(1, x.dim(1), h1 - h0, w1 - w0);
        for (int ch = 0; ch < x.dim(1); ch++) {
            for (int h = h0; h < h1; h++) {
                for (int w = w0; w < w1; w++) {
                    c.set(0, ch, h - h0, w - w0, x.get(0, ch, h, w));
                }
            }
        }
        return c;
    }
}
