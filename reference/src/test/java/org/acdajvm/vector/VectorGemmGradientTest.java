package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.NW;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * The kernels the vector backward added to {@link VectorGemm}, and those for 16 vector registers: each against a sum
 * in double (within float rounding), and against the kernel whose sums it promises to repeat bit for bit.
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

    /**
     * The kernels for 16 vector registers ({@link VectorGemm#blockPairs}: {@code block} on pairs of vectors,
     * {@code blockOne} on a last single one) against the wide ones {@link VectorGemm#blockFor} picks with 32
     * registers, bit for bit, for every width of a tile, with and without the epilogue's affine map and tanh.
     */
    @Test
    void pairsOfVectorsGiveTheBitsOfTheWideKernels() {
        int kdim = 11;
        int rows = 5;
        float[] a = VectorGemm.pack(random(rows * kdim, 7), rows, kdim);
        float[] b = random(kdim * (NW + 3) + NW, 8);
        int[] bOff = new int[kdim];
        for (int k = 0; k < kdim; k++) {
            bOff[k] = k * (NW + 3);
        }
        float[] mul = random(MR, 9);
        float[] add = random(MR, 10);
        float[] scratch = new float[MR * NW];
        for (boolean affine : new boolean[] {false, true}) {
            for (int cols = 1; cols <= NW; cols++) {
                float[] pairs = new float[rows * NW];
                float[] wide = new float[rows * NW];
                VectorGemm.blockPairs(a, 0, kdim, b, bOff, 1, affine ? mul : null, affine ? add : null, affine, 0,
                        rows, pairs, 0, NW, cols, scratch);
                if (cols > 3 * L) {
                    VectorGemm.blockWide(a, 0, kdim, b, bOff, 1, affine ? mul : null, affine ? add : null, affine, 0,
                            rows, wide, 0, NW, cols, scratch);
                } else if (cols > NR) {
                    VectorGemm.blockThree(a, 0, kdim, b, bOff, 1, affine ? mul : null, affine ? add : null, affine, 0,
                            rows, wide, 0, NW, cols, scratch);
                } else {
                    VectorGemm.block(a, 0, kdim, b, bOff, 1, affine ? mul : null, affine ? add : null, affine, 0,
                            rows, wide, 0, NW, cols, scratch);
                }
                for (int i = 0; i < pairs.length; i++) {
                    assertEquals(Float.floatToRawIntBits(wide[i]), Float.floatToRawIntBits(pairs[i]),
                            "cols " + cols + ", affine " + affine + ", element " + i);
                }
                double sum = 0;
                for (int k = 0; k < kdim; k++) {
                    sum += (double) a[k * MR + 1] * b[bOff[k] + 1 + cols - 1];
                }
                double want = affine ? Math.tanh(sum * mul[1] + add[1]) : sum;
                assertEquals(want, pairs[NW + cols - 1], 1e-5, "row 1, last column, cols " + cols);
                if (cols < NW) {
                    assertEquals(0f, pairs[NW + cols], "nothing stored past the columns, cols " + cols);
                }
            }
        }
    }

    @Test
    void registerCountGuess() {
        assertTrue(VectorGemm.fewRegisters(null, "amd64", 8), "AVX2: 16 registers");
        assertFalse(VectorGemm.fewRegisters(null, "amd64", 16), "AVX-512: 32 registers");
        assertFalse(VectorGemm.fewRegisters(null, "aarch64", 4), "NEON: 32 registers");
        assertFalse(VectorGemm.fewRegisters("32", "amd64", 8), "the property wins");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VectorGemm.fewRegisters("24", "amd64", 8));
        assertEquals("acda.vector.registers: expected 16 or 32, got '24'", e.getMessage());
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

    /** The 16-register kernels of the backward against the wide ones, bit for bit. */
    @Test
    void pairKernelsOfTheBackwardGiveTheBitsOfTheWideOnes() {
        // gradBlock2 (12 accumulators) on pairs of vectors against gradBlockWide and gradBlock3.
        int rows = 5;
        int width = 7;
        int aStride = 11;
        int ldb = NW + 2 * L;
        int bStride = width * ldb + 3;
        int[] aOff = {0, 50, 100, 150, 200};
        float[] a = random(260, 21);
        float[] b = random(6 * bStride + 3 * L, 22);
        float[] wide = random(rows * ldb, 23);
        float[] pairs = wide.clone();
        VectorGemm.gradBlockWide(a, aOff, 2, aStride, 0, rows, b, 0, bStride, ldb, 1, 4, width, wide, ldb, 0);
        VectorGemm.gradBlock3(a, aOff, 2, aStride, 0, rows, b, 0, bStride, ldb, 1, 4, width, wide, ldb, NW, 2);
        for (int col0 = 0; col0 < ldb; col0 += NR) {
            VectorGemm.gradBlock2(a, aOff, 2, aStride, 0, rows, b, 0, bStride, ldb, 1, 4, width, pairs, ldb, col0,
                    Math.min(2, (ldb - col0) / L));
        }
        for (int i = 0; i < wide.length; i++) {
            assertEquals(Float.floatToRawIntBits(wide[i]), Float.floatToRawIntBits(pairs[i]), "gradient element " + i);
        }
        // One vector only: the first is added as with two, the second is left alone.
        float[] one = random(rows * ldb, 24);
        float[] two = one.clone();
        float[] before = one.clone();
        VectorGemm.gradBlock2(a, aOff, 2, aStride, 0, rows, b, 0, bStride, ldb, 1, 4, width, one, ldb, NR, 1);
        VectorGemm.gradBlock2(a, aOff, 2, aStride, 0, rows, b, 0, bStride, ldb, 1, 4, width, two, ldb, NR, 2);
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < L; j++) {
                int first = r * ldb + NR + j;
                assertEquals(two[first], one[first], "row " + r + ", first vector");
                assertTrue(one[first] != before[first], "row " + r + ", first vector added");
                assertEquals(before[first + L], one[first + L], "row " + r + ", second vector");
            }
        }
        // blockAddToPairs against blockAddToWide, with overlapping destinations one float apart (the rows' adds
        // must come in the same order).
        int kdim = 13;
        float[] pa = VectorGemm.pack(random(rows * kdim, 25), rows, kdim);
        float[] pb = random(kdim * NW + NW + 1, 26);
        int[] bOff = new int[kdim];
        for (int k = 0; k < kdim; k++) {
            bOff[k] = k * NW;
        }
        int[] outOff = {0, 1, 2, 3, 4};
        float[] w = random(NW + 8, 27);
        float[] p = w.clone();
        VectorGemm.blockAddToWide(pa, 0, kdim, pb, bOff, 1, 0, rows, w, outOff, 0, new float[MR * NW]);
        VectorGemm.blockAddToPairs(pa, 0, kdim, pb, bOff, 1, 0, rows, p, outOff, 0, new float[MR * NW]);
        for (int i = 0; i < w.length; i++) {
            assertEquals(Float.floatToRawIntBits(w[i]), Float.floatToRawIntBits(p[i]), "scatter element " + i);
        }
    }

    /**
     * The chunked tiles (the inner dimension in chunks of {@code KC} on pairs of vectors, of {@code KCW} on four; sums
     * kept between chunks) and {@link VectorGemm#tile} (which picks the wide chunks on a machine with 32 registers
     * for more than three vectors) against {@link VectorGemm#blockFor} block by block, bit for bit: 13 rows (a partial
     * block), an inner dimension past four chunks of either size with a partial one, every width, with and without
     * BatchNorm-and-tanh.
     */
    @Test
    void chunkedTilesGiveTheBitsOfBlockByBlock() {
        int kdim = 4 * VectorGemm.KC + 37;
        int rows = 13;
        float[] a = VectorGemm.pack(random(rows * kdim, 31), rows, kdim);
        float[] b = random(kdim * 3 + 2 * NW, 32);
        int[] bOff = new int[kdim];
        for (int k = 0; k < kdim; k++) {
            bOff[k] = (k * 7) % (kdim * 3);
        }
        float[] mul = random(VectorGemm.blocks(rows) * MR, 33);
        float[] add = random(VectorGemm.blocks(rows) * MR, 34);
        float[] acc = new float[VectorGemm.tileAccFloats(rows)];
        int stride = NW + 5;
        for (boolean affine : new boolean[] {false, true}) {
            for (int cols = 1; cols <= NW; cols++) {
                float[] chunked = new float[rows * stride];
                float[] plain = new float[rows * stride];
                float[] wide = new float[rows * stride];
                float[] tiled = new float[rows * stride];
                VectorGemm.tileChunked(a, kdim, b, bOff, 3, affine ? mul : null, affine ? add : null, affine, rows,
                        chunked, 2, stride, cols, acc);
                VectorGemm.tileChunkedWide(a, kdim, b, bOff, 3, affine ? mul : null, affine ? add : null, affine, rows,
                        wide, 2, stride, cols, acc);
                VectorGemm.tile(a, kdim, b, bOff, 3, affine ? mul : null, affine ? add : null, affine, rows,
                        tiled, 2, stride, cols, acc);
                for (int blk = 0; blk < VectorGemm.blocks(rows); blk++) {
                    VectorGemm.blockFor(a, blk * kdim * MR, kdim, b, bOff, 3, affine ? mul : null, affine ? add : null,
                            affine, blk * MR, rows, plain, 2 + blk * MR * stride, stride, cols, new float[MR * NW]);
                }
                for (int i = 0; i < plain.length; i++) {
                    String where = "cols " + cols + ", affine " + affine + ", element " + i;
                    assertEquals(Float.floatToRawIntBits(plain[i]), Float.floatToRawIntBits(chunked[i]), where);
                    assertEquals(Float.floatToRawIntBits(plain[i]), Float.floatToRawIntBits(wide[i]), "wide, " + where);
                    assertEquals(Float.floatToRawIntBits(plain[i]), Float.floatToRawIntBits(tiled[i]), "tile, " + where);
                }
                assertTrue(chunked[2 + 12 * stride + cols - 1] != 0f, "the last row's last column is written");
                assertTrue(wide[2 + 12 * stride + cols - 1] != 0f, "the wide chunks write the last row's last column");
            }
        }
    }
}
