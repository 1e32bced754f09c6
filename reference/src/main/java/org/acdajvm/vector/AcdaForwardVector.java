package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.NW;
import static org.acdajvm.vector.VectorGemm.S;


import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;
import jdk.incubator.vector.FloatVector;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * The ACDA forward on the JDK Vector API, float32, multi-threaded: the two-layer form of DESIGN
 * section 5 computed tile by tile so that neither the atoms {@code D} nor the atom-convolution
 * output {@code Z} ever exist in full.
 *
 * <p>Per image:
 * <ol>
 *   <li>the input is copied once into a padded, stride-deinterleaved buffer {@code xph}
 *       ({@code [C][Hp][s][Wq]}; padding zeros or wrapped values written in), so that every read of
 *       every later stage is an in-bounds contiguous vector load, whatever the stride, dilation and
 *       padding mode;</li>
 *   <li>phase A, parallel over tiles: generator conv 1 as an implicit matrix product
 *       ({@link VectorGemm}) with BatchNorm and tanh in its epilogue, into a padded buffer
 *       {@code e1p};</li>
 *   <li>phase B, parallel over tiles, per tile of up to {@link VectorGemm#NW} pixels
 *       (4 vectors; fewer for the last, {@link VectorGemm#blockFor}):
 *       generator conv 2 (+ BN, tanh) into a tile {@code G}, atoms {@code D = Psi^T G} packed per
 *       vector of pixels and tap-major ({@link #atoms}), the atom convolution into a tile {@code Z}
 *       ({@link AtomConvolution}), and the coefficient convolution {@code y = coef Z + bias} (a product)
 *       into the output. In a wide tile (more than 3 vectors; 32 vector registers) the last two run chunk by
 *       chunk of 16 input channels ({@link #atomAndCoefficientConvInChunks}), so a chunk of {@code Z} is read
 *       while it is in L1; the products with a long inner dimension likewise read their B in chunks that stay in
 *       L1 ({@link VectorGemm#tile}).</li>
 * </ol>
 * With stride 1 the tiles run over the image flattened row after row ({@link Shape#flat}): {@code xph} and
 * {@code e1p} share one row stride just wider than the output, so a tile of 64 consecutive pixels may cross rows
 * and computes only the few columns of padding between them for nothing (a 56-pixel row in tiles of its own
 * computed 64 columns; a 100-pixel row 112). A wide flat tile's epilogue stores each output row's columns where
 * they belong in the output (its segments, {@link #flatSegments}: one masked store per piece of a vector that
 * crosses a row); a narrow one's outputs are copied there. Each output element is the same sum in the same order
 * either way. Other strides tile row by row.
 * With at least as many images as threads, whole images go to the threads instead (each on its own
 * {@code xph} and {@code e1p}); the stages are the same code either way, so the bits of the output do
 * not depend on the thread count. The tuning steps behind this layout, kept and rejected, with their
 * measurements, are in {@code bench/TUNING.md}.
 * Packed weights are cached per layer; workspaces are kept per shape and reused, so a steady
 * stream of calls of one shape allocates nothing but the output tensor (none with
 * {@link #forwardInto}). Not thread-safe: one instance per calling thread.
 */
public final class AcdaForwardVector implements AutoCloseable {

    private final RowParallel rows;
    /** Stride 1 in tiles over the flattened image ({@link Shape#flat}). */
    private final boolean flatTiles;
    /** Kernels for 16 vector registers ({@link VectorGemm#FEW_REGISTERS}). */
    private final boolean fewRegisters;
    private final boolean fuseChunks;
    /** Whether the atom convolution may copy its input ({@link #COPY_INPUT}). */
    private final boolean copyInput;
    private AcdaLayer cachedLayer;
    private Packed packed;
    private Shape shape;
    private Workspace[] workspaces;
    private float[] xph;
    private float[] e1p;
    private long allocations;
    private boolean profiling;
    /** Thread time per stage of the calling thread's parts when profiling, indexed by {@link Stage#ordinal()}. */
    private final StageClock serial = new StageClock(Stage.values().length);

    /** The stages of the forward, for {@link #stageNanos()}. */
    public enum Stage {
        /** Copying the input into the padded, deinterleaved buffer. */
        PAD_INPUT,
        /** Generator conv 1 with BatchNorm and tanh. */
        GENERATOR_CONV1,
        /** Generator conv 2 with BatchNorm and tanh. */
        GENERATOR_CONV2,
        /** Atoms from the bases. */
        ATOMS,
        /** Atom convolution. */
        ATOM_CONV,
        /** Coefficient (1x1) convolution and bias. */
        COEFFICIENT_CONV
    }

    /** A forward with {@code threads} worker threads (1 runs everything on the calling thread). */
    public AcdaForwardVector(int threads) {
        this(threads, true);
    }

    /**
     * With {@code flatTiles} false, stride-1 layers too run in tiles row by row, as every stride does (the tests
     * compare the two: the same bits).
     */
    AcdaForwardVector(int threads, boolean flatTiles) {
        this(threads, flatTiles, VectorGemm.FEW_REGISTERS);
    }

    /**
     * With {@code fewRegisters}, the atom convolution and the atoms use the kernels for 16 vector registers
     * ({@link VectorGemm#FEW_REGISTERS}) whatever the machine (the tests compare both: the same bits).
     */
    AcdaForwardVector(int threads, boolean flatTiles, boolean fewRegisters) {
        this(threads, flatTiles, fewRegisters, COPY_INPUT);
    }

    /**
     * With {@code copyInput}, the atom convolution copies the input of wide layers block by block whatever the
     * machine ({@link #COPY_INPUT}; the tests compare both: the same bits).
     */
    AcdaForwardVector(int threads, boolean flatTiles, boolean fewRegisters, boolean copyInput) {
        this(threads, flatTiles, fewRegisters, copyInput, !VectorGemm.FEW_REGISTERS);
    }

    /**
     * With {@code fuseChunks}, wide tiles run the atom and coefficient convolutions chunk by chunk of input channels
     * ({@link #atomAndCoefficientConvInChunks}); by default where the machine has 32 vector registers (its
     * 24-accumulator product spills with 16). The tests compare both: the same bits.
     */
    AcdaForwardVector(int threads, boolean flatTiles, boolean fewRegisters, boolean copyInput, boolean fuseChunks) {
        this.rows = new RowParallel(threads);
        this.flatTiles = flatTiles;
        this.fewRegisters = fewRegisters;
        this.copyInput = copyInput;
        this.fuseChunks = fuseChunks;
    }

    /** Lanes of the preferred float species on this machine. */
    public static int lanes() {
        return L;
    }

    /**
     * The vector registers the kernels are blocked for: 16 (x86 without AVX-512) or 32 (AVX-512, AArch64); see
     * {@code -Dacda.vector.registers}.
     */
    public static int vectorRegisters() {
        return VectorGemm.FEW_REGISTERS ? 16 : 32;
    }

    /**
     * Whether the atom convolution copies a wide layer's input block by block on this machine ({@link #COPY_INPUT},
     * by the L2 size; see {@code -Dacda.vector.copyInput}).
     */
    public static boolean copiesWideInputs() {
        return COPY_INPUT;
    }

    public int threads() {
        return rows.threads();
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

    /** Number of workspace (re)allocations so far: constant in a steady stream of calls of one shape. */
    public long allocations() {
        return allocations;
    }

    /**
     * Forward of {@code layer} on {@code x}.
     *
     * @param x input {@code [N, C, H, W]} (not modified)
     * @return a new tensor {@code [N, O, ceil(H/s), ceil(W/s)]}
     */
    public Tensor forward(AcdaLayer layer, Tensor x) {
        Tensor y = Tensor.zeros(AcdaShapes.checkInput(layer.config(), x));
        forwardInto(layer, x, y);
        return y;
    }

    /**
     * Forward into a caller-owned output (overwritten), so that repeated calls allocate nothing. A new Java array is
     * zeroed before {@link #forward} writes it, which for a large output costs several percent of the call
     * (bench/RESULTS.md): a loop over many inputs of one shape is faster with this.
     *
     * @param y output {@code [N, O, H', W']}, not the input's tensor
     */
    public void forwardInto(AcdaLayer layer, Tensor x, Tensor y) {
        AcdaConfig cfg = layer.config();
        int[] outShape = AcdaShapes.checkInput(cfg, x);
        Objects.requireNonNull(y, "output y");
        y.requireShape("output y", outShape);
        if (y.data() == x.data()) {
            throw new IllegalArgumentException("output y is the input x: expected a tensor of its own");
        }
        if (layer != cachedLayer) {
            packed = new Packed(layer);
            cachedLayer = layer;
        }
        Shape sh = new Shape(cfg, x.dim(2), x.dim(3), flatTiles, copyInput);
        if (!sh.equals(shape)) {
            shape = sh;
            xph = new float[sh.xphSize()];
            e1p = new float[sh.e1pSize()];
            workspaces = new Workspace[rows.threads()];
            for (int i = 0; i < workspaces.length; i++) {
                workspaces[i] = new Workspace(sh);
            }
            allocations++;
        }
        // With at least as many images as threads, each thread runs whole images on its own buffers: no
        // barriers between the stages and no input shared between cores. The images left over (N mod
        // threads) run one at a time with their rows split between the threads. Either way every output
        // element is computed by the same code in the same order: the bits do not depend on the split.
        int images = x.dim(0);
        int alone = rows.threads() == 1 ? 0 : images / rows.threads() * rows.threads();
        if (alone > 0 && workspaces[0].ownXph == null) {
            for (Workspace w : workspaces) {
                w.ownXph = new float[sh.xphSize()];
                w.ownE1p = new float[sh.e1pSize()];
            }
            allocations++;
        }
        Packed p = packed;
        float[] xd = x.data();
        float[] yd = y.data();
        if (alone > 0) {
            rows.run(alone, workspaces, (i0, i1, ws) -> {
                ws.xph = ws.ownXph;
                ws.e1p = ws.ownE1p;
                for (int n = i0; n < i1; n++) {
                    padChannels(sh, xd, n, 0, sh.cfg.inChannels(), ws);
                    conv1Units(p, sh, 0, sh.units(), ws);
                    borderE1(sh, ws.e1p);
                    tileUnits(p, sh, n, 0, sh.units(), yd, ws);
                }
            });
        }
        for (int n = alone; n < images; n++) {
            image(p, sh, xd, n, yd);
        }
    }

    /** One image, each stage's rows split between the threads, on the shared buffers. */
    private void image(Packed p, Shape sh, float[] x, int n, float[] y) {
        for (Workspace w : workspaces) {
            w.xph = xph;
            w.e1p = e1p;
        }
        rows.run(sh.cfg.inChannels(), workspaces, (c0, c1, ws) -> padChannels(sh, x, n, c0, c1, ws));
        // One row of the generator or of tiles takes about 0.1 to 1 ms: 32 chunks per thread, so that the threads
        // finish at most a row or two apart (4 left a Table 6 forward waiting up to 12 rows: 1.63x -> 1.73x on
        // table6-k7, 1.56x -> 1.90x on table6-k3 from 1 to 2 threads, bench/TUNING.md).
        rows.run(sh.units(), ROW_CHUNKS, workspaces, (r0, r1, ws) -> conv1Units(p, sh, r0, r1, ws));
        borderE1(sh, e1p);
        rows.run(sh.units(), ROW_CHUNKS, workspaces, (r0, r1, ws) -> tileUnits(p, sh, n, r0, r1, y, ws));
    }

    private void padChannels(Shape sh, float[] x, int n, int c0, int c1, Workspace ws) {
        long s = profiling ? StageClock.now() : 0;
        for (int c = c0; c < c1; c++) {
            sh.input.fillChannel(ws.xph, x, n, c, sh.cfg.padding());
        }
        if (profiling) {
            ws.clock.lap(Stage.PAD_INPUT.ordinal(), s);
        }
    }

    /** Generator conv 1 of units {@code u0 .. u1-1} (rows, or flat tiles: {@link Shape#units}). */
    private void conv1Units(Packed p, Shape sh, int u0, int u1, Workspace ws) {
        long s = profiling ? StageClock.now() : 0;
        int inter = sh.cfg.interChannels();
        int planeE = (sh.outH + 2) * sh.we;
        for (int u = u0; u < u1; u++) {
            if (!sh.flat) {
                generatorConv1Row(p, sh, u, ws);
                continue;
            }
            // Pixel p0 + j of the flattened image reads the input at p0 + j + conv1Off[k] and goes to e1p at
            // p0 + j + we + 1 (row h + 1, column w + 1): the columns past the width write e1p's border, which
            // borderE1 then sets.
            int p0 = u * NW;
            int cols = Math.min(NW, sh.flatPixels - p0);
            conv1Tile(p, ws, sh.conv1Off, p0, inter, sh.we + 1 + p0, planeE, cols);
        }
        if (profiling) {
            ws.clock.lap(Stage.GENERATOR_CONV1.ordinal(), s);
        }
    }

    /** The tiles of units {@code u0 .. u1-1} (rows, or flat tiles: {@link Shape#units}) of image {@code n}. */
    private void tileUnits(Packed p, Shape sh, int n, int u0, int u1, float[] y, Workspace ws) {
        int plane = sh.outH * sh.outW;
        int yImage = n * sh.cfg.outChannels() * plane;
        for (int u = u0; u < u1; u++) {
            if (sh.flat) {
                int p0 = u * NW;
                int cols = Math.min(NW, sh.flatPixels - p0);
                int segs = flatSegments(p0, cols, sh.we, sh.outW, yImage, ws.seg);
                tile(p, sh, ws, p0, p0, cols, y, 0, plane, ws.seg, segs);
                continue;
            }
            for (int w0 = 0; w0 < sh.outW; w0 += NW) {
                tile(p, sh, ws, u * sh.we + w0, sh.input.base(u, w0), Math.min(NW, sh.outW - w0), y,
                        yImage + u * sh.outW + w0, plane, null, 0);
            }
        }
    }

    /**
     * Where a flat tile's columns go in the output: pixel {@code p0 + j} ({@code j < cols}) of the flattened image
     * (rows {@code we} apart) is output row {@code h = (p0 + j) / we}, column {@code w = (p0 + j) % we}, skipped where
     * {@code w >= outW}. Writes segment {@code s} as {@code seg[3s] <= j < seg[3s+1]} going to
     * {@code yImage + h * outW + w}, i.e. to {@code seg[3s+2] + j} (plus the channel's offset), for
     * {@link VectorGemm#tileChunkedWide} and {@link #scatter}; returns the number of segments (at most
     * {@code cols}: each holds a column).
     */
    static int flatSegments(int p0, int cols, int we, int outW, int yImage, int[] seg) {
        int n = 0;
        int h = p0 / we;
        int j = 0;
        while (j < cols) {
            int w = p0 + j - h * we;
            if (w >= outW) {
                j += we - w;
                h++;
                continue;
            }
            int j1 = Math.min(cols, j + outW - w);
            seg[3 * n] = j;
            seg[3 * n + 1] = j1;
            seg[3 * n + 2] = yImage + h * outW + w - j;
            n++;
            j = j1;
        }
        return n;
    }

    /** Ints of a tile's segments ({@link #flatSegments}) for tiles of up to {@link VectorGemm#NW} columns. */
    static int segmentInts() {
        return 3 * NW;
    }

    /**
     * Copies a tile's outputs ({@code t[o][j]} for {@code o < outC}, rows {@link VectorGemm#NW} apart) into {@code y}
     * through its segments ({@link #flatSegments}), output {@code o} from {@code o * outStride}: for the tiles too
     * narrow for {@link VectorGemm#tileChunkedWide} to store them itself.
     */
    static void scatter(int outC, float[] t, int[] seg, int segs, float[] y, int outStride) {
        for (int s = 0; s < 3 * segs; s += 3) {
            int j0 = seg[s];
            int j1 = seg[s + 1];
            for (int o = 0; o < outC; o++) {
                int src = o * NW;
                int d = seg[s + 2] + o * outStride;
                int i = j0;
                for (; i + L <= j1; i += L) {
                    FloatVector.fromArray(S, t, src + i).intoArray(y, d + i);
                }
                if (i < j1) {
                    FloatVector.fromArray(S, t, src + i).intoArray(y, d + i, S.indexInRange(i, j1));
                }
            }
        }
    }

    /**
     * Generator conv 1 (+ BN, tanh) of one tile into {@code e1p}: in chunks of the inner dimension
     * ({@link VectorGemm#tileChunked}) where the machine has 16 registers and the weights of a row block do not fit L1
     * ({@link VectorGemm#CHUNK_ABOVE}), block by block otherwise. The same bits.
     */
    private static void conv1Tile(Packed p, Workspace ws, int[] off, int base, int inter, int outOff, int planeE,
                                  int cols) {
        if (VectorGemm.FEW_REGISTERS && p.k1 > VectorGemm.CHUNK_ABOVE) {
            VectorGemm.tileChunked(p.w1, p.k1, ws.xph, off, base, p.scale1, p.shift1, true, inter, ws.e1p, outOff,
                    planeE, cols, ws.scratchWide);
        } else {
            VectorGemm.tile(p.w1, p.k1, ws.xph, off, base, p.scale1, p.shift1, true, inter, ws.e1p, outOff, planeE,
                    cols, ws.scratchWide);
        }
    }

    private void generatorConv1Row(Packed p, Shape sh, int h, Workspace ws) {
        int inter = sh.cfg.interChannels();
        int rowBase = sh.input.base(h, 0);
        int planeE = (sh.outH + 2) * sh.we;
        for (int w0 = 0; w0 < sh.outW; w0 += NW) {
            int cols = Math.min(NW, sh.outW - w0);
            conv1Tile(p, ws, sh.conv1Off, rowBase + w0, inter, (h + 1) * sh.we + w0 + 1, planeE, cols);
        }
    }

    /**
     * The border of {@code e1p} that generator conv 2 reads: wrapped for circular padding; zeros otherwise, which
     * only flat tiles overwrite (the columns past the width of one row and the first of the row after next).
     */
    private static void borderE1(Shape sh, float[] e1p) {
        if (sh.cfg.padding() == PaddingMode.CIRCULAR) {
            wrapE1(sh, e1p);
        } else if (sh.flat) {
            int planeE = (sh.outH + 2) * sh.we;
            for (int i = 0; i < sh.cfg.interChannels(); i++) {
                for (int r = 1; r <= sh.outH; r++) {
                    int row = i * planeE + r * sh.we;
                    e1p[row] = 0f;
                    e1p[row + sh.outW + 1] = 0f;
                }
            }
        }
    }

    /** Circular padding of the generator's second convolution: wrap e1p's one-pixel border. */
    private static void wrapE1(Shape sh, float[] e1p) {
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
     * One tile of {@code cols <= NW} consecutive pixels ({@link VectorGemm#blockFor} picks the kernel for the
     * width): generator conv 2, atoms, atom convolution and coefficient convolution, through per-thread buffers
     * whose rows are {@code NW} wide. The tile's pixels start at {@code e1Base} in {@code e1p} and at {@code xBase}
     * in the padded input; output {@code o} goes to {@code y[yBase + o * yStride ..]}, or with {@code seg} non-null (a
     * flat tile) through its {@code segs} segments from {@code y[o * yStride]} ({@link #flatSegments}).
     */
    private void tile(Packed p, Shape sh, Workspace ws, int e1Base, int xBase, int cols, float[] y, int yBase,
                      int yStride, int[] seg, int segs) {
        AcdaConfig cfg = sh.cfg;
        int gen = cfg.generatorChannels();
        int bases = cfg.bases();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int outC = cfg.outChannels();

        long t0 = profiling ? StageClock.now() : 0;
        // Generator conv 2 (+ BN, tanh): G[j][0..NW).
        VectorGemm.tile(p.w2, p.k2, ws.e1p, sh.conv2Off, e1Base, p.scale2, p.shift2, true, gen, ws.g, 0, NW, cols,
                ws.scratchWide);
        long t1 = profiling ? lap(ws, Stage.GENERATOR_CONV2, t0) : 0;
        // Atoms: D[q][u][m] = sum_t Psi[t][u] G[m*T + t][q]  (zero slots of padded atoms stay zero).
        int vectors = (cols + L - 1) / L;
        atoms(p.psi, bases, taps, atoms, ws.g, ws.d, vectors, taps * sh.paddedAtoms * L, sh.paddedAtoms * L, L,
                fewRegisters);
        long t2 = profiling ? lap(ws, Stage.ATOMS, t1) : 0;
        if (fuseChunks && cols > 3 * L) {
            atomAndCoefficientConvInChunks(p, sh, ws, xBase, vectors, cols, y, yBase, yStride, seg, segs, t2);
            return;
        }
        // Atom convolution: Z[c*M + m][.] = sum_u D[.][u][m] * X[c][u][.].
        AtomConvolution.tile(sh, fewRegisters, ws.xph, xBase, ws.d, vectors, ws.xBlock, ws.z, VectorGemm.ALIGNED_START,
                NW);
        long t3 = profiling ? lap(ws, Stage.ATOM_CONV, t2) : 0;
        // Coefficient convolution: y[o][.] = bias[o] + sum_j coef[o][j] Z[j][.].
        if (seg == null) {
            VectorGemm.tile(p.coef, p.kc, ws.z, sh.zRowOff, VectorGemm.ALIGNED_START, null, p.bias, false, outC, y,
                    yBase, yStride, cols, ws.scratchWide);
        } else {
            VectorGemm.tile(p.coef, p.kc, ws.z, sh.zRowOff, VectorGemm.ALIGNED_START, null, p.bias, false, outC,
                    ws.yTile, 0, NW, cols, ws.scratchWide);
            scatter(outC, ws.yTile, seg, segs, y, yStride);
        }
        if (profiling) {
            lap(ws, Stage.COEFFICIENT_CONV, t3);
        }
    }

    /** Input channels per chunk of {@link #atomAndCoefficientConvInChunks}: a multiple of the atom convolution's block. */
    static final int FUSED_CHANNELS = 2 * AtomConvolution.CHANNEL_BLOCK;

    /**
     * The atom and coefficient convolutions of a wide tile ({@code cols > 3L}, {@code fuseChunks}), chunk by chunk of
     * {@link #FUSED_CHANNELS} input channels: the chunk's rows of {@code Z} ({@code 16 M} rows of {@code NW} floats,
     * 24 KiB with M = 6 and 16 lanes) are written and then read by every block of output channels while they are in
     * L1, instead of the whole tile's {@code Z} (393 KB at table6) going out to L2 and back. The coefficient
     * convolution's sums run over {@code j = c*M + m} in order, chunk after chunk ({@link VectorGemm#accumulateTile}):
     * the bits of {@link VectorGemm#tile}.
     */
    private void atomAndCoefficientConvInChunks(Packed p, Shape sh, Workspace ws, int xBase, int vectors, int cols,
                                                float[] y, int yBase, int yStride, int[] seg, int segs, long t2) {
        int inC = sh.cfg.inChannels();
        int atoms = sh.cfg.atoms();
        int outC = sh.cfg.outChannels();
        long t = t2;
        VectorGemm.clearTile(ws.scratchWide, outC);
        for (int c0 = 0; c0 < inC; c0 += FUSED_CHANNELS) {
            int c1 = Math.min(inC, c0 + FUSED_CHANNELS);
            int zBase = VectorGemm.ALIGNED_START - c0 * atoms * NW;
            AtomConvolution.tile(sh, fewRegisters, ws.xph, xBase, ws.d, vectors, ws.xBlock, ws.z, zBase, NW, c0, c1);
            t = profiling ? lap(ws, Stage.ATOM_CONV, t) : 0;
            VectorGemm.accumulateTile(p.coef, p.kc, c0 * atoms, c1 * atoms, ws.z, sh.zRowOff, zBase, outC,
                    ws.scratchWide);
            t = profiling ? lap(ws, Stage.COEFFICIENT_CONV, t) : 0;
        }
        VectorGemm.epilogueTile(ws.scratchWide, outC, null, p.bias, false, y, yBase, yStride, cols, seg, segs);
        if (profiling) {
            lap(ws, Stage.COEFFICIENT_CONV, t);
        }
    }

    private static long lap(Workspace ws, Stage stage, long since) {
        return ws.clock.lap(stage.ordinal(), since);
    }

    /**
     * {@code D[q][u][m][.] = sum_t psi[u][t] G[m*T + t][q*L ..]} for the {@code vectors} vectors {@code q} of
     * the tile, vector {@code (q, u, m)} of {@code D} at float {@code q*qStride + u*uStride + m*mStride}. The forward
     * packs {@code D} per vector, tap-major ({@code [vectors][K*K][paddedAtoms][L]}: strides
     * {@code K*K*paddedAtoms*L, paddedAtoms*L, L}), and so does the backward. In this layout the
     * atom convolution then reads the six atoms of one tap as six consecutive vectors, and one vector's atoms
     * (18.8 KB at K = 7) as one contiguous block that stays in L1. (The previous layout,
     * {@code [M][K*K][NW]}, put consecutive taps 256 bytes apart: one vector's atoms fell into a quarter of
     * L1's sets and were evicted between channel groups.) Each sum runs over {@code t} in order with one
     * FMA per term from zero, as the matrix product this replaces did, so {@code D} has the same bits.
     * Blocked as four taps by six atoms: 24 accumulators, six loads of {@code G} and four broadcasts per
     * {@code t}; with {@code fewRegisters} (16 vector registers, {@link VectorGemm#FEW_REGISTERS}) two taps by six
     * atoms first ({@link #atomsTwoTaps}). The same bits either way.
     */
    static void atoms(float[] psi, int bases, int taps, int atoms, float[] g, MemorySegment d, int vectors,
                      int qStride, int uStride, int mStride, boolean fewRegisters) {
        for (int q = 0; q < vectors; q++) {
            int dq = q * qStride;
            int m0 = 0;
            for (; m0 + 5 < atoms; m0 += 6) {
                int g0 = m0 * bases * NW + q * L;
                int u = 0;
                if (fewRegisters) {
                    for (; u + 1 < taps; u += 2) {
                        atomsTwoTaps(psi, bases, u, g, g0, d, dq + u * uStride + m0 * mStride, uStride, mStride);
                    }
                }
                for (; u + 3 < taps; u += 4) {
                    atomsFourTaps(psi, bases, u, g, g0, d, dq + u * uStride + m0 * mStride, uStride, mStride);
                }
                for (; u < taps; u++) {
                    atomsOneTap(psi, bases, u, g, g0, d, dq + u * uStride + m0 * mStride, mStride);
                }
            }
            for (; m0 < atoms; m0++) {
                int g0 = m0 * bases * NW + q * L;
                for (int u = 0; u < taps; u++) {
                    int pu = u * bases;
                    FloatVector acc = FloatVector.zero(S);
                    for (int t = 0; t < bases; t++) {
                        acc = FloatVector.broadcast(S, psi[pu + t]).fma(FloatVector.fromArray(S, g, g0 + t * NW), acc);
                    }
                    acc.intoMemorySegment(d, (long) (dq + u * uStride + m0 * mStride) << 2, NATIVE);
                }
            }
        }
    }

    /**
     * Taps {@code u .. u+3} of six atoms whose {@code G} rows start at {@code g0}; strides as {@link #atoms}'. The 24
     * stores are written out: a helper that took six {@code FloatVector}s was compiled on its own, not inlined, and
     * its arguments boxed (the atoms 14 times slower, bench/TUNING.md).
     */
    private static void atomsFourTaps(float[] psi, int bases, int u, float[] g, int g0, MemorySegment d, int dOff,
                                      int uStride, int mStride) {
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
        int gm = bases * NW;
        int p0 = u * bases;
        int p1 = p0 + bases;
        int p2 = p1 + bases;
        int p3 = p2 + bases;
        for (int t = 0; t < bases; t++) {
            int go = g0 + t * NW;
            FloatVector g0v = FloatVector.fromArray(S, g, go);
            FloatVector g1v = FloatVector.fromArray(S, g, go + gm);
            FloatVector g2v = FloatVector.fromArray(S, g, go + 2 * gm);
            FloatVector g3v = FloatVector.fromArray(S, g, go + 3 * gm);
            FloatVector g4v = FloatVector.fromArray(S, g, go + 4 * gm);
            FloatVector g5v = FloatVector.fromArray(S, g, go + 5 * gm);
            FloatVector w = FloatVector.broadcast(S, psi[p0 + t]);
            a0 = w.fma(g0v, a0);
            a1 = w.fma(g1v, a1);
            a2 = w.fma(g2v, a2);
            a3 = w.fma(g3v, a3);
            a4 = w.fma(g4v, a4);
            a5 = w.fma(g5v, a5);
            w = FloatVector.broadcast(S, psi[p1 + t]);
            b0 = w.fma(g0v, b0);
            b1 = w.fma(g1v, b1);
            b2 = w.fma(g2v, b2);
            b3 = w.fma(g3v, b3);
            b4 = w.fma(g4v, b4);
            b5 = w.fma(g5v, b5);
            w = FloatVector.broadcast(S, psi[p2 + t]);
            e0 = w.fma(g0v, e0);
            e1 = w.fma(g1v, e1);
            e2 = w.fma(g2v, e2);
            e3 = w.fma(g3v, e3);
            e4 = w.fma(g4v, e4);
            e5 = w.fma(g5v, e5);
            w = FloatVector.broadcast(S, psi[p3 + t]);
            f0 = w.fma(g0v, f0);
            f1 = w.fma(g1v, f1);
            f2 = w.fma(g2v, f2);
            f3 = w.fma(g3v, f3);
            f4 = w.fma(g4v, f4);
            f5 = w.fma(g5v, f5);
        }
        a0.intoMemorySegment(d, (long) dOff << 2, NATIVE);
        a1.intoMemorySegment(d, (long) (dOff + mStride) << 2, NATIVE);
        a2.intoMemorySegment(d, (long) (dOff + 2 * mStride) << 2, NATIVE);
        a3.intoMemorySegment(d, (long) (dOff + 3 * mStride) << 2, NATIVE);
        a4.intoMemorySegment(d, (long) (dOff + 4 * mStride) << 2, NATIVE);
        a5.intoMemorySegment(d, (long) (dOff + 5 * mStride) << 2, NATIVE);
        int o = dOff + uStride;
        b0.intoMemorySegment(d, (long) o << 2, NATIVE);
        b1.intoMemorySegment(d, (long) (o + mStride) << 2, NATIVE);
        b2.intoMemorySegment(d, (long) (o + 2 * mStride) << 2, NATIVE);
        b3.intoMemorySegment(d, (long) (o + 3 * mStride) << 2, NATIVE);
        b4.intoMemorySegment(d, (long) (o + 4 * mStride) << 2, NATIVE);
        b5.intoMemorySegment(d, (long) (o + 5 * mStride) << 2, NATIVE);
        o += uStride;
        e0.intoMemorySegment(d, (long) o << 2, NATIVE);
        e1.intoMemorySegment(d, (long) (o + mStride) << 2, NATIVE);
        e2.intoMemorySegment(d, (long) (o + 2 * mStride) << 2, NATIVE);
        e3.intoMemorySegment(d, (long) (o + 3 * mStride) << 2, NATIVE);
        e4.intoMemorySegment(d, (long) (o + 4 * mStride) << 2, NATIVE);
        e5.intoMemorySegment(d, (long) (o + 5 * mStride) << 2, NATIVE);
        o += uStride;
        f0.intoMemorySegment(d, (long) o << 2, NATIVE);
        f1.intoMemorySegment(d, (long) (o + mStride) << 2, NATIVE);
        f2.intoMemorySegment(d, (long) (o + 2 * mStride) << 2, NATIVE);
        f3.intoMemorySegment(d, (long) (o + 3 * mStride) << 2, NATIVE);
        f4.intoMemorySegment(d, (long) (o + 4 * mStride) << 2, NATIVE);
        f5.intoMemorySegment(d, (long) (o + 5 * mStride) << 2, NATIVE);
    }

    /**
     * Taps {@code u, u+1} of six atoms, for 16 vector registers: 12 accumulators, the two bases' weights held and the
     * six {@code G} rows loaded one at a time (15 registers, where {@link #atomsFourTaps} needs 31).
     */
    private static void atomsTwoTaps(float[] psi, int bases, int u, float[] g, int g0, MemorySegment d, int dOff,
                                     int uStride, int mStride) {
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
        int gm = bases * NW;
        int p0 = u * bases;
        int p1 = p0 + bases;
        for (int t = 0; t < bases; t++) {
            int go = g0 + t * NW;
            FloatVector w0 = FloatVector.broadcast(S, psi[p0 + t]);
            FloatVector w1 = FloatVector.broadcast(S, psi[p1 + t]);
            FloatVector gv = FloatVector.fromArray(S, g, go);
            a0 = w0.fma(gv, a0);
            b0 = w1.fma(gv, b0);
            gv = FloatVector.fromArray(S, g, go + gm);
            a1 = w0.fma(gv, a1);
            b1 = w1.fma(gv, b1);
            gv = FloatVector.fromArray(S, g, go + 2 * gm);
            a2 = w0.fma(gv, a2);
            b2 = w1.fma(gv, b2);
            gv = FloatVector.fromArray(S, g, go + 3 * gm);
            a3 = w0.fma(gv, a3);
            b3 = w1.fma(gv, b3);
            gv = FloatVector.fromArray(S, g, go + 4 * gm);
            a4 = w0.fma(gv, a4);
            b4 = w1.fma(gv, b4);
            gv = FloatVector.fromArray(S, g, go + 5 * gm);
            a5 = w0.fma(gv, a5);
            b5 = w1.fma(gv, b5);
        }
        a0.intoMemorySegment(d, (long) dOff << 2, NATIVE);
        a1.intoMemorySegment(d, (long) (dOff + mStride) << 2, NATIVE);
        a2.intoMemorySegment(d, (long) (dOff + 2 * mStride) << 2, NATIVE);
        a3.intoMemorySegment(d, (long) (dOff + 3 * mStride) << 2, NATIVE);
        a4.intoMemorySegment(d, (long) (dOff + 4 * mStride) << 2, NATIVE);
        a5.intoMemorySegment(d, (long) (dOff + 5 * mStride) << 2, NATIVE);
        int o = dOff + uStride;
        b0.intoMemorySegment(d, (long) o << 2, NATIVE);
        b1.intoMemorySegment(d, (long) (o + mStride) << 2, NATIVE);
        b2.intoMemorySegment(d, (long) (o + 2 * mStride) << 2, NATIVE);
        b3.intoMemorySegment(d, (long) (o + 3 * mStride) << 2, NATIVE);
        b4.intoMemorySegment(d, (long) (o + 4 * mStride) << 2, NATIVE);
        b5.intoMemorySegment(d, (long) (o + 5 * mStride) << 2, NATIVE);
    }

    /** Tap {@code u} of six atoms (the taps left over by {@link #atomsFourTaps}). */
    private static void atomsOneTap(float[] psi, int bases, int u, float[] g, int g0, MemorySegment d, int dOff,
                                    int mStride) {
        FloatVector a0 = FloatVector.zero(S);
        FloatVector a1 = FloatVector.zero(S);
        FloatVector a2 = FloatVector.zero(S);
        FloatVector a3 = FloatVector.zero(S);
        FloatVector a4 = FloatVector.zero(S);
        FloatVector a5 = FloatVector.zero(S);
        int gm = bases * NW;
        int p0 = u * bases;
        for (int t = 0; t < bases; t++) {
            int go = g0 + t * NW;
            FloatVector w = FloatVector.broadcast(S, psi[p0 + t]);
            a0 = w.fma(FloatVector.fromArray(S, g, go), a0);
            a1 = w.fma(FloatVector.fromArray(S, g, go + gm), a1);
            a2 = w.fma(FloatVector.fromArray(S, g, go + 2 * gm), a2);
            a3 = w.fma(FloatVector.fromArray(S, g, go + 3 * gm), a3);
            a4 = w.fma(FloatVector.fromArray(S, g, go + 4 * gm), a4);
            a5 = w.fma(FloatVector.fromArray(S, g, go + 5 * gm), a5);
        }
        a0.intoMemorySegment(d, (long) dOff << 2, NATIVE);
        a1.intoMemorySegment(d, (long) (dOff + mStride) << 2, NATIVE);
        a2.intoMemorySegment(d, (long) (dOff + 2 * mStride) << 2, NATIVE);
        a3.intoMemorySegment(d, (long) (dOff + 3 * mStride) << 2, NATIVE);
        a4.intoMemorySegment(d, (long) (dOff + 4 * mStride) << 2, NATIVE);
        a5.intoMemorySegment(d, (long) (dOff + 5 * mStride) << 2, NATIVE);
    }

    /**
     * {@link AtomConvolution} copies each block's input into a contiguous buffer first when a tile reads more than
     * this many floats of input (160 KiB) and the machine is one where the copy pays ({@link #COPY_INPUT}): then the
     * input rows come from L3 (the coefficient convolution's weights, streamed between tiles, have evicted them from
     * L2), and the copy's independent sequential loads overlap their misses where the kernel's loads, each feeding
     * six FMAs, wait one by one. Measured on Zen 5 (bench/TUNING.md): table6 (C = 256) gains 1.2x (K = 7) to 1.8x
     * (K = 3) in the atom convolution; resnet (C = 64, 50 to 125 KiB a tile, still in L2) loses 1.2x with the copy,
     * so it reads in place.
     */
    static final int COPY_INPUT_ABOVE_FLOATS = 40 * 1024;

    /**
     * Whether {@link AtomConvolution} copies the input of wide layers at all (see {@link #COPY_INPUT_ABOVE_FLOATS}).
     * Measured (bench/TUNING.md): the copy gains 1.2x to 1.8x in the atom convolution on Zen 5 (1 MiB of L2 a core)
     * and loses 1.4x at table6-k7 on a Sapphire Rapids Xeon (2 MiB of L2 a core), where a tile's input rows (0.7 MB
     * for the seven rows of table6-k7's taps) stay in L2 between the tiles that read them. The guess goes by the L2
     * size, the difference between the two that the JVM can read: the copy below {@link #COPY_INPUT_BELOW_L2_BYTES}
     * or where the size is unknown. The system property {@code acda.vector.copyInput} ({@code yes} or {@code no})
     * overrides it. Either way the atom convolution reads the same values: the same bits.
     */
    static final boolean COPY_INPUT = copyInputOfThisMachine();

    /** L2 bytes per core from which {@link #COPY_INPUT} guesses that the input is read in place. */
    static final long COPY_INPUT_BELOW_L2_BYTES = 2L << 20;

    private static boolean copyInputOfThisMachine() {
        long l2 = CacheSizes.l2Bytes();
        try {
            return copyInput(System.getProperty("acda.vector.copyInput"), l2);
        } catch (IllegalArgumentException e) {
            System.err.println("acda: " + e.getMessage() + "; the atom convolution follows the machine instead");
            return copyInput(null, l2);
        }
    }

    /**
     * See {@link #COPY_INPUT}; {@code l2Bytes} is 0 where unknown. A value of the property other than yes or no is
     * refused with one line.
     */
    static boolean copyInput(String property, long l2Bytes) {
        if (property != null) {
            return switch (property.trim()) {
                case "yes" -> true;
                case "no" -> false;
                default -> throw new IllegalArgumentException(
                        "acda.vector.copyInput: expected yes or no, got '" + property + "'");
            };
        }
        return l2Bytes < COPY_INPUT_BELOW_L2_BYTES; // an unknown size (0) copies, as before the rule
    }

    /** The byte order of the off-heap atoms (the backward's too). */
    static final ByteOrder NATIVE = ByteOrder.nativeOrder();

    /** Chunks per thread of the row-parallel phases (see {@link #image}). */
    private static final int ROW_CHUNKS = 32;

    @Override
    public void close() {
        rows.close();
        packed = null;
        cachedLayer = null;
        shape = null;
        workspaces = null;
        xph = null;
        e1p = null;
    }

    /** The bases transposed, {@code [K*K][T]} row-major: {@code psi[u*T + t] = Psi[t][u]} (the {@code psi} of {@link #atoms}). */
    static float[] basesByTap(AcdaLayer layer) {
        int taps = layer.config().taps();
        int bases = layer.config().bases();
        float[] raw = layer.data(AcdaLayer.BASES);
        float[] t = new float[taps * bases];
        for (int b = 0; b < bases; b++) {
            for (int u = 0; u < taps; u++) {
                t[u * bases + b] = raw[b * taps + u];
            }
        }
        return t;
    }

    /** Weights of one layer, packed for {@link VectorGemm}, with BatchNorm folded into scale and shift. */
    private static final class Packed {
        final float[] w1;
        final int k1;
        final float[] scale1;
        final float[] shift1;
        final float[] w2;
        final int k2;
        final float[] scale2;
        final float[] shift2;
        /** The bases transposed, {@code [K*K][T]} row-major: {@code psi[u*T + t] = Psi[t][u]}. */
        final float[] psi;
        final float[] coef;
        final int kc;
        final float[] bias;

        Packed(AcdaLayer layer) {
            AcdaConfig c = layer.config();
            int g = c.generatorKernel();
            int inter = c.interChannels();
            int gen = c.generatorChannels();
            k1 = c.inChannels() * g * g;
            w1 = VectorGemm.pack(layer.data(AcdaLayer.CONV1_WEIGHT), inter, k1);
            float[][] bn1 = foldBatchNorm(layer, "bases_net.1.", layer.data(AcdaLayer.CONV1_BIAS));
            scale1 = bn1[0];
            shift1 = bn1[1];
            k2 = inter * 9;
            w2 = VectorGemm.pack(layer.data(AcdaLayer.CONV2_WEIGHT), gen, k2);
            float[][] bn2 = foldBatchNorm(layer, "bases_net.4.", layer.data(AcdaLayer.CONV2_BIAS));
            scale2 = bn2[0];
            shift2 = bn2[1];
            psi = basesByTap(layer);
            kc = c.inChannels() * c.atoms();
            coef = VectorGemm.pack(layer.data(AcdaLayer.COEF), c.outChannels(), kc);
            bias = layer.biasOrZeros().clone();
        }

        /**
         * BatchNorm after a convolution with bias {@code b}, as {@code acc * scale + shift}:
         * {@code scale = gamma / sqrt(var + eps)}, {@code shift = (b - mean) * scale + beta}
         * (within the roundings {@link org.acdajvm.oracle.ErrorBounds} allows for BatchNorm).
         */
        private static float[][] foldBatchNorm(AcdaLayer layer, String prefix, float[] convBias) {
            float[] gamma = layer.data(prefix + "weight");
            float[] beta = layer.data(prefix + "bias");
            float[] mean = layer.data(prefix + "running_mean");
            float[] var = layer.data(prefix + "running_var");
            float[][] r = new float[2][gamma.length];
            for (int i = 0; i < gamma.length; i++) {
                r[0][i] = gamma[i] / (float) Math.sqrt(var[i] + (float) AcdaLayer.BN_EPS);
                r[1][i] = (convBias[i] - mean[i]) * r[0][i] + beta[i];
            }
            return r;
        }
    }

    /** Sizes and offset tables for one (config, H, W); the backward ({@link AcdaBackwardVector}) shares them. */
    static final class Shape {
        final AcdaConfig cfg;
        final int inH;
        final int inW;
        final int outH;
        final int outW;
        final PaddedInput input;
        /**
         * Whether the tiles run over the image's pixels flattened row after row ({@link #flatTile}; stride 1, the
         * forward only) rather than row by row: the input and {@code e1p} then share one row stride, {@link #we}.
         */
        final boolean flat;
        /** Pixels of the flattened image, {@code (outH - 1) * we + outW} (flat tiles only). */
        final int flatPixels;
        final int we;
        final int[] conv1Off;
        final int[] conv2Off;
        final int[] atomOff;
        final int[] zRowOff;
        /** The atom count rounded up to a multiple of 6 (the atom block of {@link AtomConvolution}). */
        final int paddedAtoms;
        /** Segments of one channel's input that a tile's atom convolution reads (offsets from the tile's base). */
        final int[] segStart;
        final int[] segLen;
        /** Where each segment goes in the per-channel copy of {@link Workspace#xBlock}. */
        final int[] segPos;
        /** Floats of one channel in {@link Workspace#xBlock}. */
        final int packedChannel;
        /** Whether {@link AtomConvolution} copies its input block by block (see {@link #COPY_INPUT_ABOVE_FLOATS}). */
        final boolean copyInputBlocks;
        /** {@link #atomOff} in the per-channel copy. */
        final int[] atomOffPacked;

        /** Row-by-row tiles (the backward, and every stride). */
        Shape(AcdaConfig cfg, int inH, int inW) {
            this(cfg, inH, inW, false, COPY_INPUT);
        }

        /**
         * With {@code flat}, flattened tiles where the stride is 1 and they compute fewer columns than row tiles
         * (see {@link #flat}; a 32-pixel row fills two vectors exactly, and its flat rows of 34 would only add work).
         */
        Shape(AcdaConfig cfg, int inH, int inW, boolean flat) {
            this(cfg, inH, inW, flat, COPY_INPUT);
        }

        /** With {@code copyInput} false, the atom convolution reads its input in place however wide the layer. */
        Shape(AcdaConfig cfg, int inH, int inW, boolean flat, boolean copyInput) {
            this.cfg = cfg;
            this.inH = inH;
            this.inW = inW;
            outH = cfg.outSize(inH);
            outW = cfg.outSize(inW);
            int halfG = (cfg.generatorKernel() - 1) / 2;
            int padX = Math.max(cfg.pad(), halfG);
            // Rows just wide enough for every read of a valid pixel (the atoms', conv 1's, e1p's border). With zero
            // padding a row's right padding is the next row's left padding (column inW + padX + j of row r is column
            // j of row r + 1, a zero for j < padX), and e1p's right border column is the next row's left one.
            int reachAtoms = cfg.dilation() * (cfg.kernelSize() - 1) - cfg.pad() + padX;
            int lastRead = outW - 1 + Math.max(halfG + padX, reachAtoms);
            boolean shared = cfg.padding() == PaddingMode.ZEROS;
            int rowStride = PaddedInput.rowStride(inW, padX, lastRead, shared ? outW + 1 : outW + 2, shared);
            int pixels = (outH - 1) * rowStride + outW;
            this.flat = flat && cfg.stride() == 1 && computedColumns(pixels) < (long) outH * computedColumns(outW);
            int tiled = (outW + NW - 1) / NW * NW;
            int reach = Math.max(cfg.dilation() * (cfg.kernelSize() - 1), cfg.generatorKernel() - 1) + 2 * padX;
            if (this.flat) {
                input = PaddedInput.rows(cfg.inChannels(), inH, inW, padX, rowStride, shared);
                we = rowStride;
                flatPixels = pixels;
            } else {
                input = new PaddedInput(cfg.inChannels(), inH, inW, cfg.stride(), padX, tiled, reach);
                we = tiled + 2;
                flatPixels = 0;
            }
            int g = cfg.generatorKernel();
            int inC = cfg.inChannels();
            conv1Off = new int[inC * g * g];
            for (int c = 0; c < inC; c++) {
                for (int a = 0; a < g; a++) {
                    for (int b = 0; b < g; b++) {
                        conv1Off[(c * g + a) * g + b] = input.tap(c, a - halfG + padX, b - halfG + padX);
                    }
                }
            }
            int inter = cfg.interChannels();
            conv2Off = new int[inter * 9];
            for (int i = 0; i < inter; i++) {
                for (int a = 0; a < 3; a++) {
                    for (int b = 0; b < 3; b++) {
                        conv2Off[(i * 3 + a) * 3 + b] = (i * (outH + 2) + a) * we + b;
                    }
                }
            }
            int k = cfg.kernelSize();
            int d = cfg.dilation();
            atomOff = new int[cfg.taps()];
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    atomOff[a * k + b] = input.tap(0, d * a - cfg.pad() + padX, d * b - cfg.pad() + padX);
                }
            }
            paddedAtoms = (cfg.atoms() + 5) / 6 * 6;
            // The input a tile's atom convolution reads, per channel: the union of [atomOff[u], atomOff[u] + NW).
            int[] order = java.util.stream.IntStream.range(0, atomOff.length).boxed()
                    .sorted((p1, p2) -> Integer.compare(atomOff[p1], atomOff[p2])).mapToInt(Integer::intValue).toArray();
            int[] st = new int[atomOff.length];
            int[] ln = new int[atomOff.length];
            int nseg = 0;
            for (int u : order) {
                int a0 = atomOff[u];
                if (nseg > 0 && a0 <= st[nseg - 1] + ln[nseg - 1]) {
                    ln[nseg - 1] = Math.max(ln[nseg - 1], a0 + NW - st[nseg - 1]);
                } else {
                    st[nseg] = a0;
                    ln[nseg] = NW;
                    nseg++;
                }
            }
            segStart = Arrays.copyOf(st, nseg);
            segLen = Arrays.copyOf(ln, nseg);
            segPos = new int[nseg];
            int pos = 0;
            for (int sg = 0; sg < nseg; sg++) {
                segPos[sg] = pos;
                pos += segLen[sg];
            }
            packedChannel = pos;
            copyInputBlocks = copyInput && (long) inC * pos > COPY_INPUT_ABOVE_FLOATS;
            atomOffPacked = new int[atomOff.length];
            for (int u = 0; u < atomOff.length; u++) {
                for (int sg = 0; sg < nseg; sg++) {
                    if (atomOff[u] >= segStart[sg] && atomOff[u] + NW <= segStart[sg] + segLen[sg]) {
                        atomOffPacked[u] = segPos[sg] + atomOff[u] - segStart[sg];
                    }
                }
            }
            zRowOff = new int[inC * cfg.atoms()];
            for (int j = 0; j < zRowOff.length; j++) {
                zRowOff[j] = j * NW;
            }
        }

        /**
         * Columns the kernels compute for a run of {@code pixels} in tiles of {@link VectorGemm#NW}: {@link
         * VectorGemm#blockFor} computes 4, 3 or (for up to {@link VectorGemm#NR} pixels) 2 vectors per tile, and with
         * {@link VectorGemm#FEW_REGISTERS} as many whole vectors as the pixels need (pairs and a single one).
         */
        static long computedColumns(int pixels) {
            long full = pixels / NW;
            int rest = pixels % NW;
            if (rest == 0) {
                return full * NW;
            }
            if (VectorGemm.FEW_REGISTERS) {
                return full * NW + (rest + L - 1) / L * L;
            }
            return full * NW + (rest > 3 * L ? NW : rest > NR ? 3 * L : NR);
        }

        /** Floats of the padded input buffer (flat tiles: a tile's worth more, for the last tile's full reads). */
        int xphSize() {
            return input.size() + (flat ? NW : 0);
        }

        /** The units the row-parallel phases split: flat tiles of {@link VectorGemm#NW} pixels, or rows. */
        int units() {
            return flat ? (flatPixels + NW - 1) / NW : outH;
        }

        int e1pSize() {
            return cfg.interChannels() * (outH + 2) * we + NR;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && s.cfg.equals(cfg) && s.inH == inH && s.inW == inW && s.flat == flat
                    && s.copyInputBlocks == copyInputBlocks;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(new int[] {cfg.hashCode(), inH, inW, flat ? 1 : 0, copyInputBlocks ? 1 : 0});
        }
    }

    /** Per-thread tiles: G [M*T][NW], D [NW/L][K*K][ceil(M/6)*6][L] (see {@link #atoms}), Z [C*M][NW]. */
    private static final class Workspace {
        final float[] g;
        /** Off-heap, 64-byte aligned: the atom convolution's six loads per tap never cross a cache line. */
        final MemorySegment d;
        final float[] z;
        /** The input of one block of channels of {@link AtomConvolution}, copied contiguous. */
        final float[] xBlock;
        final StageClock clock = new StageClock(Stage.values().length);
        /** The padded input and generator buffers this thread reads now: the shared ones or its own. */
        float[] xph;
        float[] e1p;
        /** This thread's own buffers, for whole images per thread (allocated when first needed). */
        float[] ownXph;
        float[] ownE1p;
        /** {@link VectorGemm#tile}'s sums (for the largest of the products' row counts). */
        final float[] scratchWide;
        /**
         * A narrow flat tile's outputs before {@link #scatter} (one vector of slack for its last row's reads); a wide
         * one's go straight to the output through {@link #seg}.
         */
        final float[] yTile;
        /** A flat tile's segments ({@link #flatSegments}). */
        final int[] seg = new int[segmentInts()];

        Workspace(Shape sh) {
            AcdaConfig c = sh.cfg;
            g = new float[VectorGemm.blocks(c.generatorChannels()) * MR * NW];
            d = AtomConvolution.atomsFor(sh);
            xBlock = new float[AtomConvolution.CHANNEL_BLOCK * sh.packedChannel];
            z = new float[VectorGemm.ALIGNED_START + c.inChannels() * c.atoms() * NW];
            yTile = new float[sh.flat ? VectorGemm.blocks(c.outChannels()) * MR * NW + L : 0];
            scratchWide = new float[VectorGemm.tileAccFloats(
                    Math.max(c.interChannels(), Math.max(c.generatorChannels(), c.outChannels())))];
        }
    }
}
