package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.S;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;

import org.acdajvm.layers.conv.FilterGeometry;

/**
 * The Vector API local filter (ARCHITECTURE's shared {@code LocalFilterVector}; the mathematics of
 * {@link org.acdajvm.layers.conv.LocalFilterScalar}): every channel filtered by a per-pixel kernel, one kernel
 * shared by all channels (dynamic local filtering, PAC pool) or one per channel (channel-wise PAC pool),
 * <pre>
 *   y[n,c,p]      = sum_u kf[n, kc(c), u, p] * xp[n, c, tap(p, u)]          kc(c) = c or 0
 *   dx[n,c,tap]  += kf * dy[n,c,p]          dkf[n,kc,u,p] += sum_{c: kc(c) = kc} xp[n,c,tap(p,u)] * dy[n,c,p]
 * </pre>
 * Vectors run along a row of output pixels: the input is copied once per image into {@link PaddedInput}'s
 * stride-deinterleaved layout, so every tap of {@code L} consecutive pixels is one plain load, and the kernel and
 * {@code dy} into rows padded with zeros to whole vectors. Blocking: a shared kernel's vector is loaded once per
 * tap for {@value #CB} channels, and {@code dkf} sums four taps at a time in registers. Threads: the forward and
 * {@code dkf} by output row (each row's elements are summed in channel order by one thread), {@code dx} by channel
 * (each channel's padded gradient buffer belongs to one thread, and the terms are added in tap, pixel order), so
 * results do not depend on the thread count. Workspaces grow to the largest shape seen and are reused. Not
 * thread-safe.
 */
public final class LocalFilterVector {

    /** Channels that share one load of a shared kernel's vector. */
    static final int CB = 4;

    private final RowParallel rows;
    private final Object[] none;
    private float[] xph = new float[0];
    private float[] kfp = new float[0];
    private float[] dyp = new float[0];
    private float[] dkfp = new float[0];
    private float[] dxp = new float[0];

    /** Runs on {@code rows}' threads (shared with the caller, who closes them). */
    LocalFilterVector(RowParallel rows) {
        this.rows = rows;
        this.none = new Object[rows.threads()];
    }

    /** The layout of one call. */
    private record Plan(FilterGeometry g, PaddedInput in, int tiledW, int kcs, int[] off, int chStride) {
        static Plan of(FilterGeometry g, boolean perChannel) {
            int tiledW = (g.outW() + L - 1) / L * L;
            PaddedInput in = new PaddedInput(g.inC(), g.inH(), g.inW(), g.stride(), g.pad(), tiledW,
                    g.dilation() * (g.k() - 1));
            int[] off = new int[g.taps()];
            for (int a = 0; a < g.k(); a++) {
                for (int b = 0; b < g.k(); b++) {
                    off[a * g.k() + b] = in.tap(0, g.dilation() * a, g.dilation() * b);
                }
            }
            return new Plan(g, in, tiledW, perChannel ? g.inC() : 1, off, in.channelStride());
        }

        /** Start of row {@code h} of kernel channel {@code kc}, tap {@code u}, in the padded kernel layout. */
        int kfRow(int kc, int u, int h) {
            return ((kc * g.taps() + u) * g.outH() + h) * tiledW;
        }

        int kfSize() {
            return kcs * g.taps() * g.outH() * tiledW;
        }

        /** Start of row {@code h} of channel {@code c} in the padded {@code dy} layout. */
        int dyRow(int c, int h) {
            return (c * g.outH() + h) * tiledW;
        }
    }

    private static float[] grow(float[] a, int size) {
        return a.length >= size ? a : new float[size];
    }

    /**
     * @param kf {@code [N, KC, K*K, outH, outW]} ({@code KC = C} when {@code perChannel}, else 1)
     * @param x  {@code [N, C, H, W]}
     * @param y  {@code [N, C, outH, outW]}, overwritten
     */
    public void forward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] y) {
        Plan pl = Plan.of(g, perChannel);
        xph = grow(xph, pl.in().size());
        kfp = grow(kfp, pl.kfSize());
        float[] xp = xph;
        float[] kfpad = kfp;
        int plane = g.outPlane();
        int channels = g.inC();
        for (int n = 0; n < g.batch(); n++) {
            int nn = n;
            rows.run(channels, none, (c0, c1, ws) -> {
                for (int c = c0; c < c1; c++) {
                    pl.in().fillChannel(xp, x, nn, c, g.mode());
                }
            });
            padRows(kf, n * pl.kcs() * g.taps() * g.outH(), pl.kcs() * g.taps() * g.outH(), g.outW(), pl.tiledW(), kfpad);
            rows.run(g.outH(), none, (h0, h1, ws) -> {
                for (int h = h0; h < h1; h++) {
                    int base = pl.in().base(h, 0);
                    for (int j = 0; j < pl.tiledW(); j += L) {
                        VectorMask<Float> m = S.indexInRange(j, g.outW());
                        int c = 0;
                        if (pl.kcs() == 1) {
                            for (; c + CB <= channels; c += CB) {
                                int x0 = c * pl.chStride() + base + j;
                                FloatVector a0 = FloatVector.zero(S);
                                FloatVector a1 = FloatVector.zero(S);
                                FloatVector a2 = FloatVector.zero(S);
                                FloatVector a3 = FloatVector.zero(S);
                                for (int u = 0; u < g.taps(); u++) {
                                    FloatVector kv = FloatVector.fromArray(S, kfpad, pl.kfRow(0, u, h) + j);
                                    int xo = x0 + pl.off()[u];
                                    a0 = FloatVector.fromArray(S, xp, xo).fma(kv, a0);
                                    a1 = FloatVector.fromArray(S, xp, xo + pl.chStride()).fma(kv, a1);
                                    a2 = FloatVector.fromArray(S, xp, xo + 2 * pl.chStride()).fma(kv, a2);
                                    a3 = FloatVector.fromArray(S, xp, xo + 3 * pl.chStride()).fma(kv, a3);
                                }
                                int yo = ((nn * channels + c) * g.outH() + h) * g.outW() + j;
                                a0.intoArray(y, yo, m);
                                a1.intoArray(y, yo + plane, m);
                                a2.intoArray(y, yo + 2 * plane, m);
                                a3.intoArray(y, yo + 3 * plane, m);
                            }
                        }
                        for (; c < channels; c++) {
                            int kc = pl.kcs() == 1 ? 0 : c;
                            int x0 = c * pl.chStride() + base + j;
                            FloatVector a0 = FloatVector.zero(S);
                            for (int u = 0; u < g.taps(); u++) {
                                FloatVector kv = FloatVector.fromArray(S, kfpad, pl.kfRow(kc, u, h) + j);
                                a0 = FloatVector.fromArray(S, xp, x0 + pl.off()[u]).fma(kv, a0);
                            }
                            a0.intoArray(y, ((nn * channels + c) * g.outH() + h) * g.outW() + j, m);
                        }
                    }
                }
            });
        }
    }

    /**
     * Adds {@code dL/dx} into {@code dx} and {@code dL/dkf} into {@code dkf} (either may be {@code null}; layouts as
     * {@link #forward}, {@code dy [N, C, outH, outW]}).
     */
    public void backward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] dy, float[] dx, float[] dkf) {
        Plan pl = Plan.of(g, perChannel);
        int channels = g.inC();
        int size = pl.in().size();
        int kfSize = pl.kfSize();
        kfp = grow(kfp, kfSize);
        dyp = grow(dyp, channels * g.outH() * pl.tiledW());
        if (dkf != null) {
            xph = grow(xph, size);
            dkfp = grow(dkfp, kfSize);
        }
        if (dx != null) {
            dxp = grow(dxp, size);
        }
        float[] xp = xph;
        float[] kfpad = kfp;
        float[] dypad = dyp;
        float[] dkfpad = dkfp;
        float[] dxpad = dxp;
        for (int n = 0; n < g.batch(); n++) {
            int nn = n;
            padRows(dy, n * channels * g.outH(), channels * g.outH(), g.outW(), pl.tiledW(), dypad);
            if (dkf != null) {
                rows.run(channels, none, (c0, c1, ws) -> {
                    for (int c = c0; c < c1; c++) {
                        pl.in().fillChannel(xp, x, nn, c, g.mode());
                    }
                });
                // dkf[kc, u, h, :] = sum_c x * dy, by output row, in registers over the channels (in order), TB taps at a time.
                rows.run(g.outH(), none, (h0, h1, ws) -> {
                    for (int h = h0; h < h1; h++) {
                        int base = pl.in().base(h, 0);
                        for (int j = 0; j < pl.tiledW(); j += L) {
                            if (pl.kcs() == 1) {
                                filterGradientRow(pl, xp, dypad, dkfpad, 0, channels, h, base, j);
                            } else {
                                for (int c = 0; c < channels; c++) {
                                    filterGradientRow(pl, xp, dypad, dkfpad, c, c + 1, h, base, j);
                                }
                            }
                        }
                    }
                });
                int rowsPerImage = pl.kcs() * g.taps() * g.outH();
                int dst0 = n * rowsPerImage * g.outW();
                for (int r = 0; r < rowsPerImage; r++) {
                    int src = r * pl.tiledW();
                    int dst = dst0 + r * g.outW();
                    for (int j = 0; j < g.outW(); j++) {
                        dkf[dst + j] += dkfpad[src + j];
                    }
                }
            }
            if (dx != null) {
                padRows(kf, n * pl.kcs() * g.taps() * g.outH(), pl.kcs() * g.taps() * g.outH(), g.outW(), pl.tiledW(), kfpad);
                // dx: each channel's padded buffer by one thread, pixels then taps in order, then folded back.
                rows.run(channels, none, (c0, c1, ws) -> {
                    for (int c = c0; c < c1; c++) {
                        int kc = pl.kcs() == 1 ? 0 : c;
                        int start = c * pl.chStride();
                        Arrays.fill(dxpad, start, start + pl.chStride(), 0f);
                        // Taps outermost: the vectors one tap adds never overlap each other, so no store waits on a
                        // partly overlapping earlier store (the next tap's, one column on).
                        for (int u = 0; u < g.taps(); u++) {
                            for (int h = 0; h < g.outH(); h++) {
                                int x0 = start + pl.in().base(h, 0) + pl.off()[u];
                                int d0 = pl.dyRow(c, h);
                                int k0 = pl.kfRow(kc, u, h);
                                for (int j = 0; j < pl.tiledW(); j += L) {
                                    FloatVector kv = FloatVector.fromArray(S, kfpad, k0 + j);
                                    kv.fma(FloatVector.fromArray(S, dypad, d0 + j), FloatVector.fromArray(S, dxpad, x0 + j))
                                            .intoArray(dxpad, x0 + j);
                                }
                            }
                        }
                        pl.in().foldChannel(dxpad, dx, nn, c, g.mode());
                    }
                });
            }
        }
    }

    /**
     * {@code dkfpad[kc, u, h, j..j+L) = sum_{c in [c0, c1)} xp[c, tap(u)] * dy[c, h, j..]} for every tap {@code u}, with
     * {@code kc = 0} for a shared kernel ({@code c0 = 0, c1 = C}) or {@code c0} for one channel's own; four taps at a
     * time in registers, the channels in order.
     */
    private static void filterGradientRow(Plan pl, float[] xp, float[] dypad, float[] dkfpad, int c0, int c1, int h, int base,
                                          int j) {
        int taps = pl.g().taps();
        int kc = pl.kcs() == 1 ? 0 : c0;
        int u = 0;
        for (; u + 4 <= taps; u += 4) {
            FloatVector a0 = FloatVector.zero(S);
            FloatVector a1 = FloatVector.zero(S);
            FloatVector a2 = FloatVector.zero(S);
            FloatVector a3 = FloatVector.zero(S);
            int o0 = pl.off()[u];
            int o1 = pl.off()[u + 1];
            int o2 = pl.off()[u + 2];
            int o3 = pl.off()[u + 3];
            for (int c = c0; c < c1; c++) {
                FloatVector dv = FloatVector.fromArray(S, dypad, pl.dyRow(c, h) + j);
                int x0 = c * pl.chStride() + base + j;
                a0 = FloatVector.fromArray(S, xp, x0 + o0).fma(dv, a0);
                a1 = FloatVector.fromArray(S, xp, x0 + o1).fma(dv, a1);
                a2 = FloatVector.fromArray(S, xp, x0 + o2).fma(dv, a2);
                a3 = FloatVector.fromArray(S, xp, x0 + o3).fma(dv, a3);
            }
            a0.intoArray(dkfpad, pl.kfRow(kc, u, h) + j);
            a1.intoArray(dkfpad, pl.kfRow(kc, u + 1, h) + j);
            a2.intoArray(dkfpad, pl.kfRow(kc, u + 2, h) + j);
            a3.intoArray(dkfpad, pl.kfRow(kc, u + 3, h) + j);
        }
        for (; u < taps; u++) {
            FloatVector a0 = FloatVector.zero(S);
            for (int c = c0; c < c1; c++) {
                FloatVector dv = FloatVector.fromArray(S, dypad, pl.dyRow(c, h) + j);
                a0 = FloatVector.fromArray(S, xp, c * pl.chStride() + base + j + pl.off()[u]).fma(dv, a0);
            }
            a0.intoArray(dkfpad, pl.kfRow(kc, u, h) + j);
        }
    }

    /**
     * Copies {@code count} rows of {@code width} floats, from row {@code firstRow} of {@code src} on, into rows of
     * {@code padded} floats with zero tails at the start of {@code dst}.
     */
    private static void padRows(float[] src, int firstRow, int count, int width, int padded, float[] dst) {
        for (int r = 0; r < count; r++) {
            System.arraycopy(src, (firstRow + r) * width, dst, r * padded, width);
            Arrays.fill(dst, r * padded + width, (r + 1) * padded, 0f);
        }
    }
}
