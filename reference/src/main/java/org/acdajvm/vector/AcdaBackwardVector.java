package org.acdajvm.vector;

import static org.acdajvm.vector.AcdaForwardVector.NATIVE;
import static org.acdajvm.vector.VectorGemm.ALIGNED_START;
import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.NW;
import static org.acdajvm.vector.VectorGemm.S;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Map;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import org.acdajvm.backend.AcdaGradients;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * The ACDA backward on the JDK Vector API, float32, multi-threaded: the derivative of the two-layer
 * form (DESIGN sections 5 and 6), with the forward's intermediates recomputed on the forward's own
 * buffers and offset tables ({@link AcdaForwardVector.Shape}), so that every stride, dilation and
 * padding is handled by the same code.
 *
 * <p>Per image, in phases (each a parallel loop; a phase starts when the previous one is complete):
 * <ol>
 *   <li>the padded input {@code xph}; {@code dy} with zero tails ({@code dyT}) and transposed
 *       ({@code dyTT}, pixels by channels); generator conv 1 in centred form
 *       {@code c1 = (g1 - mean1)/sigma1} (kept for BatchNorm's gradient) and
 *       {@code e1 = tanh(gamma1 c1 + beta1)} into the padded {@code e1p};</li>
 *   <li>per band of output rows, tile by tile ({@code NW = 4L} pixels, the last of a row with the
 *       {@code 2L} kernels when it has at most {@code 2L} pixels, as the forward): {@code c2}, {@code G},
 *       the atoms {@code D}, for {@code dcoef} either the atoms kept or the atom convolution {@code Z} kept
 *       ({@link #keepsAtoms}), {@code dZ = coef^T dy}, {@code dD[m,u] = sum_c dZ[c,m] x[c,u]}, the direct path
 *       {@code dxp[c,u] += sum_m dZ[c,m] D[m,u]}, {@code dG = Psi dD}, {@code da2 = dG (1 - G^2)}
 *       (kept, transposed), and {@code de1p += (W2 scale2)^T da2} scattered to the taps conv 2 read;</li>
 *   <li>the bands' {@code de1p} summed (and folded back through circular padding);
 *       {@code da1 = de1 (1 - e1^2)} (kept, transposed), and {@code dxp += (W1 scale1)^T da1} scattered
 *       to the taps conv 1 read;</li>
 *   <li>the bands' {@code dxp} summed and folded into {@code dx} (the adjoint of the padded copy);
 *       the weight gradients, transposed, as products over the image's pixels with the gradient's
 *       columns in the vector lanes ({@link VectorGemm#gradBlockWide}): {@code dcoef^T = Z dyTT}, with
 *       {@code Z} made again from the kept atoms, a block of pixels at a time, where it is read ({@link #dcoef}),
 *       or read from the kept {@code Z},
 *       {@code dW2^T = e1p-taps da2TT}, {@code dW1^T = xp-taps da1TT}; the per-channel sums.</li>
 * </ol>
 *
 * <p>Summation orders (all fixed): every element of a matrix product is one chain of FMAs over its
 * inner dimension in ascending order, whichever kernel width computes it. A weight gradient's sum over
 * an image's pixels is cut into blocks of whole output rows (about {@code Buffers.GRAD_PIXELS} pixels,
 * fixed by the shape), each block one FMA chain from zero in row-major pixel order, the blocks added in
 * row order, then the image added to the gradient; so the weight gradients of given {@code da1},
 * {@code da2} and {@code Z} do not depend on how the row blocks are split between threads. The
 * BatchNorm sums add one lane sum per {@code 2L} columns, in column order per band. Scatters cross band
 * boundaries, so every band adds into its own copy of {@code dxp} and {@code de1p} (only the rows its
 * taps reach are cleared and summed) in tile order, within a tile in the fixed tap and row orders of
 * {@link #directPath} and {@link VectorGemm#blockAddToWide} (rows tap-major); the copies are summed in
 * band order. With the band count fixed by the thread count, the result does not depend on scheduling:
 * a fixed thread count gives the same bits on every call (different thread counts can differ in the
 * last bits of {@code dx} and, through {@code da1}, of what depends on it).
 *
 * <p>Packed weights are cached per layer and every buffer per shape, so a steady stream of calls of
 * one shape allocates only the returned gradients. Not thread-safe: one instance per calling thread.
 */
public final class AcdaBackwardVector implements AutoCloseable {

    /** The stages of the backward, for {@link #stageNanos()}. */
    public enum Stage {
        /** The padded input, {@code dy} with zero tails, circular wraps. */
        PAD,
        /** Generator conv 1 recomputed, with BatchNorm and tanh. */
        GENERATOR_CONV1,
        /** Generator conv 2 recomputed, with BatchNorm and tanh. */
        GENERATOR_CONV2,
        /** Atoms recomputed. */
        ATOMS,
        /** Atom convolution {@code Z} recomputed. */
        ATOM_CONV,
        /** {@code dZ = coef^T dy}. */
        DZ,
        /** {@code dD = dZ x}. */
        ATOM_GRADIENT,
        /** The direct path {@code dxp += dZ D}. */
        DIRECT_PATH,
        /** {@code dG = Psi dD}, {@code da2}, BatchNorm 2's sums. */
        DG,
        /** {@code de1p += (W2 scale2)^T da2}. */
        CONV2_INPUT,
        /** {@code da1}, BatchNorm 1's sums, {@code dxp += (W1 scale1)^T da1}. */
        CONV1_INPUT,
        /** Band copies summed, folds through the padding. */
        BAND_SUMS,
        /** {@code dcoef = dy Z^T}. */
        DCOEF,
        /** {@code dW2}. */
        DW2,
        /** {@code dW1}. */
        DW1,
        /** The bias gradient and per-channel sums. */
        BIAS
    }

    private final RowParallel rows;
    /** Kernels for 16 vector registers ({@link VectorGemm#FEW_REGISTERS}). */
    private final boolean fewRegisters;
    /** Whether the atom convolution may copy its input ({@link AcdaForwardVector#COPY_INPUT}). */
    private final boolean copyInput;
    private boolean profiling;
    /** Thread time per stage of the serial parts, indexed by {@link Stage#ordinal()}. */
    private final StageClock serial = new StageClock(Stage.values().length);
    private AcdaLayer cachedLayer;
    private Packed packed;
    private AcdaForwardVector.Shape shape;
    private Buffers buf;
    private Workspace[] workspaces;
    private long allocations;
    /** Null: {@link #keepsAtoms} decides; otherwise whether {@code dcoef}'s {@code Z} is made from kept atoms. */
    private Boolean zFromAtoms;

    /** A backward with {@code threads} worker threads (1 runs everything on the calling thread). */
    public AcdaBackwardVector(int threads) {
        this(threads, VectorGemm.FEW_REGISTERS);
    }

    /**
     * With {@code fewRegisters}, the kernels for 16 vector registers ({@link VectorGemm#FEW_REGISTERS}) whatever
     * the machine (the tests compare both: the same bits).
     */
    AcdaBackwardVector(int threads, boolean fewRegisters) {
        this(threads, fewRegisters, AcdaForwardVector.COPY_INPUT);
    }

    /**
     * With {@code copyInput}, the atom convolution copies the input of wide layers block by block whatever the
     * machine ({@link AcdaForwardVector#COPY_INPUT}; the tests compare both: the same bits).
     */
    AcdaBackwardVector(int threads, boolean fewRegisters, boolean copyInput) {
        this.rows = new RowParallel(threads);
        this.fewRegisters = fewRegisters;
        this.copyInput = copyInput;
    }

    public int threads() {
        return rows.threads();
    }

    /**
     * For the tests: {@code dcoef}'s {@code Z} made again from the kept atoms ({@code true}), kept whole from phase 2
     * ({@code false}), or as {@link #keepsAtoms} decides ({@code null}). The same bits either way.
     */
    void zFromAtoms(Boolean force) {
        zFromAtoms = force;
        shape = null;
    }

    /**
     * Whether the backward keeps every tile's atoms for {@code dcoef} and makes {@code Z} again from them in the last
     * phase ({@link #dcoef}), rather than keeping the image's {@code Z}: where {@code Z} ({@code C*M} floats a pixel)
     * is more than twice the atoms ({@code paddedAtoms*K*K}). Re-reading the atoms costs about what writing and
     * reading {@code Z} costs where the two are near in size (resnet-k7: 384 against 294), and much less where
     * {@code Z} is larger (bench/TUNING.md, fourteenth session).
     */
    static boolean keepsAtoms(AcdaForwardVector.Shape sh) {
        return (long) sh.cfg.inChannels() * sh.cfg.atoms() > 2L * sh.paddedAtoms * sh.cfg.taps();
    }

    /** Number of buffer (re)allocations so far: constant in a steady stream of calls of one shape. */
    public long allocations() {
        return allocations;
    }

    /**
     * Turns per-stage timing on or off (off by default: it adds two clock reads per stage and tile).
     * Times are the wall times of the threads that ran each stage ({@code StageClock}), summed over all threads, reset by
     * this call.
     */
    public void profile(boolean on) {
        profiling = on;
        serial.reset();
        if (workspaces != null) {
            for (Workspace w : workspaces) {
                w.clock.reset();
            }
        }
    }

    /** Nanoseconds the threads spent per stage since {@link #profile(boolean)} turned profiling on. */
    public long[] stageNanos() {
        long[] r = new long[Stage.values().length];
        serial.addTo(r);
        if (workspaces != null) {
            for (Workspace w : workspaces) {
                w.clock.addTo(r);
            }
        }
        return r;
    }

    /** With profiling on, charges the time since {@code since} to {@code stage}; returns the new start. */
    private long lap(StageClock clock, Stage stage, long since) {
        return profiling ? clock.lap(stage.ordinal(), since) : 0;
    }

    private long start() {
        return profiling ? StageClock.now() : 0;
    }

    /**
     * Backward of {@code layer} at {@code x} for the upstream gradient {@code dy}.
     *
     * @param x  input {@code [N, C, H, W]} (not modified)
     * @param dy upstream gradient {@code [N, O, H', W']} (not modified)
     * @return new tensors keyed as {@link AcdaGradients#keys}: {@code dL/dx} {@code [N, C, H, W]}, then
     *         every learned parameter's gradient in its parameter's shape
     */
    public Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        AcdaConfig cfg = layer.config();
        AcdaGradients.checkArguments(layer, x, dy);
        if (layer != cachedLayer) {
            packed = new Packed(layer);
            cachedLayer = layer;
        }
        AcdaForwardVector.Shape sh = new AcdaForwardVector.Shape(cfg, x.dim(2), x.dim(3), false, copyInput);
        if (!sh.equals(shape)) {
            shape = sh;
            boolean keepAtoms = zFromAtoms != null ? zFromAtoms : keepsAtoms(sh);
            buf = new Buffers(sh, Math.min(sh.outH, 2 * rows.threads()), keepAtoms);
            workspaces = new Workspace[rows.threads()];
            for (int i = 0; i < workspaces.length; i++) {
                workspaces[i] = new Workspace(sh, fewRegisters, keepAtoms);
            }
            allocations++;
        }
        Map<String, Tensor> grads = AcdaGradients.zeros(cfg, x.shape());
        Grads g = new Grads(grads, cfg);
        for (int n = 0; n < x.dim(0); n++) {
            image(packed, sh, buf, x.data(), dy.data(), n, g);
        }
        // Per-channel sums, added in band order.
        for (Band band : buf.bands) {
            for (int j = 0; j < cfg.generatorChannels(); j++) {
                g.dbeta2[j] += band.sumDa2[j];
                g.dgamma2[j] += band.sumDa2c2[j];
            }
            for (int i = 0; i < cfg.interChannels(); i++) {
                g.dbeta1[i] += band.sumDa1[i];
                g.dgamma1[i] += band.sumDa1c1[i];
            }
        }
        for (int j = 0; j < cfg.generatorChannels(); j++) {
            g.db2[j] = g.dbeta2[j] * packed.scale2[j];
        }
        for (int i = 0; i < cfg.interChannels(); i++) {
            g.db1[i] = g.dbeta1[i] * packed.scale1[i];
        }
        for (Band band : buf.bands) {
            band.clearSums();
        }
        return grads;
    }

    private void image(Packed p, AcdaForwardVector.Shape sh, Buffers b, float[] x, float[] dy, int n, Grads g) {
        AcdaConfig cfg = sh.cfg;
        int outC = cfg.outChannels();
        int inter = cfg.interChannels();
        int tw = b.tw;
        int planeT = b.planeT;
        int planeY = sh.outH * sh.outW;

        // Phase 1: the padded input, dy with zero tails, generator conv 1.
        rows.run(cfg.inChannels(), workspaces, (c0, c1, ws) -> {
            long t = start();
            for (int c = c0; c < c1; c++) {
                sh.input.fillChannel(b.xph, x, n, c, cfg.padding());
            }
            lap(ws.clock, Stage.PAD, t);
        });
        rows.run(outC, workspaces, (o0, o1, ws) -> {
            long t = start();
            for (int o = o0; o < o1; o++) {
                for (int h = 0; h < sh.outH; h++) {
                    int src = (n * outC + o) * planeY + h * sh.outW;
                    int dst = o * planeT + h * tw;
                    System.arraycopy(dy, src, b.dyT, dst, sh.outW);
                    Arrays.fill(b.dyT, dst + sh.outW, dst + tw, 0f);
                }
            }
            lap(ws.clock, Stage.PAD, t);
        });
        rows.run(sh.outH, workspaces, (r0, r1, ws) -> {
            long t = start();
            int ld = b.ldO;
            // L pixels at a time: each channel's L values copied as one vector into a per-thread block, then
            // written out pixel by pixel, channels contiguous (the strided side of the transpose stays in L1).
            float[] blk = ws.transpose;
            for (int h = r0; h < r1; h++) {
                for (int w0 = 0; w0 < sh.outW; w0 += L) {
                    int cnt = Math.min(L, sh.outW - w0);
                    VectorMask<Float> mask = S.indexInRange(0, cnt);
                    int src = n * outC * planeY + h * sh.outW + w0;
                    for (int o = 0; o < outC; o++, src += planeY) {
                        FloatVector.fromArray(S, dy, src, mask).intoArray(blk, o * L);
                    }
                    int dst = ALIGNED_START + (h * sh.outW + w0) * ld;
                    for (int w = 0; w < cnt; w++, dst += ld) {
                        for (int o = 0; o < outC; o++) {
                            b.dyTT[dst + o] = blk[o * L + w];
                        }
                    }
                }
            }
            lap(ws.clock, Stage.PAD, t);
        });
        rows.run(sh.outH, workspaces, (r0, r1, ws) -> {
            long t = start();
            for (int h = r0; h < r1; h++) {
                generatorConv1Row(p, sh, b, h, ws);
            }
            lap(ws.clock, Stage.GENERATOR_CONV1, t);
        });
        if (cfg.padding() == PaddingMode.CIRCULAR) {
            long t = start();
            wrapE1(sh, b.e1p);
            lap(serial, Stage.PAD, t);
        }

        // Phase 2: per band, the forward's tiles and the backward down to da2 and de1p.
        rows.run(b.bands.length, workspaces, (b0, b1, ws) -> {
            for (int bi = b0; bi < b1; bi++) {
                Band band = b.bands[bi];
                long t = start();
                // Only the rows a band's scatters reach are cleared and, below, summed.
                int cs = sh.input.channelStride();
                for (int c = 0; c < cfg.inChannels(); c++) {
                    Arrays.fill(band.dxph, c * cs + band.xLo, c * cs + band.xHi, 0f);
                }
                int pe = (sh.outH + 2) * sh.we;
                for (int i = 0; i < inter; i++) {
                    Arrays.fill(band.de1p, i * pe + band.eLo, i * pe + band.eHi, 0f);
                }
                lap(ws.clock, Stage.BAND_SUMS, t);
                for (int h = band.h0; h < band.h1; h++) {
                    for (int w0 = 0; w0 < sh.outW; w0 += NW) {
                        tileDown(p, sh, b, band, ws, h, w0);
                    }
                }
            }
        });

        // Phase 3: de1p summed over bands (and folded back through circular padding); da1 and the generator path into dxp.
        int planeE = (sh.outH + 2) * sh.we;
        rows.run(inter, workspaces, (i0, i1, ws) -> {
            long t = start();
            for (int i = i0; i < i1; i++) {
                int base = i * planeE;
                Arrays.fill(b.de1p, base, base + planeE, 0f);
                for (Band band : b.bands) {
                    addInto(b.de1p, band.de1p, base + band.eLo, band.eHi - band.eLo);
                }
                if (cfg.padding() == PaddingMode.CIRCULAR) {
                    unwrapE1(sh, b.de1p, base);
                }
            }
            lap(ws.clock, Stage.BAND_SUMS, t);
        });
        rows.run(b.bands.length, workspaces, (b0, b1, ws) -> {
            long t = start();
            for (int bi = b0; bi < b1; bi++) {
                Band band = b.bands[bi];
                for (int h = band.h0; h < band.h1; h++) {
                    for (int w0 = 0; w0 < sh.outW; w0 += NW) {
                        tileGenerator1(p, sh, b, band, ws, h, w0);
                    }
                }
            }
            lap(ws.clock, Stage.CONV1_INPUT, t);
        });

        // Phase 4: dx (bands summed, folded through the padding), then every weight gradient as a sum over all pixels.
        int cStride = sh.input.channelStride();
        float[] dx = g.dx;
        rows.run(cfg.inChannels(), workspaces, (c0, c1, ws) -> {
            long t = start();
            for (int c = c0; c < c1; c++) {
                int base = c * cStride;
                Arrays.fill(b.xph2, base, base + cStride, 0f);
                for (Band band : b.bands) {
                    addInto(b.xph2, band.dxph, base + band.xLo, band.xHi - band.xLo);
                }
                foldChannel(sh, b.xph2, dx, n, c);
            }
            lap(ws.clock, Stage.BAND_SUMS, t);
        });
        int cm = cfg.inChannels() * cfg.atoms();
        rows.run(VectorGemm.blocks(cm), workspaces, (q0, q1, ws) -> {
            long t = start();
            if (b.dFull != null) {
                t = dcoef(sh, b, ws, q0, q1, t);
            } else {
                weightGradient(b.zFull, b.rowOffZ, 0, cm * sh.outW, cm, b.dyTT, b.ldO, sh, b.gradRows, q0, q1, b.dcT,
                        ws.few);
            }
            addTransposed(b.dcT, b.ldO, q0 * MR, Math.min(cm, q1 * MR), outC, null, g.dcoef);
            lap(ws.clock, Stage.DCOEF, t);
        });
        int rows2 = inter * 9;
        rows.run(VectorGemm.blocks(rows2), workspaces, (q0, q1, ws) -> {
            long t = start();
            weightGradient(b.e1p, sh.conv2Off, 0, sh.we, rows2, b.da2TT, b.ldG, sh, b.gradRows, q0, q1, b.dw2T, ws.few);
            addTransposed(b.dw2T, b.ldG, q0 * MR, Math.min(rows2, q1 * MR), cfg.generatorChannels(), p.scale2, g.dw2);
            lap(ws.clock, Stage.DW2, t);
        });
        int rows1 = cfg.inChannels() * cfg.generatorKernel() * cfg.generatorKernel();
        rows.run(VectorGemm.blocks(rows1), workspaces, (q0, q1, ws) -> {
            long t = start();
            weightGradient(b.xph, sh.conv1Off, sh.input.base(0, 0), b.xRow, rows1, b.da1TT, b.ldI, sh, b.gradRows,
                    q0, q1, b.dw1T, ws.few);
            addTransposed(b.dw1T, b.ldI, q0 * MR, Math.min(rows1, q1 * MR), inter, p.scale1, g.dw1);
            lap(ws.clock, Stage.DW1, t);
        });
        long tb = start();
        for (int o = 0; o < outC; o++) {
            float acc = 0f;
            for (int h = 0; h < sh.outH; h++) {
                int r = (n * outC + o) * planeY + h * sh.outW;
                for (int w = 0; w < sh.outW; w++) {
                    acc += dy[r + w];
                }
            }
            g.dbias[o] += acc;
        }
        lap(serial, Stage.BIAS, tb);
    }

    /**
     * The transposed weight gradient {@code cT[q][j] = sum_p A[q][p] B[p][j]} for the rows of blocks
     * {@code [q0, q1)} of A, every column of B ({@code ldb}, a multiple of {@code L}, zero past the valid ones),
     * over every output pixel: the pixels in blocks of {@code hb} output rows (fixed by the shape), each block's sum
     * one chain of FMAs ({@link VectorGemm#gradBlockWide}), the blocks added in row order. For each block of pixels,
     * the six rows of A (a few KB) stay in L1 while the B panel of the block (all columns) stays in L2.
     */
    private static void weightGradient(float[] a, int[] aOff, int aBase, int aStride, int rowsA, float[] bT, int ldb,
                                       AcdaForwardVector.Shape sh, int hb, int q0, int q1, float[] cT, boolean few) {
        Arrays.fill(cT, q0 * MR * ldb, Math.min(rowsA, q1 * MR) * ldb, 0f);
        for (int h0 = 0; h0 < sh.outH; h0 += hb) {
            int h1 = Math.min(sh.outH, h0 + hb);
            for (int q = q0; q < q1; q++) {
                gradRowBlock(a, aOff, aBase, aStride, q, rowsA, bT, ldb, sh, h0, h1, cT, few);
            }
        }
    }

    /** Block {@code q} of rows of {@code cT} += its sum over output rows {@code [h0, h1)}, every column. */
    private static void gradRowBlock(float[] a, int[] aOff, int aBase, int aStride, int q, int rowsA, float[] bT,
                                     int ldb, AcdaForwardVector.Shape sh, int h0, int h1, float[] cT, boolean few) {
        int bStride = sh.outW * ldb;
        int col0 = 0;
        if (few) {
            for (; col0 < ldb; col0 += NR) {
                VectorGemm.gradBlock2(a, aOff, aBase, aStride, q * MR, rowsA, bT, ALIGNED_START, bStride, ldb,
                        h0, h1, sh.outW, cT, ldb, col0, Math.min(2, (ldb - col0) / L));
            }
        }
        for (; col0 + NW <= ldb; col0 += NW) {
            VectorGemm.gradBlockWide(a, aOff, aBase, aStride, q * MR, rowsA, bT, ALIGNED_START, bStride, ldb,
                    h0, h1, sh.outW, cT, ldb, col0);
        }
        if (col0 < ldb) {
            VectorGemm.gradBlock3(a, aOff, aBase, aStride, q * MR, rowsA, bT, ALIGNED_START, bStride, ldb,
                    h0, h1, sh.outW, cT, ldb, col0, (ldb - col0) / L);
        }
    }

    /** About how many bytes of {@code Z} one chunk of {@link #dcoef} makes for a block of pixels: half an L2. */
    private static final int DCOEF_CHUNK_BYTES = 1 << 20;

    /**
     * Blocks of six rows of {@code Z} per chunk of {@link #dcoef}: as many as fill {@link #DCOEF_CHUNK_BYTES} for a
     * block of pixels, at least 16. Each chunk reads every atom of the block's tiles again.
     */
    static int dcoefChunkBlocks(AcdaForwardVector.Shape sh) {
        long rowBytes = (long) Buffers.gradRows(sh) * tiledWidth(sh) * Float.BYTES;
        return (int) Math.max(16, DCOEF_CHUNK_BYTES / rowBytes / MR);
    }

    /**
     * Input channels whose {@code Z} one chunk of {@link #dcoef} may need: the channels of its
     * {@link #dcoefChunkBlocks} blocks of rows, one more where the rows start inside a channel, and up to
     * {@code CHANNEL_BLOCK - 1} before them (the atom convolution starts at a multiple of its channel block).
     */
    static int dcoefChunkChannels(AcdaForwardVector.Shape sh) {
        int rows = dcoefChunkBlocks(sh) * MR;
        int atoms = sh.cfg.atoms();
        return Math.min(sh.cfg.inChannels(), (rows + atoms - 1) / atoms + 1 + AtomConvolution.CHANNEL_BLOCK - 1);
    }

    /**
     * {@code dcoef^T = Z dyTT} for the row blocks {@code [q0, q1)} of {@code Z} into {@link Buffers#dcT}, with
     * {@code Z} made block by block of pixels from the atoms phase 2 kept ({@link Buffers#dFull}): for each block of
     * {@link Buffers#gradRows} output rows and each chunk of {@link #dcoefChunkBlocks} row blocks, the atom
     * convolution of the chunk's channels over the block's tiles into {@link Workspace#zBlock}, then the chunk's
     * sums over the block. The same {@code Z} (the same kernel on the same atoms) and the same sums in the same
     * order as {@link #weightGradient} over a whole-image {@code Z}: the same bits. The atom convolution's time is
     * charged to {@link Stage#ATOM_CONV} and the sums' to {@link Stage#DCOEF} from {@code t}; returns the clock after
     * the last lap.
     */
    private long dcoef(AcdaForwardVector.Shape sh, Buffers b, Workspace ws, int q0, int q1, long t) {
        AcdaConfig cfg = sh.cfg;
        int atoms = cfg.atoms();
        int inC = cfg.inChannels();
        int cm = inC * atoms;
        int tw = b.tw;
        int hb = b.gradRows;
        int tileFloats = AtomConvolution.tileFloats(sh);
        int chunk = dcoefChunkBlocks(sh);
        Arrays.fill(b.dcT, q0 * MR * b.ldO, Math.min(cm, q1 * MR) * b.ldO, 0f);
        for (int h0 = 0; h0 < sh.outH; h0 += hb) {
            int h1 = Math.min(sh.outH, h0 + hb);
            for (int qa = q0; qa < q1; qa += chunk) {
                int qb = Math.min(q1, qa + chunk);
                int cA = qa * MR / atoms / AtomConvolution.CHANNEL_BLOCK * AtomConvolution.CHANNEL_BLOCK;
                int cB = Math.min(inC, (Math.min(cm, qb * MR) + atoms - 1) / atoms);
                int aStride = (cB - cA) * atoms * tw;
                t = lap(ws.clock, Stage.DCOEF, t);
                for (int h = h0; h < h1; h++) {
                    for (int w0 = 0; w0 < sh.outW; w0 += NW) {
                        int width = sh.outW - w0 > NR ? NW : NR;
                        AtomConvolution.tile(sh, ws.few, b.xph, sh.input.base(h, w0), b.dFull,
                                (h * b.tilesPerRow + w0 / NW) * tileFloats, width / L, ws.xBlock, ws.zBlock,
                                (h - h0) * aStride - cA * atoms * tw + w0, tw, cA, cB);
                    }
                }
                t = lap(ws.clock, Stage.ATOM_CONV, t);
                for (int q = qa; q < qb; q++) {
                    gradRowBlock(ws.zBlock, b.rowOffZ, -cA * atoms * tw - h0 * aStride, aStride, q, cm, b.dyTT,
                            b.ldO, sh, h0, h1, b.dcT, ws.few);
                }
            }
        }
        return t;
    }

    /** {@code out[j][q] += scale[j] cT[q][j]} for rows {@code q in [r0, r1)} of {@code cT} and {@code j < cols}. */
    private static void addTransposed(float[] cT, int ldc, int r0, int r1, int cols, float[] scale, float[] out) {
        int k = out.length / cols;
        for (int q = r0; q < r1; q++) {
            for (int j = 0; j < cols; j++) {
                float sc = scale == null ? 1f : scale[j];
                out[j * k + q] += sc * cT[q * ldc + j];
            }
        }
    }

    /** Generator conv 1 of output row {@code h}: {@code c1 = (g1 - mean1)/sigma1}, {@code e1 = tanh(gamma1 c1 + beta1)}. */
    private void generatorConv1Row(Packed p, AcdaForwardVector.Shape sh, Buffers b, int h, Workspace ws) {
        int inter = sh.cfg.interChannels();
        int rowBase = sh.input.base(h, 0);
        int planeE = (sh.outH + 2) * sh.we;
        for (int w0 = 0; w0 < sh.outW; w0 += NW) {
            boolean wide = sh.outW - w0 > NR;
            gemmTile(wide, p.w1, p.k1, b.xph, sh.conv1Off, rowBase + w0, p.invSigma1, p.centre1, inter, b.c1Full,
                    h * b.tw + w0, b.planeT, ws);
        }
        for (int w0 = 0; w0 < sh.outW; w0 += NR) {
            int cols = Math.min(NR, sh.outW - w0);
            VectorMask<Float> m0 = S.indexInRange(0, cols);
            VectorMask<Float> m1 = S.indexInRange(L, cols);
            for (int i = 0; i < inter; i++) {
                int src = i * b.planeT + h * b.tw + w0;
                activate(b.c1Full, src, p.gamma1[i], p.beta1[i], ws.scratch);
                int dst = i * planeE + (h + 1) * sh.we + w0 + 1;
                FloatVector.fromArray(S, ws.scratch, 0).intoArray(b.e1p, dst, m0);
                FloatVector.fromArray(S, ws.scratch, L).intoArray(b.e1p, dst + L, m1);
            }
        }
    }

    /** {@code out[0 .. NR) = tanh(gamma c[off ..] + beta)}. */
    private static void activate(float[] c, int off, float gamma, float beta, float[] out) {
        FloatVector gv = FloatVector.broadcast(S, gamma);
        FloatVector bv = FloatVector.broadcast(S, beta);
        FloatVector.fromArray(S, c, off).fma(gv, bv).intoArray(out, 0);
        FloatVector.fromArray(S, c, off + L).fma(gv, bv).intoArray(out, L);
        VectorMath.tanhInPlace(out, 0, 2);
    }

    /** Phase 2 for the tile of row {@code h}, columns {@code [w0, w0 + NW)} (the last of a row with the narrow kernel when it has at most {@code NR} pixels). */
    private void tileDown(Packed p, AcdaForwardVector.Shape sh, Buffers b, Band band, Workspace ws, int h, int w0) {
        AcdaConfig cfg = sh.cfg;
        int gen = cfg.generatorChannels();
        int bases = cfg.bases();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int outC = cfg.outChannels();
        int inC = cfg.inChannels();
        int cm = inC * atoms;
        int tileT = h * b.tw + w0;
        int cols = Math.min(NW, sh.outW - w0);
        boolean wide = cols > NR;
        int width = wide ? NW : NR;

        long t0 = start();
        // c2 = (g2 - mean2)/sigma2 and G = tanh(gamma2 c2 + beta2).
        int e1Base = h * sh.we + w0;
        gemmTile(wide, p.w2, p.k2, b.e1p, sh.conv2Off, e1Base, p.invSigma2, p.centre2, gen, ws.c2, 0, NW, ws);
        for (int j = 0; j < gen; j++) {
            for (int q = 0; q < width; q += NR) {
                activate(ws.c2, j * NW + q, p.gamma2[j], p.beta2[j], ws.scratch);
                System.arraycopy(ws.scratch, 0, ws.g, j * NW + q, NR);
            }
        }
        t0 = lap(ws.clock, Stage.GENERATOR_CONV2, t0);
        // Atoms: D[q][u][m] = sum_t Psi[t][u] G[m*T + t][q], by the forward's kernel, in the forward's layout.
        AcdaForwardVector.atoms(p.psiByTap, bases, taps, atoms, ws.g, ws.d, width / L, taps * sh.paddedAtoms * L,
                sh.paddedAtoms * L, L, ws.few);
        t0 = lap(ws.clock, Stage.ATOMS, t0);
        // dZ[j][.] = sum_o coef[o][j] dy[o][.]  (zero in the tile's columns past W': dy's tail is zero). The tile's
        // dy rows are copied next to each other first: in dyT they are a plane apart (40 KB in a 100 x 100 image),
        // and every block of rows reads all of them.
        for (int o = 0; o < outC; o++) {
            System.arraycopy(b.dyT, o * b.planeT + tileT, ws.dyTile, ALIGNED_START + o * NW, width);
        }
        // A wide tile of at most 3L pixels (36 of a 100-pixel row) computes three vectors of columns, not four, and
        // zeroes the fourth (what the four-vector kernel would store there: dy's tail is zero; the same sums in the
        // same order otherwise, so the same bits).
        boolean three = wide && !ws.few && cols <= 3 * L;
        if (three) {
            for (int blk = 0; blk < VectorGemm.blocks(cm); blk++) {
                VectorGemm.blockThree(p.coefT, blk * outC * MR, outC, ws.dyTile, b.nwOut, ALIGNED_START, null, null,
                        false, blk * MR, cm, ws.dz, blk * MR * NW, NW, 3 * L, ws.scratchWide);
            }
        } else {
            gemmTile(wide, p.coefT, outC, ws.dyTile, b.nwOut, ALIGNED_START, null, null, cm, ws.dz, 0, NW, ws);
        }
        if (three) {
            FloatVector zero = FloatVector.zero(S);
            for (int j = 0; j < cm; j++) {
                zero.intoArray(ws.dz, j * NW + 3 * L);
            }
        }
        t0 = lap(ws.clock, Stage.DZ, t0);
        // For dcoef, the tile's atoms kept (phase 4 makes Z from them) or its Z (the row's tiles side by side in
        // zRow, then the whole row copied into zFull); then dD and the direct path to dx.
        int xBase = sh.input.base(h, w0);
        if (b.dFull != null) {
            // The atoms of the tile's width / L vectors (taps * paddedAtoms * L floats each), at the tile's slot.
            MemorySegment.copy(ws.d, 0, b.dFull,
                    (long) (h * b.tilesPerRow + w0 / NW) * AtomConvolution.tileFloats(sh) * Float.BYTES,
                    (long) taps * sh.paddedAtoms * width * Float.BYTES);
        } else {
            AtomConvolution.tile(sh, ws.few, b.xph, xBase, ws.d, width / L, ws.xBlock, ws.zRow, w0, b.tw);
            if (w0 + NW >= sh.outW) {
                int dst = h * cm * sh.outW;
                for (int j = 0; j < cm; j++) {
                    System.arraycopy(ws.zRow, j * b.tw, b.zFull, dst + j * sh.outW, sh.outW);
                }
            }
        }
        t0 = lap(ws.clock, Stage.ATOM_CONV, t0);
        atomGradient(sh, b, ws, xBase, width);
        t0 = lap(ws.clock, Stage.ATOM_GRADIENT, t0);
        directPath(sh, b, band, ws, xBase, width);
        t0 = lap(ws.clock, Stage.DIRECT_PATH, t0);
        // dG[m*T + t][.] = sum_u Psi[t][u] dD[m][u][.].
        for (int m = 0; m < atoms; m++) {
            for (int blk = 0; blk < VectorGemm.blocks(bases); blk++) {
                gemm(wide, p.psi, blk * taps * MR, taps, ws.dd, b.nwTaps, m * taps * NW, null, null,
                        blk * MR, bases, ws.dg, (m * bases + blk * MR) * NW, NW, ws);
            }
        }
        activationGradient2(ws, band, gen, width);
        transposeInto(ws.da2, gen, Math.min(cols, width), b.da2TT, ALIGNED_START + (h * sh.outW + w0) * b.ldG, b.ldG);
        t0 = lap(ws.clock, Stage.DG, t0);
        // de1p at the taps conv 2 read += (W2 scale2)^T da2.
        int rowsT = cfg.interChannels() * 9;
        for (int blk = 0; blk < VectorGemm.blocks(rowsT); blk++) {
            if (wide && ws.few) {
                VectorGemm.blockAddToPairs(p.w2t, blk * gen * MR, gen, ws.da2, b.nwGen, 0, blk * MR, rowsT,
                        band.de1p, b.conv2OffT, e1Base, ws.scratchWide);
            } else if (wide) {
                VectorGemm.blockAddToWide(p.w2t, blk * gen * MR, gen, ws.da2, b.nwGen, 0, blk * MR, rowsT,
                        band.de1p, b.conv2OffT, e1Base, ws.scratchWide);
            } else {
                VectorGemm.blockAddTo(p.w2t, blk * gen * MR, gen, ws.da2, b.nwGen, 0, blk * MR, rowsT,
                        band.de1p, b.conv2OffT, e1Base, ws.scratch);
            }
        }
        lap(ws.clock, Stage.CONV2_INPUT, t0);
    }

    /**
     * {@link #gemm} for every row block of a tile (block {@code blk}'s rows to {@code out[outOff + blk*MR*outStride
     * ..]}); a wide tile with 32 vector registers by {@link VectorGemm#tile}, which runs a long inner dimension in
     * chunks whose B rows stay in L1: the same sums in the same order.
     */
    private static void gemmTile(boolean wide, float[] a, int kdim, float[] bm, int[] bOff, int bBase, float[] mul,
                                 float[] add, int rows, float[] out, int outOff, int outStride, Workspace ws) {
        if (wide && !ws.few) {
            VectorGemm.tile(a, kdim, bm, bOff, bBase, mul, add, false, rows, out, outOff, outStride, NW, ws.acc);
            return;
        }
        for (int blk = 0; blk < VectorGemm.blocks(rows); blk++) {
            gemm(wide, a, blk * kdim * MR, kdim, bm, bOff, bBase, mul, add, blk * MR, rows, out,
                    outOff + blk * MR * outStride, outStride, ws);
        }
    }

    /**
     * {@link VectorGemm#blockWide} for a wide tile, else {@link VectorGemm#block} (its first {@code NR} columns):
     * the same sums either way. Rows of {@code out} are {@code outStride} apart.
     */
    private static void gemm(boolean wide, float[] a, int aOff, int kdim, float[] bm, int[] bOff, int bBase,
                             float[] mul, float[] add, int row0, int rows, float[] out, int outOff, int outStride,
                             Workspace ws) {
        if (wide && ws.few) {
            VectorGemm.blockPairs(a, aOff, kdim, bm, bOff, bBase, mul, add, false, row0, rows, out, outOff, outStride,
                    NW, ws.scratchWide);
        } else if (wide) {
            VectorGemm.blockWide(a, aOff, kdim, bm, bOff, bBase, mul, add, false, row0, rows, out, outOff, outStride,
                    NW, ws.scratchWide);
        } else {
            VectorGemm.block(a, aOff, kdim, bm, bOff, bBase, mul, add, false, row0, rows, out, outOff, outStride,
                    NR, ws.scratch);
        }
    }

    /** {@code da2 = dG (1 - G^2)}, kept for dW2, and BatchNorm 2's sums (a method of its own, so that the tile's stays small for the JIT). */
    private static void activationGradient2(Workspace ws, Band band, int gen, int width) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int j = 0; j < gen; j++) {
            // Summed per NR columns, in column order (the order of the NR-wide tiles before).
            for (int o = j * NW; o < j * NW + width; o += NR) {
                FloatVector g0 = FloatVector.fromArray(S, ws.g, o);
                FloatVector g1 = FloatVector.fromArray(S, ws.g, o + L);
                FloatVector da0 = FloatVector.fromArray(S, ws.dg, o).mul(g0.fma(g0.neg(), one));
                FloatVector da1 = FloatVector.fromArray(S, ws.dg, o + L).mul(g1.fma(g1.neg(), one));
                da0.intoArray(ws.da2, o);
                da1.intoArray(ws.da2, o + L);
                da0.add(da1).intoArray(ws.scratch, 0);
                da0.mul(FloatVector.fromArray(S, ws.c2, o)).add(da1.mul(FloatVector.fromArray(S, ws.c2, o + L)))
                        .intoArray(ws.scratch, L);
                band.sumDa2[j] += VectorGemm.sumLanes(ws.scratch, 0);
                band.sumDa2c2[j] += VectorGemm.sumLanes(ws.scratch, L);
            }
        }
    }

    /**
     * Input channels per block of {@link #atomGradient}: a block's rows of {@code dZ} and of the input for one vector
     * of pixels (16 channels: 6 KB and up to 14 KB at K = 7) and that vector's sums (19 KB at K = 7) share L1, where
     * without blocks {@code dZ} streamed from L2 for every three taps (bench/TUNING.md).
     */
    static final int GRADIENT_CHANNEL_BLOCK = 16;

    /**
     * {@code dD[m][u][.] = sum_c dZ[c*M + m][.] x[c][u][.]}: six atoms by three taps by one vector of pixels
     * (18 accumulators; per channel three input loads and six loads of {@code dZ} for 18 FMAs), the channels in blocks
     * of {@link #GRADIENT_CHANNEL_BLOCK}: each block's sums continue from the previous block's, stored in
     * {@code dD} and loaded back (a stored float is the same float), so each element is still one chain over
     * {@code c} in order from zero. A block past the last atom or tap repeats the last one (and starts from its
     * partial sum) and stores only the valid rows.
     */
    private static void atomGradient(AcdaForwardVector.Shape sh, Buffers b, Workspace ws, int xBase, int width) {
        if (ws.few) {
            atomGradientTwoTaps(sh, b, ws, xBase, width);
            return;
        }
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int inC = sh.cfg.inChannels();
        int cStride = sh.input.channelStride();
        int[] uOff = sh.atomOff;
        float[] dz = ws.dz;
        float[] dd = ws.dd;
        float[] xph = b.xph;
        int step = atoms * NW;
        FloatVector zero = FloatVector.zero(S);
        for (int c0 = 0; c0 < inC; c0 += GRADIENT_CHANNEL_BLOCK) {
            int c1 = Math.min(inC, c0 + GRADIENT_CHANNEL_BLOCK);
            boolean first = c0 == 0;
            for (int half = 0; half < width; half += L) {
                for (int m0 = 0; m0 < atoms; m0 += 6) {
                    int g0 = Math.min(m0 + 0, atoms - 1) * NW;
                    int g1 = Math.min(m0 + 1, atoms - 1) * NW;
                    int g2 = Math.min(m0 + 2, atoms - 1) * NW;
                    int g3 = Math.min(m0 + 3, atoms - 1) * NW;
                    int g4 = Math.min(m0 + 4, atoms - 1) * NW;
                    int g5 = Math.min(m0 + 5, atoms - 1) * NW;
                    // The sums' rows in dD: atom (clamped) by tap, this vector of pixels.
                    int r0 = g0 * taps + half;
                    int r1 = g1 * taps + half;
                    int r2 = g2 * taps + half;
                    int r3 = g3 * taps + half;
                    int r4 = g4 * taps + half;
                    int r5 = g5 * taps + half;
                    int mc = Math.min(6, atoms - m0);
                    for (int u0 = 0; u0 < taps; u0 += 3) {
                        int uc = Math.min(3, taps - u0);
                        int x0 = xBase + uOff[u0];
                        int x1 = xBase + uOff[Math.min(u0 + 1, taps - 1)];
                        int x2 = xBase + uOff[Math.min(u0 + 2, taps - 1)];
                        int t0 = u0 * NW;
                        int t1 = Math.min(u0 + 1, taps - 1) * NW;
                        int t2 = Math.min(u0 + 2, taps - 1) * NW;
                        FloatVector s00 = first ? zero : FloatVector.fromArray(S, dd, r0 + t0);
                        FloatVector s10 = first ? zero : FloatVector.fromArray(S, dd, r1 + t0);
                        FloatVector s20 = first ? zero : FloatVector.fromArray(S, dd, r2 + t0);
                        FloatVector s30 = first ? zero : FloatVector.fromArray(S, dd, r3 + t0);
                        FloatVector s40 = first ? zero : FloatVector.fromArray(S, dd, r4 + t0);
                        FloatVector s50 = first ? zero : FloatVector.fromArray(S, dd, r5 + t0);
                        FloatVector s01 = first ? zero : FloatVector.fromArray(S, dd, r0 + t1);
                        FloatVector s11 = first ? zero : FloatVector.fromArray(S, dd, r1 + t1);
                        FloatVector s21 = first ? zero : FloatVector.fromArray(S, dd, r2 + t1);
                        FloatVector s31 = first ? zero : FloatVector.fromArray(S, dd, r3 + t1);
                        FloatVector s41 = first ? zero : FloatVector.fromArray(S, dd, r4 + t1);
                        FloatVector s51 = first ? zero : FloatVector.fromArray(S, dd, r5 + t1);
                        FloatVector s02 = first ? zero : FloatVector.fromArray(S, dd, r0 + t2);
                        FloatVector s12 = first ? zero : FloatVector.fromArray(S, dd, r1 + t2);
                        FloatVector s22 = first ? zero : FloatVector.fromArray(S, dd, r2 + t2);
                        FloatVector s32 = first ? zero : FloatVector.fromArray(S, dd, r3 + t2);
                        FloatVector s42 = first ? zero : FloatVector.fromArray(S, dd, r4 + t2);
                        FloatVector s52 = first ? zero : FloatVector.fromArray(S, dd, r5 + t2);
                        int xo = half + c0 * cStride;
                        int zo = half + c0 * step;
                        for (int c = c0; c < c1; c++, xo += cStride, zo += step) {
                            FloatVector v0 = FloatVector.fromArray(S, xph, x0 + xo);
                            FloatVector v1 = FloatVector.fromArray(S, xph, x1 + xo);
                            FloatVector v2 = FloatVector.fromArray(S, xph, x2 + xo);
                            FloatVector z0 = FloatVector.fromArray(S, dz, zo + g0);
                            s00 = z0.fma(v0, s00);
                            s01 = z0.fma(v1, s01);
                            s02 = z0.fma(v2, s02);
                            FloatVector z1 = FloatVector.fromArray(S, dz, zo + g1);
                            s10 = z1.fma(v0, s10);
                            s11 = z1.fma(v1, s11);
                            s12 = z1.fma(v2, s12);
                            FloatVector z2 = FloatVector.fromArray(S, dz, zo + g2);
                            s20 = z2.fma(v0, s20);
                            s21 = z2.fma(v1, s21);
                            s22 = z2.fma(v2, s22);
                            FloatVector z3 = FloatVector.fromArray(S, dz, zo + g3);
                            s30 = z3.fma(v0, s30);
                            s31 = z3.fma(v1, s31);
                            s32 = z3.fma(v2, s32);
                            FloatVector z4 = FloatVector.fromArray(S, dz, zo + g4);
                            s40 = z4.fma(v0, s40);
                            s41 = z4.fma(v1, s41);
                            s42 = z4.fma(v2, s42);
                            FloatVector z5 = FloatVector.fromArray(S, dz, zo + g5);
                            s50 = z5.fma(v0, s50);
                            s51 = z5.fma(v1, s51);
                            s52 = z5.fma(v2, s52);
                        }
                        s00.intoArray(dd, r0 + t0);
                        if (uc > 1) {
                            s01.intoArray(dd, r0 + t1);
                        }
                        if (uc > 2) {
                            s02.intoArray(dd, r0 + t2);
                        }
                        if (mc > 1) {
                            s10.intoArray(dd, r1 + t0);
                            if (uc > 1) {
                                s11.intoArray(dd, r1 + t1);
                            }
                            if (uc > 2) {
                                s12.intoArray(dd, r1 + t2);
                            }
                        }
                        if (mc > 2) {
                            s20.intoArray(dd, r2 + t0);
                            if (uc > 1) {
                                s21.intoArray(dd, r2 + t1);
                            }
                            if (uc > 2) {
                                s22.intoArray(dd, r2 + t2);
                            }
                        }
                        if (mc > 3) {
                            s30.intoArray(dd, r3 + t0);
                            if (uc > 1) {
                                s31.intoArray(dd, r3 + t1);
                            }
                            if (uc > 2) {
                                s32.intoArray(dd, r3 + t2);
                            }
                        }
                        if (mc > 4) {
                            s40.intoArray(dd, r4 + t0);
                            if (uc > 1) {
                                s41.intoArray(dd, r4 + t1);
                            }
                            if (uc > 2) {
                                s42.intoArray(dd, r4 + t2);
                            }
                        }
                        if (mc > 5) {
                            s50.intoArray(dd, r5 + t0);
                            if (uc > 1) {
                                s51.intoArray(dd, r5 + t1);
                            }
                            if (uc > 2) {
                                s52.intoArray(dd, r5 + t2);
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * {@link #atomGradient} for 16 vector registers ({@link VectorGemm#FEW_REGISTERS}): six atoms by two taps,
     * 12 accumulators, a channel's two input vectors held and the six {@code dZ} rows loaded one at a time. The same
     * sums over {@code c} in the same order.
     */
    private static void atomGradientTwoTaps(AcdaForwardVector.Shape sh, Buffers b, Workspace ws, int xBase,
                                            int width) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int inC = sh.cfg.inChannels();
        int cStride = sh.input.channelStride();
        int[] uOff = sh.atomOff;
        float[] dz = ws.dz;
        float[] dd = ws.dd;
        float[] xph = b.xph;
        int step = atoms * NW;
        int tn = taps * NW;
        for (int m0 = 0; m0 < atoms; m0 += 6) {
            int g0 = Math.min(m0 + 0, atoms - 1) * NW;
            int g1 = Math.min(m0 + 1, atoms - 1) * NW;
            int g2 = Math.min(m0 + 2, atoms - 1) * NW;
            int g3 = Math.min(m0 + 3, atoms - 1) * NW;
            int g4 = Math.min(m0 + 4, atoms - 1) * NW;
            int g5 = Math.min(m0 + 5, atoms - 1) * NW;
            int mc = Math.min(6, atoms - m0);
            for (int u0 = 0; u0 < taps; u0 += 2) {
                boolean two = u0 + 1 < taps;
                int x0 = xBase + uOff[u0];
                int x1 = xBase + uOff[Math.min(u0 + 1, taps - 1)];
                for (int half = 0; half < width; half += L) {
                    FloatVector s00 = FloatVector.zero(S);
                    FloatVector s10 = FloatVector.zero(S);
                    FloatVector s20 = FloatVector.zero(S);
                    FloatVector s30 = FloatVector.zero(S);
                    FloatVector s40 = FloatVector.zero(S);
                    FloatVector s50 = FloatVector.zero(S);
                    FloatVector s01 = FloatVector.zero(S);
                    FloatVector s11 = FloatVector.zero(S);
                    FloatVector s21 = FloatVector.zero(S);
                    FloatVector s31 = FloatVector.zero(S);
                    FloatVector s41 = FloatVector.zero(S);
                    FloatVector s51 = FloatVector.zero(S);
                    int xo = half;
                    int zo = half;
                    for (int c = 0; c < inC; c++, xo += cStride, zo += step) {
                        FloatVector v0 = FloatVector.fromArray(S, xph, x0 + xo);
                        FloatVector v1 = FloatVector.fromArray(S, xph, x1 + xo);
                        FloatVector zv = FloatVector.fromArray(S, dz, zo + g0);
                        s00 = zv.fma(v0, s00);
                        s01 = zv.fma(v1, s01);
                        zv = FloatVector.fromArray(S, dz, zo + g1);
                        s10 = zv.fma(v0, s10);
                        s11 = zv.fma(v1, s11);
                        zv = FloatVector.fromArray(S, dz, zo + g2);
                        s20 = zv.fma(v0, s20);
                        s21 = zv.fma(v1, s21);
                        zv = FloatVector.fromArray(S, dz, zo + g3);
                        s30 = zv.fma(v0, s30);
                        s31 = zv.fma(v1, s31);
                        zv = FloatVector.fromArray(S, dz, zo + g4);
                        s40 = zv.fma(v0, s40);
                        s41 = zv.fma(v1, s41);
                        zv = FloatVector.fromArray(S, dz, zo + g5);
                        s50 = zv.fma(v0, s50);
                        s51 = zv.fma(v1, s51);
                    }
                    int o = (m0 * taps + u0) * NW + half;
                    s00.intoArray(dd, o);
                    if (two) {
                        s01.intoArray(dd, o + NW);
                    }
                    if (mc > 1) {
                        s10.intoArray(dd, o + tn);
                        if (two) {
                            s11.intoArray(dd, o + tn + NW);
                        }
                    }
                    if (mc > 2) {
                        s20.intoArray(dd, o + 2 * tn);
                        if (two) {
                            s21.intoArray(dd, o + 2 * tn + NW);
                        }
                    }
                    if (mc > 3) {
                        s30.intoArray(dd, o + 3 * tn);
                        if (two) {
                            s31.intoArray(dd, o + 3 * tn + NW);
                        }
                    }
                    if (mc > 4) {
                        s40.intoArray(dd, o + 4 * tn);
                        if (two) {
                            s41.intoArray(dd, o + 4 * tn + NW);
                        }
                    }
                    if (mc > 5) {
                        s50.intoArray(dd, o + 5 * tn);
                        if (two) {
                            s51.intoArray(dd, o + 5 * tn + NW);
                        }
                    }
                }
            }
        }
    }

    /**
     * The direct path {@code dxp[c][u] += sum_m dZ[c*M + m] D[m][u]} at the taps the atom convolution read: four
     * channels by three taps by one vector of pixels (12 accumulators; per atom three loads of {@code D} and four
     * of {@code dZ} for 12 FMAs). The taps go column by column ({@code b} outer, {@code a} inner), so that the three
     * of a block add to three different rows: neighbouring taps of one row would add to the same bytes one float
     * over, which stalls store-to-load forwarding. A block past the last tap repeats it and adds only the valid
     * ones; channels left over go one at a time. Each element is the same sum over {@code m}, in the same order,
     * as before; the adds into {@code dxp} come in this fixed tap order.
     */
    private static void directPath(AcdaForwardVector.Shape sh, Buffers b, Band band, Workspace ws, int xBase,
                                   int width) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int inC = sh.cfg.inChannels();
        int cStride = sh.input.channelStride();
        int[] uOff = sh.atomOff;
        MemorySegment d = ws.d;
        float[] dz = ws.dz;
        float[] dxph = band.dxph;
        int[] perm = b.tapsByColumn;
        int step = atoms * NW;
        int uStride = sh.paddedAtoms * L;
        int qStride = taps * uStride;
        int c = 0;
        for (; c + 3 < inC; c += 4) {
            int xc = xBase + c * cStride;
            for (int k = 0; k < taps; k += 3) {
                int uc = Math.min(3, taps - k);
                int u0 = perm[k];
                int u1 = perm[Math.min(k + 1, taps - 1)];
                int u2 = perm[Math.min(k + 2, taps - 1)];
                for (int half = 0; half < width; half += L) {
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
                    int zo = c * step + half;
                    int dq = half / L * qStride;
                    for (int m = 0; m < atoms; m++, zo += NW) {
                        int dm = dq + m * L;
                        FloatVector d0 = FloatVector.fromMemorySegment(S, d, (long) (dm + u0 * uStride) << 2, NATIVE);
                        FloatVector d1 = FloatVector.fromMemorySegment(S, d, (long) (dm + u1 * uStride) << 2, NATIVE);
                        FloatVector d2 = FloatVector.fromMemorySegment(S, d, (long) (dm + u2 * uStride) << 2, NATIVE);
                        FloatVector z0 = FloatVector.fromArray(S, dz, zo);
                        s00 = z0.fma(d0, s00);
                        s01 = z0.fma(d1, s01);
                        s02 = z0.fma(d2, s02);
                        FloatVector z1 = FloatVector.fromArray(S, dz, zo + 1 * step);
                        s10 = z1.fma(d0, s10);
                        s11 = z1.fma(d1, s11);
                        s12 = z1.fma(d2, s12);
                        FloatVector z2 = FloatVector.fromArray(S, dz, zo + 2 * step);
                        s20 = z2.fma(d0, s20);
                        s21 = z2.fma(d1, s21);
                        s22 = z2.fma(d2, s22);
                        FloatVector z3 = FloatVector.fromArray(S, dz, zo + 3 * step);
                        s30 = z3.fma(d0, s30);
                        s31 = z3.fma(d1, s31);
                        s32 = z3.fma(d2, s32);
                    }
                    int o0 = xc + uOff[u0] + half;
                    int o1 = xc + uOff[u1] + half;
                    int o2 = xc + uOff[u2] + half;
                    FloatVector.fromArray(S, dxph, o0).add(s00).intoArray(dxph, o0);
                    FloatVector.fromArray(S, dxph, o0 + cStride).add(s10).intoArray(dxph, o0 + cStride);
                    FloatVector.fromArray(S, dxph, o0 + 2 * cStride).add(s20).intoArray(dxph, o0 + 2 * cStride);
                    FloatVector.fromArray(S, dxph, o0 + 3 * cStride).add(s30).intoArray(dxph, o0 + 3 * cStride);
                    if (uc > 1) {
                        FloatVector.fromArray(S, dxph, o1).add(s01).intoArray(dxph, o1);
                        FloatVector.fromArray(S, dxph, o1 + cStride).add(s11).intoArray(dxph, o1 + cStride);
                        FloatVector.fromArray(S, dxph, o1 + 2 * cStride).add(s21).intoArray(dxph, o1 + 2 * cStride);
                        FloatVector.fromArray(S, dxph, o1 + 3 * cStride).add(s31).intoArray(dxph, o1 + 3 * cStride);
                    }
                    if (uc > 2) {
                        FloatVector.fromArray(S, dxph, o2).add(s02).intoArray(dxph, o2);
                        FloatVector.fromArray(S, dxph, o2 + cStride).add(s12).intoArray(dxph, o2 + cStride);
                        FloatVector.fromArray(S, dxph, o2 + 2 * cStride).add(s22).intoArray(dxph, o2 + 2 * cStride);
                        FloatVector.fromArray(S, dxph, o2 + 3 * cStride).add(s32).intoArray(dxph, o2 + 3 * cStride);
                    }
                }
            }
        }
        for (; c < inC; c++) {
            int xc = xBase + c * cStride;
            for (int u = 0; u < taps; u++) {
                for (int half = 0; half < width; half += L) {
                    FloatVector v = FloatVector.zero(S);
                    for (int m = 0; m < atoms; m++) {
                        v = FloatVector.fromArray(S, dz, (c * atoms + m) * NW + half)
                                .fma(FloatVector.fromMemorySegment(S, d,
                                        (long) (half / L * qStride + u * uStride + m * L) << 2, NATIVE), v);
                    }
                    FloatVector.fromArray(S, dxph, xc + uOff[u] + half).add(v).intoArray(dxph, xc + uOff[u] + half);
                }
            }
        }
    }

    /** Phase 3 for one tile: {@code da1 = de1 (1 - e1^2)} (zero past W'), BatchNorm 1's sums, and the generator path into dxp. */
    private void tileGenerator1(Packed p, AcdaForwardVector.Shape sh, Buffers b, Band band, Workspace ws, int h, int w0) {
        int inter = sh.cfg.interChannels();
        int cols = Math.min(NW, sh.outW - w0);
        boolean wide = cols > NR;
        int width = wide ? NW : NR;
        int planeE = (sh.outH + 2) * sh.we;
        int tileT = h * b.tw + w0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < inter; i++) {
            // Summed per NR columns, in column order (the order of the NR-wide tiles before).
            for (int q = 0; q < width; q += NR) {
                VectorMask<Float> m0 = S.indexInRange(q, cols);
                VectorMask<Float> m1 = S.indexInRange(q + L, cols);
                int e = i * planeE + (h + 1) * sh.we + w0 + 1 + q;
                int c = i * b.planeT + tileT + q;
                FloatVector e0 = FloatVector.fromArray(S, b.e1p, e);
                FloatVector e1 = FloatVector.fromArray(S, b.e1p, e + L);
                FloatVector da0 = zero.blend(FloatVector.fromArray(S, b.de1p, e).mul(e0.fma(e0.neg(), one)), m0);
                FloatVector da1 = zero.blend(FloatVector.fromArray(S, b.de1p, e + L).mul(e1.fma(e1.neg(), one)), m1);
                da0.intoArray(ws.da1, i * NW + q);
                da1.intoArray(ws.da1, i * NW + q + L);
                da0.add(da1).intoArray(ws.scratch, 0);
                da0.mul(FloatVector.fromArray(S, b.c1Full, c)).add(da1.mul(FloatVector.fromArray(S, b.c1Full, c + L)))
                        .intoArray(ws.scratch, L);
                band.sumDa1[i] += VectorGemm.sumLanes(ws.scratch, 0);
                band.sumDa1c1[i] += VectorGemm.sumLanes(ws.scratch, L);
            }
        }
        transposeInto(ws.da1, inter, Math.min(cols, width), b.da1TT, ALIGNED_START + (h * sh.outW + w0) * b.ldI,
                b.ldI);
        int rowsT = sh.cfg.inChannels() * sh.cfg.generatorKernel() * sh.cfg.generatorKernel();
        int xBase = sh.input.base(h, w0);
        for (int blk = 0; blk < VectorGemm.blocks(rowsT); blk++) {
            if (wide && ws.few) {
                VectorGemm.blockAddToPairs(p.w1t, blk * inter * MR, inter, ws.da1, b.nwInter, 0, blk * MR, rowsT,
                        band.dxph, b.conv1OffT, xBase, ws.scratchWide);
            } else if (wide) {
                VectorGemm.blockAddToWide(p.w1t, blk * inter * MR, inter, ws.da1, b.nwInter, 0, blk * MR, rowsT,
                        band.dxph, b.conv1OffT, xBase, ws.scratchWide);
            } else {
                VectorGemm.blockAddTo(p.w1t, blk * inter * MR, inter, ws.da1, b.nwInter, 0, blk * MR, rowsT,
                        band.dxph, b.conv1OffT, xBase, ws.scratch);
            }
        }
    }

    /** {@code dst[dstOff + q * ld + j] = tile[j * NW + q]} for {@code j < rowsT}, {@code q < cols}. */
    private static void transposeInto(float[] tile, int rowsT, int cols, float[] dst, int dstOff, int ld) {
        for (int q = 0; q < cols; q++) {
            int d = dstOff + q * ld;
            for (int j = 0; j < rowsT; j++) {
                dst[d + j] = tile[j * NW + q];
            }
        }
    }

    private static void addInto(float[] dst, float[] src, int from, int len) {
        int i = from;
        int end = from + len;
        for (; i <= end - L; i += L) {
            FloatVector.fromArray(S, dst, i).add(FloatVector.fromArray(S, src, i)).intoArray(dst, i);
        }
        for (; i < end; i++) {
            dst[i] += src[i];
        }
    }

    /** Circular padding of conv 2's input: the forward's wrap of e1p's one-pixel border (as {@link AcdaForwardVector}). */
    private static void wrapE1(AcdaForwardVector.Shape sh, float[] e1p) {
        int planeE = (sh.outH + 2) * sh.we;
        for (int i = 0; i < sh.cfg.interChannels(); i++) {
            int base = i * planeE;
            for (int r = 1; r <= sh.outH; r++) {
                int row = base + r * sh.we;
                e1p[row] = e1p[row + sh.outW];
                e1p[row + sh.outW + 1] = e1p[row + 1];
            }
            System.arraycopy(e1p, base + sh.outH * sh.we, e1p, base, sh.outW + 2);
            System.arraycopy(e1p, base + sh.we, e1p, base + (sh.outH + 1) * sh.we, sh.outW + 2);
        }
    }

    /**
     * The adjoint of {@link #wrapE1} for one plane of a gradient: the wrap's copies undone in reverse
     * order, each border value added to the interior value it was copied from, then cleared.
     */
    private static void unwrapE1(AcdaForwardVector.Shape sh, float[] de, int base) {
        int w = sh.outW + 2;
        int bottom = base + (sh.outH + 1) * sh.we;
        for (int j = 0; j < w; j++) {
            de[base + sh.we + j] += de[bottom + j];
            de[bottom + j] = 0f;
        }
        for (int j = 0; j < w; j++) {
            de[base + sh.outH * sh.we + j] += de[base + j];
            de[base + j] = 0f;
        }
        for (int r = sh.outH; r >= 1; r--) {
            int row = base + r * sh.we;
            de[row + 1] += de[row + sh.outW + 1];
            de[row + sh.outW + 1] = 0f;
            de[row + sh.outW] += de[row];
            de[row] = 0f;
        }
    }

    /**
     * The adjoint of {@link PaddedInput#fillChannel}: every element of the padded buffer that was a
     * copy of an input element adds its gradient to that element; padding zeros drop theirs.
     */
    private static void foldChannel(AcdaForwardVector.Shape sh, float[] dxph, float[] dx, int n, int c) {
        PaddedInput in = sh.input;
        PaddingMode mode = sh.cfg.padding();
        int src0 = (n * in.channels + c) * in.inH * in.inW;
        for (int row = 0; row < in.hp; row++) {
            int src = mode.index(row - in.pad, in.inH);
            if (src < 0) {
                continue;
            }
            for (int phase = 0; phase < in.stride; phase++) {
                int d = ((c * in.hp + row) * in.stride + phase) * in.wq;
                int s = src0 + src * in.inW;
                for (int j = 0; j < in.wq; j++) {
                    int col = in.stride * j + phase - in.pad;
                    int sc = col < in.inW + in.pad ? mode.index(col, in.inW) : -1;
                    if (sc >= 0) {
                        dx[s + sc] += dxph[d + j];
                    }
                }
            }
        }
    }

    @Override
    public void close() {
        rows.close();
        packed = null;
        cachedLayer = null;
        shape = null;
        buf = null;
        workspaces = null;
    }

    /** The gradient arrays of one call. */
    private static final class Grads {
        final float[] dx;
        final float[] dw1;
        final float[] db1;
        final float[] dgamma1;
        final float[] dbeta1;
        final float[] dw2;
        final float[] db2;
        final float[] dgamma2;
        final float[] dbeta2;
        final float[] dcoef;
        final float[] dbias;

        Grads(Map<String, Tensor> g, AcdaConfig cfg) {
            dx = g.get("x").data();
            dw1 = g.get(AcdaLayer.CONV1_WEIGHT).data();
            db1 = g.get(AcdaLayer.CONV1_BIAS).data();
            dgamma1 = g.get(AcdaLayer.BN1_WEIGHT).data();
            dbeta1 = g.get(AcdaLayer.BN1_BIAS).data();
            dw2 = g.get(AcdaLayer.CONV2_WEIGHT).data();
            db2 = g.get(AcdaLayer.CONV2_BIAS).data();
            dgamma2 = g.get(AcdaLayer.BN2_WEIGHT).data();
            dbeta2 = g.get(AcdaLayer.BN2_BIAS).data();
            dcoef = g.get(AcdaLayer.COEF).data();
            dbias = cfg.bias() ? g.get(AcdaLayer.BIAS).data() : new float[cfg.outChannels()];
        }
    }

    /**
     * Weights of one layer packed for {@link VectorGemm}: BatchNorm in centred form
     * ({@code c = acc/sigma + (b - mean)/sigma}, then {@code gamma c + beta}), and the transposed,
     * BatchNorm-scaled weights of the two adjoint convolutions.
     */
    private static final class Packed {
        final float[] w1;
        final int k1;
        final float[] invSigma1;
        final float[] centre1;
        final float[] gamma1;
        final float[] beta1;
        final float[] scale1;
        final float[] w2;
        final int k2;
        final float[] invSigma2;
        final float[] centre2;
        final float[] gamma2;
        final float[] beta2;
        final float[] scale2;
        /** The bases by tap, {@code [K*K][T]}, for {@link AcdaForwardVector#atoms}. */
        final float[] psiByTap;
        final float[] psi;
        final float[] coefT;
        /**
         * {@code W2[j][i,a,b] scale2[j]} as rows {@code ((a,b), i)} by {@code j}: tap-major, so that the six rows of a
         * register block scatter to six channels, not to six overlapping shifts of one (a store followed by a load
         * of the same bytes one float over stalls store-to-load forwarding).
         */
        final float[] w2t;
        /** {@code W1[i][c,a,b] scale1[i]} as rows {@code ((a,b), c)} by {@code i} (tap-major, as {@link #w2t}). */
        final float[] w1t;

        Packed(AcdaLayer layer) {
            AcdaConfig c = layer.config();
            int g = c.generatorKernel();
            int inter = c.interChannels();
            int gen = c.generatorChannels();
            k1 = c.inChannels() * g * g;
            float[] rawW1 = layer.data(AcdaLayer.CONV1_WEIGHT);
            w1 = VectorGemm.pack(rawW1, inter, k1);
            k2 = inter * 9;
            float[] rawW2 = layer.data(AcdaLayer.CONV2_WEIGHT);
            w2 = VectorGemm.pack(rawW2, gen, k2);
            scale1 = layer.batchNormScaleShift("bases_net.1.")[0];
            scale2 = layer.batchNormScaleShift("bases_net.4.")[0];
            gamma1 = layer.data(AcdaLayer.BN1_WEIGHT).clone();
            beta1 = layer.data(AcdaLayer.BN1_BIAS).clone();
            gamma2 = layer.data(AcdaLayer.BN2_WEIGHT).clone();
            beta2 = layer.data(AcdaLayer.BN2_BIAS).clone();
            invSigma1 = invSigma(layer.data(AcdaLayer.BN1_VAR));
            invSigma2 = invSigma(layer.data(AcdaLayer.BN2_VAR));
            centre1 = centre(layer.data(AcdaLayer.CONV1_BIAS), layer.data(AcdaLayer.BN1_MEAN), invSigma1);
            centre2 = centre(layer.data(AcdaLayer.CONV2_BIAS), layer.data(AcdaLayer.BN2_MEAN), invSigma2);
            int taps = c.taps();
            int bases = c.bases();
            float[] rawPsi = layer.data(AcdaLayer.BASES);
            psiByTap = AcdaForwardVector.basesByTap(layer);
            psi = VectorGemm.pack(rawPsi, bases, taps);
            int cm = c.inChannels() * c.atoms();
            int outC = c.outChannels();
            float[] coef = layer.data(AcdaLayer.COEF);
            float[] ct = new float[cm * outC];
            for (int o = 0; o < outC; o++) {
                for (int j = 0; j < cm; j++) {
                    ct[j * outC + o] = coef[o * cm + j];
                }
            }
            coefT = VectorGemm.pack(ct, cm, outC);
            float[] t2 = new float[k2 * gen];
            for (int j = 0; j < gen; j++) {
                for (int q = 0; q < k2; q++) {
                    t2[tapMajor(q, 9, inter) * gen + j] = rawW2[j * k2 + q] * scale2[j];
                }
            }
            w2t = VectorGemm.pack(t2, k2, gen);
            float[] t1 = new float[k1 * inter];
            for (int i = 0; i < inter; i++) {
                for (int q = 0; q < k1; q++) {
                    t1[tapMajor(q, g * g, c.inChannels()) * inter + i] = rawW1[i * k1 + q] * scale1[i];
                }
            }
            w1t = VectorGemm.pack(t1, k1, inter);
        }

        /** The row {@code (t, c)} of the tap-major order for the row {@code q = (c, t)} of the channel-major order. */
        static int tapMajor(int q, int taps, int channels) {
            return (q % taps) * channels + q / taps;
        }

        private static float[] invSigma(float[] var) {
            float[] r = new float[var.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = 1f / (float) Math.sqrt(var[i] + (float) AcdaLayer.BN_EPS);
            }
            return r;
        }

        private static float[] centre(float[] bias, float[] mean, float[] invSigma) {
            float[] r = new float[bias.length];
            for (int i = 0; i < r.length; i++) {
                r[i] = (bias[i] - mean[i]) * invSigma[i];
            }
            return r;
        }
    }

    /** A band of output rows {@code [h0, h1)} with its own copies of the scattered gradients and per-channel sums. */
    private static final class Band {
        final int h0;
        final int h1;
        final float[] dxph;
        final float[] de1p;
        final float[] sumDa2;
        final float[] sumDa2c2;
        final float[] sumDa1;
        final float[] sumDa1c1;
        /**
         * The part of each channel plane of {@code dxph} ({@code [xLo, xHi)}) and of {@code de1p}
         * ({@code [eLo, eHi)}) that the band's scatters can reach: whole padded rows from the band's first output
         * row to its last plus the taps' reach. The rest of its copies stays zero and is neither cleared nor summed.
         */
        final int xLo;
        final int xHi;
        final int eLo;
        final int eHi;

        Band(AcdaForwardVector.Shape sh, int h0, int h1) {
            this.h0 = h0;
            this.h1 = h1;
            PaddedInput in = sh.input;
            int cs = in.channelStride();
            int row = in.stride * in.wq;
            int maxRow = 0;
            for (int off : sh.conv1Off) {
                maxRow = Math.max(maxRow, (off % cs) / row);
            }
            for (int off : sh.atomOff) {
                maxRow = Math.max(maxRow, (off % cs) / row);
            }
            xLo = in.stride * h0 * row;
            xHi = Math.min(cs, (in.stride * (h1 - 1) + maxRow + 1) * row);
            eLo = h0 * sh.we;
            eHi = Math.min((sh.outH + 2) * sh.we, (h1 + 2) * sh.we);
            dxph = new float[sh.input.size()];
            de1p = new float[sh.e1pSize()];
            sumDa2 = new float[sh.cfg.generatorChannels()];
            sumDa2c2 = new float[sh.cfg.generatorChannels()];
            sumDa1 = new float[sh.cfg.interChannels()];
            sumDa1c1 = new float[sh.cfg.interChannels()];
        }

        void clearSums() {
            Arrays.fill(sumDa2, 0f);
            Arrays.fill(sumDa2c2, 0f);
            Arrays.fill(sumDa1, 0f);
            Arrays.fill(sumDa1c1, 0f);
        }
    }

    /**
     * Whole-image buffers of one shape. Planes of {@code [H'][tw]} ({@code tw} = W' rounded up to
     * whole tiles; the columns past W' hold zeros in {@code dyT}).
     */
    private static final class Buffers {
        /** About how many pixels one block of a weight-gradient sum covers (whole output rows). */
        static final int GRAD_PIXELS = 512;
        final int tw;
        final int planeT;
        /** Row stride of xph. */
        final int xRow;
        final float[] xph;
        final float[] xph2;
        final float[] e1p;
        final float[] de1p;
        final float[] c1Full;
        /**
         * Where {@link #keepsAtoms}: the atoms of every tile of the image ({@link AtomConvolution#tileFloats} floats a
         * tile, tile {@code (h, w0)} at {@code h * tilesPerRow + w0 / NW}), kept from phase 2 so that phase 4 can make
         * each block of pixels' {@code Z} for {@code dcoef} where it is read ({@link #dcoef}); null otherwise.
         */
        final MemorySegment dFull;
        final int tilesPerRow;
        /**
         * Otherwise {@code Z} of every pixel, output row by output row: element {@code (j, h, w)} at
         * {@code (h*C*M + j)*W' + w}, each row's block written at once, contiguous, from {@link Workspace#zRow}
         * (bench/TUNING.md: written tile by tile into planes, straight from the atom convolution, it went at 2 GB/s
         * on a 2-core Xeon); null where the atoms are kept.
         */
        final float[] zFull;
        final float[] dyT;
        /** Columns of the transposed buffers: O, generator and intermediate channels rounded up to {@code L}. */
        final int ldO;
        final int ldG;
        final int ldI;
        /** {@code dy}, {@code da2}, {@code da1} transposed: {@code [H' * W'][ld]}, zero past the valid columns. */
        final float[] dyTT;
        final float[] da2TT;
        final float[] da1TT;
        /** The transposed weight gradients of one image: {@code [C*M][ldO]}, {@code [I*9][ldG]}, {@code [C*g*g][ldI]}. */
        final float[] dcT;
        final float[] dw2T;
        final float[] dw1T;
        /** Output rows per block of pixels of a weight-gradient sum. */
        final int gradRows;
        /** Rows of a tile of {@code dy}, {@code o * NW}. */
        final int[] nwOut;
        /** The rows of {@code Z}: {@code j * tw} in {@link Workspace#zBlock}, or {@code j * W'} in {@link #zFull}. */
        final int[] rowOffZ;
        /** {@code conv1Off} and {@code conv2Off} in the tap-major row order of {@link Packed#w1t} and {@link Packed#w2t}. */
        final int[] conv1OffT;
        final int[] conv2OffT;
        /** The atom taps column by column: {@code tapsByColumn[b*K + a] = a*K + b}. */
        final int[] tapsByColumn;
        /** Rows of a tile, {@code r * NW}: taps, generator channels, intermediate channels. */
        final int[] nwTaps;
        final int[] nwGen;
        final int[] nwInter;
        final Band[] bands;

        Buffers(AcdaForwardVector.Shape sh, int bandCount, boolean keepAtoms) {
            AcdaConfig c = sh.cfg;
            tw = tiledWidth(sh);
            planeT = sh.outH * tw;
            xph = new float[sh.input.size()];
            xph2 = new float[sh.input.size()];
            e1p = new float[sh.e1pSize()];
            de1p = new float[sh.e1pSize()];
            int inter = c.interChannels();
            int gen = c.generatorChannels();
            int cm = c.inChannels() * c.atoms();
            c1Full = new float[blocksRows(inter) * planeT];
            tilesPerRow = (sh.outW + NW - 1) / NW;
            dFull = keepAtoms ? AtomConvolution.atomsFor(sh, sh.outH * tilesPerRow) : null;
            zFull = keepAtoms ? null : new float[cm * sh.outH * sh.outW];
            dyT = new float[c.outChannels() * planeT];
            xRow = sh.input.base(1, 0) - sh.input.base(0, 0);
            ldO = (c.outChannels() + L - 1) / L * L;
            ldG = (gen + L - 1) / L * L;
            ldI = (inter + L - 1) / L * L;
            int pixels = sh.outH * sh.outW;
            // 3L more: VectorGemm.gradBlock3 reads three vectors of the last columns.
            dyTT = new float[ALIGNED_START + pixels * ldO + 3 * L];
            da2TT = new float[ALIGNED_START + pixels * ldG + 3 * L];
            da1TT = new float[ALIGNED_START + pixels * ldI + 3 * L];
            int g = c.generatorKernel();
            dcT = new float[blocksRows(cm) * ldO];
            dw2T = new float[blocksRows(inter * 9) * ldG];
            dw1T = new float[blocksRows(c.inChannels() * g * g) * ldI];
            gradRows = gradRows(sh);
            nwOut = planes(c.outChannels(), NW);
            rowOffZ = planes(cm, keepAtoms ? tw : sh.outW);
            conv1OffT = tapMajor(sh.conv1Off, g * g, c.inChannels());
            conv2OffT = tapMajor(sh.conv2Off, 9, inter);
            int kk = c.kernelSize();
            tapsByColumn = new int[kk * kk];
            for (int a = 0; a < kk; a++) {
                for (int bb = 0; bb < kk; bb++) {
                    tapsByColumn[bb * kk + a] = a * kk + bb;
                }
            }
            nwTaps = planes(c.taps(), NW);
            nwGen = planes(gen, NW);
            nwInter = planes(inter, NW);
            bands = new Band[bandCount];
            for (int i = 0; i < bandCount; i++) {
                bands[i] = new Band(sh, i * sh.outH / bandCount, (i + 1) * sh.outH / bandCount);
            }
        }

        private static int[] tapMajor(int[] off, int taps, int channels) {
            int[] r = new int[off.length];
            for (int q = 0; q < off.length; q++) {
                r[Packed.tapMajor(q, taps, channels)] = off[q];
            }
            return r;
        }

        /** Output rows per block of pixels of a weight-gradient sum. */
        static int gradRows(AcdaForwardVector.Shape sh) {
            return Math.max(1, GRAD_PIXELS / sh.outW);
        }

        private static int blocksRows(int rows) {
            return VectorGemm.blocks(rows) * MR;
        }

        private static int[] planes(int count, int plane) {
            int[] r = new int[count];
            for (int i = 0; i < count; i++) {
                r[i] = i * plane;
            }
            return r;
        }
    }

    /** The output row's width rounded up to whole tiles ({@code NW}): the row stride of the tiled buffers. */
    private static int tiledWidth(AcdaForwardVector.Shape sh) {
        return sh.we - 2;
    }

    /** Per-thread tiles of {@code NW} pixels. */
    private static final class Workspace {
        final float[] c2;
        final float[] g;
        /**
         * The atoms in the forward's layout, {@code [NW/L][K*K][paddedAtoms][L]} ({@link AcdaForwardVector#atoms}):
         * off-heap and 64-byte aligned, so that no vector of them crosses a cache line.
         */
        final MemorySegment d;
        /** The input of one block of channels of {@link AtomConvolution}, copied contiguous. */
        final float[] xBlock;
        final float[] dz;
        /**
         * {@code Z} of one block of pixels ({@link Buffers#gradRows} output rows) for the channels of one chunk of
         * {@code dcoef}'s rows ({@link #dcoefChunkChannels}, about 1 MiB): {@code [row][channel*M + m][tw]}; empty
         * where the image's {@code Z} is kept instead.
         */
        final float[] zBlock;
        /** Where the image's {@code Z} is kept: {@code Z} of one output row, {@code [C*M][tw]}, tile by tile. */
        final float[] zRow;
        /** One tile of {@code dy}, {@code [O][NW]}. */
        final float[] dyTile;
        final float[] dd;
        final float[] dg;
        final float[] da2;
        final float[] da1;
        final float[] scratch = new float[MR * NR];
        final float[] scratchWide = new float[MR * NW];
        /** {@link VectorGemm#tile}'s sums for the tallest product of a tile ({@code dZ}'s {@code C*M} rows). */
        final float[] acc;
        /** {@code O x L} floats: a block of {@code dy} on its way into {@code dyTT}. */
        final float[] transpose;
        final StageClock clock = new StageClock(Stage.values().length);
        /** The kernels for 16 vector registers ({@link VectorGemm#FEW_REGISTERS}). */
        final boolean few;

        Workspace(AcdaForwardVector.Shape sh, boolean few, boolean keepAtoms) {
            this.few = few;
            AcdaConfig c = sh.cfg;
            transpose = new float[c.outChannels() * L];
            int genRows = VectorGemm.blocks(c.generatorChannels()) * MR;
            c2 = new float[genRows * NW];
            g = new float[genRows * NW];
            d = AtomConvolution.atomsFor(sh);
            xBlock = new float[AtomConvolution.CHANNEL_BLOCK * sh.packedChannel];
            dz = new float[c.inChannels() * c.atoms() * NW];
            acc = new float[VectorGemm.tileAccFloats(Math.max(c.inChannels() * c.atoms(),
                    Math.max(c.interChannels(), c.generatorChannels())))];
            zBlock = keepAtoms ? new float[Buffers.gradRows(sh) * dcoefChunkChannels(sh) * c.atoms() * tiledWidth(sh)]
                    : new float[0];
            zRow = keepAtoms ? new float[0] : new float[c.inChannels() * c.atoms() * tiledWidth(sh)];
            dyTile = new float[ALIGNED_START + c.outChannels() * NW];
            dd = new float[c.atoms() * c.taps() * NW];
            dg = new float[genRows * NW];
            da2 = new float[c.generatorChannels() * NW];
            da1 = new float[c.interChannels() * NW];
        }
    }
}
