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

    /** {@code y[n,o,p] = bias[o] + sum_{j < C*M} coef[o, j] Z[n, j, p]}. */
    static void coefConv(KernelContext ctx, IntArray dims, FloatArray coef, FloatArray bias, FloatArray z, FloatArray y) {
        int id = ctx.globalIdx;
        int pixels = dims.get(OUT_H) * dims.get(OUT_W);
        int outC = dims.get(OUT_C);
        int cm = dims.get(IN_C) * dims.get(ATOMS);
        if (id < dims.get(BATCH) * outC * pixels) {
            int p = id % pixels;
            int o = (id / pixels) % outC;
            int n = id / (pixels * outC);
            int zBase = n * cm * pixels + p;
            int cBase = o * cm;
            float acc = bias.get(o);
            for (int j = 0; j < cm; j++) {
                acc += coef.get(cBase + j) * z.get(zBase + j * pixels);
            }
            y.set(id, acc);
        }
    }
}
