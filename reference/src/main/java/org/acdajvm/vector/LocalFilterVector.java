package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.S;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.LocalFilterScalar;

/**
 * The Vector API local filter (ARCHITECTURE's shared {@code LocalFilterVector}), the mathematics of
 * {@link LocalFilterScalar}: every channel filtered by a per-pixel kernel, one per channel ({@code perChannel}) or
 * one for all channels, per image or shared by the batch ({@code sharedByBatch}, TVConv):
 * <pre>
 *   y[n,c,p]     = sum_u kf[n?, c?, u, p] * xp[n,c,p + d u - pad]
 *   dx[n,c,tap] += kf * dy[n,c,p];     dkf[n?, c?, u, p] += xp[n,c,tap(p,u)] * dy[n,c,p]
 * </pre>
 * Stride 1 (TVConv, PAC pool with stride 1): each channel plane is copied once into a padded buffer, after which
 * every tap of a run of {@link VectorGemm#L} consecutive output pixels is one plain vector load of the kernel and one
 * of the input, fused into the accumulator in tap order; the backward scatters {@code kf dy} into a padded
 * gradient buffer the same way and folds it back through the padding mode. Other strides use the scalar kernel.
 * Planes go to threads by {@link RowParallel}; in the backward, planes that add into the same kernel gradient
 * (the images of one channel when the filter is shared by the batch) run on one thread in image order, so results
 * do not depend on the thread count. Not thread-safe.
 */
public final class LocalFilterVector implements AutoCloseable {

    private final RowParallel rows;
    private final Work[] work;

    private static final class Work {
        float[] xpad = new float[0];
        float[] dxpad = new float[0];
    }

    public LocalFilterVector(int threads) {
        this.rows = new RowParallel(threads);
        this.work = new Work[threads];
        for (int i = 0; i < threads; i++) {
            work[i] = new Work();
        }
    }

    /** The padded plane's layout: {@code hp x wp} with {@code pad} rows and columns before the image. */
    private record Pad(int hp, int wp, int pad) {
        static Pad of(FilterGeometry g) {
            int reach = g.dilation() * (g.k() - 1);
            int hp = Math.max(g.inH() + 2 * g.pad(), g.outH() + reach);
            int wp = Math.max(g.inW() + 2 * g.pad(), g.outW() + reach) + L;
            return new Pad(hp, wp, g.pad());
        }
    }

    private static void fill(FilterGeometry g, Pad pd, float[] x, int plane0, float[] dst) {
        PaddingMode mode = g.mode();
        for (int r = 0; r < pd.hp(); r++) {
            int src = r - pd.pad() < g.inH() + pd.pad() ? mode.index(r - pd.pad(), g.inH()) : -1;
            int d = r * pd.wp();
            if (src < 0) {
                Arrays.fill(dst, d, d + pd.wp(), 0f);
                continue;
            }
            int s = plane0 + src * g.inW();
            for (int col = 0; col < pd.wp(); col++) {
                int cc = col - pd.pad();
                int sc = cc < g.inW() + pd.pad() ? mode.index(cc, g.inW()) : -1;
                dst[d + col] = sc < 0 ? 0f : x[s + sc];
            }
        }
    }

    private static void fold(FilterGeometry g, Pad pd, float[] src, float[] dx, int plane0) {
        PaddingMode mode = g.mode();
        for (int r = 0; r < pd.hp(); r++) {
            int row = r - pd.pad() < g.inH() + pd.pad() ? mode.index(r - pd.pad(), g.inH()) : -1;
            if (row < 0) {
                continue;
            }
            for (int col = 0; col < pd.wp(); col++) {
                int cc = col - pd.pad();
                int sc = cc < g.inW() + pd.pad() ? mode.index(cc, g.inW()) : -1;
                if (sc >= 0) {
                    dx[plane0 + row * g.inW() + sc] += src[r * pd.wp() + col];
                }
            }
        }
    }

    /**
     * The forward.
     *
     * @param kf {@code [N, KC, K*K, outH, outW]}, or {@code [KC, K*K, outH, outW]} when {@code sharedByBatch}
     *           ({@code KC = C} when {@code perChannel}, else 1)
     * @param x  {@code [N, C, H, W]}
     * @param y  {@code [N, C, outH, outW]}, overwritten
     */
    public void forward(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x, float[] y) {
        if (g.stride() != 1) {
            LocalFilterScalar.forward(g, kf, perChannel, sharedByBatch, x, y);
            return;
        }
        Pad pd = Pad.of(g);
        int k = g.k();
        int d = g.dilation();
        int taps = g.taps();
        int plane = g.outPlane();
        int outW = g.outW();
        int kcs = perChannel ? g.inC() : 1;
        rows.run(g.batch() * g.inC(), work, (r0, r1, ws) -> {
            ws.xpad = ws.xpad.length >= pd.hp() * pd.wp() ? ws.xpad : new float[pd.hp() * pd.wp()];
            float[] xpad = ws.xpad;
            for (int nc = r0; nc < r1; nc++) {
                int n = nc / g.inC();
                int c = nc % g.inC();
                fill(g, pd, x, nc * g.inPlane(), xpad);
                int kfc = ((sharedByBatch ? 0 : n) * kcs + (perChannel ? c : 0)) * taps * plane;
                int y0 = nc * plane;
                for (int h = 0; h < g.outH(); h++) {
                    int w = 0;
                    for (int bound = S.loopBound(outW); w < bound; w += L) {
                        FloatVector acc = FloatVector.zero(S);
                        for (int a = 0; a < k; a++) {
                            int xr = (h + d * a) * pd.wp() + w;
                            for (int b = 0; b < k; b++) {
                                FloatVector kv = FloatVector.fromArray(S, kf, kfc + (a * k + b) * plane + h * outW + w);
                                acc = kv.fma(FloatVector.fromArray(S, xpad, xr + d * b), acc);
                            }
                        }
                        acc.intoArray(y, y0 + h * outW + w);
                    }
                    for (; w < outW; w++) {
                        float acc = 0f;
                        for (int a = 0; a < k; a++) {
                            int xr = (h + d * a) * pd.wp() + w;
                            for (int b = 0; b < k; b++) {
                                acc = Math.fma(kf[kfc + (a * k + b) * plane + h * outW + w], xpad[xr + d * b], acc);
                            }
                        }
                        y[y0 + h * outW + w] = acc;
                    }
                }
            }
        });
    }

    /**
     * Adds {@code dL/dx} into {@code dx} and {@code dL/dkf} into {@code dkf} (either may be {@code null}); layouts as
     * {@link #forward}.
     */
    public void backward(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x, float[] dy,
                         float[] dx, float[] dkf) {
        if (g.stride() != 1) {
            LocalFilterScalar.backward(g, kf, perChannel, sharedByBatch, x, dy, dx, dkf);
            return;
        }
        Pad pd = Pad.of(g);
        int batch = g.batch();
        int channels = g.inC();
        // Units of planes that add into the same kernel gradient, each run by one thread in a fixed order.
        int units;
        if (perChannel) {
            units = sharedByBatch ? channels : batch * channels;
        } else {
            units = sharedByBatch ? 1 : batch;
        }
        int per = batch * channels / units;
        rows.run(units, work, (u0, u1, ws) -> {
            int size = pd.hp() * pd.wp();
            ws.xpad = ws.xpad.length >= size ? ws.xpad : new float[size];
            ws.dxpad = ws.dxpad.length >= size ? ws.dxpad : new float[size];
            for (int unit = u0; unit < u1; unit++) {
                for (int j = 0; j < per; j++) {
                    int n;
                    int c;
                    if (perChannel && sharedByBatch) {
                        c = unit;
                        n = j;
                    } else if (perChannel) {
                        n = unit / channels;
                        c = unit % channels;
                    } else if (sharedByBatch) {
                        n = j / channels;
                        c = j % channels;
                    } else {
                        n = unit;
                        c = j;
                    }
                    plane(g, pd, kf, perChannel, sharedByBatch, x, dy, dx, dkf, n, c, ws);
                }
            }
        });
    }

    private static void plane(FilterGeometry g, Pad pd, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x,
                              float[] dy, float[] dx, float[] dkf, int n, int c, Work ws) {
        int k = g.k();
        int d = g.dilation();
        int taps = g.taps();
        int plane = g.outPlane();
        int outW = g.outW();
        int kcs = perChannel ? g.inC() : 1;
        int nc = n * g.inC() + c;
        float[] xpad = ws.xpad;
        float[] dxpad = ws.dxpad;
        if (dkf != null) {
            fill(g, pd, x, nc * g.inPlane(), xpad);
        }
        if (dx != null) {
            Arrays.fill(dxpad, 0, pd.hp() * pd.wp(), 0f);
        }
        int kfc = ((sharedByBatch ? 0 : n) * kcs + (perChannel ? c : 0)) * taps * plane;
        int y0 = nc * plane;
        for (int h = 0; h < g.outH(); h++) {
            int w = 0;
            for (int bound = S.loopBound(outW); w < bound; w += L) {
                FloatVector gy = FloatVector.fromArray(S, dy, y0 + h * outW + w);
                for (int a = 0; a < k; a++) {
                    int xr = (h + d * a) * pd.wp() + w;
                    for (int b = 0; b < k; b++) {
                        int ki = kfc + (a * k + b) * plane + h * outW + w;
                        int xi = xr + d * b;
                        if (dx != null) {
                            FloatVector.fromArray(S, kf, ki).fma(gy, FloatVector.fromArray(S, dxpad, xi)).intoArray(dxpad, xi);
                        }
                        if (dkf != null) {
                            FloatVector.fromArray(S, xpad, xi).fma(gy, FloatVector.fromArray(S, dkf, ki)).intoArray(dkf, ki);
                        }
                    }
                }
            }
            for (; w < outW; w++) {
                float gy = dy[y0 + h * outW + w];
                for (int a = 0; a < k; a++) {
                    int xr = (h + d * a) * pd.wp() + w;
                    for (int b = 0; b < k; b++) {
                        int ki = kfc + (a * k + b) * plane + h * outW + w;
                        int xi = xr + d * b;
                        if (dx != null) {
                            dxpad[xi] = Math.fma(kf[ki], gy, dxpad[xi]);
                        }
                        if (dkf != null) {
                            dkf[ki] = Math.fma(xpad[xi], gy, dkf[ki]);
                        }
                    }
                }
            }
        }
        if (dx != null) {
            fold(g, pd, dxpad, dx, nc * g.inPlane());
        }
    }

    @Override
    public void close() {
        rows.close();
    }
}
