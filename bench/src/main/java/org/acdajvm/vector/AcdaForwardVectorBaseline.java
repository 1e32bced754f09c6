package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.NW;
import static org.acdajvm.vector.VectorGemm.S;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * A frozen copy of {@link AcdaForwardVector} as it was at commit e0a22bf (after the first round of the
 * tuning of issue 16, before the second), kept in the bench module only so that the tuned forward can be
 * compared with it interleaved, call by call, in one run on the same machine ({@code StageCompare}): on
 * a shared, noisy machine only such ratios can be believed. Not part of the library; not tested beyond the
 * benchmarks' self-check. Its stages are numbered as {@link AcdaForwardVector.Stage}; its nested
 * {@code Shape} is its own copy.
 */
public final class AcdaForwardVectorBaseline implements AutoCloseable {

    private final RowParallel rows;
    private AcdaLayer cachedLayer;
    private Packed packed;
    private Shape shape;
    private Workspace[] workspaces;
    private float[] xph;
    private float[] e1p;
    private long allocations;
    private boolean profiling;
    /** Thread-time per stage when profiling, indexed by {@link Stage#ordinal()}. */
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
    public AcdaForwardVectorBaseline(int threads) {
        this.rows = new RowParallel(threads);
    }

    /** Lanes of the preferred float species on this machine. */
    public static int lanes() {
        return L;
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
     * Forward into a caller-owned output (overwritten), so that repeated calls allocate nothing.
     *
     * @param y output {@code [N, O, H', W']}
     */
    public void forwardInto(AcdaLayer layer, Tensor x, Tensor y) {
        AcdaConfig cfg = layer.config();
        int[] outShape = AcdaShapes.checkInput(cfg, x);
        y.requireShape("output y", outShape);
        if (layer != cachedLayer) {
            packed = new Packed(layer);
            cachedLayer = layer;
        }
        Shape sh = new Shape(cfg, x.dim(2), x.dim(3));
        if (!sh.equals(shape)) {
            shape = sh;
            xph = new float[sh.input.size()];
            e1p = new float[sh.e1pSize()];
            workspaces = new Workspace[rows.threads()];
            for (int i = 0; i < workspaces.length; i++) {
                workspaces[i] = new Workspace(sh);
            }
            allocations++;
        }
        for (int n = 0; n < x.dim(0); n++) {
            image(packed, sh, x.data(), n, y.data());
        }
    }

    private void image(Packed p, Shape sh, float[] x, int n, float[] y) {
        rows.run(sh.cfg.inChannels(), workspaces, (c0, c1, ws) -> {
            long s = profiling ? StageClock.now() : 0;
            for (int c = c0; c < c1; c++) {
                sh.input.fillChannel(xph, x, n, c, sh.cfg.padding());
            }
            if (profiling) {
                ws.clock.lap(Stage.PAD_INPUT.ordinal(), s);
            }
        });
        rows.run(sh.outH, workspaces, (r0, r1, ws) -> {
            long s = profiling ? StageClock.now() : 0;
            for (int h = r0; h < r1; h++) {
                generatorConv1Row(p, sh, h, ws);
            }
            if (profiling) {
                ws.clock.lap(Stage.GENERATOR_CONV1.ordinal(), s);
            }
        });
        if (sh.cfg.padding() == PaddingMode.CIRCULAR) {
            wrapE1(sh);
        }
        rows.run(sh.outH, workspaces, (r0, r1, ws) -> {
            for (int h = r0; h < r1; h++) {
                for (int w0 = 0; w0 < sh.outW; w0 += NW) {
                    tile(p, sh, ws, n, h, w0, y);
                }
            }
        });
    }

    private void generatorConv1Row(Packed p, Shape sh, int h, Workspace ws) {
        int inter = sh.cfg.interChannels();
        int rowBase = sh.input.base(h, 0);
        int planeE = (sh.outH + 2) * sh.we;
        for (int w0 = 0; w0 < sh.outW; w0 += NW) {
            int cols = Math.min(NW, sh.outW - w0);
            for (int blk = 0; blk < VectorGemm.blocks(inter); blk++) {
                int row0 = blk * MR;
                int outOff = row0 * planeE + (h + 1) * sh.we + w0 + 1;
                if (cols > NR) {
                    VectorGemm.blockWide(p.w1, blk * p.k1 * MR, p.k1, xph, sh.conv1Off, rowBase + w0,
                            p.scale1, p.shift1, true, row0, inter, e1p, outOff, planeE, cols, ws.scratchWide);
                } else {
                    VectorGemm.block(p.w1, blk * p.k1 * MR, p.k1, xph, sh.conv1Off, rowBase + w0,
                            p.scale1, p.shift1, true, row0, inter, e1p, outOff, planeE, cols, ws.scratch);
                }
            }
        }
    }

    /** Circular padding of the generator's second convolution: wrap e1p's one-pixel border. */
    private void wrapE1(Shape sh) {
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
     * One tile of {@link VectorGemm#NW} pixels of row {@code h} (the last tile of a row, when it has at
     * most {@link VectorGemm#NR} pixels, with the narrow kernel): generator conv 2, atoms, atom
     * convolution and coefficient convolution, through per-thread buffers whose rows are {@code NW} wide.
     */
    private void tile(Packed p, Shape sh, Workspace ws, int n, int h, int w0, float[] y) {
        AcdaConfig cfg = sh.cfg;
        int gen = cfg.generatorChannels();
        int bases = cfg.bases();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int outC = cfg.outChannels();
        int cols = Math.min(NW, sh.outW - w0);
        boolean wide = cols > NR;

        long t0 = profiling ? StageClock.now() : 0;
        // Generator conv 2 (+ BN, tanh): G[j][0..NW).
        int e1Base = h * sh.we + w0;
        for (int blk = 0; blk < VectorGemm.blocks(gen); blk++) {
            gemm(wide, p.w2, blk * p.k2 * MR, p.k2, e1p, sh.conv2Off, e1Base, p.scale2, p.shift2, true,
                    blk * MR, gen, ws.g, blk * MR * NW, NW, NW, ws);
        }
        long t1 = profiling ? lap(ws, Stage.GENERATOR_CONV2, t0) : 0;
        // Atoms: D[m][u][.] = sum_t Psi[t][u] G[m*T + t][.]  (zero rows for padded atoms stay zero).
        for (int m = 0; m < atoms; m++) {
            for (int blk = 0; blk < VectorGemm.blocks(taps); blk++) {
                gemm(wide, p.psiT, blk * bases * MR, bases, ws.g, sh.gRowOff, m * bases * NW, null, null, false,
                        blk * MR, taps, ws.d, (m * taps + blk * MR) * NW, NW, NW, ws);
            }
        }
        long t2 = profiling ? lap(ws, Stage.ATOMS, t1) : 0;
        // Atom convolution: Z[c*M + m][.] = sum_u D[m][u][.] * X[c][u][.].
        atomConv(sh, ws, sh.input.base(h, w0), wide ? NW : NR);
        long t3 = profiling ? lap(ws, Stage.ATOM_CONV, t2) : 0;
        // Coefficient convolution: y[o][.] = bias[o] + sum_j coef[o][j] Z[j][.].
        int plane = sh.outH * sh.outW;
        int yBase = n * outC * plane + h * sh.outW + w0;
        for (int blk = 0; blk < VectorGemm.blocks(outC); blk++) {
            gemm(wide, p.coef, blk * p.kc * MR, p.kc, ws.z, sh.zRowOff, 0, null, p.bias, false,
                    blk * MR, outC, y, yBase + blk * MR * plane, plane, cols, ws);
        }
        if (profiling) {
            lap(ws, Stage.COEFFICIENT_CONV, t3);
        }
    }

    /** {@link VectorGemm#blockWide} for a wide tile, else {@link VectorGemm#block} (its first {@code NR} columns). */
    private static void gemm(boolean wide, float[] a, int aOff, int kdim, float[] b, int[] bOff, int bBase,
                             float[] mul, float[] add, boolean tanh, int row0, int rows,
                             float[] out, int outOff, int outStride, int cols, Workspace ws) {
        if (wide) {
            VectorGemm.blockWide(a, aOff, kdim, b, bOff, bBase, mul, add, tanh, row0, rows, out, outOff, outStride,
                    cols, ws.scratchWide);
        } else {
            VectorGemm.block(a, aOff, kdim, b, bOff, bBase, mul, add, tanh, row0, rows, out, outOff, outStride,
                    Math.min(cols, NR), ws.scratch);
        }
    }

    private static long lap(Workspace ws, Stage stage, long since) {
        return ws.clock.lap(stage.ordinal(), since);
    }

    /**
     * {@code Z[c*M + m][.] = sum_u D[m][u][.] * X[c][u][.]}, register-blocked as four input channels by
     * six atoms by one vector of pixels (the atom count padded to a multiple of 6 with zero atoms):
     * 24 accumulators, and per tap six atom loads and four input loads for 24 FMAs (the previous
     * 2 x 3 x 2 block needed ten loads for twelve). Channels left over go one at a time.
     */
    private void atomConv(Shape sh, Workspace ws, int xBase, int width) {
        int inC = sh.cfg.inChannels();
        int cStride = sh.input.channelStride();
        // Channels outer, vectors of the tile inner: the input rows of four channels are read from L3
        // once per tile and then hit L1 for the other vectors (the other order swept all of X per vector).
        int c = 0;
        for (; c + 3 < inC; c += 4) {
            for (int half = 0; half < width; half += L) {
                atomConvFourChannels(sh, ws, c, xBase + c * cStride + half, cStride, half);
            }
        }
        for (; c < inC; c++) {
            for (int half = 0; half < width; half += L) {
                atomConvOneChannel(sh, ws, c, xBase + c * cStride + half, half);
            }
        }
    }

    private void atomConvFourChannels(Shape sh, Workspace ws, int c, int xc, int cStride, int half) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int[] uOff = sh.atomOff;
        float[] d = ws.d;
        float[] z = ws.z;
        float[] x = xph;
        int xc1 = xc + cStride;
        int xc2 = xc1 + cStride;
        int xc3 = xc2 + cStride;
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
            int tn = taps * NW;
            int dm = m0 * tn + half;
            for (int u = 0; u < taps; u++) {
                int du = dm + u * NW;
                FloatVector d0 = FloatVector.fromArray(S, d, du);
                FloatVector d1 = FloatVector.fromArray(S, d, du + tn);
                FloatVector d2 = FloatVector.fromArray(S, d, du + 2 * tn);
                FloatVector d3 = FloatVector.fromArray(S, d, du + 3 * tn);
                FloatVector d4 = FloatVector.fromArray(S, d, du + 4 * tn);
                FloatVector d5 = FloatVector.fromArray(S, d, du + 5 * tn);
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
            int za = (c * atoms + m0) * NW + half;
            int zb = za + atoms * NW;
            int ze = zb + atoms * NW;
            int zf = ze + atoms * NW;
            // Stores in row order; rows of padded (zero) atoms are not stored.
            a0.intoArray(z, za);
            b0.intoArray(z, zb);
            e0.intoArray(z, ze);
            f0.intoArray(z, zf);
            if (n > 1) {
                a1.intoArray(z, za + NW);
                b1.intoArray(z, zb + NW);
                e1.intoArray(z, ze + NW);
                f1.intoArray(z, zf + NW);
            }
            if (n > 2) {
                a2.intoArray(z, za + 2 * NW);
                b2.intoArray(z, zb + 2 * NW);
                e2.intoArray(z, ze + 2 * NW);
                f2.intoArray(z, zf + 2 * NW);
            }
            if (n > 3) {
                a3.intoArray(z, za + 3 * NW);
                b3.intoArray(z, zb + 3 * NW);
                e3.intoArray(z, ze + 3 * NW);
                f3.intoArray(z, zf + 3 * NW);
            }
            if (n > 4) {
                a4.intoArray(z, za + 4 * NW);
                b4.intoArray(z, zb + 4 * NW);
                e4.intoArray(z, ze + 4 * NW);
                f4.intoArray(z, zf + 4 * NW);
            }
            if (n > 5) {
                a5.intoArray(z, za + 5 * NW);
                b5.intoArray(z, zb + 5 * NW);
                e5.intoArray(z, ze + 5 * NW);
                f5.intoArray(z, zf + 5 * NW);
            }
        }
    }

    /** The same for one input channel: six accumulators. */
    private void atomConvOneChannel(Shape sh, Workspace ws, int c, int xc, int half) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int[] uOff = sh.atomOff;
        float[] d = ws.d;
        float[] z = ws.z;
        int tn = taps * NW;
        for (int m0 = 0; m0 < atoms; m0 += 6) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            FloatVector a4 = FloatVector.zero(S);
            FloatVector a5 = FloatVector.zero(S);
            int dm = m0 * tn + half;
            for (int u = 0; u < taps; u++) {
                FloatVector v = FloatVector.fromArray(S, xph, xc + uOff[u]);
                int du = dm + u * NW;
                a0 = FloatVector.fromArray(S, d, du).fma(v, a0);
                a1 = FloatVector.fromArray(S, d, du + tn).fma(v, a1);
                a2 = FloatVector.fromArray(S, d, du + 2 * tn).fma(v, a2);
                a3 = FloatVector.fromArray(S, d, du + 3 * tn).fma(v, a3);
                a4 = FloatVector.fromArray(S, d, du + 4 * tn).fma(v, a4);
                a5 = FloatVector.fromArray(S, d, du + 5 * tn).fma(v, a5);
            }
            int n = Math.min(6, atoms - m0);
            int zo = (c * atoms + m0) * NW + half;
            a0.intoArray(z, zo);
            if (n > 1) {
                a1.intoArray(z, zo + NW);
            }
            if (n > 2) {
                a2.intoArray(z, zo + 2 * NW);
            }
            if (n > 3) {
                a3.intoArray(z, zo + 3 * NW);
            }
            if (n > 4) {
                a4.intoArray(z, zo + 4 * NW);
            }
            if (n > 5) {
                a5.intoArray(z, zo + 5 * NW);
            }
        }
    }

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
        final float[] psiT;
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
            int taps = c.taps();
            int bases = c.bases();
            float[] psi = layer.data(AcdaLayer.BASES);
            float[] t = new float[taps * bases];
            for (int b = 0; b < bases; b++) {
                for (int u = 0; u < taps; u++) {
                    t[u * bases + b] = psi[b * taps + u];
                }
            }
            psiT = VectorGemm.pack(t, taps, bases);
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

    /** Sizes and offset tables for one (config, H, W). */
    private static final class Shape {
        final AcdaConfig cfg;
        final int inH;
        final int inW;
        final int outH;
        final int outW;
        final PaddedInput input;
        final int we;
        final int[] conv1Off;
        final int[] conv2Off;
        final int[] gRowOff;
        final int[] atomOff;
        final int[] zRowOff;

        Shape(AcdaConfig cfg, int inH, int inW) {
            this.cfg = cfg;
            this.inH = inH;
            this.inW = inW;
            outH = cfg.outSize(inH);
            outW = cfg.outSize(inW);
            int halfG = (cfg.generatorKernel() - 1) / 2;
            int padX = Math.max(cfg.pad(), halfG);
            int tiled = (outW + NW - 1) / NW * NW;
            int reach = Math.max(cfg.dilation() * (cfg.kernelSize() - 1), cfg.generatorKernel() - 1) + 2 * padX;
            input = new PaddedInput(cfg.inChannels(), inH, inW, cfg.stride(), padX, tiled, reach);
            we = tiled + 2;
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
            gRowOff = new int[cfg.bases()];
            for (int t = 0; t < gRowOff.length; t++) {
                gRowOff[t] = t * NW;
            }
            int k = cfg.kernelSize();
            int d = cfg.dilation();
            atomOff = new int[cfg.taps()];
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    atomOff[a * k + b] = input.tap(0, d * a - cfg.pad() + padX, d * b - cfg.pad() + padX);
                }
            }
            zRowOff = new int[inC * cfg.atoms()];
            for (int j = 0; j < zRowOff.length; j++) {
                zRowOff[j] = j * NW;
            }
        }

        int e1pSize() {
            return cfg.interChannels() * (outH + 2) * we + NR;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && s.cfg.equals(cfg) && s.inH == inH && s.inW == inW;
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(new int[] {cfg.hashCode(), inH, inW});
        }
    }

    /** Per-thread tiles: G [M*T][NW], D [ceil(M/6)*6][K*K][NW], Z [C*M][NW]. */
    private static final class Workspace {
        final float[] g;
        final float[] d;
        final float[] z;
        final StageClock clock = new StageClock(Stage.values().length);
        final float[] scratch = new float[MR * NR];
        final float[] scratchWide = new float[MR * NW];

        Workspace(Shape sh) {
            AcdaConfig c = sh.cfg;
            g = new float[VectorGemm.blocks(c.generatorChannels()) * MR * NW];
            int paddedAtoms = (c.atoms() + 5) / 6 * 6;
            d = new float[(paddedAtoms * c.taps() + MR) * NW];
            z = new float[c.inChannels() * c.atoms() * NW];
        }
    }
}
