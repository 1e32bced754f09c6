package org.acdajvm.tornado;

import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.math.TornadoMath;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The five kernels of the two-layer ACDA forward (DESIGN section 5), written in Java for TornadoVM,
 * which compiles them to OpenCL C (or PTX). Each mirrors one loop nest of
 * {@link org.acdajvm.backend.AcdaForwardScalar} and sums the same products in the same order. One
 * work-item of {@link #atoms} computes one element; the other four kernels are channel-blocked: one
 * work-item computes {@link #BLOCK_CHANNELS} channels of one pixel ({@link #COEF_CHANNELS} in the
 * coefficient convolution), so that each value it loads feeds that many sums. Global ids past the
 * end (the grid is rounded up to whole work-groups) do nothing.
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

    /** Channels one work-item of {@link #conv1BnTanh}, {@link #conv2BnTanh} and {@link #atomConv} computes. */
    static final int BLOCK_CHANNELS = 4;

    /**
     * Pixels of one block of the channel-blocked kernels. Their global id runs over
     * {@code [n][pixel block][channel block][pixel in block]}: one work-group of this many work-items
     * covers one pixel block, and consecutive work-groups read the same input pixels while they are
     * still in cache.
     */
    static final int BLOCK_PIXELS = 64;

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
     * {@code g1[n,i,p] = b1[i] + sum_{c,a,b<g} W1[i,c,a,b] xp[...]} (the pre-activation, which the backward
     * needs for BatchNorm's gradient) and
     * {@code e1[n,i,p] = tanh((b1[i] + sum_{c,a,b<g} W1[i,c,a,b] xp[n,c,s h' + a - (g-1)/2, s w' + b - (g-1)/2]) scale1[i] + shift1[i])},
     * {@value #BLOCK_CHANNELS} consecutive channels {@code i} per work-item (channel-blocked, see {@link #BLOCK_PIXELS}).
     */
    static void conv1BnTanh(KernelContext ctx, IntArray dims, FloatArray x, FloatArray w1, FloatArray b1,
                            FloatArray scale1, FloatArray shift1, FloatArray g1, FloatArray e1) {
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
        int iBlocks = (inter + BLOCK_CHANNELS - 1) / BLOCK_CHANNELS;
        int pBlocks = (pixels + BLOCK_PIXELS - 1) / BLOCK_PIXELS;
        int lane = id % BLOCK_PIXELS;
        int ib = (id / BLOCK_PIXELS) % iBlocks;
        int pb = (id / (BLOCK_PIXELS * iBlocks)) % pBlocks;
        int n = id / (BLOCK_PIXELS * iBlocks * pBlocks);
        int p = pb * BLOCK_PIXELS + lane;
        if (n < dims.get(BATCH) && p < pixels) {
            int ho = p / outW;
            int wo = p % outW;
            // Channels past I (in the last block) compute a copy of channel I-1 and are not written.
            int i0 = ib * BLOCK_CHANNELS;
            int i1 = TornadoMath.min(i0 + 1, inter - 1);
            int i2 = TornadoMath.min(i0 + 2, inter - 1);
            int i3 = TornadoMath.min(i0 + 3, inter - 1);
            float acc0 = b1.get(i0);
            float acc1 = b1.get(i1);
            float acc2 = b1.get(i2);
            float acc3 = b1.get(i3);
            int taps = g * g;
            for (int c = 0; c < inC; c++) {
                for (int a = 0; a < g; a++) {
                    int hh = index(s * ho + a - half, inH, circular);
                    for (int b = 0; b < g; b++) {
                        int ww = index(s * wo + b - half, inW, circular);
                        if (hh >= 0 && ww >= 0) {
                            float v = x.get(((n * inC + c) * inH + hh) * inW + ww);
                            int u = c * taps + a * g + b;
                            acc0 += w1.get(i0 * inC * taps + u) * v;
                            acc1 += w1.get(i1 * inC * taps + u) * v;
                            acc2 += w1.get(i2 * inC * taps + u) * v;
                            acc3 += w1.get(i3 * inC * taps + u) * v;
                        }
                    }
                }
            }
            int out = (n * inter + i0) * pixels + p;
            g1.set(out, acc0);
            e1.set(out, TornadoMath.tanh(acc0 * scale1.get(i0) + shift1.get(i0)));
            if (i0 + 1 < inter) {
                g1.set(out + pixels, acc1);
                e1.set(out + pixels, TornadoMath.tanh(acc1 * scale1.get(i1) + shift1.get(i1)));
            }
            if (i0 + 2 < inter) {
                g1.set(out + 2 * pixels, acc2);
                e1.set(out + 2 * pixels, TornadoMath.tanh(acc2 * scale1.get(i2) + shift1.get(i2)));
            }
            if (i0 + 3 < inter) {
                g1.set(out + 3 * pixels, acc3);
                e1.set(out + 3 * pixels, TornadoMath.tanh(acc3 * scale1.get(i3) + shift1.get(i3)));
            }
        }
    }

    /**
     * {@code g2[n,j,p] = b2[j] + sum_{i,a,b<3} W2[j,i,a,b] e1p[...]} (the pre-activation) and
     * {@code G[n,j,p] = tanh((b2[j] + sum_{i,a,b<3} W2[j,i,a,b] e1p[n,i,h'+a-1,w'+b-1]) scale2[j] + shift2[j])},
     * {@value #BLOCK_CHANNELS} consecutive channels {@code j} per work-item (channel-blocked, see {@link #BLOCK_PIXELS}).
     */
    static void conv2BnTanh(KernelContext ctx, IntArray dims, FloatArray e1, FloatArray w2, FloatArray b2,
                            FloatArray scale2, FloatArray shift2, FloatArray g2, FloatArray gen) {
        int id = ctx.globalIdx;
        int outH = dims.get(OUT_H);
        int outW = dims.get(OUT_W);
        int pixels = outH * outW;
        int inter = dims.get(INTER);
        int channels = dims.get(ATOMS) * dims.get(BASES);
        int circular = dims.get(CIRCULAR);
        int jBlocks = (channels + BLOCK_CHANNELS - 1) / BLOCK_CHANNELS;
        int pBlocks = (pixels + BLOCK_PIXELS - 1) / BLOCK_PIXELS;
        int lane = id % BLOCK_PIXELS;
        int jb = (id / BLOCK_PIXELS) % jBlocks;
        int pb = (id / (BLOCK_PIXELS * jBlocks)) % pBlocks;
        int n = id / (BLOCK_PIXELS * jBlocks * pBlocks);
        int p = pb * BLOCK_PIXELS + lane;
        if (n < dims.get(BATCH) && p < pixels) {
            int ho = p / outW;
            int wo = p % outW;
            int j0 = jb * BLOCK_CHANNELS;
            int j1 = TornadoMath.min(j0 + 1, channels - 1);
            int j2 = TornadoMath.min(j0 + 2, channels - 1);
            int j3 = TornadoMath.min(j0 + 3, channels - 1);
            float acc0 = b2.get(j0);
            float acc1 = b2.get(j1);
            float acc2 = b2.get(j2);
            float acc3 = b2.get(j3);
            for (int i = 0; i < inter; i++) {
                for (int a = 0; a < 3; a++) {
                    int hh = index(ho + a - 1, outH, circular);
                    for (int b = 0; b < 3; b++) {
                        int ww = index(wo + b - 1, outW, circular);
                        if (hh >= 0 && ww >= 0) {
                            float v = e1.get((n * inter + i) * pixels + hh * outW + ww);
                            int u = i * 9 + a * 3 + b;
                            acc0 += w2.get(j0 * inter * 9 + u) * v;
                            acc1 += w2.get(j1 * inter * 9 + u) * v;
                            acc2 += w2.get(j2 * inter * 9 + u) * v;
                            acc3 += w2.get(j3 * inter * 9 + u) * v;
                        }
                    }
                }
            }
            int out = (n * channels + j0) * pixels + p;
            g2.set(out, acc0);
            gen.set(out, TornadoMath.tanh(acc0 * scale2.get(j0) + shift2.get(j0)));
            if (j0 + 1 < channels) {
                g2.set(out + pixels, acc1);
                gen.set(out + pixels, TornadoMath.tanh(acc1 * scale2.get(j1) + shift2.get(j1)));
            }
            if (j0 + 2 < channels) {
                g2.set(out + 2 * pixels, acc2);
                gen.set(out + 2 * pixels, TornadoMath.tanh(acc2 * scale2.get(j2) + shift2.get(j2)));
            }
            if (j0 + 3 < channels) {
                g2.set(out + 3 * pixels, acc3);
                gen.set(out + 3 * pixels, TornadoMath.tanh(acc3 * scale2.get(j3) + shift2.get(j3)));
            }
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

    /**
     * {@code Z[n, c*M + m, p] = sum_{a,b<K} D[n,m,a*K+b,p] xp[n,c, s h' + d a - pad, s w' + d b - pad]},
     * {@value #BLOCK_CHANNELS} consecutive input channels {@code c} of one atom {@code m} per work-item,
     * so that each value of {@code D} it loads feeds that many sums. The global id runs over
     * {@code [n][pixel block][channel block][m][pixel in block]} (see {@link #BLOCK_PIXELS}).
     */
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
        int cBlocks = (inC + BLOCK_CHANNELS - 1) / BLOCK_CHANNELS;
        int pBlocks = (pixels + BLOCK_PIXELS - 1) / BLOCK_PIXELS;
        int lane = id % BLOCK_PIXELS;
        int m = (id / BLOCK_PIXELS) % atoms;
        int cb = (id / (BLOCK_PIXELS * atoms)) % cBlocks;
        int pb = (id / (BLOCK_PIXELS * atoms * cBlocks)) % pBlocks;
        int n = id / (BLOCK_PIXELS * atoms * cBlocks * pBlocks);
        int p = pb * BLOCK_PIXELS + lane;
        if (n < dims.get(BATCH) && p < pixels) {
            int ho = p / outW;
            int wo = p % outW;
            // Channels past C (in the last block) compute a copy of channel C-1 and are not written.
            int c0 = cb * BLOCK_CHANNELS;
            int c1 = TornadoMath.min(c0 + 1, inC - 1);
            int c2 = TornadoMath.min(c0 + 2, inC - 1);
            int c3 = TornadoMath.min(c0 + 3, inC - 1);
            int plane = inH * inW;
            int x0 = (n * inC + c0) * plane;
            int x1 = (n * inC + c1) * plane;
            int x2 = (n * inC + c2) * plane;
            int x3 = (n * inC + c3) * plane;
            int dBase = (n * atoms + m) * taps * pixels + p;
            float acc0 = 0f;
            float acc1 = 0f;
            float acc2 = 0f;
            float acc3 = 0f;
            for (int a = 0; a < k; a++) {
                int hh = index(s * ho + dil * a - pad, inH, circular);
                for (int b = 0; b < k; b++) {
                    int ww = index(s * wo + dil * b - pad, inW, circular);
                    float dv = d.get(dBase + (a * k + b) * pixels);
                    float v0 = 0f;
                    float v1 = 0f;
                    float v2 = 0f;
                    float v3 = 0f;
                    if (hh >= 0 && ww >= 0) {
                        int at = hh * inW + ww;
                        v0 = x.get(x0 + at);
                        v1 = x.get(x1 + at);
                        v2 = x.get(x2 + at);
                        v3 = x.get(x3 + at);
                    }
                    acc0 += dv * v0;
                    acc1 += dv * v1;
                    acc2 += dv * v2;
                    acc3 += dv * v3;
                }
            }
            int out = ((n * inC + c0) * atoms + m) * pixels + p;
            z.set(out, acc0);
            if (c0 + 1 < inC) {
                z.set(out + atoms * pixels, acc1);
            }
            if (c0 + 2 < inC) {
                z.set(out + 2 * atoms * pixels, acc2);
            }
            if (c0 + 3 < inC) {
                z.set(out + 3 * atoms * pixels, acc3);
            }
        }
    }

    /** Output channels one work-item of {@link #coefConv} computes: it has the longest sums, so the widest block. */
    static final int COEF_CHANNELS = 8;

    /**
     * {@code y[n,o,p] = bias[o] + sum_{j < C*M} coef[o, j] Z[n, j, p]}, each sum in order of {@code j},
     * {@value #COEF_CHANNELS} consecutive channels {@code o} per work-item (channel-blocked, see {@link #BLOCK_PIXELS}).
     */
    static void coefConv(KernelContext ctx, IntArray dims, FloatArray coef, FloatArray bias, FloatArray z, FloatArray y) {
        int id = ctx.globalIdx;
        int pixels = dims.get(OUT_H) * dims.get(OUT_W);
        int outC = dims.get(OUT_C);
        int cm = dims.get(IN_C) * dims.get(ATOMS);
        int oBlocks = (outC + COEF_CHANNELS - 1) / COEF_CHANNELS;
        int pBlocks = (pixels + BLOCK_PIXELS - 1) / BLOCK_PIXELS;
        int lane = id % BLOCK_PIXELS;
        int ob = (id / BLOCK_PIXELS) % oBlocks;
        int pb = (id / (BLOCK_PIXELS * oBlocks)) % pBlocks;
        int n = id / (BLOCK_PIXELS * oBlocks * pBlocks);
        int p = pb * BLOCK_PIXELS + lane;
        if (n < dims.get(BATCH) && p < pixels) {
            // Channels past O (in the last block) compute a copy of channel O-1 and are not written.
            int o0 = ob * COEF_CHANNELS;
            int last = outC - 1;
            int r0 = o0 * cm;
            int r1 = TornadoMath.min(o0 + 1, last) * cm;
            int r2 = TornadoMath.min(o0 + 2, last) * cm;
            int r3 = TornadoMath.min(o0 + 3, last) * cm;
            int r4 = TornadoMath.min(o0 + 4, last) * cm;
            int r5 = TornadoMath.min(o0 + 5, last) * cm;
            int r6 = TornadoMath.min(o0 + 6, last) * cm;
            int r7 = TornadoMath.min(o0 + 7, last) * cm;
            float acc0 = bias.get(o0);
            float acc1 = bias.get(TornadoMath.min(o0 + 1, last));
            float acc2 = bias.get(TornadoMath.min(o0 + 2, last));
            float acc3 = bias.get(TornadoMath.min(o0 + 3, last));
            float acc4 = bias.get(TornadoMath.min(o0 + 4, last));
            float acc5 = bias.get(TornadoMath.min(o0 + 5, last));
            float acc6 = bias.get(TornadoMath.min(o0 + 6, last));
            float acc7 = bias.get(TornadoMath.min(o0 + 7, last));
            int zBase = n * cm * pixels + p;
            for (int j = 0; j < cm; j++) {
                float v = z.get(zBase + j * pixels);
                acc0 += coef.get(r0 + j) * v;
                acc1 += coef.get(r1 + j) * v;
                acc2 += coef.get(r2 + j) * v;
                acc3 += coef.get(r3 + j) * v;
                acc4 += coef.get(r4 + j) * v;
                acc5 += coef.get(r5 + j) * v;
                acc6 += coef.get(r6 + j) * v;
                acc7 += coef.get(r7 + j) * v;
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
            if (o0 + 4 < outC) {
                y.set(yBase + 4 * pixels, acc4);
            }
            if (o0 + 5 < outC) {
                y.set(yBase + 5 * pixels, acc5);
            }
            if (o0 + 6 < outC) {
                y.set(yBase + 6 * pixels, acc6);
            }
            if (o0 + 7 < outC) {
                y.set(yBase + 7 * pixels, acc7);
            }
        }
    }
}
