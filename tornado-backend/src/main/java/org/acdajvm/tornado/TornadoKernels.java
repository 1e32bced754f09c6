package org.acdajvm.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The five kernels of the two-layer ACDA forward (DESIGN section 5), written in Java for TornadoVM,
 * which compiles them to OpenCL C (or PTX). Each mirrors one loop nest of
 * {@link org.acdajvm.backend.AcdaForwardScalar} and sums the same products in the same order; one
 * work-item computes one output element. Global ids past the end (the grid is rounded up to whole
 * work-groups) do nothing.
 *
 * <p>Sizes come in the {@link IntArray} {@code dims} (indices below), not as scalar arguments:
 * TornadoVM captures scalars when the task graph is built, while {@code dims} is copied to the
 * device on every call, so one compiled task graph serves every shape that fits its buffers.
 * Layouts, all row-major and batched over {@code n < N}, with {@code P = H'*W'} pixels:
 * {@code x [N, C, H, W]}, {@code e1 [N, I, P]}, {@code G [N, M*T, P]}, {@code D [N, M, K*K, P]},
 * {@code Z [N, C*M, P]}, {@code y [N, O, P]}.
 *
 * <p>No TornadoVM reductions: every sum is a plain loop inside one work-item.
 */
final class TornadoKernels {

    static final int BATCH = 0;
    static final int IN_C = 1;
    static final int IN_H = 2;
    static final int IN_W = 3;
    static final int OUT_C = 4;
    static final int OUT_H = 5;
    static final int OUT_W = 6;
    static final int INTER = 7;
    static final int ATOMS = 8;
    static final int BASES = 9;
    static final int K = 10;
    static final int G = 11;
    static final int STRIDE = 12;
    static final int DILATION = 13;
    static final int PAD = 14;
    static final int CIRCULAR = 15;
    static final int DIMS = 16;

    private TornadoKernels() {
    }

    /**
     * {@code i} read with the padding mode: wrapped into {@code [0, n)} when circular, else itself
     * when inside, else -1 (a zero read).
     */
    static int index(int i, int n, int circular) {
        int r = -1;
        if (circular == 1) {
            r = i % n;
            if (r < 0) {
                r += n;
            }
        } else if (i >= 0 && i < n) {
            r = i;
        }
        return r;
    }

    /**
     * {@code e1[n,i,p] = tanh((b1[i] + sum_{c,a,b<g} W1[i,c,a,b] xp[n,c,s h' + a - (g-1)/2, s w' + b - (g-1)/2]) scale1[i] + shift1[i])}.
     */
    static void conv1BnTanh(KernelContext ctx, IntArray dims, FloatArray x, FloatArray w1, FloatArray b1,
                            FloatArray scale1, FloatArray shift1, FloatArray e1) {
        int id = ctx.globalIdx;
        int inC = dims.get(IN_C);
        int inH = dims.get(IN_H);
        int inW = dims.get(IN_W);
        int outW = dims.get(OUT_W);
        int pixels = dims.get(OUT_H) * outW;
        int inter = dims.get(INTER);
        int g = dims.get(G);
        int half = (g - 1) / 2;
        int s = dims.get(STRIDE);
        int circular = dims.get(CIRCULAR);
        if (id < dims.get(BATCH) * inter * pixels) {
            int p = id % pixels;
            int i = (id / pixels) % inter;
            int n = id / (pixels * inter);
            int ho = p / outW;
            int wo = p % outW;
            float acc = b1.get(i);
            for (int c = 0; c < inC; c++) {
                for (int a = 0; a < g; a++) {
                    int hh = index(s * ho + a - half, inH, circular);
                    for (int b = 0; b < g; b++) {
                        int ww = index(s * wo + b - half, inW, circular);
                        if (hh >= 0 && ww >= 0) {
                            acc += w1.get(((i * inC + c) * g + a) * g + b) * x.get(((n * inC + c) * inH + hh) * inW + ww);
                        }
                    }
                }
            }
            e1.set(id, TornadoMath.tanh(acc * scale1.get(i) + shift1.get(i)));
        }
    }

    /** {@code G[n,j,p] = tanh((b2[j] + sum_{i,a,b<3} W2[j,i,a,b] e1p[n,i,h'+a-1,w'+b-1]) scale2[j] + shift2[j])}. */
    static void conv2BnTanh(KernelContext ctx, IntArray dims, FloatArray e1, FloatArray w2, FloatArray b2,
                            FloatArray scale2, FloatArray shift2, FloatArray gen) {
        int id = ctx.globalIdx;
        int outH = dims.get(OUT_H);
        int outW = dims.get(OUT_W);
        int pixels = outH * outW;
        int inter = dims.get(INTER);
        int channels = dims.get(ATOMS) * dims.get(BASES);
        int circular = dims.get(CIRCULAR);
        if (id < dims.get(BATCH) * channels * pixels) {
            int p = id % pixels;
            int j = (id / pixels) % channels;
            int n = id / (pixels * channels);
            int ho = p / outW;
            int wo = p % outW;
            float acc = b2.get(j);
            for (int i = 0; i < inter; i++) {
                for (int a = 0; a < 3; a++) {
                    int hh = index(ho + a - 1, outH, circular);
                    for (int b = 0; b < 3; b++) {
                        int ww = index(wo + b - 1, outW, circular);
                        if (hh >= 0 && ww >= 0) {
                            acc += w2.get(((j * inter + i) * 3 + a) * 3 + b) * e1.get((n * inter + i) * pixels + hh * outW + ww);
                        }
                    }
                }
            }
            gen.set(id, TornadoMath.tanh(acc * scale2.get(j) + shift2.get(j)));
        }
    }

    /** {@code D[n,m,u,p] = sum_t G[n, m*T + t, p] Psi[t][u]}. */
    static void atoms(KernelContext ctx, IntArray dims, FloatArray gen, FloatArray psi, FloatArray d) {
        int id = ctx.globalIdx;
        int pixels = dims.get(OUT_H) * dims.get(OUT_W);
        int atoms = dims.get(ATOMS);
        int bases = dims.get(BASES);
        int taps = dims.get(K) * dims.get(K);
        if (id < dims.get(BATCH) * atoms * taps * pixels) {
            int p = id % pixels;
            int u = (id / pixels) % taps;
            int m = (id / (pixels * taps)) % atoms;
            int n = id / (pixels * taps * atoms);
            float acc = 0f;
            for (int t = 0; t < bases; t++) {
                acc += gen.get(((n * atoms + m) * bases + t) * pixels + p) * psi.get(t * taps + u);
            }
            d.set(id, acc);
        }
    }

    /** {@code Z[n, c*M + m, p] = sum_{a,b<K} D[n,m,a*K+b,p] xp[n,c, s h' + d a - pad, s w' + d b - pad]}. */
    static void atomConv(KernelContext ctx, IntArray dims, FloatArray x, FloatArray d, FloatArray z) {
        int id = ctx.globalIdx;
        int inC = dims.get(IN_C);
        int inH = dims.get(IN_H);
        int inW = dims.get(IN_W);
        int outW = dims.get(OUT_W);
        int pixels = dims.get(OUT_H) * outW;
        int atoms = dims.get(ATOMS);
        int k = dims.get(K);
        int taps = k * k;
        int s = dims.get(STRIDE);
        int dil = dims.get(DILATION);
        int pad = dims.get(PAD);
        int circular = dims.get(CIRCULAR);
        if (id < dims.get(BATCH) * inC * atoms * pixels) {
            int p = id % pixels;
            int m = (id / pixels) % atoms;
            int c = (id / (pixels * atoms)) % inC;
            int n = id / (pixels * atoms * inC);
            int ho = p / outW;
            int wo = p % outW;
            int dBase = (n * atoms + m) * taps * pixels + p;
            int xBase = (n * inC + c) * inH;
            float acc = 0f;
            for (int a = 0; a < k; a++) {
                int hh = index(s * ho + dil * a - pad, inH, circular);
                for (int b = 0; b < k; b++) {
                    int ww = index(s * wo + dil * b - pad, inW, circular);
                    float v = 0f;
                    if (hh >= 0 && ww >= 0) {
                        v = x.get((xBase + hh) * inW + ww);
                    }
                    acc += d.get(dBase + (a * k + b) * pixels) * v;
                }
            }
            z.set(id, acc);
        }
    }

    /** Output channels one work-item of {@link #coefConv} computes: each value of {@code Z} it loads feeds this many sums. */
    static final int COEF_OUTPUTS = 4;

    /** Pixels of one block of {@link #coefConv}: a work-group of this many work-items shares its block of {@code Z}. */
    static final int COEF_PIXELS = 64;

    /**
     * {@code y[n,o,p] = bias[o] + sum_{j < C*M} coef[o, j] Z[n, j, p]}, each sum in order of {@code j}.
     * One work-item computes {@value #COEF_OUTPUTS} consecutive output channels of one pixel. The
     * global id runs over {@code [n][pixel block][channel block][pixel in block]}, so consecutive
     * work-groups read the same {@value #COEF_PIXELS} pixels of {@code Z} while it is still in cache.
     */
    static void coefConv(KernelContext ctx, IntArray dims, FloatArray coef, FloatArray bias, FloatArray z, FloatArray y) {
        int id = ctx.globalIdx;
        int pixels = dims.get(OUT_H) * dims.get(OUT_W);
        int outC = dims.get(OUT_C);
        int cm = dims.get(IN_C) * dims.get(ATOMS);
        int oBlocks = (outC + COEF_OUTPUTS - 1) / COEF_OUTPUTS;
        int pBlocks = (pixels + COEF_PIXELS - 1) / COEF_PIXELS;
        int lane = id % COEF_PIXELS;
        int ob = (id / COEF_PIXELS) % oBlocks;
        int pb = (id / (COEF_PIXELS * oBlocks)) % pBlocks;
        int n = id / (COEF_PIXELS * oBlocks * pBlocks);
        int p = pb * COEF_PIXELS + lane;
        if (n < dims.get(BATCH) && p < pixels) {
            int o0 = ob * COEF_OUTPUTS;
            // Channels past O (in the last block) compute a copy of channel O-1 and are not written.
            int o1 = TornadoMath.min(o0 + 1, outC - 1);
            int o2 = TornadoMath.min(o0 + 2, outC - 1);
            int o3 = TornadoMath.min(o0 + 3, outC - 1);
            float acc0 = bias.get(o0);
            float acc1 = bias.get(o1);
            float acc2 = bias.get(o2);
            float acc3 = bias.get(o3);
            int zBase = n * cm * pixels + p;
            for (int j = 0; j < cm; j++) {
                float v = z.get(zBase + j * pixels);
                acc0 += coef.get(o0 * cm + j) * v;
                acc1 += coef.get(o1 * cm + j) * v;
                acc2 += coef.get(o2 * cm + j) * v;
                acc3 += coef.get(o3 * cm + j) * v;
            }
            int yBase = (n * outC + o0) * pixels + p;
            y.set(yBase, acc0);
            if (o0 + 1 < outC) {
                y.set(yBase + pixels, acc1);
            }
            if (o0 + 2 < outC) {
                y.set(yBase + 2 * pixels, acc2);
            }
            if (o0 + 3 < outC) {
                y.set(yBase + 3 * pixels, acc3);
            }
        }
    }
}
