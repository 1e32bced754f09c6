package org.acdajvm.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.LocalFilterScalar;

/**
 * The local filter on the Vector API (ARCHITECTURE's shared {@code LocalFilterVector}; the scalar definition is
 * {@link LocalFilterScalar}): {@code groups} per-pixel filters, channel {@code c} filtered by
 * {@code f(c) = c / (C/groups)} ({@code groups = 1}: one filter for all channels, PAC pool; {@code groups = C}: one
 * per channel; involution: one per group):
 * <pre>
 *   y[n,c,p]        = sum_u kf[n, f(c), u, p] * xp[n,c,tap(p,u)]
 *   dx[n,c,tap]    += kf * dy[n,c,p];     dkf[n,f(c),u,p] += xp[n,c,tap(p,u)] * dy[n,c,p]
 * </pre>
 * Each input channel is copied once into a {@link PaddedInput} (padding applied, stride deinterleaved), so every
 * tap of {@code L} consecutive output pixels is one plain vector load, for every stride and dilation. The forward
 * keeps one accumulator per {@code L} output pixels over the taps in tap order, multiply then add: the same float
 * operations in the same order as the scalar kernel, so the same bits (a padding zero adds {@code +-0}, which leaves
 * a sum unchanged). The backward's {@code dkf} adds the channels of a filter in channel order, as the scalar kernel;
 * its {@code dx} is scattered into a padded buffer and folded back ({@link PaddedInput#foldChannel}), in another
 * order than the scalar kernel's. Channels run in parallel in the forward, filters (with their channels) in the
 * backward, so every output element is written by one thread.
 */
final class LocalFilterVector {

    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final int L = VectorGemm.L;

    private final RowParallel rows;
    private final Object[] none;
    private float[] xp = new float[0];
    private float[] dxp = new float[0];

    LocalFilterVector(RowParallel rows) {
        this.rows = rows;
        this.none = new Object[rows.threads()];
    }

    private static PaddedInput padded(FilterGeometry g) {
        int tiled = (g.outW() + L - 1) / L * L;
        return new PaddedInput(g.inC(), g.inH(), g.inW(), g.stride(), g.pad(), tiled, g.dilation() * (g.k() - 1));
    }

    /**
     * @param kf     {@code [N, groups, K*K, outH, outW]}
     * @param groups the number of filters, dividing {@code C}
     * @param x      {@code [N, C, H, W]}
     * @param y      {@code [N, C, outH, outW]}, overwritten
     */
    void forward(FilterGeometry g, float[] kf, int groups, float[] x, float[] y) {
        PaddedInput pi = padded(g);
        xp = xp.length >= pi.size() ? xp : new float[pi.size()];
        float[] buf = xp;
        int per = g.inC() / groups;
        for (int n = 0; n < g.batch(); n++) {
            int image = n;
            rows.run(g.inC(), none, (c0, c1, ws) -> {
                for (int c = c0; c < c1; c++) {
                    pi.fillChannel(buf, x, image, c, g.mode());
                    forwardChannel(g, pi, buf, kf, (image * groups + c / per) * g.taps() * g.outPlane(), c,
                            (image * g.inC() + c) * g.outPlane(), y);
                }
            });
        }
    }

    private static void forwardChannel(FilterGeometry g, PaddedInput pi, float[] buf, float[] kf, int kf0, int c, int y0,
                                       float[] y) {
        int k = g.k();
        int d = g.dilation();
        int outW = g.outW();
        int plane = g.outPlane();
        for (int h = 0; h < g.outH(); h++) {
            for (int w0 = 0; w0 < outW; w0 += L) {
                VectorMask<Float> m = S.indexInRange(w0, outW);
                int base = pi.base(h, w0);
                int kp = kf0 + h * outW + w0;
                FloatVector acc = FloatVector.zero(S);
                for (int a = 0; a < k; a++) {
                    for (int b = 0; b < k; b++) {
                        FloatVector xv = FloatVector.fromArray(S, buf, pi.tap(c, d * a, d * b) + base);
                        FloatVector kv = FloatVector.fromArray(S, kf, kp + (a * k + b) * plane, m);
                        acc = acc.add(kv.mul(xv));
                    }
                }
                acc.intoArray(y, y0 + h * outW + w0, m);
            }
        }
    }

    /** Adds {@code dL/dx} into {@code dx} and {@code dL/dkf} into {@code dkf} (either may be {@code null}). */
    void backward(FilterGeometry g, float[] kf, int groups, float[] x, float[] dy, float[] dx, float[] dkf) {
        PaddedInput pi = padded(g);
        xp = xp.length >= pi.size() ? xp : new float[pi.size()];
        dxp = dxp.length >= pi.size() ? dxp : new float[pi.size()];
        float[] buf = xp;
        float[] dbuf = dxp;
        int per = g.inC() / groups;
        int chStride = pi.channelStride();
        for (int n = 0; n < g.batch(); n++) {
            int image = n;
            rows.run(groups, none, (f0, f1, ws) -> {
                for (int f = f0; f < f1; f++) {
                    for (int c = f * per; c < (f + 1) * per; c++) {
                        if (dkf != null) {
                            pi.fillChannel(buf, x, image, c, g.mode());
                        }
                        if (dx != null) {
                            java.util.Arrays.fill(dbuf, c * chStride, (c + 1) * chStride, 0f);
                        }
                        backwardChannel(g, pi, buf, dx != null ? dbuf : null, kf, dkf, (image * groups + f) * g.taps() * g.outPlane(), c,
                                (image * g.inC() + c) * g.outPlane(), dy);
                        if (dx != null) {
                            pi.foldChannel(dbuf, dx, image, c, g.mode());
                        }
                    }
                }
            });
        }
    }

    private static void backwardChannel(FilterGeometry g, PaddedInput pi, float[] buf, float[] dbuf, float[] kf, float[] dkf,
                                        int kf0, int c, int dy0, float[] dy) {
        int k = g.k();
        int d = g.dilation();
        int outW = g.outW();
        int plane = g.outPlane();
        for (int h = 0; h < g.outH(); h++) {
            for (int w0 = 0; w0 < outW; w0 += L) {
                VectorMask<Float> m = S.indexInRange(w0, outW);
                int base = pi.base(h, w0);
                int kp = kf0 + h * outW + w0;
                FloatVector gy = FloatVector.fromArray(S, dy, dy0 + h * outW + w0, m);
                for (int a = 0; a < k; a++) {
                    for (int b = 0; b < k; b++) {
                        int ki = kp + (a * k + b) * plane;
                        int xi = pi.tap(c, d * a, d * b) + base;
                        if (dkf != null) {
                            FloatVector xv = FloatVector.fromArray(S, buf, xi);
                            FloatVector.fromArray(S, dkf, ki, m).add(xv.mul(gy)).intoArray(dkf, ki, m);
                        }
                        if (dbuf != null) {
                            FloatVector kv = FloatVector.fromArray(S, kf, ki, m);
                            FloatVector.fromArray(S, dbuf, xi).add(kv.mul(gy)).intoArray(dbuf, xi);
                        }
                    }
                }
            }
        }
    }
}
