package org.acdajvm.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register-blocked matrix-product kernel every stage of the vector path is built on.
 *
 * <p>It computes a block of {@value #MR} output rows by {@code 2 * L} output columns
 * ({@code L} = lanes of the preferred species):
 * <pre>
 *   out[r][j] = epilogue_r( sum_k A[r][k] * B_k[j] )      r &lt; MR, j &lt; 2L
 * </pre>
 * where {@code A} is packed by {@link #pack} ({@code a[aOff + k*MR + r]}) and row {@code k} of
 * {@code B} starts at {@code b[bOff[k] + bBase]}: the rows of {@code B} can be anywhere (the
 * shifted rows of an input image, for an implicit-GEMM convolution, or the rows of a tile). The
 * epilogue is {@code v * mul[row] + add[row]}, optionally followed by {@code tanh} ({@link VectorMath#tanh}).
 *
 * <p>Twelve independent accumulators keep the FMA pipes busy; {@code A} is read as broadcasts,
 * {@code B} as two vector loads per {@code k}.
 */
final class VectorGemm {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int L = S.length();
    /** Rows per register block. */
    static final int MR = 6;
    /** Columns per register block (two vectors). */
    static final int NR = 2 * L;
    /** Columns per wide register block ({@link #blockWide}: four vectors). */
    static final int NW = 4 * L;

    private VectorGemm() {
    }

    /**
     * Packs a row-major matrix {@code w[rows][kdim]} into blocks of {@link #MR} rows,
     * {@code packed[(block * kdim + k) * MR + r] = w[block*MR + r][k]}, padding missing rows with zeros.
     */
    static float[] pack(float[] w, int rows, int kdim) {
        int blocks = (rows + MR - 1) / MR;
        float[] p = new float[blocks * kdim * MR];
        for (int row = 0; row < rows; row++) {
            int blk = row / MR;
            int r = row % MR;
            for (int k = 0; k < kdim; k++) {
                p[(blk * kdim + k) * MR + r] = w[row * kdim + k];
            }
        }
        return p;
    }

    /** Number of {@link #MR}-row blocks for {@code rows} rows. */
    static int blocks(int rows) {
        return (rows + MR - 1) / MR;
    }

    /**
     * One register block: rows {@code row0 .. row0+MR-1} (those {@code < rows} are stored), all
     * {@code 2L} columns computed, the first {@code cols} stored.
     *
     * @param a        packed A; the block starts at {@code aOff}
     * @param kdim     inner dimension
     * @param b        the array holding the rows of B
     * @param bOff     start of each row of B, relative to {@code bBase}
     * @param mul      per-row multiplier of the epilogue, or {@code null} for 1
     * @param add      per-row addend of the epilogue, or {@code null} for 0
     * @param tanh     apply tanh after the affine epilogue
     * @param out      output array; row {@code r} of the block goes to {@code out[outOff + r*outStride ...]}
     * @param scratch  a caller-owned array of at least {@code MR * NR} floats (one per thread)
     */
    static void block(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase,
                      float[] mul, float[] add, boolean tanh, int row0, int rows,
                      float[] out, int outOff, int outStride, int cols, float[] scratch) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        int ao = aOff;
        for (int k = 0; k < kdim; k++, ao += MR) {
            int bo = bOff[k] + bBase;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
        }
        float[] acc = scratch;
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c10.intoArray(acc, 2 * L);
        c11.intoArray(acc, 3 * L);
        c20.intoArray(acc, 4 * L);
        c21.intoArray(acc, 5 * L);
        c30.intoArray(acc, 6 * L);
        c31.intoArray(acc, 7 * L);
        c40.intoArray(acc, 8 * L);
        c41.intoArray(acc, 9 * L);
        c50.intoArray(acc, 10 * L);
        c51.intoArray(acc, 11 * L);
        epilogue(acc, Math.min(MR, rows - row0), mul, add, tanh, row0, out, outOff, outStride, cols);
    }

    /**
     * Writes the accumulated block (in {@code acc}, row-major {@code MR x NR}) through the epilogue.
     * Kept out of {@link #block} so that no vector crosses a call the JIT might not inline.
     */
    private static void epilogue(float[] acc, int valid, float[] mul, float[] add, boolean tanh, int row0,
                                 float[] out, int outOff, int outStride, int cols) {
        VectorMask<Float> m0 = S.indexInRange(0, cols);
        VectorMask<Float> m1 = S.indexInRange(L, cols);
        for (int r = 0; r < valid; r++) {
            int a0 = 2 * r * L;
            int a1 = a0 + L;
            FloatVector v0 = FloatVector.fromArray(S, acc, a0);
            FloatVector v1 = FloatVector.fromArray(S, acc, a1);
            int row = row0 + r;
            if (mul != null || add != null) {
                FloatVector m = FloatVector.broadcast(S, mul == null ? 1f : mul[row]);
                FloatVector c = FloatVector.broadcast(S, add == null ? 0f : add[row]);
                v0 = v0.fma(m, c);
                v1 = v1.fma(m, c);
            }
            if (tanh) {
                v0.intoArray(acc, a0);
                v1.intoArray(acc, a1);
                VectorMath.tanhInPlace(acc, a0);
                VectorMath.tanhInPlace(acc, a1);
                v0 = FloatVector.fromArray(S, acc, a0);
                v1 = FloatVector.fromArray(S, acc, a1);
            }
            int off = outOff + r * outStride;
            if (cols >= NR) {
                v0.intoArray(out, off);
                v1.intoArray(out, off + L);
            } else {
                v0.intoArray(out, off, m0);
                v1.intoArray(out, off + L, m1);
            }
        }
    }

    /**
     * As {@link #block}, for {@link #NW} = {@code 4L} columns: 24 accumulators, and per {@code k} four
     * vector loads of B and six broadcasts of A for 24 FMAs (twice the FMAs per broadcast of
     * {@link #block}, and A is read once per {@code 4L} columns instead of {@code 2L}, which matters
     * when A is larger than the L2 cache). Each output element is the same sum over {@code k}, in the
     * same order, as {@link #block} computes it.
     *
     * @param scratch a caller-owned array of at least {@code MR * NW} floats (one per thread)
     */
    static void blockWide(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase,
                          float[] mul, float[] add, boolean tanh, int row0, int rows,
                          float[] out, int outOff, int outStride, int cols, float[] scratch) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c02 = FloatVector.zero(S);
        FloatVector c03 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S);
        FloatVector c13 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c22 = FloatVector.zero(S);
        FloatVector c23 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c32 = FloatVector.zero(S);
        FloatVector c33 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c42 = FloatVector.zero(S);
        FloatVector c43 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c52 = FloatVector.zero(S);
        FloatVector c53 = FloatVector.zero(S);
        int ao = aOff;
        for (int k = 0; k < kdim; k++, ao += MR) {
            int bo = bOff[k] + bBase;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector b3 = FloatVector.fromArray(S, b, bo + 3 * L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            c03 = a0.fma(b3, c03);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c12 = a1.fma(b2, c12);
            c13 = a1.fma(b3, c13);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c22 = a2.fma(b2, c22);
            c23 = a2.fma(b3, c23);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            c32 = a3.fma(b2, c32);
            c33 = a3.fma(b3, c33);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            c42 = a4.fma(b2, c42);
            c43 = a4.fma(b3, c43);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            c52 = a5.fma(b2, c52);
            c53 = a5.fma(b3, c53);
        }
        float[] acc = scratch;
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c02.intoArray(acc, 2 * L);
        c03.intoArray(acc, 3 * L);
        c10.intoArray(acc, 4 * L);
        c11.intoArray(acc, 5 * L);
        c12.intoArray(acc, 6 * L);
        c13.intoArray(acc, 7 * L);
        c20.intoArray(acc, 8 * L);
        c21.intoArray(acc, 9 * L);
        c22.intoArray(acc, 10 * L);
        c23.intoArray(acc, 11 * L);
        c30.intoArray(acc, 12 * L);
        c31.intoArray(acc, 13 * L);
        c32.intoArray(acc, 14 * L);
        c33.intoArray(acc, 15 * L);
        c40.intoArray(acc, 16 * L);
        c41.intoArray(acc, 17 * L);
        c42.intoArray(acc, 18 * L);
        c43.intoArray(acc, 19 * L);
        c50.intoArray(acc, 20 * L);
        c51.intoArray(acc, 21 * L);
        c52.intoArray(acc, 22 * L);
        c53.intoArray(acc, 23 * L);
        epilogueWide(acc, Math.min(MR, rows - row0), mul, add, tanh, row0, out, outOff, outStride, cols);
    }

    /** {@link #epilogue} for a block of {@link #NW} columns ({@code acc} row-major {@code MR x NW}). */
    private static void epilogueWide(float[] acc, int valid, float[] mul, float[] add, boolean tanh, int row0,
                                     float[] out, int outOff, int outStride, int cols) {
        for (int r = 0; r < valid; r++) {
            int row = row0 + r;
            FloatVector m = FloatVector.broadcast(S, mul == null ? 1f : mul[row]);
            FloatVector c = FloatVector.broadcast(S, add == null ? 0f : add[row]);
            int off = outOff + r * outStride;
            for (int q = 0; q < 4; q++) {
                int a0 = (4 * r + q) * L;
                FloatVector v = FloatVector.fromArray(S, acc, a0);
                if (mul != null || add != null) {
                    v = v.fma(m, c);
                }
                if (tanh) {
                    v.intoArray(acc, a0);
                    VectorMath.tanhInPlace(acc, a0);
                    v = FloatVector.fromArray(S, acc, a0);
                }
                if (cols >= (q + 1) * L) {
                    v.intoArray(out, off + q * L);
                } else if (cols > q * L) {
                    v.intoArray(out, off + q * L, S.indexInRange(q * L, cols));
                }
            }
        }
    }
}
