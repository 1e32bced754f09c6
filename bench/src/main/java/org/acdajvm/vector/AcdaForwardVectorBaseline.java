package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.S;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * A frozen copy of {@link AcdaForwardVector} as it was before the tuning of issue 16 (commit 4389767),
 * kept in the bench module only so that the tuned forward can be compared with it interleaved, in
 * one run, on the same machine ({@code VectorTuningBenchmark}, {@code StageCompare}): on a shared,
 * noisy machine only such ratios can be believed. Not part of the library; not tested beyond the
 * benchmarks' self-check. Its stages are numbered as {@link AcdaForwardVector.Stage}.
 */
public final class AcdaForwardVectorBaseline implements AutoCloseable {

    private static final java.lang.management.ThreadMXBean CPU_TIME =
            java.lang.management.ManagementFactory.getThreadMXBean();

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
    private final long[] serialNanos = new long[Stage.values().length];

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
     * Times are the CPU times of the threads that ran each stage, summed over all threads, reset by
     * this call.
     */
    public void profile(boolean on) {
        profiling = on;
        java.util.Arrays.fill(serialNanos, 0);
        if (workspaces != null) {
            for (Workspace w : workspaces) {
                java.util.Arrays.fill(w.nanos, 0);
            }
        }
    }

    /** Thread CPU nanoseconds spent per stage since {@link #profile(boolean)} turned profiling on. */
    public long[] stageNanos() {
        long[] r = serialNanos.clone();
        if (workspaces != null) {
            for (Workspace w : workspaces) {
                for (int i = 0; i < r.length; i++) {
                    r[i] += w.nanos[i];
                }
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
            long s = profiling ? cpuNanos() : 0;
            for (int c = c0; c < c1; c++) {
                sh.input.fillChannel(xph, x, n, c, sh.cfg.padding());
            }
            if (profiling) {
                ws.nanos[Stage.PAD_INPUT.ordinal()] += cpuNanos() - s;
            }
        });
        rows.run(sh.outH, workspaces, (r0, r1, ws) -> {
            long s = profiling ? cpuNanos() : 0;
            for (int h = r0; h < r1; h++) {
                generatorConv1Row(p, sh, h, ws);
            }
            if (profiling) {
                ws.nanos[Stage.GENERATOR_CONV1.ordinal()] += cpuNanos() - s;
            }
        });
        if (sh.cfg.padding() == PaddingMode.CIRCULAR) {
            wrapE1(sh);
        }
        rows.run(sh.outH, workspaces, (r0, r1, ws) -> {
            for (int h = r0; h < r1; h++) {
                for (int w0 = 0; w0 < sh.outW; w0 += NR) {
                    tile(p, sh, ws, n, h, w0, y);
                }
            }
        });
    }

    private void generatorConv1Row(Packed p, Shape sh, int h, Workspace ws) {
        int inter = sh.cfg.interChannels();
        int rowBase = sh.input.base(h, 0);
        int planeE = (sh.outH + 2) * sh.we;
        for (int w0 = 0; w0 < sh.outW; w0 += NR) {
            int cols = Math.min(NR, sh.outW - w0);
            for (int blk = 0; blk < VectorGemm.blocks(inter); blk++) {
                int row0 = blk * MR;
                VectorGemm.block(p.w1, blk * p.k1 * MR, p.k1, xph, sh.conv1Off, rowBase + w0,
                        p.scale1, p.shift1, true, row0, inter,
                        e1p, row0 * planeE + (h + 1) * sh.we + w0 + 1, planeE, cols, ws.scratch);
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

    private void tile(Packed p, Shape sh, Workspace ws, int n, int h, int w0, float[] y) {
        AcdaConfig cfg = sh.cfg;
        int gen = cfg.generatorChannels();
        int bases = cfg.bases();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int outC = cfg.outChannels();

        long t0 = profiling ? cpuNanos() : 0;
        // Generator conv 2 (+ BN, tanh): G[j][0..NR).
        int e1Base = h * sh.we + w0;
        for (int blk = 0; blk < VectorGemm.blocks(gen); blk++) {
            VectorGemm.block(p.w2, blk * p.k2 * MR, p.k2, e1p, sh.conv2Off, e1Base, p.scale2, p.shift2, true,
                    blk * MR, gen, ws.g, blk * MR * NR, NR, NR, ws.scratch);
        }
        long t1 = profiling ? lap(ws, Stage.GENERATOR_CONV2, t0) : 0;
        // Atoms: D[m][u][.] = sum_t Psi[t][u] G[m*T + t][.]  (zero rows for padded atoms stay zero).
        for (int m = 0; m < atoms; m++) {
            for (int blk = 0; blk < VectorGemm.blocks(taps); blk++) {
                VectorGemm.block(p.psiT, blk * bases * MR, bases, ws.g, sh.gRowOff, m * bases * NR, null, null, false,
                        blk * MR, taps, ws.d, (m * taps + blk * MR) * NR, NR, NR, ws.scratch);
            }
        }
        long t2 = profiling ? lap(ws, Stage.ATOMS, t1) : 0;
        // Atom convolution: Z[c*M + m][.] = sum_u D[m][u][.] * X[c][u][.].
        atomConv(sh, ws, sh.input.base(h, w0));
        long t3 = profiling ? lap(ws, Stage.ATOM_CONV, t2) : 0;
        // Coefficient convolution: y[o][.] = bias[o] + sum_j coef[o][j] Z[j][.].
        int plane = sh.outH * sh.outW;
        int cols = Math.min(NR, sh.outW - w0);
        int yBase = n * outC * plane + h * sh.outW + w0;
        for (int blk = 0; blk < VectorGemm.blocks(outC); blk++) {
            VectorGemm.block(p.coef, blk * p.kc * MR, p.kc, ws.z, sh.zRowOff, 0, null, p.bias, false,
                    blk * MR, outC, y, yBase + blk * MR * plane, plane, cols, ws.scratch);
        }
        if (profiling) {
            lap(ws, Stage.COEFFICIENT_CONV, t3);
        }
    }

    /**
     * The calling thread's CPU time: on a machine shared with other processes, wall time would charge
     * their time slices to whichever stage was running.
     */
    private static long cpuNanos() {
        return CPU_TIME.getCurrentThreadCpuTime();
    }

    private static long lap(Workspace ws, Stage stage, long since) {
        long now = cpuNanos();
        ws.nanos[stage.ordinal()] += now - since;
        return now;
    }

    /**
     * {@code Z[c*M + m][.] = sum_u D[m][u][.] * X[c][u][.]}, for two input channels and three atoms
     * at a time (the atom count padded to a multiple of 3 with zero atoms), two vectors per row:
     * twelve accumulators, and per tap six atom loads and four input loads for twelve FMAs. An odd
     * last channel goes through {@link #atomConvOneChannel}.
     */
    private void atomConv(Shape sh, Workspace ws, int xBase) {
        int inC = sh.cfg.inChannels();
        int cStride = sh.input.channelStride();
        int c = 0;
        for (; c + 1 < inC; c += 2) {
            atomConvTwoChannels(sh, ws, c, xBase + c * cStride, xBase + (c + 1) * cStride);
        }
        if (c < inC) {
            atomConvOneChannel(sh, ws, c, xBase + c * cStride);
        }
    }

    private void atomConvTwoChannels(Shape sh, Workspace ws, int c, int xc0, int xc1) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int[] uOff = sh.atomOff;
        float[] d = ws.d;
        float[] z = ws.z;
        for (int m0 = 0; m0 < atoms; m0 += 3) {
            FloatVector a00 = FloatVector.zero(S);
            FloatVector a01 = FloatVector.zero(S);
            FloatVector a10 = FloatVector.zero(S);
            FloatVector a11 = FloatVector.zero(S);
            FloatVector a20 = FloatVector.zero(S);
            FloatVector a21 = FloatVector.zero(S);
            FloatVector b00 = FloatVector.zero(S);
            FloatVector b01 = FloatVector.zero(S);
            FloatVector b10 = FloatVector.zero(S);
            FloatVector b11 = FloatVector.zero(S);
            FloatVector b20 = FloatVector.zero(S);
            FloatVector b21 = FloatVector.zero(S);
            int d0 = m0 * taps * NR;
            int d1 = d0 + taps * NR;
            int d2 = d1 + taps * NR;
            for (int u = 0; u < taps; u++) {
                int du = u * NR;
                FloatVector e00 = FloatVector.fromArray(S, d, d0 + du);
                FloatVector e01 = FloatVector.fromArray(S, d, d0 + du + L);
                FloatVector e10 = FloatVector.fromArray(S, d, d1 + du);
                FloatVector e11 = FloatVector.fromArray(S, d, d1 + du + L);
                FloatVector e20 = FloatVector.fromArray(S, d, d2 + du);
                FloatVector e21 = FloatVector.fromArray(S, d, d2 + du + L);
                FloatVector x0 = FloatVector.fromArray(S, xph, xc0 + uOff[u]);
                FloatVector x1 = FloatVector.fromArray(S, xph, xc0 + uOff[u] + L);
                a00 = e00.fma(x0, a00);
                a01 = e01.fma(x1, a01);
                a10 = e10.fma(x0, a10);
                a11 = e11.fma(x1, a11);
                a20 = e20.fma(x0, a20);
                a21 = e21.fma(x1, a21);
                FloatVector y0 = FloatVector.fromArray(S, xph, xc1 + uOff[u]);
                FloatVector y1 = FloatVector.fromArray(S, xph, xc1 + uOff[u] + L);
                b00 = e00.fma(y0, b00);
                b01 = e01.fma(y1, b01);
                b10 = e10.fma(y0, b10);
                b11 = e11.fma(y1, b11);
                b20 = e20.fma(y0, b20);
                b21 = e21.fma(y1, b21);
            }
            int za = (c * atoms + m0) * NR;
            int zb = ((c + 1) * atoms + m0) * NR;
            a00.intoArray(z, za);
            a01.intoArray(z, za + L);
            b00.intoArray(z, zb);
            b01.intoArray(z, zb + L);
            if (m0 + 1 < atoms) {
                a10.intoArray(z, za + NR);
                a11.intoArray(z, za + NR + L);
                b10.intoArray(z, zb + NR);
                b11.intoArray(z, zb + NR + L);
            }
            if (m0 + 2 < atoms) {
                a20.intoArray(z, za + 2 * NR);
                a21.intoArray(z, za + 2 * NR + L);
                b20.intoArray(z, zb + 2 * NR);
                b21.intoArray(z, zb + 2 * NR + L);
            }
        }
    }

    /** The same for one input channel: six accumulators. */
    private void atomConvOneChannel(Shape sh, Workspace ws, int c, int xc) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int[] uOff = sh.atomOff;
        float[] d = ws.d;
        float[] z = ws.z;
        for (int m0 = 0; m0 < atoms; m0 += 3) {
            FloatVector a00 = FloatVector.zero(S);
            FloatVector a01 = FloatVector.zero(S);
            FloatVector a10 = FloatVector.zero(S);
            FloatVector a11 = FloatVector.zero(S);
            FloatVector a20 = FloatVector.zero(S);
            FloatVector a21 = FloatVector.zero(S);
            int d0 = m0 * taps * NR;
            int d1 = d0 + taps * NR;
            int d2 = d1 + taps * NR;
            for (int u = 0; u < taps; u++) {
                int xo = xc + uOff[u];
                FloatVector x0 = FloatVector.fromArray(S, xph, xo);
                FloatVector x1 = FloatVector.fromArray(S, xph, xo + L);
                int du = u * NR;
                a00 = FloatVector.fromArray(S, d, d0 + du).fma(x0, a00);
                a01 = FloatVector.fromArray(S, d, d0 + du + L).fma(x1, a01);
                a10 = FloatVector.fromArray(S, d, d1 + du).fma(x0, a10);
                a11 = FloatVector.fromArray(S, d, d1 + du + L).fma(x1, a11);
                a20 = FloatVector.fromArray(S, d, d2 + du).fma(x0, a20);
                a21 = FloatVector.fromArray(S, d, d2 + du + L).fma(x1, a21);
            }
            int zo = (c * atoms + m0) * NR;
            a00.intoArray(z, zo);
            a01.intoArray(z, zo + L);
            if (m0 + 1 < atoms) {
                a10.intoArray(z, zo + NR);
                a11.intoArray(z, zo + NR + L);
            }
            if (m0 + 2 < atoms) {
                a20.intoArray(z, zo + 2 * NR);
                a21.intoArray(z, zo + 2 * NR + L);
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
            int tiled = (outW + NR - 1) / NR * NR;
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
                gRowOff[t] = t * NR;
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
                zRowOff[j] = j * NR;
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

    /** Per-thread tiles: G [M*T][NR], D [ceil(M/3)*3][K*K][NR], Z [C*M][NR]. */
    private static final class Workspace {
        final float[] g;
        final float[] d;
        final float[] z;
        final long[] nanos = new long[Stage.values().length];
        final float[] scratch = new float[MR * NR];

        Workspace(Shape sh) {
            AcdaConfig c = sh.cfg;
            g = new float[VectorGemm.blocks(c.generatorChannels()) * MR * NR];
            int paddedAtoms = (c.atoms() + 2) / 3 * 3;
            d = new float[(paddedAtoms * c.taps() + MR) * NR];
            z = new float[c.inChannels() * c.atoms() * NR];
        }
    }
}
