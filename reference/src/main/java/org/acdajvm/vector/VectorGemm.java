package org.acdajvm.vector;

import java.util.Arrays;

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
 * {@code B} as two vector loads per {@code k}. The wide kernels (three and four vectors: 18 and 24 accumulators)
 * are for machines with 32 vector registers; with 16 ({@link #FEW_REGISTERS}) callers run the 12-accumulator
 * ones on pairs of vectors instead, the same sums in the same order.
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
    /**
     * Where a scratch {@code float[]} read as whole vectors starts its data: 12 floats in, so that with HotSpot's
     * 16-byte array header the data start on the array object's 64-byte boundary, if the object starts on one.
     * That holds under {@code -XX:ObjectAlignmentInBytes=64}: then every vector at a multiple of 16 floats from
     * here lies in one cache line, and the coefficient convolution, which reads the atom convolution's tile as
     * its B, ran at 80-91% of the FMA peak instead of 68-77% (bench/TUNING.md, Intel Xeon). With the default 8-byte
     * object alignment the array's address modulo 64 is unknown, and any fixed start is as likely to be aligned (1
     * in 8) as any other: nothing lost.
     */
    static final int ALIGNED_START = 12;
    /**
     * Whether the machine has 16 vector registers (x86 without AVX-512, where the preferred species has at most 8
     * float lanes) rather than 32 (AVX-512, AArch64). The 24-accumulator kernels ({@link #blockWide}, the atom
     * convolution's four channels by six atoms) need 29 to 31 registers and spill on such a machine, a load and a
     * store around most FMAs; there the callers pick 12-accumulator kernels ({@link #blockFor}: {@link #block} over
     * pairs of vectors). The system property {@code acda.vector.registers} ({@code 16} or {@code 32}) overrides the
     * guess. Either way every output element is the same sum in the same order.
     */
    static final boolean FEW_REGISTERS = fewRegistersOfThisMachine();

    /**
     * {@link #fewRegisters} for this JVM; a bad value of the property is named in one line on stderr and the
     * kernels follow the machine (either choice gives the same bits, so nothing but speed depends on it).
     */
    private static boolean fewRegistersOfThisMachine() {
        String arch = System.getProperty("os.arch", "");
        try {
            return fewRegisters(System.getProperty("acda.vector.registers"), arch, L);
        } catch (IllegalArgumentException e) {
            System.err.println("acda: " + e.getMessage() + "; the kernels follow the machine instead");
            return fewRegisters(null, arch, L);
        }
    }

    /** See {@link #FEW_REGISTERS}; a value of the property other than 16 or 32 is refused with one line. */
    static boolean fewRegisters(String property, String arch, int lanes) {
        if (property != null) {
            return switch (property.trim()) {
                case "16" -> true;
                case "32" -> false;
                default -> throw new IllegalArgumentException(
                        "acda.vector.registers: expected 16 or 32, got '" + property + "'");
            };
        }
        return !arch.equals("aarch64") && lanes < 16;
    }

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

    /**
     * {@link #pack} of the matrix {@code m[row][k] = src[row * rowStride + k * colStride]} into {@code dst} when it
     * is large enough (else a new array), so that callers repack every call into a reused buffer (a weight
     * updated in place is then never stale); {@code colStride = rows}, {@code rowStride = 1} packs a transpose.
     * Missing rows of the last block are written as zeros.
     */
    static float[] pack(float[] src, int rows, int kdim, int rowStride, int colStride, float[] dst) {
        int blocks = (rows + MR - 1) / MR;
        float[] p = dst != null && dst.length >= blocks * kdim * MR ? dst : new float[blocks * kdim * MR];
        for (int blk = 0; blk < blocks; blk++) {
            for (int r = 0; r < MR; r++) {
                int row = blk * MR + r;
                for (int k = 0; k < kdim; k++) {
                    p[(blk * kdim + k) * MR + r] = row < rows ? src[row * rowStride + k * colStride] : 0f;
                }
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
        accumulate(a, aOff, kdim, b, bOff, bBase, scratch, 0);
        epilogue(scratch, 0, Math.min(MR, rows - row0), mul, add, tanh, row0, out, outOff, outStride, cols);
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
        accumulate(a, aOff, kdim, b, bOff, bBase, scratch, 0);
        int valid = Math.min(MR, rows - row0);
        for (int r = 0; r < valid; r++) {
            int o = outOff[row0 + r] + outBase;
            FloatVector.fromArray(S, out, o).add(FloatVector.fromArray(S, scratch, 2 * r * L)).intoArray(out, o);
            FloatVector.fromArray(S, out, o + L).add(FloatVector.fromArray(S, scratch, 2 * r * L + L)).intoArray(out, o + L);
        }
    }

    /**
     * As {@link #blockAddTo}, with {@code A} not packed: row {@code r} of the block is
     * {@code a[aOff + min(r, rows - row0 - 1) * aStride + k]}, so a row-major tile serves as {@code A} directly
     * (a weight gradient {@code dW^T = B dy^T} from the same tile {@code B} the forward builds, with no transpose).
     * The broadcasts read six rows instead of one packed run; rows past the valid ones repeat the last (not stored).
     */
    static void blockAddToRows(float[] a, int aOff, int aStride, int kdim, float[] b, int[] bOff, int bBase, int row0,
                               int rows, float[] out, int[] outOff, int outBase, float[] scratch) {
        int last = Math.min(MR, rows - row0) - 1;
        int r0 = aOff;
        int r1 = aOff + Math.min(1, last) * aStride;
        int r2 = aOff + Math.min(2, last) * aStride;
        int r3 = aOff + Math.min(3, last) * aStride;
        int r4 = aOff + Math.min(4, last) * aStride;
        int r5 = aOff + Math.min(5, last) * aStride;
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
        for (int k = 0; k < kdim; k++) {
            int bo = bOff[k] + bBase;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector a0 = FloatVector.broadcast(S, a[r0 + k]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            FloatVector a1 = FloatVector.broadcast(S, a[r1 + k]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            FloatVector a2 = FloatVector.broadcast(S, a[r2 + k]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            FloatVector a3 = FloatVector.broadcast(S, a[r3 + k]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            FloatVector a4 = FloatVector.broadcast(S, a[r4 + k]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            FloatVector a5 = FloatVector.broadcast(S, a[r5 + k]);
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
        for (int r = 0; r <= last; r++) {
            int o = outOff[row0 + r] + outBase;
            FloatVector.fromArray(S, out, o).add(FloatVector.fromArray(S, acc, 2 * r * L)).intoArray(out, o);
            FloatVector.fromArray(S, out, o + L).add(FloatVector.fromArray(S, acc, 2 * r * L + L)).intoArray(out, o + L);
        }
    }

    /**
     * The register-blocked sums of {@link #block}, row-major {@code MR x NR} into {@code acc} from {@code accOff}. The
     * loop of {@link #accumulateRange}, from registers set to zero rather than from zeros stored and loaded: this is
     * the hot kernel of every machine (AVX-512 too), and a change to it would want its own measurement there.
     */
    private static void accumulate(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase, float[] acc,
                                   int accOff) {
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
        c00.intoArray(acc, accOff);
        c01.intoArray(acc, accOff + L);
        c10.intoArray(acc, accOff + 2 * L);
        c11.intoArray(acc, accOff + 3 * L);
        c20.intoArray(acc, accOff + 4 * L);
        c21.intoArray(acc, accOff + 5 * L);
        c30.intoArray(acc, accOff + 6 * L);
        c31.intoArray(acc, accOff + 7 * L);
        c40.intoArray(acc, accOff + 8 * L);
        c41.intoArray(acc, accOff + 9 * L);
        c50.intoArray(acc, accOff + 10 * L);
        c51.intoArray(acc, accOff + 11 * L);
    }

    /**
     * Writes the accumulated block (in {@code acc} from {@code accOff}, row-major {@code MR x NR}) through the epilogue.
     * Kept out of {@link #block} so that no vector crosses a call the JIT might not inline.
     */
    private static void epilogue(float[] acc, int accOff, int valid, float[] mul, float[] add, boolean tanh, int row0,
                                 float[] out, int outOff, int outStride, int cols) {
        VectorMask<Float> m0 = S.indexInRange(0, cols);
        VectorMask<Float> m1 = S.indexInRange(L, cols);
        for (int r = 0; r < valid; r++) {
            int a0 = accOff + 2 * r * L;
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
                VectorMath.tanhInPlace(acc, a0, 2); // a1 = a0 + L
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


    /** Floats of one segment of {@link #dotRows}: four A rows (8 KiB) stay in L1, the B segments of all columns in L2. */
    static final int DOT_SEGMENT = 512;

    /**
     * Sums over every pixel, as weight gradients need:
     * <pre>
     *   out[r * cols + j] += scale[r] * sum_{h &lt; height, w &lt; width} a[aOff[r] + h*stride + w] * b[bOff[j] + h*stride + w]
     * </pre>
     * for rows {@code r in [r0, r1)} and every column {@code j < cols = bOff.length}; {@code scale}
     * {@code null} means 1; {@code width} a multiple of {@code L}, A and B with the same row stride.
     * When A is zero in the columns {@code [width, stride)} of every row, the sum runs over
     * {@code [0, (height - 1) * stride + width)} as one flat range (no per-row loop overhead; the
     * last vector masked); otherwise row by row.
     *
     * <p>The range is cut into segments of {@link #DOT_SEGMENT} floats; for each segment, four rows
     * by three columns at a time (twelve accumulators, seven loads per twelve FMAs) add into vector
     * partial sums kept in {@code partial} ({@code 4 * cols * L} floats, caller-owned), and the lanes
     * are summed once at the end in a fixed order ({@code reduceLanes} changes its order as the JIT
     * warms up). A partial block repeats its last row or column and stores only the valid sums. Each
     * sum is complete before it is added to {@code out}, so the result does not depend on how callers
     * split the rows between threads.
     *
     * @param zeroTails whether A is zero in the columns {@code [width, stride)} (allowing the flat range)
     */
    static void dotRows(float[] a, int[] aOff, float[] b, int[] bOff, int stride, int height, int width, boolean zeroTails,
                        int r0, int r1, float[] scale, float[] out, float[] partial) {
        int cols = bOff.length;
        // The flat range ends where the last row's valid columns end; its length need not be a multiple of L.
        long reach = (long) (height - 1) * stride + width;
        boolean flat = zeroTails && max(aOff) + reach <= a.length && max(bOff) + reach <= b.length;
        for (int rb = r0; rb < r1; rb += 4) {
            java.util.Arrays.fill(partial, 0, 12 * L * ((cols + 2) / 3), 0f);
            if (flat) {
                for (int s0 = 0; s0 < reach; s0 += DOT_SEGMENT) {
                    dotSegment(a, aOff, b, bOff, s0, (int) Math.min(reach, s0 + DOT_SEGMENT), rb, r1, partial);
                }
            } else {
                for (int h = 0; h < height; h++) {
                    dotSegment(a, aOff, b, bOff, h * stride, h * stride + width, rb, r1, partial);
                }
            }
            for (int cb = 0, blk = 0; cb < cols; cb += 3, blk++) {
                for (int i = 0; i < 4 && rb + i < r1; i++) {
                    float sc = scale == null ? 1f : scale[rb + i];
                    for (int j = 0; j < 3 && cb + j < cols; j++) {
                        out[(rb + i) * cols + cb + j] += sc * sumLanes(partial, (blk * 12 + i * 3 + j) * L);
                    }
                }
            }
        }
    }

    private static int max(int[] v) {
        int m = 0;
        for (int x : v) {
            m = Math.max(m, x);
        }
        return m;
    }

    /** Rows {@code rb .. rb+3} (clamped below {@code r1}) against every column over {@code [from, to)}, into the partial sums. */
    private static void dotSegment(float[] a, int[] aOff, float[] b, int[] bOff, int from, int to, int rb, int r1,
                                   float[] partial) {
        int cols = bOff.length;
        int ra0 = aOff[rb] + from;
        int ra1 = aOff[Math.min(rb + 1, r1 - 1)] + from;
        int ra2 = aOff[Math.min(rb + 2, r1 - 1)] + from;
        int ra3 = aOff[Math.min(rb + 3, r1 - 1)] + from;
        int len = to - from;
        int full = len - len % L;
        VectorMask<Float> tail = S.indexInRange(full, len);
        for (int cb = 0, blk = 0; cb < cols; cb += 3, blk++) {
            int cb0 = bOff[cb] + from;
            int cb1 = bOff[Math.min(cb + 1, cols - 1)] + from;
            int cb2 = bOff[Math.min(cb + 2, cols - 1)] + from;
            int p = blk * 12 * L;
            FloatVector s00 = FloatVector.fromArray(S, partial, p);
            FloatVector s01 = FloatVector.fromArray(S, partial, p + L);
            FloatVector s02 = FloatVector.fromArray(S, partial, p + 2 * L);
            FloatVector s10 = FloatVector.fromArray(S, partial, p + 3 * L);
            FloatVector s11 = FloatVector.fromArray(S, partial, p + 4 * L);
            FloatVector s12 = FloatVector.fromArray(S, partial, p + 5 * L);
            FloatVector s20 = FloatVector.fromArray(S, partial, p + 6 * L);
            FloatVector s21 = FloatVector.fromArray(S, partial, p + 7 * L);
            FloatVector s22 = FloatVector.fromArray(S, partial, p + 8 * L);
            FloatVector s30 = FloatVector.fromArray(S, partial, p + 9 * L);
            FloatVector s31 = FloatVector.fromArray(S, partial, p + 10 * L);
            FloatVector s32 = FloatVector.fromArray(S, partial, p + 11 * L);
            for (int w = 0; w < full; w += L) {
                FloatVector b0 = FloatVector.fromArray(S, b, cb0 + w);
                FloatVector b1 = FloatVector.fromArray(S, b, cb1 + w);
                FloatVector b2 = FloatVector.fromArray(S, b, cb2 + w);
                FloatVector a0 = FloatVector.fromArray(S, a, ra0 + w);
                s00 = a0.fma(b0, s00);
                s01 = a0.fma(b1, s01);
                s02 = a0.fma(b2, s02);
                FloatVector a1 = FloatVector.fromArray(S, a, ra1 + w);
                s10 = a1.fma(b0, s10);
                s11 = a1.fma(b1, s11);
                s12 = a1.fma(b2, s12);
                FloatVector a2 = FloatVector.fromArray(S, a, ra2 + w);
                s20 = a2.fma(b0, s20);
                s21 = a2.fma(b1, s21);
                s22 = a2.fma(b2, s22);
                FloatVector a3 = FloatVector.fromArray(S, a, ra3 + w);
                s30 = a3.fma(b0, s30);
                s31 = a3.fma(b1, s31);
                s32 = a3.fma(b2, s32);
            }
            if (full < len) {
                FloatVector b0 = FloatVector.fromArray(S, b, cb0 + full, tail);
                FloatVector b1 = FloatVector.fromArray(S, b, cb1 + full, tail);
                FloatVector b2 = FloatVector.fromArray(S, b, cb2 + full, tail);
                FloatVector a0 = FloatVector.fromArray(S, a, ra0 + full, tail);
                FloatVector a1 = FloatVector.fromArray(S, a, ra1 + full, tail);
                FloatVector a2 = FloatVector.fromArray(S, a, ra2 + full, tail);
                FloatVector a3 = FloatVector.fromArray(S, a, ra3 + full, tail);
                s00 = a0.fma(b0, s00);
                s01 = a0.fma(b1, s01);
                s02 = a0.fma(b2, s02);
                s10 = a1.fma(b0, s10);
                s11 = a1.fma(b1, s11);
                s12 = a1.fma(b2, s12);
                s20 = a2.fma(b0, s20);
                s21 = a2.fma(b1, s21);
                s22 = a2.fma(b2, s22);
                s30 = a3.fma(b0, s30);
                s31 = a3.fma(b1, s31);
                s32 = a3.fma(b2, s32);
            }
            s00.intoArray(partial, p);
            s01.intoArray(partial, p + L);
            s02.intoArray(partial, p + 2 * L);
            s10.intoArray(partial, p + 3 * L);
            s11.intoArray(partial, p + 4 * L);
            s12.intoArray(partial, p + 5 * L);
            s20.intoArray(partial, p + 6 * L);
            s21.intoArray(partial, p + 7 * L);
            s22.intoArray(partial, p + 8 * L);
            s30.intoArray(partial, p + 9 * L);
            s31.intoArray(partial, p + 10 * L);
            s32.intoArray(partial, p + 11 * L);
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
        epilogueWide(acc, 0, Math.min(MR, rows - row0), mul, add, tanh, row0, out, outOff, outStride, cols, null,
                0);
    }

    /**
     * Inner-dimension chunk of {@link #tileChunkedWide}: a chunk's B rows for a whole tile ({@code KCW x NW} floats,
     * 32 KiB with 16 lanes) and one block's A panel ({@code KCW x MR}, 3 KiB) share a 48 KiB L1.
     */
    static final int KCW = 128;

    /**
     * {@link #tile} for tiles of more than {@code 3L} columns, with the inner dimension in chunks of {@link #KCW}: for
     * each chunk, every block adds the chunk's terms to its 24 sums, kept in {@code acc} between chunks, so that the
     * chunk's B rows are read from L1 by every block instead of from L2. Each sum still runs over {@code k} in order
     * from zero, and a sum stored and reloaded is the same float: the bits of {@link #blockWide}.
     *
     * @param acc a caller-owned array of at least {@link #tileAccFloats}{@code (rows)} floats (one per thread)
     */
    static void tileChunkedWide(float[] a, int kdim, float[] b, int[] bOff, int bBase, float[] mul, float[] add,
                                boolean tanh, int rows, float[] out, int outOff, int outStride, int cols, float[] acc) {
        tileChunkedWide(a, kdim, b, bOff, bBase, mul, add, tanh, rows, out, outOff, outStride, cols, null, 0, acc);
    }

    /**
     * {@link #tileChunkedWide} whose columns go to {@code out} through {@code segs} segments ({@code seg} non-null,
     * {@code outOff} then unused): column {@code j in [seg[3s], seg[3s+1])} of row {@code r} to
     * {@code out[seg[3s+2] + r * outStride + j]}, as a flat tile's pixels go to the rows of an image
     * ({@link AcdaForwardVector#flatSegments}). Any {@code kdim} (one chunk where it is at most {@link #KCW}: then
     * {@link #tile} would run {@link #blockWide}, the same sums), on either register count; {@link #wideTile} says
     * where this is the path {@link #tile} would take for the width.
     */
    static void tileChunkedWide(float[] a, int kdim, float[] b, int[] bOff, int bBase, float[] mul, float[] add,
                                boolean tanh, int rows, float[] out, int outOff, int outStride, int cols, int[] seg,
                                int segs, float[] acc) {
        clearTile(acc, rows);
        for (int k0 = 0; k0 < kdim; k0 += KCW) {
            accumulateTile(a, kdim, k0, Math.min(kdim, k0 + KCW), b, bOff, bBase, rows, acc);
        }
        epilogueTile(acc, rows, mul, add, tanh, out, outOff, outStride, cols, seg, segs);
    }

    /**
     * Whether a tile of {@code cols} columns is wide on this machine: 32 vector registers and more than {@code 3L}
     * columns, the tiles whose 24 sums per block {@link #tileChunkedWide} keeps (a narrower tile's blocks keep fewer).
     */
    static boolean wideTile(int cols) {
        return !FEW_REGISTERS && cols > 3 * L;
    }

    /** Zeroes the sums of a wide tile of {@code rows} rows ({@link #accumulateTile}). */
    static void clearTile(float[] acc, int rows) {
        Arrays.fill(acc, 0, blocks(rows) * MR * NW, 0f);
    }

    /**
     * One chunk of {@link #tileChunkedWide}: adds the terms {@code k in [k0, k1)} of every row block's 24 sums (A
     * packed by {@link #pack} for the full {@code kdim}) to the sums in {@code acc}, block {@code blk}'s from
     * {@code blk * MR * NW}. Chunks added in order of {@code k} from a cleared {@code acc} give {@link #blockWide}'s
     * sums, whoever computes B between them (the forward's atom convolution does, chunk by chunk).
     */
    static void accumulateTile(float[] a, int kdim, int k0, int k1, float[] b, int[] bOff, int bBase, int rows,
                               float[] acc) {
        for (int blk = 0; blk < blocks(rows); blk++) {
            accumulateWideRange(a, blk * kdim * MR, k0, k1, b, bOff, bBase, acc, blk * MR * NW);
        }
    }

    /** The epilogue of every row block of a wide tile whose sums {@link #accumulateTile} completed. */
    static void epilogueTile(float[] acc, int rows, float[] mul, float[] add, boolean tanh, float[] out, int outOff,
                             int outStride, int cols) {
        epilogueTile(acc, rows, mul, add, tanh, out, outOff, outStride, cols, null, 0);
    }

    /** {@link #epilogueTile}, through segments where {@code seg} is non-null ({@link #tileChunkedWide}'s). */
    static void epilogueTile(float[] acc, int rows, float[] mul, float[] add, boolean tanh, float[] out, int outOff,
                             int outStride, int cols, int[] seg, int segs) {
        for (int blk = 0; blk < blocks(rows); blk++) {
            epilogueWide(acc, blk * MR * NW, Math.min(MR, rows - blk * MR), mul, add, tanh, blk * MR, out,
                    outOff + blk * MR * outStride, outStride, cols, seg, segs);
        }
    }

    /**
     * {@link #blockWide}'s 24 sums over {@code k in [k0, k1)}, from the sums in {@code acc} (row-major
     * {@code MR x NW} from {@code accOff}) and back into them. Its own copy of {@link #blockWide}'s loop: with
     * {@link #blockWide} calling this method instead (its sums from a zeroed {@code acc}), the chunked coefficient
     * convolution lost most of its gain (bench/TUNING.md, 2026-12-03).
     */
    private static void accumulateWideRange(float[] a, int aOff, int k0, int k1, float[] b, int[] bOff, int bBase,
                                            float[] acc, int accOff) {
        FloatVector c00 = FloatVector.fromArray(S, acc, accOff);
        FloatVector c01 = FloatVector.fromArray(S, acc, accOff + L);
        FloatVector c02 = FloatVector.fromArray(S, acc, accOff + 2 * L);
        FloatVector c03 = FloatVector.fromArray(S, acc, accOff + 3 * L);
        FloatVector c10 = FloatVector.fromArray(S, acc, accOff + 4 * L);
        FloatVector c11 = FloatVector.fromArray(S, acc, accOff + 5 * L);
        FloatVector c12 = FloatVector.fromArray(S, acc, accOff + 6 * L);
        FloatVector c13 = FloatVector.fromArray(S, acc, accOff + 7 * L);
        FloatVector c20 = FloatVector.fromArray(S, acc, accOff + 8 * L);
        FloatVector c21 = FloatVector.fromArray(S, acc, accOff + 9 * L);
        FloatVector c22 = FloatVector.fromArray(S, acc, accOff + 10 * L);
        FloatVector c23 = FloatVector.fromArray(S, acc, accOff + 11 * L);
        FloatVector c30 = FloatVector.fromArray(S, acc, accOff + 12 * L);
        FloatVector c31 = FloatVector.fromArray(S, acc, accOff + 13 * L);
        FloatVector c32 = FloatVector.fromArray(S, acc, accOff + 14 * L);
        FloatVector c33 = FloatVector.fromArray(S, acc, accOff + 15 * L);
        FloatVector c40 = FloatVector.fromArray(S, acc, accOff + 16 * L);
        FloatVector c41 = FloatVector.fromArray(S, acc, accOff + 17 * L);
        FloatVector c42 = FloatVector.fromArray(S, acc, accOff + 18 * L);
        FloatVector c43 = FloatVector.fromArray(S, acc, accOff + 19 * L);
        FloatVector c50 = FloatVector.fromArray(S, acc, accOff + 20 * L);
        FloatVector c51 = FloatVector.fromArray(S, acc, accOff + 21 * L);
        FloatVector c52 = FloatVector.fromArray(S, acc, accOff + 22 * L);
        FloatVector c53 = FloatVector.fromArray(S, acc, accOff + 23 * L);
        int ao = aOff + k0 * MR;
        for (int k = k0; k < k1; k++, ao += MR) {
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
        c00.intoArray(acc, accOff);
        c01.intoArray(acc, accOff + L);
        c02.intoArray(acc, accOff + 2 * L);
        c03.intoArray(acc, accOff + 3 * L);
        c10.intoArray(acc, accOff + 4 * L);
        c11.intoArray(acc, accOff + 5 * L);
        c12.intoArray(acc, accOff + 6 * L);
        c13.intoArray(acc, accOff + 7 * L);
        c20.intoArray(acc, accOff + 8 * L);
        c21.intoArray(acc, accOff + 9 * L);
        c22.intoArray(acc, accOff + 10 * L);
        c23.intoArray(acc, accOff + 11 * L);
        c30.intoArray(acc, accOff + 12 * L);
        c31.intoArray(acc, accOff + 13 * L);
        c32.intoArray(acc, accOff + 14 * L);
        c33.intoArray(acc, accOff + 15 * L);
        c40.intoArray(acc, accOff + 16 * L);
        c41.intoArray(acc, accOff + 17 * L);
        c42.intoArray(acc, accOff + 18 * L);
        c43.intoArray(acc, accOff + 19 * L);
        c50.intoArray(acc, accOff + 20 * L);
        c51.intoArray(acc, accOff + 21 * L);
        c52.intoArray(acc, accOff + 22 * L);
        c53.intoArray(acc, accOff + 23 * L);
    }

    /**
     * The kernel for a tile of {@code cols <= NW} columns: {@link #blockWide} (more than {@code 3L}),
     * {@link #blockThree} (more than {@link #NR}) or {@link #block}, so that the last tile of a row computes
     * no more vectors than it stores (a 100-pixel row: 64 + 36 pixels, 7 vectors instead of 8). All three
     * compute each output element as the same sum in the same order, so the choice never changes a bit.
     *
     * @param scratch a caller-owned array of at least {@code MR * NW} floats (one per thread)
     */
    static void blockFor(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase,
                         float[] mul, float[] add, boolean tanh, int row0, int rows,
                         float[] out, int outOff, int outStride, int cols, float[] scratch) {
        if (FEW_REGISTERS) {
            blockPairs(a, aOff, kdim, b, bOff, bBase, mul, add, tanh, row0, rows, out, outOff, outStride, cols,
                    scratch);
        } else if (cols > 3 * L) {
            blockWide(a, aOff, kdim, b, bOff, bBase, mul, add, tanh, row0, rows, out, outOff, outStride, cols, scratch);
        } else if (cols > NR) {
            blockThree(a, aOff, kdim, b, bOff, bBase, mul, add, tanh, row0, rows, out, outOff, outStride, cols, scratch);
        } else {
            block(a, aOff, kdim, b, bOff, bBase, mul, add, tanh, row0, rows, out, outOff, outStride, cols, scratch);
        }
    }

    /**
     * Inner-dimension chunk of {@link #tileChunked}: a chunk's B rows for a whole tile ({@code KC x NW} floats, 16 KiB
     * with 8 lanes) and one block's A panel ({@code KC x MR}, 3 KiB) share a 32 KiB L1.
     */
    static final int KC = 128;

    /**
     * The inner dimension from which a convolution's tile runs {@link #tileChunked} on a machine with
     * {@link #FEW_REGISTERS}: the generator's first convolution on 256 channels (3 x 3: 2304, an A panel of 55 KB)
     * gained 60% -> 72% to 89% of the peak on Zen 1; the coefficient convolution (1536, its B rows the contiguous
     * rows of Z, which the prefetcher streams) lost (83% to 108% -> 79% to 92%), and 576 (resnet) did not gain. The
     * callers decide (bench/TUNING.md).
     */
    static final int CHUNK_ABOVE = 8 * KC;

    /**
     * Every row block of one tile of {@code cols <= NW} columns by {@link #blockFor}, block after block (block
     * {@code blk}'s rows go to {@code out[outOff + (blk*MR + r) * outStride ..]}), with A packed by {@link #pack}.
     * With 32 vector registers, a tile of more than {@code 3L} columns whose inner dimension exceeds {@link #KCW} goes
     * through {@link #tileChunkedWide} instead: its B rows then come from L1 (the coefficient convolution 1.27x -> 1.48x
     * of the frozen baseline, generator conv 1 1.21x -> 1.31x on the Intel Xeon of bench/TUNING.md). The same bits.
     *
     * @param acc a caller-owned array of at least {@link #tileAccFloats}{@code (rows)} floats (one per thread)
     */
    static void tile(float[] a, int kdim, float[] b, int[] bOff, int bBase, float[] mul, float[] add, boolean tanh,
                     int rows, float[] out, int outOff, int outStride, int cols, float[] acc) {
        if (!FEW_REGISTERS && cols > 3 * L && kdim > KCW) {
            tileChunkedWide(a, kdim, b, bOff, bBase, mul, add, tanh, rows, out, outOff, outStride, cols, acc);
            return;
        }
        for (int blk = 0; blk < blocks(rows); blk++) {
            blockFor(a, blk * kdim * MR, kdim, b, bOff, bBase, mul, add, tanh, blk * MR, rows, out,
                    outOff + blk * MR * outStride, outStride, cols, acc);
        }
    }

    /** Floats of {@link #tile}'s {@code acc} for {@code rows} rows. */
    static int tileAccFloats(int rows) {
        return Math.max(MR * NW, blocks(rows) * 2 * MR * NR);
    }

    /**
     * {@link #tile} with the inner dimension in chunks of {@link #KC} (for 16 registers: pairs of vectors): for each
     * chunk, every block and every pair of
     * vectors adds the chunk's terms to its sums, kept in {@code acc} between chunks ({@code block}'s 12-accumulator
     * loop, {@link #accumulateRange}), so that the chunk's B rows are read from L1 by every block instead of from L2.
     * Each sum still runs over {@code k} in order from zero, and a sum stored and reloaded is the same float: the bits
     * of {@link #blockPairs}.
     */
    static void tileChunked(float[] a, int kdim, float[] b, int[] bOff, int bBase, float[] mul, float[] add,
                            boolean tanh, int rows, float[] out, int outOff, int outStride, int cols, float[] acc) {
        int blocks = blocks(rows);
        int vectors = (cols + L - 1) / L;
        int pairs = (vectors + 1) / 2;
        Arrays.fill(acc, 0, blocks * pairs * MR * NR, 0f);
        for (int k0 = 0; k0 < kdim; k0 += KC) {
            int k1 = Math.min(kdim, k0 + KC);
            for (int blk = 0; blk < blocks; blk++) {
                int aOff = blk * kdim * MR;
                for (int j = 0; j < pairs; j++) {
                    int accOff = (blk * pairs + j) * MR * NR;
                    if (2 * j + 1 < vectors) {
                        accumulateRange(a, aOff, k0, k1, b, bOff, bBase + j * NR, acc, accOff);
                    } else {
                        accumulateOneRange(a, aOff, k0, k1, b, bOff, bBase + j * NR, acc, accOff);
                    }
                }
            }
        }
        for (int blk = 0; blk < blocks; blk++) {
            for (int j = 0; j < pairs; j++) {
                epilogue(acc, (blk * pairs + j) * MR * NR, Math.min(MR, rows - blk * MR), mul, add, tanh, blk * MR,
                        out, outOff + blk * MR * outStride + j * NR, outStride, Math.min(NR, cols - j * NR));
            }
        }
    }

    /**
     * {@link #accumulate} over {@code k in [k0, k1)}, from the sums in {@code acc} (row-major {@code MR x NR} from
     * {@code accOff}) and back into them.
     */
    private static void accumulateRange(float[] a, int aOff, int k0, int k1, float[] b, int[] bOff, int bBase,
                                        float[] acc, int accOff) {
        FloatVector c00 = FloatVector.fromArray(S, acc, accOff);
        FloatVector c01 = FloatVector.fromArray(S, acc, accOff + L);
        FloatVector c10 = FloatVector.fromArray(S, acc, accOff + 2 * L);
        FloatVector c11 = FloatVector.fromArray(S, acc, accOff + 3 * L);
        FloatVector c20 = FloatVector.fromArray(S, acc, accOff + 4 * L);
        FloatVector c21 = FloatVector.fromArray(S, acc, accOff + 5 * L);
        FloatVector c30 = FloatVector.fromArray(S, acc, accOff + 6 * L);
        FloatVector c31 = FloatVector.fromArray(S, acc, accOff + 7 * L);
        FloatVector c40 = FloatVector.fromArray(S, acc, accOff + 8 * L);
        FloatVector c41 = FloatVector.fromArray(S, acc, accOff + 9 * L);
        FloatVector c50 = FloatVector.fromArray(S, acc, accOff + 10 * L);
        FloatVector c51 = FloatVector.fromArray(S, acc, accOff + 11 * L);
        int ao = aOff + k0 * MR;
        for (int k = k0; k < k1; k++, ao += MR) {
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
        c00.intoArray(acc, accOff);
        c01.intoArray(acc, accOff + L);
        c10.intoArray(acc, accOff + 2 * L);
        c11.intoArray(acc, accOff + 3 * L);
        c20.intoArray(acc, accOff + 4 * L);
        c21.intoArray(acc, accOff + 5 * L);
        c30.intoArray(acc, accOff + 6 * L);
        c31.intoArray(acc, accOff + 7 * L);
        c40.intoArray(acc, accOff + 8 * L);
        c41.intoArray(acc, accOff + 9 * L);
        c50.intoArray(acc, accOff + 10 * L);
        c51.intoArray(acc, accOff + 11 * L);
    }

    /** {@link #accumulateRange} for one vector (the first of each row's two in {@code acc}), as {@link #blockOne}. */
    private static void accumulateOneRange(float[] a, int aOff, int k0, int k1, float[] b, int[] bOff, int bBase,
                                           float[] acc, int accOff) {
        FloatVector c0 = FloatVector.fromArray(S, acc, accOff);
        FloatVector c1 = FloatVector.fromArray(S, acc, accOff + 2 * L);
        FloatVector c2 = FloatVector.fromArray(S, acc, accOff + 4 * L);
        FloatVector c3 = FloatVector.fromArray(S, acc, accOff + 6 * L);
        FloatVector c4 = FloatVector.fromArray(S, acc, accOff + 8 * L);
        FloatVector c5 = FloatVector.fromArray(S, acc, accOff + 10 * L);
        int ao = aOff + k0 * MR;
        for (int k = k0; k < k1; k++, ao += MR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bOff[k] + bBase);
            c0 = FloatVector.broadcast(S, a[ao]).fma(b0, c0);
            c1 = FloatVector.broadcast(S, a[ao + 1]).fma(b0, c1);
            c2 = FloatVector.broadcast(S, a[ao + 2]).fma(b0, c2);
            c3 = FloatVector.broadcast(S, a[ao + 3]).fma(b0, c3);
            c4 = FloatVector.broadcast(S, a[ao + 4]).fma(b0, c4);
            c5 = FloatVector.broadcast(S, a[ao + 5]).fma(b0, c5);
        }
        c0.intoArray(acc, accOff);
        c1.intoArray(acc, accOff + 2 * L);
        c2.intoArray(acc, accOff + 4 * L);
        c3.intoArray(acc, accOff + 6 * L);
        c4.intoArray(acc, accOff + 8 * L);
        c5.intoArray(acc, accOff + 10 * L);
    }

    /**
     * {@link #blockFor} on a machine with {@link #FEW_REGISTERS}: {@link #block} (12 accumulators) on each pair of
     * vectors of the {@code cols <= NW} columns and {@link #blockOne} on a last single one. The same sums in the same
     * order as the wide kernels; {@code A} is read once per pair instead of once.
     */
    static void blockPairs(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase,
                           float[] mul, float[] add, boolean tanh, int row0, int rows,
                           float[] out, int outOff, int outStride, int cols, float[] scratch) {
        for (int j = 0; j < cols; j += NR) {
            int w = Math.min(NR, cols - j);
            if (w > L) {
                block(a, aOff, kdim, b, bOff, bBase + j, mul, add, tanh, row0, rows, out, outOff + j, outStride, w,
                        scratch);
            } else {
                blockOne(a, aOff, kdim, b, bOff, bBase + j, mul, add, tanh, row0, rows, out, outOff + j, outStride, w,
                        scratch);
            }
        }
    }

    /** As {@link #block} for one vector ({@code cols <= L}): six accumulators, one load and six broadcasts per k. */
    static void blockOne(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase,
                         float[] mul, float[] add, boolean tanh, int row0, int rows,
                         float[] out, int outOff, int outStride, int cols, float[] scratch) {
        // The MR x NR layout of block's epilogue; its second vector per row is never stored (cols <= L).
        Arrays.fill(scratch, 0, MR * NR, 0f);
        accumulateOneRange(a, aOff, 0, kdim, b, bOff, bBase, scratch, 0);
        epilogue(scratch, 0, Math.min(MR, rows - row0), mul, add, tanh, row0, out, outOff, outStride, cols);
    }

    /**
     * As {@link #blockWide}, for three vectors ({@code 3L} columns: the last tile of a row that has more
     * than {@link #NR} and at most {@code 3L} pixels left, e.g. 36 of a 100-pixel row, where the 4-vector
     * kernel would compute a quarter of its columns for nothing): 18 accumulators, per {@code k} three loads
     * of B and six broadcasts of A. The same sums in the same order as {@link #block} and {@link #blockWide}.
     * {@code acc} (in {@code scratch}) keeps the {@code MR x NW} layout of {@link #blockWide}.
     */
    static void blockThree(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase,
                          float[] mul, float[] add, boolean tanh, int row0, int rows,
                          float[] out, int outOff, int outStride, int cols, float[] scratch) {
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c32 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c42 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c52 = FloatVector.zero(S);
        int ao = aOff;
        for (int k = 0; k < kdim; k++, ao += MR) {
            int bo = bOff[k] + bBase;
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
            FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
            FloatVector a0 = FloatVector.broadcast(S, a[ao]);
            c00 = a0.fma(b0, c00);
            c01 = a0.fma(b1, c01);
            c02 = a0.fma(b2, c02);
            FloatVector a1 = FloatVector.broadcast(S, a[ao + 1]);
            c10 = a1.fma(b0, c10);
            c11 = a1.fma(b1, c11);
            c12 = a1.fma(b2, c12);
            FloatVector a2 = FloatVector.broadcast(S, a[ao + 2]);
            c20 = a2.fma(b0, c20);
            c21 = a2.fma(b1, c21);
            c22 = a2.fma(b2, c22);
            FloatVector a3 = FloatVector.broadcast(S, a[ao + 3]);
            c30 = a3.fma(b0, c30);
            c31 = a3.fma(b1, c31);
            c32 = a3.fma(b2, c32);
            FloatVector a4 = FloatVector.broadcast(S, a[ao + 4]);
            c40 = a4.fma(b0, c40);
            c41 = a4.fma(b1, c41);
            c42 = a4.fma(b2, c42);
            FloatVector a5 = FloatVector.broadcast(S, a[ao + 5]);
            c50 = a5.fma(b0, c50);
            c51 = a5.fma(b1, c51);
            c52 = a5.fma(b2, c52);
        }
        float[] acc = scratch;
        c00.intoArray(acc, 0);
        c01.intoArray(acc, L);
        c02.intoArray(acc, 2 * L);
        c10.intoArray(acc, 4 * L);
        c11.intoArray(acc, 5 * L);
        c12.intoArray(acc, 6 * L);
        c20.intoArray(acc, 8 * L);
        c21.intoArray(acc, 9 * L);
        c22.intoArray(acc, 10 * L);
        c30.intoArray(acc, 12 * L);
        c31.intoArray(acc, 13 * L);
        c32.intoArray(acc, 14 * L);
        c40.intoArray(acc, 16 * L);
        c41.intoArray(acc, 17 * L);
        c42.intoArray(acc, 18 * L);
        c50.intoArray(acc, 20 * L);
        c51.intoArray(acc, 21 * L);
        c52.intoArray(acc, 22 * L);
        epilogueWide(acc, 0, Math.min(MR, rows - row0), mul, add, tanh, row0, out, outOff, outStride, cols, null,
                0);
    }

    /**
     * {@link #epilogue} for a block of {@link #NW} columns ({@code acc} row-major {@code MR x NW}); with {@code seg}
     * non-null, row {@code r}'s columns go through the segments of {@link #tileChunkedWide} from
     * {@code outOff + r * outStride}.
     */
    private static void epilogueWide(float[] acc, int accOff, int valid, float[] mul, float[] add, boolean tanh,
                                     int row0, float[] out, int outOff, int outStride, int cols, int[] seg, int segs) {
        boolean affine = mul != null || add != null;
        if (tanh) {
            // BatchNorm in place, then tanh over the block's rows in one call (its constants broadcast once).
            if (affine) {
                for (int r = 0; r < valid; r++) {
                    FloatVector m = FloatVector.broadcast(S, mul == null ? 1f : mul[row0 + r]);
                    FloatVector c = FloatVector.broadcast(S, add == null ? 0f : add[row0 + r]);
                    for (int q = 0; q < 4; q++) {
                        int a0 = accOff + (4 * r + q) * L;
                        FloatVector.fromArray(S, acc, a0).fma(m, c).intoArray(acc, a0);
                    }
                }
            }
            VectorMath.tanhInPlace(acc, accOff, 4 * valid);
            affine = false;
        }
        for (int r = 0; r < valid; r++) {
            int row = row0 + r;
            FloatVector m = FloatVector.broadcast(S, mul == null ? 1f : mul[row]);
            FloatVector c = FloatVector.broadcast(S, add == null ? 0f : add[row]);
            int off = outOff + r * outStride;
            for (int q = 0; q < 4 && cols > q * L; q++) {
                FloatVector v = FloatVector.fromArray(S, acc, accOff + (4 * r + q) * L);
                if (affine) {
                    v = v.fma(m, c);
                }
                if (seg == null) {
                    if (cols >= (q + 1) * L) {
                        v.intoArray(out, off + q * L);
                    } else {
                        v.intoArray(out, off + q * L, S.indexInRange(q * L, cols));
                    }
                    continue;
                }
                // Through the segments: each segment's lanes at seg[3s+2] + off + j; a vector inside one segment in
                // one store, one that spans a segment's end in one masked store per segment (lanes outside every
                // segment, a flat tile's padding columns, are not stored). Written here rather than in a method of
                // its own: a vector passed to a call the JIT does not inline is boxed on the heap.
                int j0 = q * L;
                for (int s = 0; s < 3 * segs; s += 3) {
                    int lo = seg[s];
                    int hi = seg[s + 1];
                    if (hi <= j0 || lo >= j0 + L) {
                        continue;
                    }
                    int at = seg[s + 2] + off + j0;
                    if (lo <= j0 && hi >= j0 + L) {
                        v.intoArray(out, at);
                    } else {
                        v.intoArray(out, at, S.indexInRange(j0 - lo, hi - lo));
                    }
                }
            }
        }
    }

    /**
     * Sums over pixels for a weight gradient, with the pixels as the inner dimension and the gradient's columns
     * in the vector lanes: for rows {@code r < min(MR, rows - row0)} and columns {@code j < NW},
     * <pre>
     *   c[(row0 + r) * ldc + col0 + j] += sum_{h in [h0, h1)} sum_{w &lt; width} a[aOff[row0 + r] + aBase + h*aStride + w]
     *                                                                 * b[bBase + h*bStride + w*ldb + col0 + j]
     * </pre>
     * Each sum is one chain of FMAs from zero, over {@code h} then {@code w} ascending, added to {@code c} at the end:
     * the caller fixes the blocks of pixels, so the order does not depend on threads. {@code A} is read as
     * broadcasts from six rows (a partial block repeats its last row and stores only the valid ones), {@code B} as
     * four vectors of a row-major, pixel-by-column matrix (a transposed gradient); per pixel, ten loads for 24 FMAs.
     */
    static void gradBlockWide(float[] a, int[] aOff, int aBase, int aStride, int row0, int rows,
                              float[] b, int bBase, int bStride, int ldb, int h0, int h1, int width,
                              float[] c, int ldc, int col0) {
        int last = Math.min(MR, rows - row0) - 1;
        int r0 = aOff[row0] + aBase;
        int r1 = aOff[row0 + Math.min(1, last)] + aBase;
        int r2 = aOff[row0 + Math.min(2, last)] + aBase;
        int r3 = aOff[row0 + Math.min(3, last)] + aBase;
        int r4 = aOff[row0 + Math.min(4, last)] + aBase;
        int r5 = aOff[row0 + Math.min(5, last)] + aBase;
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
        for (int h = h0; h < h1; h++) {
            int ar = h * aStride;
            int bo = bBase + h * bStride + col0;
            for (int w = 0; w < width; w++, bo += ldb) {
                int k = ar + w;
                FloatVector b0 = FloatVector.fromArray(S, b, bo);
                FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
                FloatVector b3 = FloatVector.fromArray(S, b, bo + 3 * L);
                FloatVector a0 = FloatVector.broadcast(S, a[r0 + k]);
                c00 = a0.fma(b0, c00);
                c01 = a0.fma(b1, c01);
                c02 = a0.fma(b2, c02);
                c03 = a0.fma(b3, c03);
                FloatVector a1 = FloatVector.broadcast(S, a[r1 + k]);
                c10 = a1.fma(b0, c10);
                c11 = a1.fma(b1, c11);
                c12 = a1.fma(b2, c12);
                c13 = a1.fma(b3, c13);
                FloatVector a2 = FloatVector.broadcast(S, a[r2 + k]);
                c20 = a2.fma(b0, c20);
                c21 = a2.fma(b1, c21);
                c22 = a2.fma(b2, c22);
                c23 = a2.fma(b3, c23);
                FloatVector a3 = FloatVector.broadcast(S, a[r3 + k]);
                c30 = a3.fma(b0, c30);
                c31 = a3.fma(b1, c31);
                c32 = a3.fma(b2, c32);
                c33 = a3.fma(b3, c33);
                FloatVector a4 = FloatVector.broadcast(S, a[r4 + k]);
                c40 = a4.fma(b0, c40);
                c41 = a4.fma(b1, c41);
                c42 = a4.fma(b2, c42);
                c43 = a4.fma(b3, c43);
                FloatVector a5 = FloatVector.broadcast(S, a[r5 + k]);
                c50 = a5.fma(b0, c50);
                c51 = a5.fma(b1, c51);
                c52 = a5.fma(b2, c52);
                c53 = a5.fma(b3, c53);
            }
        }
        int o = row0 * ldc + col0;
        FloatVector.fromArray(S, c, o + 0 * L).add(c00).intoArray(c, o + 0 * L);
        FloatVector.fromArray(S, c, o + 1 * L).add(c01).intoArray(c, o + 1 * L);
        FloatVector.fromArray(S, c, o + 2 * L).add(c02).intoArray(c, o + 2 * L);
        FloatVector.fromArray(S, c, o + 3 * L).add(c03).intoArray(c, o + 3 * L);
        if (last < 1) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o + 0 * L).add(c10).intoArray(c, o + 0 * L);
        FloatVector.fromArray(S, c, o + 1 * L).add(c11).intoArray(c, o + 1 * L);
        FloatVector.fromArray(S, c, o + 2 * L).add(c12).intoArray(c, o + 2 * L);
        FloatVector.fromArray(S, c, o + 3 * L).add(c13).intoArray(c, o + 3 * L);
        if (last < 2) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o + 0 * L).add(c20).intoArray(c, o + 0 * L);
        FloatVector.fromArray(S, c, o + 1 * L).add(c21).intoArray(c, o + 1 * L);
        FloatVector.fromArray(S, c, o + 2 * L).add(c22).intoArray(c, o + 2 * L);
        FloatVector.fromArray(S, c, o + 3 * L).add(c23).intoArray(c, o + 3 * L);
        if (last < 3) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o + 0 * L).add(c30).intoArray(c, o + 0 * L);
        FloatVector.fromArray(S, c, o + 1 * L).add(c31).intoArray(c, o + 1 * L);
        FloatVector.fromArray(S, c, o + 2 * L).add(c32).intoArray(c, o + 2 * L);
        FloatVector.fromArray(S, c, o + 3 * L).add(c33).intoArray(c, o + 3 * L);
        if (last < 4) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o + 0 * L).add(c40).intoArray(c, o + 0 * L);
        FloatVector.fromArray(S, c, o + 1 * L).add(c41).intoArray(c, o + 1 * L);
        FloatVector.fromArray(S, c, o + 2 * L).add(c42).intoArray(c, o + 2 * L);
        FloatVector.fromArray(S, c, o + 3 * L).add(c43).intoArray(c, o + 3 * L);
        if (last < 5) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o + 0 * L).add(c50).intoArray(c, o + 0 * L);
        FloatVector.fromArray(S, c, o + 1 * L).add(c51).intoArray(c, o + 1 * L);
        FloatVector.fromArray(S, c, o + 2 * L).add(c52).intoArray(c, o + 2 * L);
        FloatVector.fromArray(S, c, o + 3 * L).add(c53).intoArray(c, o + 3 * L);
    }

    /**
     * {@link #blockAddToWide} for 16 vector registers ({@link #FEW_REGISTERS}): the sums of each pair of vectors by
     * {@link #block}'s 12-accumulator loop, then the rows added as {@link #blockAddToWide} adds them (row after row,
     * all {@code 4L} columns), so that overlapping destinations receive their adds in the same order: the same bits.
     *
     * @param scratch a caller-owned array of at least {@code MR * NW} floats (one per thread)
     */
    static void blockAddToPairs(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase, int row0, int rows,
                                float[] out, int[] outOff, int outBase, float[] scratch) {
        accumulate(a, aOff, kdim, b, bOff, bBase, scratch, 0);
        accumulate(a, aOff, kdim, b, bOff, bBase + NR, scratch, MR * NR);
        int valid = Math.min(MR, rows - row0);
        for (int r = 0; r < valid; r++) {
            int o = outOff[row0 + r] + outBase;
            for (int q = 0; q < 4; q++) {
                int acc = (q < 2 ? 0 : MR * NR) + (2 * r + q % 2) * L;
                FloatVector.fromArray(S, out, o + q * L).add(FloatVector.fromArray(S, scratch, acc))
                        .intoArray(out, o + q * L);
            }
        }
    }

    /**
     * As {@link #blockAddTo}, for {@link #NW} = {@code 4L} columns (the loop of {@link #blockWide}: each row's
     * values are the same sums, in the same order, as {@link #blockAddTo} computes for its columns); the rows are
     * added one after the other into {@code out[outOff[row0 + r] + outBase ...]}, all {@code 4L} columns.
     *
     * @param scratch a caller-owned array of at least {@code MR * NW} floats (one per thread)
     */
    static void blockAddToWide(float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase, int row0, int rows,
                               float[] out, int[] outOff, int outBase, float[] scratch) {
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
        c00.intoArray(acc, 0 * L);
        c01.intoArray(acc, 1 * L);
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
        int valid = Math.min(MR, rows - row0);
        for (int r = 0; r < valid; r++) {
            int o = outOff[row0 + r] + outBase;
            for (int q = 0; q < 4; q++) {
                FloatVector.fromArray(S, out, o + q * L).add(FloatVector.fromArray(S, acc, (4 * r + q) * L))
                        .intoArray(out, o + q * L);
            }
        }
    }

    /**
     * {@link #gradBlockWide} for two vectors of columns ({@code 2L}; 12 accumulators), of which the first
     * {@code vectors} (1 or 2) are added to {@code c}: the kernel for 16 vector registers ({@link #FEW_REGISTERS}),
     * where the 18 and 24 accumulators of the others spill. B must extend {@code 2L} floats past {@code col0} in
     * every row; the sums are those of {@link #gradBlockWide}, element for element.
     */
    static void gradBlock2(float[] a, int[] aOff, int aBase, int aStride, int row0, int rows,
                           float[] b, int bBase, int bStride, int ldb, int h0, int h1, int width,
                           float[] c, int ldc, int col0, int vectors) {
        int last = Math.min(MR, rows - row0) - 1;
        int r0 = aOff[row0] + aBase;
        int r1 = aOff[row0 + Math.min(1, last)] + aBase;
        int r2 = aOff[row0 + Math.min(2, last)] + aBase;
        int r3 = aOff[row0 + Math.min(3, last)] + aBase;
        int r4 = aOff[row0 + Math.min(4, last)] + aBase;
        int r5 = aOff[row0 + Math.min(5, last)] + aBase;
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
        for (int h = h0; h < h1; h++) {
            int ar = h * aStride;
            int bo = bBase + h * bStride + col0;
            for (int w = 0; w < width; w++, bo += ldb) {
                int k = ar + w;
                FloatVector b0 = FloatVector.fromArray(S, b, bo);
                FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
                FloatVector a0 = FloatVector.broadcast(S, a[r0 + k]);
                c00 = a0.fma(b0, c00);
                c01 = a0.fma(b1, c01);
                FloatVector a1 = FloatVector.broadcast(S, a[r1 + k]);
                c10 = a1.fma(b0, c10);
                c11 = a1.fma(b1, c11);
                FloatVector a2 = FloatVector.broadcast(S, a[r2 + k]);
                c20 = a2.fma(b0, c20);
                c21 = a2.fma(b1, c21);
                FloatVector a3 = FloatVector.broadcast(S, a[r3 + k]);
                c30 = a3.fma(b0, c30);
                c31 = a3.fma(b1, c31);
                FloatVector a4 = FloatVector.broadcast(S, a[r4 + k]);
                c40 = a4.fma(b0, c40);
                c41 = a4.fma(b1, c41);
                FloatVector a5 = FloatVector.broadcast(S, a[r5 + k]);
                c50 = a5.fma(b0, c50);
                c51 = a5.fma(b1, c51);
            }
        }
        int o = row0 * ldc + col0;
        FloatVector.fromArray(S, c, o).add(c00).intoArray(c, o);
        if (vectors > 1) {
            FloatVector.fromArray(S, c, o + L).add(c01).intoArray(c, o + L);
        }
        if (last >= 1) {
            FloatVector.fromArray(S, c, o + ldc).add(c10).intoArray(c, o + ldc);
            if (vectors > 1) {
                FloatVector.fromArray(S, c, o + ldc + L).add(c11).intoArray(c, o + ldc + L);
            }
        }
        if (last >= 2) {
            FloatVector.fromArray(S, c, o + 2 * ldc).add(c20).intoArray(c, o + 2 * ldc);
            if (vectors > 1) {
                FloatVector.fromArray(S, c, o + 2 * ldc + L).add(c21).intoArray(c, o + 2 * ldc + L);
            }
        }
        if (last >= 3) {
            FloatVector.fromArray(S, c, o + 3 * ldc).add(c30).intoArray(c, o + 3 * ldc);
            if (vectors > 1) {
                FloatVector.fromArray(S, c, o + 3 * ldc + L).add(c31).intoArray(c, o + 3 * ldc + L);
            }
        }
        if (last >= 4) {
            FloatVector.fromArray(S, c, o + 4 * ldc).add(c40).intoArray(c, o + 4 * ldc);
            if (vectors > 1) {
                FloatVector.fromArray(S, c, o + 4 * ldc + L).add(c41).intoArray(c, o + 4 * ldc + L);
            }
        }
        if (last >= 5) {
            FloatVector.fromArray(S, c, o + 5 * ldc).add(c50).intoArray(c, o + 5 * ldc);
            if (vectors > 1) {
                FloatVector.fromArray(S, c, o + 5 * ldc + L).add(c51).intoArray(c, o + 5 * ldc + L);
            }
        }
    }

    /**
     * {@link #gradBlockWide} for three vectors of columns ({@code 3L}; 18 accumulators), of which the first
     * {@code vectors} (1 to 3) are added to {@code c}: for the last columns of a gradient whose column count is not
     * a multiple of {@code 4L}. It reads all three vectors of each row of B, so B must extend {@code 3L} floats past
     * {@code col0} in every row (into the next row, or past the last one); the sums are those of
     * {@link #gradBlockWide}, element for element.
     */
    static void gradBlock3(float[] a, int[] aOff, int aBase, int aStride, int row0, int rows,
                           float[] b, int bBase, int bStride, int ldb, int h0, int h1, int width,
                           float[] c, int ldc, int col0, int vectors) {
        int last = Math.min(MR, rows - row0) - 1;
        int r0 = aOff[row0] + aBase;
        int r1 = aOff[row0 + Math.min(1, last)] + aBase;
        int r2 = aOff[row0 + Math.min(2, last)] + aBase;
        int r3 = aOff[row0 + Math.min(3, last)] + aBase;
        int r4 = aOff[row0 + Math.min(4, last)] + aBase;
        int r5 = aOff[row0 + Math.min(5, last)] + aBase;
        FloatVector c00 = FloatVector.zero(S);
        FloatVector c01 = FloatVector.zero(S);
        FloatVector c02 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S);
        FloatVector c11 = FloatVector.zero(S);
        FloatVector c12 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S);
        FloatVector c21 = FloatVector.zero(S);
        FloatVector c22 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S);
        FloatVector c31 = FloatVector.zero(S);
        FloatVector c32 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S);
        FloatVector c41 = FloatVector.zero(S);
        FloatVector c42 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S);
        FloatVector c51 = FloatVector.zero(S);
        FloatVector c52 = FloatVector.zero(S);
        for (int h = h0; h < h1; h++) {
            int ar = h * aStride;
            int bo = bBase + h * bStride + col0;
            for (int w = 0; w < width; w++, bo += ldb) {
                int k = ar + w;
                FloatVector b0 = FloatVector.fromArray(S, b, bo);
                FloatVector b1 = FloatVector.fromArray(S, b, bo + L);
                FloatVector b2 = FloatVector.fromArray(S, b, bo + 2 * L);
                FloatVector a0 = FloatVector.broadcast(S, a[r0 + k]);
                c00 = a0.fma(b0, c00);
                c01 = a0.fma(b1, c01);
                c02 = a0.fma(b2, c02);
                FloatVector a1 = FloatVector.broadcast(S, a[r1 + k]);
                c10 = a1.fma(b0, c10);
                c11 = a1.fma(b1, c11);
                c12 = a1.fma(b2, c12);
                FloatVector a2 = FloatVector.broadcast(S, a[r2 + k]);
                c20 = a2.fma(b0, c20);
                c21 = a2.fma(b1, c21);
                c22 = a2.fma(b2, c22);
                FloatVector a3 = FloatVector.broadcast(S, a[r3 + k]);
                c30 = a3.fma(b0, c30);
                c31 = a3.fma(b1, c31);
                c32 = a3.fma(b2, c32);
                FloatVector a4 = FloatVector.broadcast(S, a[r4 + k]);
                c40 = a4.fma(b0, c40);
                c41 = a4.fma(b1, c41);
                c42 = a4.fma(b2, c42);
                FloatVector a5 = FloatVector.broadcast(S, a[r5 + k]);
                c50 = a5.fma(b0, c50);
                c51 = a5.fma(b1, c51);
                c52 = a5.fma(b2, c52);
            }
        }
        int o = row0 * ldc + col0;
        FloatVector.fromArray(S, c, o).add(c00).intoArray(c, o);
        if (vectors > 1) {
            FloatVector.fromArray(S, c, o + L).add(c01).intoArray(c, o + L);
        }
        if (vectors > 2) {
            FloatVector.fromArray(S, c, o + 2 * L).add(c02).intoArray(c, o + 2 * L);
        }
        if (last < 1) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o).add(c10).intoArray(c, o);
        if (vectors > 1) {
            FloatVector.fromArray(S, c, o + L).add(c11).intoArray(c, o + L);
        }
        if (vectors > 2) {
            FloatVector.fromArray(S, c, o + 2 * L).add(c12).intoArray(c, o + 2 * L);
        }
        if (last < 2) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o).add(c20).intoArray(c, o);
        if (vectors > 1) {
            FloatVector.fromArray(S, c, o + L).add(c21).intoArray(c, o + L);
        }
        if (vectors > 2) {
            FloatVector.fromArray(S, c, o + 2 * L).add(c22).intoArray(c, o + 2 * L);
        }
        if (last < 3) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o).add(c30).intoArray(c, o);
        if (vectors > 1) {
            FloatVector.fromArray(S, c, o + L).add(c31).intoArray(c, o + L);
        }
        if (vectors > 2) {
            FloatVector.fromArray(S, c, o + 2 * L).add(c32).intoArray(c, o + 2 * L);
        }
        if (last < 4) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o).add(c40).intoArray(c, o);
        if (vectors > 1) {
            FloatVector.fromArray(S, c, o + L).add(c41).intoArray(c, o + L);
        }
        if (vectors > 2) {
            FloatVector.fromArray(S, c, o + 2 * L).add(c42).intoArray(c, o + 2 * L);
        }
        if (last < 5) {
            return;
        }
        o += ldc;
        FloatVector.fromArray(S, c, o).add(c50).intoArray(c, o);
        if (vectors > 1) {
            FloatVector.fromArray(S, c, o + L).add(c51).intoArray(c, o + L);
        }
        if (vectors > 2) {
            FloatVector.fromArray(S, c, o + 2 * L).add(c52).intoArray(c, o + 2 * L);
        }
    }
}
