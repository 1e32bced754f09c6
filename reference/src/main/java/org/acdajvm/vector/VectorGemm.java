package org.acdajvm.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
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
        accumulate(a, aOff, kdim, b, bOff, bBase, scratch);
        epilogue(scratch, Math.min(MR, rows - row0), mul, add, tanh, row0, out, outOff, outStride, cols);
    }

    /**
     * As {@link #block}, but each valid row {@code r} of the block is added (all {@code 2L} columns)
     * into {@code out[outOff[row0 + r] + outBase ...]}: the rows land at arbitrary places, as the
     * adjoint of a convolution's gather scatters them back to the taps it read. Rows are added one
     * after the other, so overlapping destinations are fine. The caller makes sure that columns
     * past the valid ones hold zeros (they are added too).
     */
    static void blockAddTo(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase, int row0, int rows,
                           float[] out, int[] outOff, int outBase, float[] scratch) {
        accumulate(a, aOff, kdim, b, bOff, bBase, scratch);
        int valid = Math.min(MR, rows - row0);
        for (int r = 0; r < valid; r++) {
            int o = outOff[row0 + r] + outBase;
            FloatVector.fromArray(S, out, o).add(FloatVector.fromArray(S, scratch, 2 * r * L)).intoArray(out, o);
            FloatVector.fromArray(S, out, o + L).add(FloatVector.fromArray(S, scratch, 2 * r * L + L)).intoArray(out, o + L);
        }
    }

    /** The register-blocked sums of {@link #block}, written row-major {@code MR x NR} into {@code acc}. */
    private static void accumulate(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase, float[] acc) {
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
     * Sums over a 2-D range of pixels, as weight gradients need (every pixel contributes):
     * <pre>
     *   out[r * cols + j] += scale[r] * sum_{h &lt; height, w &lt; width} a[aOff[r] + h*aStride + w] * b[bOff[j] + h*bStride + w]
     * </pre>
     * for rows {@code r in [r0, r1)} and every column {@code j < cols = bOff.length}; {@code scale}
     * {@code null} means 1. {@code width} must be a multiple of {@code L}. Four rows by three columns
     * at a time: twelve accumulators, seven loads per twelve FMAs; a partial block repeats its last
     * row or column and stores only the valid sums. Lanes are summed in a fixed order
     * ({@link #sumLanes}), not with {@code reduceLanes}, whose order differs between the interpreter
     * and C2 code, so that a result does not change as the JIT warms up. The pixel rows are taken in chunks of about 1024
     * floats per matrix row, so that a chunk of the four A rows stays in L1 and the B chunk in L2
     * while every column block reads them; each chunk's sums are added to {@code out} in chunk order,
     * so the result does not depend on how callers split the rows between threads.
     */
    static void dotRows(float[] a, int[] aOff, int aStride, float[] b, int[] bOff, int bStride, int height, int width,
                        int r0, int r1, float[] scale, float[] out) {
        int cols = bOff.length;
        int chunk = Math.max(1, 1024 / Math.max(1, width));
        float[] lanes = new float[12 * L];
        for (int h0 = 0; h0 < height; h0 += chunk) {
            dotChunk(a, aOff, aStride, b, bOff, bStride, h0, Math.min(height, h0 + chunk), width, r0, r1, scale, out, lanes);
        }
    }

    private static void dotChunk(float[] a, int[] aOff, int aStride, float[] b, int[] bOff, int bStride, int hStart,
                                 int hEnd, int width, int r0, int r1, float[] scale, float[] out, float[] lanes) {
        int cols = bOff.length;
        for (int rb = r0; rb < r1; rb += 4) {
            int ra0 = aOff[rb];
            int ra1 = aOff[Math.min(rb + 1, r1 - 1)];
            int ra2 = aOff[Math.min(rb + 2, r1 - 1)];
            int ra3 = aOff[Math.min(rb + 3, r1 - 1)];
            for (int cb = 0; cb < cols; cb += 3) {
                int cb0 = bOff[cb];
                int cb1 = bOff[Math.min(cb + 1, cols - 1)];
                int cb2 = bOff[Math.min(cb + 2, cols - 1)];
                FloatVector s00 = FloatVector.zero(S);
                FloatVector s01 = FloatVector.zero(S);
                FloatVector s02 = FloatVector.zero(S);
                FloatVector s10 = FloatVector.zero(S);
                FloatVector s11 = FloatVector.zero(S);
                FloatVector s12 = FloatVector.zero(S);
                FloatVector s20 = FloatVector.zero(S);
                FloatVector s21 = FloatVector.zero(S);
                FloatVector s22 = FloatVector.zero(S);
                FloatVector s30 = FloatVector.zero(S);
                FloatVector s31 = FloatVector.zero(S);
                FloatVector s32 = FloatVector.zero(S);
                for (int h = hStart; h < hEnd; h++) {
                    int ah = h * aStride;
                    int bh = h * bStride;
                    for (int w = 0; w < width; w += L) {
                        FloatVector b0 = FloatVector.fromArray(S, b, cb0 + bh + w);
                        FloatVector b1 = FloatVector.fromArray(S, b, cb1 + bh + w);
                        FloatVector b2 = FloatVector.fromArray(S, b, cb2 + bh + w);
                        FloatVector a0 = FloatVector.fromArray(S, a, ra0 + ah + w);
                        s00 = a0.fma(b0, s00);
                        s01 = a0.fma(b1, s01);
                        s02 = a0.fma(b2, s02);
                        FloatVector a1 = FloatVector.fromArray(S, a, ra1 + ah + w);
                        s10 = a1.fma(b0, s10);
                        s11 = a1.fma(b1, s11);
                        s12 = a1.fma(b2, s12);
                        FloatVector a2 = FloatVector.fromArray(S, a, ra2 + ah + w);
                        s20 = a2.fma(b0, s20);
                        s21 = a2.fma(b1, s21);
                        s22 = a2.fma(b2, s22);
                        FloatVector a3 = FloatVector.fromArray(S, a, ra3 + ah + w);
                        s30 = a3.fma(b0, s30);
                        s31 = a3.fma(b1, s31);
                        s32 = a3.fma(b2, s32);
                    }
                }
                s00.intoArray(lanes, 0);
                s01.intoArray(lanes, L);
                s02.intoArray(lanes, 2 * L);
                s10.intoArray(lanes, 3 * L);
                s11.intoArray(lanes, 4 * L);
                s12.intoArray(lanes, 5 * L);
                s20.intoArray(lanes, 6 * L);
                s21.intoArray(lanes, 7 * L);
                s22.intoArray(lanes, 8 * L);
                s30.intoArray(lanes, 9 * L);
                s31.intoArray(lanes, 10 * L);
                s32.intoArray(lanes, 11 * L);
                for (int i = 0; i < 4 && rb + i < r1; i++) {
                    float sc = scale == null ? 1f : scale[rb + i];
                    for (int j = 0; j < 3 && cb + j < cols; j++) {
                        out[(rb + i) * cols + cb + j] += sc * sumLanes(lanes, (i * 3 + j) * L);
                    }
                }
            }
        }
    }

    /** {@code a[off] + a[off+1] + ... + a[off+L-1]}, in that order: the same bits in every JIT tier. */
    static float sumLanes(float[] a, int off) {
        float s = 0f;
        for (int i = 0; i < L; i++) {
            s += a[off + i];
        }
        return s;
    }
}
