package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;
import static org.acdajvm.vector.VectorGemm.S;

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
 * A frozen copy of {@link AcdaBackwardVector} as it was before the tuning of issue 16 (commit e0a22bf, with
 * only the per-stage profile added), kept in the bench module only so that the tuned backward can be compared
 * with it interleaved, in one run, on the same machine ({@code BackwardStageCompare}): on a shared, noisy
 * machine only such ratios can be believed. Not part of the library; not tested beyond the benchmark's
 * comparison. Its stages are numbered as {@link AcdaBackwardVector.Stage}.
 */
public final class AcdaBackwardVectorBaseline implements AutoCloseable {

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
    private boolean profiling;
    /** Thread time per stage of the serial parts, indexed by {@link Stage#ordinal()}. */
    private final StageClock serial = new StageClock(Stage.values().length);
    private AcdaLayer cachedLayer;
    private Packed packed;
    private AcdaForwardVector.Shape shape;
    private Buffers buf;
    private Workspace[] workspaces;
    private long allocations;

    /** A backward with {@code threads} worker threads (1 runs everything on the calling thread). */
    public AcdaBackwardVectorBaseline(int threads) {
        this.rows = new RowParallel(threads);
    }

    public int threads() {
        return rows.threads();
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
        AcdaForwardVector.Shape sh = new AcdaForwardVector.Shape(cfg, x.dim(2), x.dim(3));
        if (!sh.equals(shape)) {
            shape = sh;
            buf = new Buffers(sh, Math.min(sh.outH, 2 * rows.threads()));
            workspaces = new Workspace[rows.threads()];
            for (int i = 0; i < workspaces.length; i++) {
                workspaces[i] = new Workspace(sh);
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
                Arrays.fill(band.dxph, 0f);
                Arrays.fill(band.de1p, 0f);
                lap(ws.clock, Stage.BAND_SUMS, t);
                for (int h = band.h0; h < band.h1; h++) {
                    for (int w0 = 0; w0 < sh.outW; w0 += NR) {
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
                    addInto(b.de1p, band.de1p, base, planeE);
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
                    for (int w0 = 0; w0 < sh.outW; w0 += NR) {
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
                    addInto(b.xph2, band.dxph, base, cStride);
                }
                foldChannel(sh, b.xph2, dx, n, c);
            }
            lap(ws.clock, Stage.BAND_SUMS, t);
        });
        rows.run((outC + 3) / 4, workspaces, (q0, q1, ws) -> {
            long t = start();
            VectorGemm.dotRows(b.dyT, b.rowOffO, b.zFull, b.rowOffZ, tw, sh.outH, tw, true,
                    q0 * 4, Math.min(outC, q1 * 4), null, g.dcoef, ws.partial);
            lap(ws.clock, Stage.DCOEF, t);
        });
        rows.run((cfg.generatorChannels() + 3) / 4, workspaces, (q0, q1, ws) -> {
            long t = start();
            VectorGemm.dotRows(b.da2Full, b.rowOffG, b.e1p, sh.conv2Off, sh.we, sh.outH, tw, true,
                    q0 * 4, Math.min(cfg.generatorChannels(), q1 * 4), p.scale2, g.dw2, ws.partial);
            lap(ws.clock, Stage.DW2, t);
        });
        rows.run((inter + 3) / 4, workspaces, (q0, q1, ws) -> {
            long t = start();
            VectorGemm.dotRows(b.da1Full, b.rowOffI, b.xph, sh.conv1Off, b.xRow, sh.outH, tw, true,
                    q0 * 4, Math.min(inter, q1 * 4), p.scale1, g.dw1, ws.partial);
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

    /** Generator conv 1 of output row {@code h}: {@code c1 = (g1 - mean1)/sigma1}, {@code e1 = tanh(gamma1 c1 + beta1)}. */
    private void generatorConv1Row(Packed p, AcdaForwardVector.Shape sh, Buffers b, int h, Workspace ws) {
        int inter = sh.cfg.interChannels();
        int rowBase = sh.input.base(h, 0);
        int planeE = (sh.outH + 2) * sh.we;
        for (int w0 = 0; w0 < sh.outW; w0 += NR) {
            int cols = Math.min(NR, sh.outW - w0);
            for (int blk = 0; blk < VectorGemm.blocks(inter); blk++) {
                int row0 = blk * MR;
                VectorGemm.block(p.w1, blk * p.k1 * MR, p.k1, b.xph, sh.conv1Off, rowBase + w0,
                        p.invSigma1, p.centre1, false, row0, inter,
                        b.c1Full, row0 * b.planeT + h * b.tw + w0, b.planeT, NR, ws.scratch);
            }
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
        VectorMath.tanhInPlace(out, 0);
        VectorMath.tanhInPlace(out, L);
    }

    /** Phase 2 for the tile of row {@code h}, columns {@code [w0, w0 + NR)}. */
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

        long t0 = start();
        // c2 = (g2 - mean2)/sigma2 and G = tanh(gamma2 c2 + beta2).
        int e1Base = h * sh.we + w0;
        for (int blk = 0; blk < VectorGemm.blocks(gen); blk++) {
            VectorGemm.block(p.w2, blk * p.k2 * MR, p.k2, b.e1p, sh.conv2Off, e1Base, p.invSigma2, p.centre2, false,
                    blk * MR, gen, ws.c2, blk * MR * NR, NR, NR, ws.scratch);
        }
        for (int j = 0; j < gen; j++) {
            activate(ws.c2, j * NR, p.gamma2[j], p.beta2[j], ws.scratch);
            System.arraycopy(ws.scratch, 0, ws.g, j * NR, NR);
        }
        t0 = lap(ws.clock, Stage.GENERATOR_CONV2, t0);
        // Atoms: D[m][u][.] = sum_t Psi[t][u] G[m*T + t][.].
        for (int m = 0; m < atoms; m++) {
            for (int blk = 0; blk < VectorGemm.blocks(taps); blk++) {
                VectorGemm.block(p.psiT, blk * bases * MR, bases, ws.g, p.gRowOffNarrow, m * bases * NR, null, null, false,
                        blk * MR, taps, ws.d, (m * taps + blk * MR) * NR, NR, NR, ws.scratch);
            }
        }
        t0 = lap(ws.clock, Stage.ATOMS, t0);
        // dZ[j][.] = sum_o coef[o][j] dy[o][.]  (zero in the tile's columns past W': dy's tail is zero).
        for (int blk = 0; blk < VectorGemm.blocks(cm); blk++) {
            VectorGemm.block(p.coefT, blk * outC * MR, outC, b.dyT, b.rowOffO, tileT, null, null, false,
                    blk * MR, cm, ws.dz, blk * MR * NR, NR, NR, ws.scratch);
        }
        t0 = lap(ws.clock, Stage.DZ, t0);
        // Z (kept for dcoef), dD and the direct path to dx.
        int xBase = sh.input.base(h, w0);
        atomConv(sh, b, ws, xBase, tileT);
        t0 = lap(ws.clock, Stage.ATOM_CONV, t0);
        atomGradient(sh, b, ws, xBase);
        t0 = lap(ws.clock, Stage.ATOM_GRADIENT, t0);
        directPath(sh, b, band, ws, xBase);
        t0 = lap(ws.clock, Stage.DIRECT_PATH, t0);
        // dG[m*T + t][.] = sum_u Psi[t][u] dD[m][u][.].
        for (int m = 0; m < atoms; m++) {
            for (int blk = 0; blk < VectorGemm.blocks(bases); blk++) {
                VectorGemm.block(p.psi, blk * taps * MR, taps, ws.dd, b.nrTaps, m * taps * NR, null, null, false,
                        blk * MR, bases, ws.dg, (m * bases + blk * MR) * NR, NR, NR, ws.scratch);
            }
        }
        // da2 = dG (1 - G^2), kept for dW2; BatchNorm 2's sums.
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int j = 0; j < gen; j++) {
            int o = j * NR;
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
            System.arraycopy(ws.da2, o, b.da2Full, j * b.planeG + h * sh.we + w0, NR);
        }
        t0 = lap(ws.clock, Stage.DG, t0);
        // de1p at the taps conv 2 read += (W2 scale2)^T da2.
        int rowsT = cfg.interChannels() * 9;
        for (int blk = 0; blk < VectorGemm.blocks(rowsT); blk++) {
            VectorGemm.blockAddTo(p.w2t, blk * gen * MR, gen, ws.da2, b.nrGen, 0, blk * MR, rowsT,
                    band.de1p, sh.conv2Off, e1Base, ws.scratch);
        }
        lap(ws.clock, Stage.CONV2_INPUT, t0);
    }

    /**
     * {@code Z[c*M + m][.] = sum_u D[m][u][.] x[c][u][.]} into {@code zFull}, three atoms at a time
     * (the atom count padded with zero atoms): six accumulators, eight loads per six FMAs.
     */
    private static void atomConv(AcdaForwardVector.Shape sh, Buffers b, Workspace ws, int xBase, int tileT) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int cStride = sh.input.channelStride();
        int[] uOff = sh.atomOff;
        float[] d = ws.d;
        float[] xph = b.xph;
        for (int c = 0; c < sh.cfg.inChannels(); c++) {
            int xc = xBase + c * cStride;
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
                int zo = (c * atoms + m0) * b.planeT + tileT;
                a00.intoArray(b.zFull, zo);
                a01.intoArray(b.zFull, zo + L);
                if (m0 + 1 < atoms) {
                    a10.intoArray(b.zFull, zo + b.planeT);
                    a11.intoArray(b.zFull, zo + b.planeT + L);
                }
                if (m0 + 2 < atoms) {
                    a20.intoArray(b.zFull, zo + 2 * b.planeT);
                    a21.intoArray(b.zFull, zo + 2 * b.planeT + L);
                }
            }
        }
    }

    /**
     * {@code dD[m][u][.] = sum_c dZ[c*M + m][.] x[c][u][.]}, three atoms at a time (the rows of the
     * padded atoms are computed from whatever follows and never read).
     */
    private static void atomGradient(AcdaForwardVector.Shape sh, Buffers b, Workspace ws, int xBase) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int inC = sh.cfg.inChannels();
        int cStride = sh.input.channelStride();
        int[] uOff = sh.atomOff;
        float[] dz = ws.dz;
        float[] dd = ws.dd;
        float[] xph = b.xph;
        for (int m0 = 0; m0 < atoms; m0 += 3) {
            for (int u = 0; u < taps; u++) {
                FloatVector a00 = FloatVector.zero(S);
                FloatVector a01 = FloatVector.zero(S);
                FloatVector a10 = FloatVector.zero(S);
                FloatVector a11 = FloatVector.zero(S);
                FloatVector a20 = FloatVector.zero(S);
                FloatVector a21 = FloatVector.zero(S);
                int xo = xBase + uOff[u];
                for (int c = 0; c < inC; c++, xo += cStride) {
                    FloatVector x0 = FloatVector.fromArray(S, xph, xo);
                    FloatVector x1 = FloatVector.fromArray(S, xph, xo + L);
                    int g = (c * atoms + m0) * NR;
                    a00 = FloatVector.fromArray(S, dz, g).fma(x0, a00);
                    a01 = FloatVector.fromArray(S, dz, g + L).fma(x1, a01);
                    a10 = FloatVector.fromArray(S, dz, g + NR).fma(x0, a10);
                    a11 = FloatVector.fromArray(S, dz, g + NR + L).fma(x1, a11);
                    a20 = FloatVector.fromArray(S, dz, g + 2 * NR).fma(x0, a20);
                    a21 = FloatVector.fromArray(S, dz, g + 2 * NR + L).fma(x1, a21);
                }
                int o = (m0 * taps + u) * NR;
                a00.intoArray(dd, o);
                a01.intoArray(dd, o + L);
                a10.intoArray(dd, o + taps * NR);
                a11.intoArray(dd, o + taps * NR + L);
                a20.intoArray(dd, o + 2 * taps * NR);
                a21.intoArray(dd, o + 2 * taps * NR + L);
            }
        }
    }

    /** The direct path: {@code dxp[c][u] += sum_m dZ[c*M + m] D[m][u]} at the taps the atom convolution read. */
    private static void directPath(AcdaForwardVector.Shape sh, Buffers b, Band band, Workspace ws, int xBase) {
        int atoms = sh.cfg.atoms();
        int taps = sh.cfg.taps();
        int cStride = sh.input.channelStride();
        int[] uOff = sh.atomOff;
        float[] d = ws.d;
        float[] dz = ws.dz;
        float[] dxph = band.dxph;
        for (int c = 0; c < sh.cfg.inChannels(); c++) {
            int xc = xBase + c * cStride;
            for (int u = 0; u < taps; u++) {
                FloatVector v0 = FloatVector.zero(S);
                FloatVector v1 = FloatVector.zero(S);
                for (int m = 0; m < atoms; m++) {
                    int dOff = (m * taps + u) * NR;
                    int g = (c * atoms + m) * NR;
                    v0 = FloatVector.fromArray(S, dz, g).fma(FloatVector.fromArray(S, d, dOff), v0);
                    v1 = FloatVector.fromArray(S, dz, g + L).fma(FloatVector.fromArray(S, d, dOff + L), v1);
                }
                int xo = xc + uOff[u];
                FloatVector.fromArray(S, dxph, xo).add(v0).intoArray(dxph, xo);
                FloatVector.fromArray(S, dxph, xo + L).add(v1).intoArray(dxph, xo + L);
            }
        }
    }

    /** Phase 3 for one tile: {@code da1 = de1 (1 - e1^2)} (zero past W'), BatchNorm 1's sums, and the generator path into dxp. */
    private void tileGenerator1(Packed p, AcdaForwardVector.Shape sh, Buffers b, Band band, Workspace ws, int h, int w0) {
        int inter = sh.cfg.interChannels();
        int cols = Math.min(NR, sh.outW - w0);
        VectorMask<Float> m0 = S.indexInRange(0, cols);
        VectorMask<Float> m1 = S.indexInRange(L, cols);
        int planeE = (sh.outH + 2) * sh.we;
        int tileT = h * b.tw + w0;
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector zero = FloatVector.zero(S);
        for (int i = 0; i < inter; i++) {
            int e = i * planeE + (h + 1) * sh.we + w0 + 1;
            int c = i * b.planeT + tileT;
            FloatVector e0 = FloatVector.fromArray(S, b.e1p, e);
            FloatVector e1 = FloatVector.fromArray(S, b.e1p, e + L);
            FloatVector da0 = zero.blend(FloatVector.fromArray(S, b.de1p, e).mul(e0.fma(e0.neg(), one)), m0);
            FloatVector da1 = zero.blend(FloatVector.fromArray(S, b.de1p, e + L).mul(e1.fma(e1.neg(), one)), m1);
            da0.intoArray(ws.da1, i * NR);
            da1.intoArray(ws.da1, i * NR + L);
            da0.add(da1).intoArray(ws.scratch, 0);
            da0.mul(FloatVector.fromArray(S, b.c1Full, c)).add(da1.mul(FloatVector.fromArray(S, b.c1Full, c + L)))
                    .intoArray(ws.scratch, L);
            band.sumDa1[i] += VectorGemm.sumLanes(ws.scratch, 0);
            band.sumDa1c1[i] += VectorGemm.sumLanes(ws.scratch, L);
            System.arraycopy(ws.da1, i * NR, b.da1Full, i * b.planeI + h * b.xRow + w0, NR);
        }
        int rowsT = sh.cfg.inChannels() * sh.cfg.generatorKernel() * sh.cfg.generatorKernel();
        int xBase = sh.input.base(h, w0);
        for (int blk = 0; blk < VectorGemm.blocks(rowsT); blk++) {
            VectorGemm.blockAddTo(p.w1t, blk * inter * MR, inter, ws.da1, b.nrInter, 0, blk * MR, rowsT,
                    band.dxph, sh.conv1Off, xBase, ws.scratch);
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
        final float[] psiT;
        /** Row offsets of {@code G}'s bases in the tile buffers, whose rows are {@link VectorGemm#NR} wide. */
        final int[] gRowOffNarrow;
        final float[] psi;
        final float[] coefT;
        /** {@code W2[j][i,a,b] scale2[j]} as rows {@code (i,a,b)} by {@code j}. */
        final float[] w2t;
        /** {@code W1[i][c,a,b] scale1[i]} as rows {@code (c,a,b)} by {@code i}. */
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
            float[] t = new float[taps * bases];
            for (int b = 0; b < bases; b++) {
                for (int u = 0; u < taps; u++) {
                    t[u * bases + b] = rawPsi[b * taps + u];
                }
            }
            psiT = VectorGemm.pack(t, taps, bases);
            gRowOffNarrow = new int[bases];
            for (int r = 0; r < bases; r++) {
                gRowOffNarrow[r] = r * NR;
            }
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
                    t2[q * gen + j] = rawW2[j * k2 + q] * scale2[j];
                }
            }
            w2t = VectorGemm.pack(t2, k2, gen);
            float[] t1 = new float[k1 * inter];
            for (int i = 0; i < inter; i++) {
                for (int q = 0; q < k1; q++) {
                    t1[q * inter + i] = rawW1[i * k1 + q] * scale1[i];
                }
            }
            w1t = VectorGemm.pack(t1, k1, inter);
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

        Band(AcdaForwardVector.Shape sh, int h0, int h1) {
            this.h0 = h0;
            this.h1 = h1;
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
     * whole tiles; the columns past W' hold zeros in {@code dyT}, {@code da2Full} and {@code da1Full}).
     */
    private static final class Buffers {
        final int tw;
        final int planeT;
        /** Row stride of xph and of da1Full; plane sizes of da2Full ({@code H' * we}) and da1Full ({@code H' * xRow}). */
        final int xRow;
        final int planeG;
        final int planeI;
        final float[] xph;
        final float[] xph2;
        final float[] e1p;
        final float[] de1p;
        final float[] c1Full;
        final float[] zFull;
        final float[] dyT;
        final float[] da2Full;
        final float[] da1Full;
        final int[] rowOffO;
        final int[] rowOffZ;
        final int[] rowOffG;
        final int[] rowOffI;
        /** Rows of a tile, {@code r * NR}: taps, generator channels, intermediate channels. */
        final int[] nrTaps;
        final int[] nrGen;
        final int[] nrInter;
        final Band[] bands;

        Buffers(AcdaForwardVector.Shape sh, int bandCount) {
            AcdaConfig c = sh.cfg;
            tw = sh.we - 2;
            planeT = sh.outH * tw;
            xph = new float[sh.input.size()];
            xph2 = new float[sh.input.size()];
            e1p = new float[sh.e1pSize()];
            de1p = new float[sh.e1pSize()];
            int inter = c.interChannels();
            int gen = c.generatorChannels();
            int cm = c.inChannels() * c.atoms();
            c1Full = new float[blocksRows(inter) * planeT];
            zFull = new float[cm * planeT];
            dyT = new float[c.outChannels() * planeT];
            // da2 and da1 have the row strides of the buffers they are summed against (e1p, xph), with zero
            // tails, so that VectorGemm.dotRows runs over whole planes as flat ranges.
            xRow = sh.input.base(1, 0) - sh.input.base(0, 0);
            planeG = sh.outH * sh.we;
            planeI = sh.outH * xRow;
            da2Full = new float[gen * planeG];
            da1Full = new float[inter * planeI];
            rowOffO = planes(c.outChannels(), planeT);
            rowOffZ = planes(cm, planeT);
            rowOffG = planes(gen, planeG);
            rowOffI = planes(inter, planeI);
            nrTaps = planes(c.taps(), NR);
            nrGen = planes(gen, NR);
            nrInter = planes(inter, NR);
            bands = new Band[bandCount];
            for (int i = 0; i < bandCount; i++) {
                bands[i] = new Band(sh, i * sh.outH / bandCount, (i + 1) * sh.outH / bandCount);
            }
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

    /** Per-thread tiles of {@code NR} pixels. */
    private static final class Workspace {
        final float[] c2;
        final float[] g;
        final float[] d;
        final float[] dz;
        final float[] dd;
        final float[] dg;
        final float[] da2;
        final float[] da1;
        final float[] scratch = new float[MR * NR];
        final StageClock clock = new StageClock(Stage.values().length);
        /** Vector partial sums of {@link VectorGemm#dotRows}: four rows by the most columns of the three weight gradients. */
        final float[] partial;

        Workspace(AcdaForwardVector.Shape sh) {
            AcdaConfig c = sh.cfg;
            int cols = Math.max(c.inChannels() * c.atoms(), Math.max(c.interChannels() * 9,
                    c.inChannels() * c.generatorKernel() * c.generatorKernel()));
            partial = new float[((cols + 2) / 3) * 12 * L];
            int genRows = VectorGemm.blocks(c.generatorChannels()) * MR;
            c2 = new float[genRows * NR];
            g = new float[genRows * NR];
            int paddedAtoms = (c.atoms() + 2) / 3 * 3;
            d = new float[(paddedAtoms * c.taps() + MR) * NR];
            dz = new float[(c.inChannels() * c.atoms() + 2) * NR];
            dd = new float[paddedAtoms * c.taps() * NR];
            dg = new float[genRows * NR];
            da2 = new float[c.generatorChannels() * NR];
            da1 = new float[c.interChannels() * NR];
        }
    }
}
