package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.NW;
import static org.acdajvm.vector.VectorGemm.S;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.TapConv;

/**
 * The Vector API path of a 2-D convolution whose products may be weighted per (pixel, tap): plain conv
 * ({@code kf == null}) and PAC conv, forward and backward; PAC's transposed conv is this backward's
 * {@code dx}; the local filter of PAC pool; and PAC's gaussian kernel with its backward. The mathematics is {@link org.acdajvm.layers.conv.ConvForwardScalar}'s:
 * <pre>
 *   y[n,o,p] = bias[o] + sum_{c,u} W[o,c,u] * kf[n,.,u,p] * xp[n,c,tap(p,u)]      k = c*K*K + u
 * </pre>
 * It never builds a per-pixel filter: per tile of {@link VectorGemm#NW} output pixels of one row,
 * <ul>
 * <li>forward: the {@code kf}-weighted im2col tile {@code B[k][j] = kf[u,p_j] * xp[c, tap(p_j,u)]}, then
 *     {@code y = W B} by {@link VectorGemm#block} on halves of {@code NR} columns (the tile stays in L2). For a plain
 *     conv the padded input's shifted rows serve as {@code B} directly ({@link VectorGemm#tile}: wide tiles in
 *     chunks of the inner dimension), over the image flattened row after row where the stride is 1 and that
 *     computes fewer columns ({@link FlatPlan}), and with whole images per thread where there are at least as many
 *     images as threads;</li>
 * <li>backward: {@code dB = W^T dy} (one GEMM), then per row {@code k}: {@code dx[tap] += kf * dB} (a vector add
 *     into a padded buffer, folded back at the end), {@code dkf[u,p] += xp * dB}, and
 *     {@code dW^T += B dy^T} ({@link VectorGemm#blockAddToRows}: the row-major tile {@code B} broadcast row by
 *     row, {@code dy} transposed; no transpose of {@code B}).</li>
 * </ul>
 * Rows are handed to the threads by {@link RowParallel}; the backward's sums over pixels ({@code dx}, {@code dW})
 * go to a fixed number of row slices, each with its own accumulators, added in slice order at the end, so
 * results do not depend on the thread count (up to {@link #SLICES} threads). Workspaces grow to the largest
 * shape seen and are reused. Not thread-safe.
 */
public final class TapConvVector implements TapConv, AutoCloseable {

    /** Row slices of the backward's pixel sums (more when there are more threads). */
    static final int SLICES = 4;

    private final RowParallel rows;
    private final Work[] work;
    private float[] packedW;
    private float[] packedWt;
    private float[] xph;
    private float[] kfp;
    private float[] dkfp;
    private float[] dyp;
    private float[][] slots = new float[0][];
    private float[] guidancePad;
    private float[] maskPad;
    private float[] ones;
    private float[] dd2p;
    private float[] dfp;
    private float[] rowScalars;
    private float[][] dxp = new float[0][];
    private float[][] dwt = new float[0][];

    /** One thread's tiles. */
    private static final class Work {
        float[] tile = new float[0];
        float[] db = new float[0];
        float[] dyt = new float[0];
        float[] dyT = new float[0];
        float[] bw = new float[0];
        float[] kt = new float[0];
        float[] kb = new float[0];
        /** The padded input of the images this thread runs alone ({@link #forward} without tap weights). */
        float[] xp = new float[0];
        /** The sums of a wide tile's chunked product ({@link VectorGemm#tile}). */
        float[] acc = new float[0];
        /** A narrow flat tile's outputs, {@code [O][NW]} and a vector of slack ({@link #flatTiles}). */
        float[] flatOut = new float[0];
        /** A flat tile's segments ({@link AcdaForwardVector#flatSegments}). */
        final int[] seg = new int[AcdaForwardVector.segmentInts()];
        final float[] scratch = new float[MR * NW];
    }

    public TapConvVector(int threads) {
        this.rows = new RowParallel(threads);
        this.work = new Work[threads];
        for (int i = 0; i < threads; i++) {
            work[i] = new Work();
        }
    }

    /** The lane count of the species in use. */
    public static int lanes() {
        return L;
    }

    /** The index layout of one call. */
    private record Plan(FilterGeometry g, PaddedInput in, int tiledW, int kdim, int kcs, int[] off, int[] tileOff) {
        static Plan of(FilterGeometry g, boolean perChannel) {
            return of(g, perChannel ? g.inC() : 1);
        }

        /** A plan with {@code kcs} kernel channels (filters), channel {@code c} weighted by filter {@link #filter}. */
        static Plan of(FilterGeometry g, int kcs) {
            int tiledW = (g.outW() + NW - 1) / NW * NW;
            int reach = g.dilation() * (g.k() - 1);
            PaddedInput in = new PaddedInput(g.inC(), g.inH(), g.inW(), g.stride(), g.pad(), tiledW, reach);
            int kdim = g.inC() * g.taps();
            int[] off = new int[kdim];
            int[] tileOff = new int[kdim];
            for (int c = 0; c < g.inC(); c++) {
                for (int a = 0; a < g.k(); a++) {
                    for (int b = 0; b < g.k(); b++) {
                        int k = (c * g.k() + a) * g.k() + b;
                        off[k] = in.tap(c, g.dilation() * a, g.dilation() * b);
                        tileOff[k] = k * NR;
                    }
                }
            }
            return new Plan(g, in, tiledW, kdim, kcs, off, tileOff);
        }

        /** The kernel channel of input channel {@code c}: {@code c / (C / kcs)} (0 for one shared kernel, c for one per channel). */
        int filter(int c) {
            return c / (g.inC() / kcs);
        }

        /** Start of row {@code h} of kernel channel {@code kc}, tap {@code u}, in the padded kernel layout. */
        int kfRow(int kc, int u, int h) {
            return ((kc * g.taps() + u) * g.outH() + h) * tiledW;
        }

        int kfSize() {
            return kcs * g.taps() * g.outH() * tiledW;
        }
    }

    private static float[] grow(float[] a, int size) {
        return a != null && a.length >= size ? a : new float[size];
    }

    /**
     * The forward; see the class comment.
     *
     * @param g          the geometry
     * @param x          {@code [N, C, H, W]}
     * @param w          {@code [O, C, K, K]}
     * @param bias       {@code [O]} or {@code null}
     * @param kf         {@code [N, KC, K*K, outH, outW]} ({@code KC = C} when {@code perChannel}, else 1) or {@code null}
     * @param y          {@code [N, O, outH, outW]}, overwritten
     */
    @Override
    public void forward(FilterGeometry g, float[] x, float[] w, float[] bias, float[] kf, boolean perChannel, float[] y) {
        Plan pl = Plan.of(g, perChannel);
        int outC = g.outC();
        int kdim = pl.kdim();
        int plane = g.outPlane();
        packedW = VectorGemm.pack(w, outC, kdim, kdim, 1, packedW);
        for (Work wk : work) {
            wk.acc = grow(wk.acc, VectorGemm.tileAccFloats(outC));
        }
        float[] packed = packedW;
        if (kf == null) {
            FlatPlan fp = FlatPlan.of(g);
            if (fp != null) {
                for (Work wk : work) {
                    wk.flatOut = grow(wk.flatOut, outC * NW + L);
                }
                plainImages(g, fp.inputSize(), (buf, n) -> fp.fill(buf, x, n), fp.units(), FLAT_CHUNKS,
                        (xp, image, u0, u1, wk) -> flatTiles(fp, packed, bias, xp, u0, u1, y, image, wk));
            } else {
                plainImages(g, pl.in().size(), (buf, n) -> pl.in().fill(buf, x, n, g.mode()), g.outH(),
                        RowParallel.CHUNKS_PER_THREAD,
                        (xp, image, h0, h1, wk) -> plainRows(pl, packed, bias, xp, h0, h1, y, image, wk));
            }
            return;
        }
        xph = grow(xph, pl.in().size());
        kfp = grow(kfp, pl.kfSize());
        for (Work wk : work) {
            wk.tile = grow(wk.tile, kdim * NR);
        }
        float[] xp = xph;
        float[] kfpad = kfp;
        int tiles = pl.tiledW() / NW;
        for (int n = 0; n < g.batch(); n++) {
            pl.in().fill(xp, x, n, g.mode());
            padKernel(pl, kf, n, kfpad);
            int image = n * outC * plane;
            rows.run(g.outH(), work, (r0, r1, wk) -> {
                for (int h = r0; h < r1; h++) {
                    for (int t = 0; t < tiles; t++) {
                        int w0 = t * NW;
                        int cols = Math.min(NW, g.outW() - w0);
                        // The weighted tile in halves of NR columns: a K=7, C=64 tile of NW columns (800 KB) would not
                        // stay in L2 while every block of output channels streams it.
                        for (int half = 0; half < NW && half < cols; half += NR) {
                            weightedTile(pl, xp, kfpad, h, w0 + half, wk.tile);
                            for (int blk = 0; blk < VectorGemm.blocks(outC); blk++) {
                                VectorGemm.block(packed, blk * kdim * MR, kdim, wk.tile, pl.tileOff(), 0, null, bias, false,
                                        blk * MR, outC, y, image + blk * MR * plane + h * g.outW() + w0 + half, plane,
                                        Math.min(NR, cols - half), wk.scratch);
                            }
                        }
                    }
                }
            });
        }
    }

    /** Fills a padded input buffer with image {@code n}. */
    @FunctionalInterface
    private interface ImageFill {
        void into(float[] buf, int n);
    }

    /** Units {@code [u0, u1)} (rows or flat tiles) of the image whose padded input is {@code xp} and output starts at {@code image}. */
    @FunctionalInterface
    private interface ImageUnits {
        void run(float[] xp, int image, int u0, int u1, Work wk);
    }

    /**
     * A plain convolution (no tap weights) image by image: with at least as many images as threads each thread runs
     * whole images on its own padded input, as the ACDA forward does (no barrier between images and the padding in
     * parallel: resnet-k3, N = 8, two threads: 150-158 -> 170-186 GFLOP/s, bench/TUNING.md); the images left over run
     * one at a time on the shared buffer, their {@code units} split between the threads in {@code chunks} chunks per
     * thread. Either way every output element is the same sum: the bits do not depend on the split.
     */
    private void plainImages(FilterGeometry g, int inputFloats, ImageFill fill, int units, int chunks, ImageUnits body) {
        int outC = g.outC();
        int plane = g.outPlane();
        int alone = rows.threads() == 1 ? 0 : g.batch() / rows.threads() * rows.threads();
        if (alone > 0) {
            for (Work wk : work) {
                wk.xp = grow(wk.xp, inputFloats);
            }
            rows.run(alone, work, (i0, i1, wk) -> {
                for (int n = i0; n < i1; n++) {
                    fill.into(wk.xp, n);
                    body.run(wk.xp, n * outC * plane, 0, units, wk);
                }
            });
        }
        xph = grow(xph, inputFloats);
        float[] xp = xph;
        for (int n = alone; n < g.batch(); n++) {
            fill.into(xp, n);
            int image = n * outC * plane;
            rows.run(units, chunks, work, (u0, u1, wk) -> body.run(xp, image, u0, u1, wk));
        }
    }

    /**
     * Tiles over a stride-1 plain convolution's output pixels flattened row after row, rows {@code we} apart in the
     * padded input and in the flattened output, as the ACDA forward's ({@code AcdaForwardVector.Shape#flat}): used where
     * they compute fewer columns than row tiles (K = 3 with zero padding: a 56-pixel row 64 columns by row, 57 flat; a
     * 100-pixel row 112 and 101). The columns past the width read the next row's padding and are never stored
     * ({@link #flatTiles}).
     */
    private record FlatPlan(FilterGeometry g, PaddedInput in, int we, int pixels, int[] off) {

        /** The flat tiles of {@code g}, or null (stride above 1, or no fewer columns than row tiles). */
        static FlatPlan of(FilterGeometry g) {
            if (g.stride() != 1) {
                return null;
            }
            int lastRead = g.outW() - 1 + g.dilation() * (g.k() - 1);
            boolean shared = g.mode() == PaddingMode.ZEROS;
            // With zero padding a row's right padding is the next row's left padding (PaddedInput#rows).
            int we = PaddedInput.rowStride(g.inW(), g.pad(), lastRead, g.outW(), shared);
            int pixels = (g.outH() - 1) * we + g.outW();
            long rowColumns = (long) g.outH() * AcdaForwardVector.Shape.computedColumns(g.outW());
            if (AcdaForwardVector.Shape.computedColumns(pixels) >= rowColumns) {
                return null;
            }
            PaddedInput in = PaddedInput.rows(g.inC(), g.inH(), g.inW(), g.pad(), we, shared);
            int[] off = new int[g.inC() * g.taps()];
            for (int c = 0; c < g.inC(); c++) {
                for (int a = 0; a < g.k(); a++) {
                    for (int b = 0; b < g.k(); b++) {
                        off[(c * g.k() + a) * g.k() + b] = in.tap(c, g.dilation() * a, g.dilation() * b);
                    }
                }
            }
            return new FlatPlan(g, in, we, pixels, off);
        }

        int units() {
            return (pixels + NW - 1) / NW;
        }

        /** Floats of a padded input: a tile's worth more, for the last tile's full reads. */
        int inputSize() {
            return in.size() + NW;
        }

        /**
         * Image {@code n} of {@code x} into {@code buf}, and zeros after its last row: with zero padding the last row's
         * right padding is read there (the buffer is reused, and a previous call may have left other values).
         */
        void fill(float[] buf, float[] x, int n) {
            in.fill(buf, x, n, g.mode());
            Arrays.fill(buf, in.channels * in.hp * in.wq, inputSize(), 0f);
        }
    }

    /** Chunks per thread of an image's flat tiles split between the threads (as the ACDA forward's rows). */
    private static final int FLAT_CHUNKS = 32;

    /**
     * Flat tiles {@code [u0, u1)} of one image from its padded input {@code xp}: a wide tile through
     * {@link VectorGemm#tileChunkedWide}, which stores its columns in the output rows they belong to (the tile's
     * segments); a narrow one through {@link VectorGemm#tile} into {@code flatOut} and then copied
     * ({@link AcdaForwardVector#scatter}). The same bits either way.
     */
    private static void flatTiles(FlatPlan fp, float[] packed, float[] bias, float[] xp, int u0, int u1, float[] y,
                                  int image, Work wk) {
        FilterGeometry g = fp.g();
        int outC = g.outC();
        int kdim = fp.off().length;
        for (int u = u0; u < u1; u++) {
            int p0 = u * NW;
            int cols = Math.min(NW, fp.pixels() - p0);
            int segs = AcdaForwardVector.flatSegments(p0, cols, fp.we(), g.outW(), image, wk.seg);
            if (VectorGemm.wideTile(cols)) {
                VectorGemm.tileChunkedWide(packed, kdim, xp, fp.off(), p0, null, bias, false, outC, y, 0, g.outPlane(),
                        cols, wk.seg, segs, wk.acc);
            } else {
                VectorGemm.tile(packed, kdim, xp, fp.off(), p0, null, bias, false, outC, wk.flatOut, 0, NW, cols,
                        wk.acc);
                AcdaForwardVector.scatter(outC, wk.flatOut, wk.seg, segs, y, g.outPlane());
            }
        }
    }

    /**
     * Rows {@code [h0, h1)} of one image of a plain convolution (no tap weights) from its padded input {@code xp}, tile
     * by tile through {@link VectorGemm#tile}: with 32 vector registers a wide tile runs in chunks of the inner
     * dimension, its input rows read from L1 by every block of output channels (1.07x to 1.33x on the Table 6 and
     * resnet shapes, bench/TUNING.md). The bits of block after block.
     */
    private static void plainRows(Plan pl, float[] packed, float[] bias, float[] xp, int h0, int h1, float[] y, int image,
                                  Work wk) {
        FilterGeometry g = pl.g();
        int outC = g.outC();
        int kdim = pl.kdim();
        int plane = g.outPlane();
        for (int h = h0; h < h1; h++) {
            for (int w0 = 0; w0 < g.outW(); w0 += NW) {
                int cols = Math.min(NW, g.outW() - w0);
                VectorGemm.tile(packed, kdim, xp, pl.off(), pl.in().base(h, w0), null, bias, false, outC, y,
                        image + h * g.outW() + w0, plane, cols, wk.acc);
            }
        }
    }

    /** {@code kf} of image {@code n} into the padded layout (rows {@code tiledW} long, zero tails). */
    private static void padKernel(Plan pl, float[] kf, int n, float[] kfpad) {
        FilterGeometry g = pl.g();
        int plane = g.outPlane();
        for (int kc = 0; kc < pl.kcs(); kc++) {
            for (int u = 0; u < g.taps(); u++) {
                int src = ((n * pl.kcs() + kc) * g.taps() + u) * plane;
                for (int h = 0; h < g.outH(); h++) {
                    int d = pl.kfRow(kc, u, h);
                    System.arraycopy(kf, src + h * g.outW(), kfpad, d, g.outW());
                    Arrays.fill(kfpad, d + g.outW(), d + pl.tiledW(), 0f);
                }
            }
        }
    }

    /** The tile {@code B[k][j] = kf[kc(k), u(k), h, w0+j] * xp[tap_k + base + j]}, {@code NR} columns per row. */
    private static void weightedTile(Plan pl, float[] xp, float[] kfpad, int h, int w0, float[] tile) {
        FilterGeometry g = pl.g();
        int taps = g.taps();
        int base = pl.in().base(h, w0);
        for (int c = 0; c < g.inC(); c++) {
            int kc = pl.filter(c);
            for (int u = 0; u < taps; u++) {
                int k = c * taps + u;
                int xo = pl.off()[k] + base;
                int ko = pl.kfRow(kc, u, h) + w0;
                int to = k * NR;
                for (int j = 0; j < NR; j += L) {
                    FloatVector.fromArray(S, xp, xo + j).mul(FloatVector.fromArray(S, kfpad, ko + j)).intoArray(tile, to + j);
                }
            }
        }
    }

    /**
     * The backward; every requested gradient is added into its array (callers pass zeros).
     *
     * @param x   {@code [N, C, H, W]} ({@code null} when neither {@code dw} nor {@code dkf} is asked for)
     * @param w   {@code [O, C, K, K]}
     * @param kf  as in {@link #forward}, or {@code null}
     * @param dy  {@code [N, O, outH, outW]}
     * @param dx  {@code [N, C, H, W]} or {@code null}
     * @param dw  {@code [O, C, K, K]} or {@code null}
     * @param db  {@code [O]} or {@code null}
     * @param dkf shaped as {@code kf}, or {@code null}
     */
    @Override
    public void backward(FilterGeometry g, float[] x, float[] w, float[] kf, boolean perChannel, float[] dy,
                         float[] dx, float[] dw, float[] db, float[] dkf) {
        Plan pl = Plan.of(g, perChannel);
        int outC = g.outC();
        int kdim = pl.kdim();
        int plane = g.outPlane();
        int opad = (outC + NR - 1) / NR * NR;
        int slices = Math.min(g.outH(), Math.max(SLICES, rows.threads()));
        boolean needDb = dx != null || dkf != null;
        boolean needX = dw != null || dkf != null;
        if (needDb) {
            packedWt = VectorGemm.pack(w, kdim, outC, 1, kdim, packedWt);
        }
        if (needX) {
            xph = grow(xph, pl.in().size());
        }
        if (kf != null) {
            kfp = grow(kfp, pl.kfSize());
        }
        if (dkf != null) {
            dkfp = grow(dkfp, pl.kfSize());
        }
        if (dx != null) {
            dxp = growSlices(dxp, slices, pl.in().size());
        }
        if (dw != null) {
            dwt = growSlices(dwt, slices, kdim * opad);
            for (int s = 0; s < slices; s++) {
                Arrays.fill(dwt[s], 0, kdim * opad, 0f);
            }
        }
        for (Work wk : work) {
            wk.dyt = grow(wk.dyt, outC * NW);
            wk.db = needDb ? grow(wk.db, kdim * NW) : wk.db;
            wk.dyT = dw != null ? grow(wk.dyT, NW * opad) : wk.dyT;
            wk.bw = dw != null ? grow(wk.bw, kdim * NW) : wk.bw;
        }
        int[] dytOff = new int[outC];
        for (int o = 0; o < outC; o++) {
            dytOff[o] = o * NW;
        }
        int[] dyTOff = new int[NW];
        for (int j = 0; j < NW; j++) {
            dyTOff[j] = j * opad;
        }
        int[] dwtOff = new int[kdim];
        for (int k = 0; k < kdim; k++) {
            dwtOff[k] = k * opad;
        }
        int tiles = pl.tiledW() / NW;
        int size = pl.in().size();
        for (int n = 0; n < g.batch(); n++) {
            int nn = n;
            if (needX) {
                pl.in().fill(xph, x, n, g.mode());
            }
            if (kf != null) {
                padKernel(pl, kf, n, kfp);
            }
            if (dkf != null) {
                Arrays.fill(dkfp, 0, pl.kfSize(), 0f);
            }
            if (dx != null) {
                for (int s = 0; s < slices; s++) {
                    Arrays.fill(dxp[s], 0, size, 0f);
                }
            }
            float[] xp = xph;
            float[] kfpad = kf == null ? null : kfp;
            float[] dkfpad = dkfp;
            float[] wt = packedWt;
            rows.run(slices, work, (s0, s1, wk) -> {
                for (int s = s0; s < s1; s++) {
                    int h0 = s * g.outH() / slices;
                    int h1 = (s + 1) * g.outH() / slices;
                    for (int h = h0; h < h1; h++) {
                        for (int t = 0; t < tiles; t++) {
                            int w0 = t * NW;
                            int cols = Math.min(NW, g.outW() - w0);
                            tileBackward(pl, wt, nn, h, w0, cols, xp, kfpad, dy, outC, opad, wk,
                                    dx == null ? null : dxp[s], dw == null ? null : dwt[s], dkf == null ? null : dkfpad,
                                    dytOff, dyTOff, dwtOff);
                        }
                    }
                }
            });
            if (dx != null) {
                for (int s = 1; s < slices; s++) {
                    addInto(dxp[0], dxp[s], size);
                }
                for (int c = 0; c < g.inC(); c++) {
                    pl.in().foldChannel(dxp[0], dx, n, c, g.mode());
                }
            }
            if (dkf != null) {
                addKernelGradient(pl, n, dkfpad, dkf);
            }
        }
        if (dw != null) {
            for (int s = 1; s < slices; s++) {
                addInto(dwt[0], dwt[s], kdim * opad);
            }
            for (int o = 0; o < outC; o++) {
                for (int k = 0; k < kdim; k++) {
                    dw[o * kdim + k] += dwt[0][k * opad + o];
                }
            }
        }
        if (db != null) {
            for (int n = 0; n < g.batch(); n++) {
                for (int o = 0; o < outC; o++) {
                    float sum = 0f;
                    int base = (n * outC + o) * plane;
                    for (int i = 0; i < plane; i++) {
                        sum += dy[base + i];
                    }
                    db[o] += sum;
                }
            }
        }
    }

    /** The backward of one tile of {@code NW} pixels of row {@code h} (see the class comment). */
    private static void tileBackward(Plan pl, float[] packedWt, int n, int h, int w0, int cols, float[] xp, float[] kfpad,
                                     float[] dy,
                                     int outC, int opad, Work wk, float[] dxpad, float[] dwT, float[] dkfpad,
                                     int[] dytOff, int[] dyTOff, int[] dwtOff) {
        FilterGeometry g = pl.g();
        int plane = g.outPlane();
        int kdim = pl.kdim();
        int taps = g.taps();
        int base = pl.in().base(h, w0);
        float[] dyt = wk.dyt;
        for (int o = 0; o < outC; o++) {
            int src = (n * outC + o) * plane + h * g.outW() + w0;
            System.arraycopy(dy, src, dyt, o * NW, cols);
            Arrays.fill(dyt, o * NW + cols, (o + 1) * NW, 0f);
        }
        float[] dbt = wk.db;
        if (dxpad != null || dkfpad != null) {
            // dB = W^T dy for the tile: rows k = (c, u), NW columns.
            for (int kb = 0; kb < VectorGemm.blocks(kdim); kb++) {
                VectorGemm.blockFor(packedWt, kb * outC * MR, outC, dyt, dytOff, 0, null, null, false, kb * MR, kdim,
                        dbt, kb * MR * NW, NW, NW, wk.scratch);
            }
        }
        float[] bw = wk.bw;
        for (int c = 0; c < g.inC(); c++) {
            int kc = pl.filter(c);
            for (int u = 0; u < taps; u++) {
                int k = c * taps + u;
                int xo = pl.off()[k] + base;
                int ko = kfpad == null ? 0 : pl.kfRow(kc, u, h) + w0;
                int bo = k * NW;
                // One loop per product, each over plain vectors (a vector that may be null defeats C2's unboxing).
                if (dxpad != null && kfpad != null) {
                    for (int j = 0; j < NW; j += L) {
                        FloatVector t = FloatVector.fromArray(S, dbt, bo + j).mul(FloatVector.fromArray(S, kfpad, ko + j));
                        FloatVector.fromArray(S, dxpad, xo + j).add(t).intoArray(dxpad, xo + j);
                    }
                } else if (dxpad != null) {
                    for (int j = 0; j < NW; j += L) {
                        FloatVector.fromArray(S, dxpad, xo + j).add(FloatVector.fromArray(S, dbt, bo + j)).intoArray(dxpad, xo + j);
                    }
                }
                if (dkfpad != null) {
                    for (int j = 0; j < NW; j += L) {
                        FloatVector t = FloatVector.fromArray(S, xp, xo + j).mul(FloatVector.fromArray(S, dbt, bo + j));
                        FloatVector.fromArray(S, dkfpad, ko + j).add(t).intoArray(dkfpad, ko + j);
                    }
                }
                if (dwT != null && kfpad != null) {
                    for (int j = 0; j < NW; j += L) {
                        FloatVector.fromArray(S, xp, xo + j).mul(FloatVector.fromArray(S, kfpad, ko + j)).intoArray(bw, bo + j);
                    }
                } else if (dwT != null) {
                    System.arraycopy(xp, xo, bw, bo, NW);
                }
            }
        }
        if (dwT != null) {
            // dW^T[k][o] += sum_j B[k][j] dy[o][j]: B packed transposed (MR rows of k per block), dy transposed.
            float[] dyT = wk.dyT;
            Arrays.fill(dyT, 0, NW * opad, 0f);
            for (int o = 0; o < outC; o++) {
                for (int j = 0; j < cols; j++) {
                    dyT[j * opad + o] = dyt[o * NW + j];
                }
            }
            for (int kb = 0; kb < VectorGemm.blocks(kdim); kb++) {
                for (int oc = 0; oc < opad; oc += NR) {
                    VectorGemm.blockAddToRows(bw, kb * MR * NW, NW, NW, dyT, dyTOff, oc, kb * MR, kdim, dwT, dwtOff, oc,
                            wk.scratch);
                }
            }
        }
    }

    /**
     * The local filter (PAC pool; {@link org.acdajvm.layers.conv.LocalFilterScalar}'s mathematics): per tile of {@code NW} pixels of a row
     * and channel, {@code y = sum_u kf[u] * xp[tap_u]} with vector FMAs. Rows go to the threads.
     */
    @Override
    public void localFilter(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] y) {
        localFilter(g, kf, perChannel ? g.inC() : 1, false, x, y);
    }

    /** The local filter with {@code groups} filters (involution: one per group of channels), as above. */
    @Override
    public void localFilter(FilterGeometry g, float[] kf, int groups, float[] x, float[] y) {
        localFilter(g, kf, groups, false, x, y);
    }

    /** As {@link #localFilter(FilterGeometry, float[], boolean, float[], float[])}; one kernel for every image when {@code sharedByBatch} (TVConv). */
    @Override
    public void localFilter(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x, float[] y) {
        localFilter(g, kf, perChannel ? g.inC() : 1, sharedByBatch, x, y);
    }

    /** The general form: {@code groups} filters (channel {@code c} uses {@code c / (C/groups)}), shared by the batch or one set per image. */
    public void localFilter(FilterGeometry g, float[] kf, int groups, boolean sharedByBatch, float[] x, float[] y) {
        Plan pl = Plan.of(g, groups);
        xph = grow(xph, pl.in().size());
        kfp = grow(kfp, pl.kfSize());
        float[] xp = xph;
        float[] kfpad = kfp;
        int tiles = pl.tiledW() / NW;
        int taps = g.taps();
        int plane = g.outPlane();
        for (int n = 0; n < g.batch(); n++) {
            pl.in().fill(xp, x, n, g.mode());
            if (!sharedByBatch || n == 0) {
                padKernel(pl, kf, sharedByBatch ? 0 : n, kfpad);
            }
            int image = n * g.inC() * plane;
            rows.run(g.outH(), work, (r0, r1, wk) -> {
                float[] acc = wk.scratch;
                for (int h = r0; h < r1; h++) {
                    for (int t = 0; t < tiles; t++) {
                        int w0 = t * NW;
                        int cols = Math.min(NW, g.outW() - w0);
                        int base = pl.in().base(h, w0);
                        for (int c = 0; c < g.inC(); c++) {
                            int kc = pl.filter(c);
                            FloatVector a0 = FloatVector.zero(S);
                            FloatVector a1 = FloatVector.zero(S);
                            FloatVector a2 = FloatVector.zero(S);
                            FloatVector a3 = FloatVector.zero(S);
                            for (int u = 0; u < taps; u++) {
                                int xo = pl.off()[c * taps + u] + base;
                                int ko = pl.kfRow(kc, u, h) + w0;
                                a0 = FloatVector.fromArray(S, kfpad, ko).fma(FloatVector.fromArray(S, xp, xo), a0);
                                a1 = FloatVector.fromArray(S, kfpad, ko + L).fma(FloatVector.fromArray(S, xp, xo + L), a1);
                                a2 = FloatVector.fromArray(S, kfpad, ko + 2 * L).fma(FloatVector.fromArray(S, xp, xo + 2 * L), a2);
                                a3 = FloatVector.fromArray(S, kfpad, ko + 3 * L).fma(FloatVector.fromArray(S, xp, xo + 3 * L), a3);
                            }
                            a0.intoArray(acc, 0);
                            a1.intoArray(acc, L);
                            a2.intoArray(acc, 2 * L);
                            a3.intoArray(acc, 3 * L);
                            System.arraycopy(acc, 0, y, image + c * plane + h * g.outW() + w0, cols);
                        }
                    }
                }
            });
        }
    }

    /**
     * The local filter's backward: {@code dkf} by rows (each pixel's sum over channels is one thread's), {@code dx}
     * by channels (each channel's scatter is one thread's), so neither depends on the thread count.
     */
    @Override
    public void localFilterBackward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] dy, float[] dx,
                                    float[] dkf) {
        localFilterBackward(g, kf, perChannel ? g.inC() : 1, false, x, dy, dx, dkf);
    }

    /** The local filter's backward with {@code groups} filters, as above. */
    @Override
    public void localFilterBackward(FilterGeometry g, float[] kf, int groups, float[] x, float[] dy, float[] dx, float[] dkf) {
        localFilterBackward(g, kf, groups, false, x, dy, dx, dkf);
    }

    /** As the other; with {@code sharedByBatch} one kernel serves every image and {@code dkf} sums over them, in image order. */
    @Override
    public void localFilterBackward(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x,
                                    float[] dy, float[] dx, float[] dkf) {
        localFilterBackward(g, kf, perChannel ? g.inC() : 1, sharedByBatch, x, dy, dx, dkf);
    }

    /** The general form of the backward: {@code groups} filters, shared by the batch or one set per image. */
    public void localFilterBackward(FilterGeometry g, float[] kf, int groups, boolean sharedByBatch, float[] x, float[] dy,
                                    float[] dx, float[] dkf) {
        Plan pl = Plan.of(g, groups);
        int tiles = pl.tiledW() / NW;
        int taps = g.taps();
        int plane = g.outPlane();
        int rowLen = pl.tiledW();
        int dyPlane = g.outH() * rowLen;
        xph = grow(xph, pl.in().size());
        kfp = grow(kfp, pl.kfSize());
        dkfp = grow(dkfp, pl.kfSize());
        dxp = growSlices(dxp, 1, pl.in().size());
        dyp = grow(dyp, g.inC() * dyPlane);
        float[] xp = xph;
        float[] kfpad = kfp;
        float[] dkfpad = dkfp;
        float[] dxpad = dxp[0];
        float[] dypad = dyp;
        Object[] none = new Object[rows.threads()];
        for (int n = 0; n < g.batch(); n++) {
            int nn = n;
            if (dkf != null) {
                pl.in().fill(xp, x, n, g.mode());
            }
            if (!sharedByBatch || n == 0) {
                padKernel(pl, kf, sharedByBatch ? 0 : n, kfpad);
            }
            for (int c = 0; c < g.inC(); c++) {
                for (int h = 0; h < g.outH(); h++) {
                    int d = c * dyPlane + h * rowLen;
                    System.arraycopy(dy, (n * g.inC() + c) * plane + h * g.outW(), dypad, d, g.outW());
                    Arrays.fill(dypad, d + g.outW(), d + rowLen, 0f);
                }
            }
            if (dkf != null) {
                Arrays.fill(dkfpad, 0, pl.kfSize(), 0f);
                rows.run(g.outH(), none, (r0, r1, unused) -> {
                    for (int h = r0; h < r1; h++) {
                        for (int t = 0; t < tiles; t++) {
                            int w0 = t * NW;
                            int base = pl.in().base(h, w0);
                            for (int c = 0; c < g.inC(); c++) {
                                int kc = pl.filter(c);
                                int dyo = c * dyPlane + h * rowLen + w0;
                                for (int u = 0; u < taps; u++) {
                                    int xo = pl.off()[c * taps + u] + base;
                                    int ko = pl.kfRow(kc, u, h) + w0;
                                    for (int j = 0; j < NW; j += L) {
                                        FloatVector.fromArray(S, xp, xo + j).fma(FloatVector.fromArray(S, dypad, dyo + j),
                                                FloatVector.fromArray(S, dkfpad, ko + j)).intoArray(dkfpad, ko + j);
                                    }
                                }
                            }
                        }
                    }
                });
                addKernelGradient(pl, sharedByBatch ? 0 : nn, dkfpad, dkf);
            }
            if (dx != null) {
                Arrays.fill(dxpad, 0, pl.in().size(), 0f);
                rows.run(g.inC(), none, (c0, c1, unused) -> {
                    for (int c = c0; c < c1; c++) {
                        int kc = pl.filter(c);
                        for (int h = 0; h < g.outH(); h++) {
                            for (int t = 0; t < tiles; t++) {
                                int w0 = t * NW;
                                int base = pl.in().base(h, w0);
                                int dyo = c * dyPlane + h * rowLen + w0;
                                for (int u = 0; u < taps; u++) {
                                    int xo = pl.off()[c * taps + u] + base;
                                    int ko = pl.kfRow(kc, u, h) + w0;
                                    for (int j = 0; j < NW; j += L) {
                                        FloatVector.fromArray(S, kfpad, ko + j).fma(FloatVector.fromArray(S, dypad, dyo + j),
                                                FloatVector.fromArray(S, dxpad, xo + j)).intoArray(dxpad, xo + j);
                                    }
                                }
                            }
                        }
                        pl.in().foldChannel(dxpad, dx, nn, c, g.mode());
                    }
                });
            }
        }
    }

    /** Adds the padded kernel gradient of image {@code n} into {@code dkf [N, KC, K*K, outH, outW]}. */
    private static void addKernelGradient(Plan pl, int n, float[] dkfpad, float[] dkf) {
        FilterGeometry g = pl.g();
        int plane = g.outPlane();
        for (int kc = 0; kc < pl.kcs(); kc++) {
            for (int u = 0; u < g.taps(); u++) {
                int dst = ((n * pl.kcs() + kc) * g.taps() + u) * plane;
                for (int h = 0; h < g.outH(); h++) {
                    int src = pl.kfRow(kc, u, h);
                    for (int j = 0; j < g.outW(); j++) {
                        dkf[dst + h * g.outW() + j] += dkfpad[src + j];
                    }
                }
            }
        }
    }

    /**
     * PAC's gaussian kernel on vectors: the guidance copied once per image into the padded layout, then per tile
     * of {@code NW} pixels and tap the squared distance over guidance channels, {@link VectorMath#expInPlace}, the
     * in-image mask (zero padding: a padded image of ones), and the normaliser summed over taps in tap order.
     * Rows go to the threads.
     */
    @Override
    public boolean adaptingKernel(FilterGeometry g, AdaptingKernel ak, float[] f, int gc, float[] kf) {
        Guide gd = guide(g, gc, ak.channelWise());
        boolean normalise = ak.normalise();
        int taps = g.taps();
        int plane = g.outPlane();
        for (Work wk : work) {
            wk.kt = grow(wk.kt, taps * NW);
            wk.kb = grow(wk.kb, taps * NW);
        }
        for (int n = 0; n < g.batch(); n++) {
            int nn = n;
            gd.fin().fill(guidancePad, f, n, g.mode());
            rows.run(g.outH(), work, (r0, r1, wk) -> {
                float[] kt = wk.kt;
                for (int h = r0; h < r1; h++) {
                    for (int w0 = 0; w0 < g.outW(); w0 += NW) {
                        int cols = Math.min(NW, g.outW() - w0);
                        for (int kc = 0; kc < gd.kcs(); kc++) {
                            rawKernel(gd, ak, kc, h, w0, kt, wk.kb, wk.scratch);
                            if (normalise) {
                                for (int j = 0; j < NW; j += L) {
                                    FloatVector sum = FloatVector.zero(S);
                                    for (int u = 0; u < taps; u++) {
                                        sum = sum.add(FloatVector.fromArray(S, kt, u * NW + j));
                                    }
                                    sum = sum.blend(1f, sum.compare(VectorOperators.EQ, 0f));
                                    for (int u = 0; u < taps; u++) {
                                        FloatVector.fromArray(S, kt, u * NW + j).div(sum).intoArray(kt, u * NW + j);
                                    }
                                }
                            }
                            for (int u = 0; u < taps; u++) {
                                System.arraycopy(kt, u * NW, kf, ((nn * gd.kcs() + kc) * taps + u) * plane + h * g.outW() + w0, cols);
                            }
                        }
                    }
                }
            });
        }
        return true;
    }

    /**
     * The gaussian kernel's backward on vectors: per tile (rows to the threads) the raw kernel again, the
     * normaliser's backward, {@code dd2 = -0.5 K dK} (inverse: {@code (lambda/2) P dK / (d2 + eps)}, and the two scalars' sums per row), kept in a padded buffer; then per guidance channel (channels
     * to the threads, so the scatter needs no slices) {@code df[tap] += 2 (f_tap - f_centre) dd2} and
     * {@code df[centre] -= } the same, into a padded buffer folded back like {@code dx}.
     */
    @Override
    public float[] adaptingKernelBackward(FilterGeometry g, AdaptingKernel ak, float[] f, int gc, float[] dkf, float[] df) {
        boolean channelWise = ak.channelWise();
        boolean normalise = ak.normalise();
        Guide gd = guide(g, gc, channelWise);
        int taps = g.taps();
        int plane = g.outPlane();
        int tiledW = gd.tiledW();
        int rowsPerTap = g.outH() * tiledW;
        for (Work wk : work) {
            wk.kt = grow(wk.kt, taps * NW);
            wk.kb = grow(wk.kb, taps * NW);
        }
        dd2p = grow(dd2p, gd.kcs() * taps * rowsPerTap);
        rowScalars = grow(rowScalars, 2 * g.outH());
        float[] rs = rowScalars;
        float halfLambda = ak.lambda() / 2;
        float dAlpha = 0f;
        float dLambda = 0f;
        dfp = grow(dfp, gd.fin().size());
        float[] dd2 = dd2p;
        float[] dfpad = dfp;
        float[] gp = guidancePad;
        Object[] none = new Object[rows.threads()];
        for (int n = 0; n < g.batch(); n++) {
            int nn = n;
            gd.fin().fill(gp, f, n, g.mode());
            Arrays.fill(rs, 0, 2 * g.outH(), 0f);
            rows.run(g.outH(), work, (r0, r1, wk) -> {
                float[] kt = wk.kt;
                float[] kb = wk.kb;
                float[] acc = wk.scratch;
                for (int h = r0; h < r1; h++) {
                    FloatVector sa = FloatVector.zero(S);
                    FloatVector sl = FloatVector.zero(S);
                    for (int w0 = 0; w0 < g.outW(); w0 += NW) {
                        int cols = Math.min(NW, g.outW() - w0);
                        for (int kc = 0; kc < gd.kcs(); kc++) {
                            rawKernel(gd, ak, kc, h, w0, kt, kb, wk.scratch);
                            int src = ((nn * gd.kcs() + kc) * taps) * plane + h * g.outW() + w0;
                            for (int j = 0; j < NW; j += L) {
                                var m = S.indexInRange(j, cols);
                                FloatVector s = FloatVector.zero(S);
                                FloatVector dot = FloatVector.zero(S);
                                if (normalise) {
                                    for (int u = 0; u < taps; u++) {
                                        s = s.add(FloatVector.fromArray(S, kt, u * NW + j));
                                    }
                                    var zero = s.compare(VectorOperators.EQ, 0f);
                                    s = s.blend(1f, zero);
                                    for (int u = 0; u < taps; u++) {
                                        FloatVector kn = FloatVector.fromArray(S, kt, u * NW + j).div(s);
                                        dot = FloatVector.fromArray(S, dkf, src + u * plane + j, m).fma(kn, dot);
                                    }
                                    dot = dot.blend(0f, zero);
                                }
                                for (int u = 0; u < taps; u++) {
                                    FloatVector dk = FloatVector.fromArray(S, dkf, src + u * plane + j, m);
                                    FloatVector draw = normalise ? dk.sub(dot).div(s) : dk;
                                    int di = (kc * taps + u) * rowsPerTap + h * tiledW + w0 + j;
                                    if (!ak.inverse()) {
                                        draw.mul(FloatVector.fromArray(S, kt, u * NW + j)).mul(-0.5f).intoArray(dd2, di);
                                        continue;
                                    }
                                    // K = alpha + P, P = base^(lambda/2): dK/dd2 = (lambda/2) P / base.
                                    if (gd.masked()) {
                                        draw = draw.mul(FloatVector.fromArray(S, maskPad, gd.moff()[u] + gd.min().base(h, w0) + j));
                                    }
                                    FloatVector base = FloatVector.fromArray(S, kb, u * NW + j);
                                    FloatVector pw = FloatVector.fromArray(S, kt, u * NW + j).sub(ak.alpha());
                                    draw.mul(halfLambda).mul(pw).div(base).intoArray(dd2, di);
                                    sa = sa.add(draw);
                                    VectorMath.logInto(kb, u * NW + j, acc, 0);
                                    sl = draw.mul(pw).mul(FloatVector.fromArray(S, acc, 0)).mul(0.5f).add(sl);
                                }
                            }
                        }
                    }
                    if (ak.inverse()) {
                        sa.intoArray(acc, 0);
                        rs[2 * h] = VectorGemm.sumLanes(acc, 0);
                        sl.intoArray(acc, 0);
                        rs[2 * h + 1] = VectorGemm.sumLanes(acc, 0);
                    }
                }
            });
            for (int h = 0; h < g.outH(); h++) {
                dAlpha += rs[2 * h];
                dLambda += rs[2 * h + 1];
            }
            Arrays.fill(dfpad, 0, gd.fin().size(), 0f);
            rows.run(gc, none, (c0, c1, unused) -> {
                for (int gi = c0; gi < c1; gi++) {
                    int kc = channelWise ? gi : 0;
                    int mid = gd.mid()[gi];
                    for (int h = 0; h < g.outH(); h++) {
                        for (int w0 = 0; w0 < g.outW(); w0 += NW) {
                            int bf = gd.fin().base(h, w0);
                            for (int u = 0; u < taps; u++) {
                                int tap = gd.off()[gi * taps + u];
                                int di = (kc * taps + u) * rowsPerTap + h * tiledW + w0;
                                for (int j = 0; j < NW; j += L) {
                                    FloatVector diff = FloatVector.fromArray(S, gp, tap + bf + j)
                                            .sub(FloatVector.fromArray(S, gp, mid + bf + j));
                                    FloatVector gdv = diff.mul(FloatVector.fromArray(S, dd2, di + j)).mul(2f);
                                    FloatVector.fromArray(S, dfpad, tap + bf + j).add(gdv).intoArray(dfpad, tap + bf + j);
                                    FloatVector.fromArray(S, dfpad, mid + bf + j).sub(gdv).intoArray(dfpad, mid + bf + j);
                                }
                            }
                        }
                    }
                    gd.fin().foldChannel(dfpad, df, nn, gi, g.mode());
                }
            });
        }
        return new float[] {dAlpha, dLambda};
    }

    /** The padded guidance's layout, tap offsets and in-image mask of one call. */
    private record Guide(FilterGeometry g, PaddedInput fin, PaddedInput min, boolean masked, int[] off, int[] mid, int[] moff,
                         int kcs, int gc, boolean channelWise, int tiledW) {
    }

    private Guide guide(FilterGeometry g, int gc, boolean channelWise) {
        int k = g.k();
        int taps = g.taps();
        int d = g.dilation();
        int centre = (k - 1) / 2;
        int tiledW = (g.outW() + NW - 1) / NW * NW;
        int reach = d * (k - 1);
        PaddedInput fin = new PaddedInput(gc, g.inH(), g.inW(), g.stride(), g.pad(), tiledW, reach);
        PaddedInput min = new PaddedInput(1, g.inH(), g.inW(), g.stride(), g.pad(), tiledW, reach);
        boolean masked = g.mode() == PaddingMode.ZEROS;
        guidancePad = grow(guidancePad, fin.size());
        if (masked) {
            maskPad = grow(maskPad, min.size());
            ones = grow(ones, g.inPlane());
            Arrays.fill(ones, 0, g.inPlane(), 1f);
            min.fill(maskPad, ones, 0, PaddingMode.ZEROS);
        }
        int[] off = new int[gc * taps];
        int[] mid = new int[gc];
        int[] moff = new int[taps];
        for (int gi = 0; gi < gc; gi++) {
            mid[gi] = fin.tap(gi, d * centre, d * centre);
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    off[gi * taps + a * k + b] = fin.tap(gi, d * a, d * b);
                    moff[a * k + b] = min.tap(0, d * a, d * b);
                }
            }
        }
        return new Guide(g, fin, min, masked, off, mid, moff, channelWise ? gc : 1, gc, channelWise, tiledW);
    }

    /**
     * The unnormalised kernel of kernel channel {@code kc} at the tile {@code (h, w0)} into {@code kt[u][NW]}; for the
     * inverse kernel {@code kb[u][NW]} keeps {@code d2 + eps} (its backward needs it).
     */
    private void rawKernel(Guide gd, AdaptingKernel ak, int kc, int h, int w0, float[] kt, float[] kb, float[] tmp) {
        float[] gp = guidancePad;
        float[] mp = maskPad;
        int taps = gd.g().taps();
        int g0 = gd.channelWise() ? kc : 0;
        int g1 = gd.channelWise() ? kc + 1 : gd.gc();
        int bf = gd.fin().base(h, w0);
        int bm = gd.min().base(h, w0);
        float halfLambda = ak.lambda() / 2;
        for (int u = 0; u < taps; u++) {
            for (int j = 0; j < NW; j += L) {
                FloatVector d2 = FloatVector.zero(S);
                for (int gi = g0; gi < g1; gi++) {
                    FloatVector diff = FloatVector.fromArray(S, gp, gd.off()[gi * taps + u] + bf + j)
                            .sub(FloatVector.fromArray(S, gp, gd.mid()[gi] + bf + j));
                    d2 = diff.fma(diff, d2);
                }
                int t = u * NW + j;
                if (ak.inverse()) {
                    d2.add(ak.eps()).intoArray(kb, t);
                    d2.add(ak.eps()).intoArray(kt, t);
                    VectorMath.powInPlace(kt, t, halfLambda, tmp);
                    FloatVector.fromArray(S, kt, t).add(ak.alpha()).intoArray(kt, t);
                } else {
                    d2.mul(-0.5f).intoArray(kt, t);
                    VectorMath.expInPlace(kt, t);
                }
                if (gd.masked()) {
                    FloatVector.fromArray(S, kt, t).mul(FloatVector.fromArray(S, mp, gd.moff()[u] + bm + j)).intoArray(kt, t);
                }
            }
        }
    }

    /** Kept per slot and reused while large enough (see {@link TapConv#scratch}). */
    @Override
    public float[] scratch(int slot, int size) {
        if (slot >= slots.length) {
            slots = Arrays.copyOf(slots, slot + 1);
        }
        slots[slot] = grow(slots[slot], size);
        return slots[slot];
    }

    /** {@link VectorMath#affineReluInPlace}, channel by channel (involution's folded BatchNorm and ReLU). */
    @Override
    public void affineRelu(float[] v, int batch, int channels, int plane, float[] mul, float[] add) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                VectorMath.affineReluInPlace(v, (n * channels + c) * plane, plane, mul[c], add[c]);
            }
        }
    }

    /** Rows handed out to the threads (see {@link TapConv#forRows}). */
    @Override
    public void forRows(int count, Rows body) {
        rows.run(count, new Object[rows.threads()], (r0, r1, unused) -> body.run(r0, r1));
    }

    private static float[][] growSlices(float[][] a, int slices, int size) {
        float[][] r = a.length >= slices ? a : Arrays.copyOf(a, slices);
        for (int s = 0; s < slices; s++) {
            r[s] = grow(r[s], size);
        }
        return r;
    }

    /** {@code dst[i] += src[i]} for {@code i < size}. */
    private static void addInto(float[] dst, float[] src, int size) {
        int i = 0;
        for (int bound = S.loopBound(size); i < bound; i += L) {
            FloatVector.fromArray(S, dst, i).add(FloatVector.fromArray(S, src, i)).intoArray(dst, i);
        }
        for (; i < size; i++) {
            dst[i] += src[i];
        }
    }

    @Override
    public void close() {
        rows.close();
    }
}
