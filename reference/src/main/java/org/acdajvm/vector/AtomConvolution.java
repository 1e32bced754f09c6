package org.acdajvm.vector;

import static org.acdajvm.vector.AcdaForwardVector.NATIVE;
import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.S;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import jdk.incubator.vector.FloatVector;

/**
 * The atom convolution of one tile, {@code Z[c*M + m][.] = sum_u D[q][u][m] * X[c][u][.]}, for the forward and the
 * backward (which keeps {@code Z} for the coefficient gradient). {@code D} is packed per vector of pixels and
 * tap-major by {@link AcdaForwardVector#atoms}: vector {@code (q, u, m)} at float {@code q*qStride + u*uStride + m*L}
 * with {@code uStride = paddedAtoms * L} and {@code qStride = K*K * uStride}, so that a tap's six atoms are six
 * consecutive vectors and one vector's atoms one block that stays in L1. Element {@code (j, p)} of {@code Z} goes to
 * {@code z[zBase + j * zRow + p]}.
 *
 * <p>Register-blocked as four input channels by six atoms by one vector of pixels (24 accumulators; per tap six atom
 * loads and four input loads for 24 FMAs), or with 16 vector registers ({@link VectorGemm#FEW_REGISTERS}) two
 * channels by six atoms (12 accumulators, the tap's two input vectors held and its six atoms loaded one at a time:
 * 15 registers), the atom count padded to a multiple of 6 with zero atoms (never stored). Loops: blocks of
 * {@link #CHANNEL_BLOCK} channels, then the vectors of the tile, then the groups of the block, so that a vector's
 * atoms are read from L1 for every group of the block and a group's input rows from L1 for every vector. Channels
 * left over go one at a time. Each {@code Z} element is the same sum over {@code u}, in order from zero, whatever
 * the blocking, the register count or the caller.
 */
final class AtomConvolution {

    /** Input channels per block: the block's input rows and one vector's atoms share L1. */
    static final int CHANNEL_BLOCK = 8;

    private static final long VECTOR_BYTES = (long) L * Float.BYTES;

    private AtomConvolution() {
    }

    /**
     * A zeroed buffer for one tile's atoms in the layout above ({@code NW/L} vectors, {@code K*K} taps,
     * {@code paddedAtoms} atoms; the padded atoms stay zero), off-heap and 64-byte aligned, so that no vector of it
     * crosses a cache line.
     */
    static MemorySegment atomsFor(AcdaForwardVector.Shape sh) {
        return atomsFor(sh, 1);
    }

    /** {@link #atomsFor} for {@code tiles} tiles side by side, {@link #tileFloats} apart. */
    static MemorySegment atomsFor(AcdaForwardVector.Shape sh, int tiles) {
        return Arena.ofAuto().allocate((long) tiles * tileFloats(sh) * Float.BYTES, 64);
    }

    /** Floats of one tile's atoms ({@code NW/L} vectors of {@code K*K} taps of {@code paddedAtoms} atoms). */
    static int tileFloats(AcdaForwardVector.Shape sh) {
        return sh.paddedAtoms * sh.cfg.taps() * VectorGemm.NW;
    }

    /**
     * One tile: {@code vectors} vectors of pixels whose input starts at {@code xBase} in {@code xph} (the padded input
     * of {@code sh}). Where {@link AcdaForwardVector.Shape#copyInputBlocks}, each block's input rows are first copied
     * next to each other into {@code xBlock} ({@code CHANNEL_BLOCK * packedChannel} floats).
     */
    static void tile(AcdaForwardVector.Shape sh, boolean few, float[] xph, int xBase, MemorySegment d, int vectors,
                     float[] xBlock, float[] z, int zBase, int zRow) {
        tile(sh, few, xph, xBase, d, vectors, xBlock, z, zBase, zRow, 0, sh.cfg.inChannels());
    }

    /**
     * {@link #tile} for the input channels {@code [cFrom, cTo)} only ({@code cFrom} a multiple of
     * {@link #CHANNEL_BLOCK}); their {@code Z} rows go where {@link #tile} puts them, so {@code zBase} may be negative
     * when only the range's rows have room (row {@code c*M + m} at {@code zBase + (c*M + m) * zRow}).
     */
    static void tile(AcdaForwardVector.Shape sh, boolean few, float[] xph, int xBase, MemorySegment d, int vectors,
                     float[] xBlock, float[] z, int zBase, int zRow, int cFrom, int cTo) {
        tile(sh, few, xph, xBase, d, 0, vectors, xBlock, z, zBase, zRow, cFrom, cTo);
    }

    /**
     * {@link #tile} with the tile's atoms at float {@code dBase} of {@code d} (the backward keeps every tile's atoms of
     * an image side by side, {@link #tileFloats} apart).
     */
    static void tile(AcdaForwardVector.Shape sh, boolean few, float[] xph, int xBase, MemorySegment d, int dBase,
                     int vectors, float[] xBlock, float[] z, int zBase, int zRow, int cFrom, int cTo) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int uStride = sh.paddedAtoms * L;
        int qStride = taps * uStride;
        int cStride = sh.input.channelStride();
        int zChannel = atoms * zRow;
        int group = few ? 2 : 4;
        int grouped = cFrom + (cTo - cFrom) / group * group;
        int pc = sh.packedChannel;
        for (int cb = cFrom; cb < grouped; cb += CHANNEL_BLOCK) {
            int cEnd = Math.min(grouped, cb + CHANNEL_BLOCK);
            float[] x = xph;
            int[] uOff = sh.atomOff;
            int xb = xBase + cb * cStride;
            int xs = cStride;
            if (sh.copyInputBlocks) {
                for (int c = cb; c < cEnd; c++) {
                    int src = xBase + c * cStride;
                    int dst = (c - cb) * pc;
                    for (int k = 0; k < sh.segStart.length; k++) {
                        System.arraycopy(xph, src + sh.segStart[k], xBlock, dst + sh.segPos[k], sh.segLen[k]);
                    }
                }
                x = xBlock;
                uOff = sh.atomOffPacked;
                xb = 0;
                xs = pc;
            }
            for (int q = 0; q < vectors; q++) {
                for (int c = cb; c < cEnd; c += group) {
                    int xc = xb + (c - cb) * xs + q * L;
                    int za = zBase + c * zChannel + q * L;
                    if (few) {
                        twoChannels(atoms, taps, uStride, d, dBase + q * qStride, x, uOff, xc, xs, z, za, zRow,
                                zChannel);
                    } else {
                        fourChannels(atoms, taps, uStride, d, dBase + q * qStride, x, uOff, xc, xs, z, za, zRow,
                                zChannel);
                    }
                }
            }
        }
        for (int c = grouped; c < cTo; c++) {
            for (int q = 0; q < vectors; q++) {
                oneChannel(atoms, taps, uStride, d, dBase + q * qStride, xph, sh.atomOff,
                        xBase + c * cStride + q * L, z,
                        zBase + c * zChannel + q * L, zRow);
            }
        }
    }

    /**
     * Two channels (inputs from {@code xc} and {@code xc + cStride}, taps at {@code uOff}) by six atoms by one vector,
     * atoms from {@code dq}; channel {@code i}'s atom {@code m} to {@code z[za + i*zChannel + m*zRow ..]}.
     */
    private static void twoChannels(int atoms, int taps, int uStride, MemorySegment d, int dq, float[] x, int[] uOff,
                                    int xc, int cStride, float[] z, int za, int zRow, int zChannel) {
        int xc1 = xc + cStride;
        long uBytes = (long) uStride << 2;
        for (int m0 = 0; m0 < atoms; m0 += 6) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            FloatVector a4 = FloatVector.zero(S);
            FloatVector a5 = FloatVector.zero(S);
            FloatVector b0 = FloatVector.zero(S);
            FloatVector b1 = FloatVector.zero(S);
            FloatVector b2 = FloatVector.zero(S);
            FloatVector b3 = FloatVector.zero(S);
            FloatVector b4 = FloatVector.zero(S);
            FloatVector b5 = FloatVector.zero(S);
            long du = (long) (dq + m0 * L) << 2;
            for (int u = 0; u < taps; u++, du += uBytes) {
                int xo = uOff[u];
                FloatVector v = FloatVector.fromArray(S, x, xc + xo);
                FloatVector w = FloatVector.fromArray(S, x, xc1 + xo);
                FloatVector dv = FloatVector.fromMemorySegment(S, d, du, NATIVE);
                a0 = dv.fma(v, a0);
                b0 = dv.fma(w, b0);
                dv = FloatVector.fromMemorySegment(S, d, du + VECTOR_BYTES, NATIVE);
                a1 = dv.fma(v, a1);
                b1 = dv.fma(w, b1);
                dv = FloatVector.fromMemorySegment(S, d, du + 2 * VECTOR_BYTES, NATIVE);
                a2 = dv.fma(v, a2);
                b2 = dv.fma(w, b2);
                dv = FloatVector.fromMemorySegment(S, d, du + 3 * VECTOR_BYTES, NATIVE);
                a3 = dv.fma(v, a3);
                b3 = dv.fma(w, b3);
                dv = FloatVector.fromMemorySegment(S, d, du + 4 * VECTOR_BYTES, NATIVE);
                a4 = dv.fma(v, a4);
                b4 = dv.fma(w, b4);
                dv = FloatVector.fromMemorySegment(S, d, du + 5 * VECTOR_BYTES, NATIVE);
                a5 = dv.fma(v, a5);
                b5 = dv.fma(w, b5);
            }
            int n = Math.min(6, atoms - m0);
            int zm = za + m0 * zRow;
            int zb = zm + zChannel;
            a0.intoArray(z, zm);
            b0.intoArray(z, zb);
            if (n > 1) {
                a1.intoArray(z, zm + zRow);
                b1.intoArray(z, zb + zRow);
            }
            if (n > 2) {
                a2.intoArray(z, zm + 2 * zRow);
                b2.intoArray(z, zb + 2 * zRow);
            }
            if (n > 3) {
                a3.intoArray(z, zm + 3 * zRow);
                b3.intoArray(z, zb + 3 * zRow);
            }
            if (n > 4) {
                a4.intoArray(z, zm + 4 * zRow);
                b4.intoArray(z, zb + 4 * zRow);
            }
            if (n > 5) {
                a5.intoArray(z, zm + 5 * zRow);
                b5.intoArray(z, zb + 5 * zRow);
            }
        }
    }

    /** {@link #twoChannels} for four channels (24 accumulators: for 32 vector registers). */
    private static void fourChannels(int atoms, int taps, int uStride, MemorySegment d, int dq, float[] x, int[] uOff,
                                     int xc, int cStride, float[] z, int za, int zRow, int zChannel) {
        int xc1 = xc + cStride;
        int xc2 = xc1 + cStride;
        int xc3 = xc2 + cStride;
        long uBytes = (long) uStride << 2;
        for (int m0 = 0; m0 < atoms; m0 += 6) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            FloatVector a4 = FloatVector.zero(S);
            FloatVector a5 = FloatVector.zero(S);
            FloatVector b0 = FloatVector.zero(S);
            FloatVector b1 = FloatVector.zero(S);
            FloatVector b2 = FloatVector.zero(S);
            FloatVector b3 = FloatVector.zero(S);
            FloatVector b4 = FloatVector.zero(S);
            FloatVector b5 = FloatVector.zero(S);
            FloatVector e0 = FloatVector.zero(S);
            FloatVector e1 = FloatVector.zero(S);
            FloatVector e2 = FloatVector.zero(S);
            FloatVector e3 = FloatVector.zero(S);
            FloatVector e4 = FloatVector.zero(S);
            FloatVector e5 = FloatVector.zero(S);
            FloatVector f0 = FloatVector.zero(S);
            FloatVector f1 = FloatVector.zero(S);
            FloatVector f2 = FloatVector.zero(S);
            FloatVector f3 = FloatVector.zero(S);
            FloatVector f4 = FloatVector.zero(S);
            FloatVector f5 = FloatVector.zero(S);
            long du = (long) (dq + m0 * L) << 2;
            for (int u = 0; u < taps; u++, du += uBytes) {
                FloatVector d0 = FloatVector.fromMemorySegment(S, d, du, NATIVE);
                FloatVector d1 = FloatVector.fromMemorySegment(S, d, du + VECTOR_BYTES, NATIVE);
                FloatVector d2 = FloatVector.fromMemorySegment(S, d, du + 2 * VECTOR_BYTES, NATIVE);
                FloatVector d3 = FloatVector.fromMemorySegment(S, d, du + 3 * VECTOR_BYTES, NATIVE);
                FloatVector d4 = FloatVector.fromMemorySegment(S, d, du + 4 * VECTOR_BYTES, NATIVE);
                FloatVector d5 = FloatVector.fromMemorySegment(S, d, du + 5 * VECTOR_BYTES, NATIVE);
                int xo = uOff[u];
                FloatVector v = FloatVector.fromArray(S, x, xc + xo);
                a0 = d0.fma(v, a0);
                a1 = d1.fma(v, a1);
                a2 = d2.fma(v, a2);
                a3 = d3.fma(v, a3);
                a4 = d4.fma(v, a4);
                a5 = d5.fma(v, a5);
                v = FloatVector.fromArray(S, x, xc1 + xo);
                b0 = d0.fma(v, b0);
                b1 = d1.fma(v, b1);
                b2 = d2.fma(v, b2);
                b3 = d3.fma(v, b3);
                b4 = d4.fma(v, b4);
                b5 = d5.fma(v, b5);
                v = FloatVector.fromArray(S, x, xc2 + xo);
                e0 = d0.fma(v, e0);
                e1 = d1.fma(v, e1);
                e2 = d2.fma(v, e2);
                e3 = d3.fma(v, e3);
                e4 = d4.fma(v, e4);
                e5 = d5.fma(v, e5);
                v = FloatVector.fromArray(S, x, xc3 + xo);
                f0 = d0.fma(v, f0);
                f1 = d1.fma(v, f1);
                f2 = d2.fma(v, f2);
                f3 = d3.fma(v, f3);
                f4 = d4.fma(v, f4);
                f5 = d5.fma(v, f5);
            }
            int n = Math.min(6, atoms - m0);
            int zm = za + m0 * zRow;
            int zb = zm + zChannel;
            int ze = zb + zChannel;
            int zf = ze + zChannel;
            // Stores in row order; rows of padded (zero) atoms are not stored.
            a0.intoArray(z, zm);
            b0.intoArray(z, zb);
            e0.intoArray(z, ze);
            f0.intoArray(z, zf);
            if (n > 1) {
                a1.intoArray(z, zm + zRow);
                b1.intoArray(z, zb + zRow);
                e1.intoArray(z, ze + zRow);
                f1.intoArray(z, zf + zRow);
            }
            if (n > 2) {
                a2.intoArray(z, zm + 2 * zRow);
                b2.intoArray(z, zb + 2 * zRow);
                e2.intoArray(z, ze + 2 * zRow);
                f2.intoArray(z, zf + 2 * zRow);
            }
            if (n > 3) {
                a3.intoArray(z, zm + 3 * zRow);
                b3.intoArray(z, zb + 3 * zRow);
                e3.intoArray(z, ze + 3 * zRow);
                f3.intoArray(z, zf + 3 * zRow);
            }
            if (n > 4) {
                a4.intoArray(z, zm + 4 * zRow);
                b4.intoArray(z, zb + 4 * zRow);
                e4.intoArray(z, ze + 4 * zRow);
                f4.intoArray(z, zf + 4 * zRow);
            }
            if (n > 5) {
                a5.intoArray(z, zm + 5 * zRow);
                b5.intoArray(z, zb + 5 * zRow);
                e5.intoArray(z, ze + 5 * zRow);
                f5.intoArray(z, zf + 5 * zRow);
            }
        }
    }

    /** {@link #twoChannels} for one channel: six accumulators. */
    private static void oneChannel(int atoms, int taps, int uStride, MemorySegment d, int dq, float[] x, int[] uOff,
                                   int xc, float[] z, int za, int zRow) {
        long uBytes = (long) uStride << 2;
        for (int m0 = 0; m0 < atoms; m0 += 6) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            FloatVector a4 = FloatVector.zero(S);
            FloatVector a5 = FloatVector.zero(S);
            long du = (long) (dq + m0 * L) << 2;
            for (int u = 0; u < taps; u++, du += uBytes) {
                FloatVector v = FloatVector.fromArray(S, x, xc + uOff[u]);
                a0 = FloatVector.fromMemorySegment(S, d, du, NATIVE).fma(v, a0);
                a1 = FloatVector.fromMemorySegment(S, d, du + VECTOR_BYTES, NATIVE).fma(v, a1);
                a2 = FloatVector.fromMemorySegment(S, d, du + 2 * VECTOR_BYTES, NATIVE).fma(v, a2);
                a3 = FloatVector.fromMemorySegment(S, d, du + 3 * VECTOR_BYTES, NATIVE).fma(v, a3);
                a4 = FloatVector.fromMemorySegment(S, d, du + 4 * VECTOR_BYTES, NATIVE).fma(v, a4);
                a5 = FloatVector.fromMemorySegment(S, d, du + 5 * VECTOR_BYTES, NATIVE).fma(v, a5);
            }
            int n = Math.min(6, atoms - m0);
            int zm = za + m0 * zRow;
            a0.intoArray(z, zm);
            if (n > 1) {
                a1.intoArray(z, zm + zRow);
            }
            if (n > 2) {
                a2.intoArray(z, zm + 2 * zRow);
            }
            if (n > 3) {
                a3.intoArray(z, zm + 3 * zRow);
            }
            if (n > 4) {
                a4.intoArray(z, zm + 4 * zRow);
            }
            if (n > 5) {
                a5.intoArray(z, zm + 5 * zRow);
            }
        }
    }
}
