package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.NW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The kernels the vector backward added to {@link VectorGemm}: each against a sum in double (within float
 * rounding), and against the kernel whose sums it promises to repeat bit for bit.
 */
class VectorGemmGradientTest {

    private static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextDouble(-1, 1);
        }
        return a;
    }

    /** gradBlockWide and gradBlock3: c[r][j] += sum_h sum_w a[aOff[r] + aBase + h*aStride + w] b[h*bStride + w*ldb + j]. */
    @Test
    void gradientBlocksSumOverPixels() {
        int rows = 5;
        int h0 = 1;
        int h1 = 4;
        int width = 7;
        int aStride = 11;
        int ldb = NW + 2 * L;
        int bStride = width * ldb + 3;
        int aBase = 2;
        int[] aOff = {0, 50, 100, 150, 200};
        float[] a = random(260, 1);
        float[] b = random(h1 * bStride + 3 * L, 2);
        float[] init = random(MR * ldb, 3);
        float[] wide = init.clone();
        VectorGemm.gradBlockWide(a, aOff, aBase, aStride, 0, rows, b, 0, bStride, ldb, h0, h1, width, wide, ldb, 0);
        float[] three = init.clone();
        VectorGemm.gradBlock3(a, aOff, aBase, aStride, 0, rows, b, 0, bStride, ldb, h0, h1, width, three, ldb, NW, 2);
        float[] threeFirst = init.clone();
        VectorGemm.gradBlock3(a, aOff, aBase, aStride, 0, rows, b, 0, bStride, ldb, h0, h1, width, threeFirst, ldb, 0, 3);
        for (int r = 0; r < MR; r++) {
            for (int j = 0; j < ldb; j++) {
                int i = r * ldb + j;
                double sum = 0;
                double abs = 0;
                for (int h = h0; h < h1; h++) {
                    for (int w = 0; w < width; w++) {
                        double t = (double) a[aOff[Math.min(r, rows - 1)] + aBase + h * aStride + w]
                                * b[h * bStride + w * ldb + j];
                        sum += t;
                        abs += Math.abs(t);
                    }
                }
                double tol = 1e-6 * (abs + Math.abs(init[i]));
                if (r < rows && j < NW) {
                    assertTrue(Math.abs(wide[i] - (init[i] + sum)) <= tol, "gradBlockWide [" + r + "][" + j + "]");
                } else {
                    assertEquals(init[i], wide[i], "gradBlockWide wrote outside its rows and columns at " + r + ", " + j);
                }
                if (r < rows && j >= NW && j < NW + 2 * L) {
                    assertTrue(Math.abs(three[i] - (init[i] + sum)) <= tol, "gradBlock3 [" + r + "][" + j + "]");
                } else {
                    assertEquals(init[i], three[i], "gradBlock3 wrote outside its rows and vectors at " + r + ", " + j);
                }
                if (r < rows && j < 3 * L) {
                    assertEquals(wide[i], threeFirst[i], "gradBlock3 and gradBlockWide differ at " + r + ", " + j);
                }
            }
        }
    }

    /** blockAddToWide adds the sums of blockAddTo (bit for bit on its 2L columns) to scattered rows. */
    @Test
    void wideScatterAddsTheNarrowSums() {
        int kdim = 13;
        int rows = 4;
        float[] a = VectorGemm.pack(random(rows * kdim, 4), rows, kdim);
        int[] bOff = new int[kdim];
        for (int k = 0; k < kdim; k++) {
            bOff[k] = k * (NW + 5);
        }
        float[] b = random(kdim * (NW + 5) + NW, 5);
        int[] outOff = {3, 3 + NW / 2, 400, 401};
        float[] init = random(600, 6);
        // Rows 0 and 1 overlap by half their columns, rows 2 and 3 by all but one: added one after the other.
        float[] wide = init.clone();
        VectorGemm.blockAddToWide(a, 0, kdim, b, bOff, 1, 0, rows, wide, outOff, 0, new float[MR * NW]);
        float[] expected = init.clone();
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < NW; j++) {
                double sum = 0;
                for (int k = 0; k < kdim; k++) {
                    sum += (double) a[k * MR + r] * b[bOff[k] + 1 + j];
                }
                expected[outOff[r] + j] += (float) sum;
            }
        }
        for (int i = 0; i < init.length; i++) {
            assertTrue(Math.abs(wide[i] - expected[i]) <= 1e-5, "blockAddToWide at " + i + ": " + wide[i] + " vs " + expected[i]);
        }
        // On rows that do not overlap, from zero: the narrow kernel on each half of the columns gives the same bits.
        int[] apart = {0, NW, 2 * NW, 3 * NW};
        float[] wide2 = new float[4 * NW];
        VectorGemm.blockAddToWide(a, 0, kdim, b, bOff, 1, 0, rows, wide2, apart, 0, new float[MR * NW]);
        float[] scratch = new float[MR * NR];
        float[] lo = new float[4 * NW];
        float[] hi = new float[4 * NW];
        VectorGemm.blockAddTo(a, 0, kdim, b, bOff, 1, 0, rows, lo, apart, 0, scratch);
        VectorGemm.blockAddTo(a, 0, kdim, b, bOff, 1 + NR, 0, rows, hi, apart, NR, scratch);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < NW; j++) {
                int o = apart[r] + j;
                assertEquals(j < NR ? lo[o] : hi[o], wide2[o], "blockAddToWide differs from blockAddTo at row " + r
                        + ", column " + j);
            }
        }
    }
}
