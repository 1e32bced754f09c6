package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PlainConvVectorTest {

    /** Direct double-precision convolution, with the sum of absolute products for the bound. */
    private static double[][] reference(Tensor x, Tensor w, float[] bias, int s, int d, PaddingMode mode) {
        return reference(x, w, bias, s, d, d * (w.dim(2) - 1) / 2, mode);
    }

    /** As PyTorch's conv2d: explicit padding, output {@code floor((H + 2 pad - d(K-1) - 1)/s) + 1}. */
    private static double[][] reference(Tensor x, Tensor w, float[] bias, int s, int d, int pad, PaddingMode mode) {
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3), o = w.dim(0), k = w.dim(2);
        int oh = Math.floorDiv(h + 2 * pad - d * (k - 1) - 1, s) + 1, ow = Math.floorDiv(wd + 2 * pad - d * (k - 1) - 1, s) + 1;
        double[] y = new double[n * o * oh * ow];
        double[] abs = new double[y.length];
        for (int b = 0; b < n; b++) {
            for (int q = 0; q < o; q++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        double acc = bias[q];
                        double sa = Math.abs(bias[q]);
                        for (int ch = 0; ch < c; ch++) {
                            for (int a = 0; a < k; a++) {
                                for (int e = 0; e < k; e++) {
                                    int r = mode.index(s * i + d * a - pad, h);
                                    int col = mode.index(s * j + d * e - pad, wd);
                                    if (r < 0 || col < 0) {
                                        continue;
                                    }
                                    double p = (double) w.get(q, ch, a, e) * x.get(b, ch, r, col);
                                    acc += p;
                                    sa += Math.abs(p);
                                }
                            }
                        }
                        int idx = ((b * o + q) * oh + i) * ow + j;
                        y[idx] = acc;
                        abs[idx] = sa;
                    }
                }
            }
        }
        return new double[][] {y, abs};
    }

    @Test
    void matchesADirectConvolutionWithinTheBound() {
        SplittableRandom rng = new SplittableRandom(3);
        int[][] cases = {{2, 3, 5, 3, 1, 1, 0}, {1, 4, 7, 5, 2, 1, 1}, {2, 2, 3, 3, 3, 2, 0}, {1, 5, 6, 7, 1, 2, 1}};
        try (PlainConvVector conv = new PlainConvVector(2)) {
            for (int[] cs : cases) {
                int n = cs[0], c = cs[1], o = cs[2], k = cs[3], s = cs[4], d = cs[5];
                PaddingMode mode = cs[6] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                Tensor x = Tensor.zeros(n, c, 13, 2 * AcdaForwardVector.lanes() + 3);
                Tensor w = Tensor.zeros(o, c, k, k);
                AcdaInit.fill(x, rng, -1, 1);
                AcdaInit.fill(w, rng, -1, 1);
                float[] bias = new float[o];
                for (int i = 0; i < o; i++) {
                    bias[i] = (float) rng.nextDouble(-1, 1);
                }
                Tensor y = conv.forward(x, w, bias, s, d, mode);
                double[][] ref = reference(x, w, bias, s, d, mode);
                int chain = c * k * k + 1;
                for (int i = 0; i < y.size(); i++) {
                    double bound = ErrorBounds.accept(chain, ref[1][i], 0);
                    double err = Math.abs(y.data()[i] - ref[0][i]);
                    assertTrue(err <= bound, "case " + java.util.Arrays.toString(cs) + " element " + i + ": " + y.data()[i]
                            + " vs " + ref[0][i] + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void wideTilesAndWholeImagesPerThreadGiveTheBitsOfOneThreadWithinTheBound() {
        // Rows wider than 3L (a wide tile, chunked over the inner dimension C K^2 = 144 > KCW) and a partial last tile,
        // three images on two threads (two run whole on a thread each, the third split), 13 output channels (a partial
        // row block), both paddings; stride 1 runs flat tiles over the flattened image, stride 2 row tiles. The same
        // bits as one thread, within the bound of a direct convolution.
        SplittableRandom rng = new SplittableRandom(5);
        int l = AcdaForwardVector.lanes();
        for (int stride : new int[] {1, 2}) {
            for (PaddingMode mode : new PaddingMode[] {PaddingMode.ZEROS, PaddingMode.CIRCULAR}) {
                String where = "stride " + stride + ", " + mode;
                Tensor x = Tensor.zeros(3, 16, 7 * stride, stride * (4 * l + 5));
                Tensor w = Tensor.zeros(13, 16, 3, 3);
                AcdaInit.fill(x, rng, -1, 1);
                AcdaInit.fill(w, rng, -1, 1);
                float[] bias = new float[13];
                for (int i = 0; i < bias.length; i++) {
                    bias[i] = (float) rng.nextDouble(-1, 1);
                }
                Tensor one;
                Tensor two;
                try (PlainConvVector conv = new PlainConvVector(1)) {
                    one = conv.forward(x, w, bias, stride, 1, mode);
                }
                try (PlainConvVector conv = new PlainConvVector(2)) {
                    // A larger call first leaves other values in the reused buffers (a flat tile reads past the last
                    // row, where zero padding must be zeros; another width puts them off the rows' padding columns).
                    Tensor other = Tensor.zeros(3, 16, 13 * stride, stride * (4 * l + 12));
                    AcdaInit.fill(other, rng, 5, 9);
                    conv.forward(other, w, bias, stride, 1, mode);
                    two = conv.forward(x, w, bias, stride, 1, mode);
                    Tensor again = conv.forward(x, w, bias, stride, 1, mode);
                    assertTrue(java.util.Arrays.equals(two.data(), again.data()), where + ": a second call differs");
                }
                double[][] ref = reference(x, w, bias, stride, 1, mode);
                assertTrue(one.size() == ref[0].length, where + ": shape " + one.shapeString());
                for (int i = 0; i < one.size(); i++) {
                    assertTrue(Float.floatToRawIntBits(one.data()[i]) == Float.floatToRawIntBits(two.data()[i]),
                            where + " element " + i + ": one thread " + one.data()[i] + ", two " + two.data()[i]);
                    double bound = ErrorBounds.accept(16 * 9 + 1, ref[1][i], 0);
                    assertTrue(Math.abs(one.data()[i] - ref[0][i]) <= bound, where + " element " + i + ": "
                            + one.data()[i] + " vs " + ref[0][i] + ", bound " + bound);
                }
            }
        }
    }

    @Test
    void explicitPaddingGivesPyTorchsOutputSize() {
        SplittableRandom rng = new SplittableRandom(4);
        int l = AcdaForwardVector.lanes();
        // {N, C, O, K, s, d, pad, circular, W}
        int[][] cases = {{1, 3, 5, 3, 1, 1, 0, 0, l - 1}, {2, 2, 7, 5, 2, 1, 3, 1, l + 1}, {1, 4, 3, 3, 3, 2, 1, 0, 2 * l + 1},
            {1, 2, 6, 1, 2, 1, 0, 1, l}};
        try (PlainConvVector conv = new PlainConvVector(2)) {
            for (int[] cs : cases) {
                int n = cs[0], c = cs[1], o = cs[2], k = cs[3], s = cs[4], d = cs[5], pad = cs[6];
                PaddingMode mode = cs[7] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                Tensor x = Tensor.zeros(n, c, 11, cs[8]);
                Tensor w = Tensor.zeros(o, c, k, k);
                AcdaInit.fill(x, rng, -1, 1);
                AcdaInit.fill(w, rng, -1, 1);
                float[] bias = new float[o];
                Tensor y = conv.forward(x, w, bias, s, d, pad, mode);
                double[][] ref = reference(x, w, bias, s, d, pad, mode);
                assertTrue(y.size() == ref[0].length, "case " + java.util.Arrays.toString(cs) + ": shape " + y.shapeString());
                for (int i = 0; i < y.size(); i++) {
                    double bound = ErrorBounds.accept(c * k * k + 1, ref[1][i], 0);
                    assertTrue(Math.abs(y.data()[i] - ref[0][i]) <= bound, "case " + java.util.Arrays.toString(cs)
                            + " element " + i + ": " + y.data()[i] + " vs " + ref[0][i]);
                }
            }
        }
    }

    @Test
    void badArgumentsAreNamed() {
        try (PlainConvVector conv = new PlainConvVector(1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> conv.forward(Tensor.zeros(1, 3, 4, 4), Tensor.zeros(2, 2, 3, 3), null, 1, 1, PaddingMode.ZEROS));
            assertTrue(e.getMessage().contains("expected C = 2"), e.getMessage());
            Tensor x = Tensor.zeros(1, 2, 4, 5);
            Tensor w = Tensor.zeros(2, 2, 3, 3);
            e = assertThrows(IllegalArgumentException.class,
                    () -> conv.forwardInto(x, w, null, 1, 1, PaddingMode.ZEROS, Tensor.zeros(1, 2, 5, 4)));
            assertEquals("output y has shape [1, 2, 5, 4], expected [1, 2, 4, 5]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class,
                    () -> conv.forwardInto(x, w, null, 2, 1, 0, PaddingMode.ZEROS, Tensor.zeros(1, 2, 2, 2)));
            assertEquals("output y has shape [1, 2, 2, 2], expected [1, 2, 1, 2]", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> conv.forwardInto(x, w, null, 1, 1, PaddingMode.ZEROS, x));
            assertEquals("output y is the input x: expected a tensor of its own", e.getMessage());
        }
    }

    @Test
    void forwardIntoWritesEveryOutputWithTheBitsOfForward() {
        // Flat tiles (stride 1, whole images per thread and one image split), row tiles (stride 2) and explicit padding;
        // the output starts as NaN, so that an element forwardInto leaves alone fails the comparison.
        SplittableRandom rng = new SplittableRandom(12);
        int l = AcdaForwardVector.lanes();
        try (PlainConvVector conv = new PlainConvVector(2)) {
            for (int[] cs : new int[][] {{3, 1, 1}, {2, 2, 1}, {3, 1, 0}}) {
                Tensor x = Tensor.zeros(cs[0], 5, 13, 4 * l + 3);
                Tensor w = Tensor.zeros(7, 5, 3, 3);
                AcdaInit.fill(x, rng, -1, 1);
                AcdaInit.fill(w, rng, -1, 1);
                float[] bias = {1, -2, 3, 0, 0.5f, -0.25f, 4};
                int s = cs[1];
                Tensor expected = cs[2] == 1 ? conv.forward(x, w, bias, s, 1, PaddingMode.ZEROS)
                        : conv.forward(x, w, bias, s, 1, 0, PaddingMode.CIRCULAR);
                Tensor y = Tensor.zeros(expected.shape());
                for (int round = 0; round < 2; round++) {
                    java.util.Arrays.fill(y.data(), Float.NaN);
                    if (cs[2] == 1) {
                        conv.forwardInto(x, w, bias, s, 1, PaddingMode.ZEROS, y);
                    } else {
                        conv.forwardInto(x, w, bias, s, 1, 0, PaddingMode.CIRCULAR, y);
                    }
                    assertEquals(expected, y, "case " + java.util.Arrays.toString(cs) + ", call " + round);
                }
            }
        }
    }
}
