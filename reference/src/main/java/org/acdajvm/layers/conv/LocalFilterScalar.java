package org.acdajvm.layers.conv;

/**
 * The readable float32 local filter (PAC pool, involution; ARCHITECTURE's shared {@code LocalFilter}): every
 * channel is filtered by a per-pixel kernel, one per group of {@code C / groups} consecutive channels (one shared by
 * all channels: {@code groups = 1}; one per channel: {@code groups = C}), filter index {@code f(c) = c / (C/groups)},
 * <pre>
 *   y[n,c,p]       = sum_u kf[n, f(c), u, p] * xp[n,c,tap(p,u)]
 *   dx[n,c,tap]   += kf * dy[n,c,p];     dkf[n,f(c),u,p] += xp[n,c,tap(p,u)] * dy[n,c,p]
 * </pre>
 * ({@code g.outC() == g.inC()}). Float sums in tap order, one thread. With {@code sharedByBatch} one filter
 * {@code kf[groups, K*K, outH, outW]} serves every image (TVConv's batch-shared per-position filters) and {@code dkf}
 * sums over the images too.
 */
public final class LocalFilterScalar {

    private LocalFilterScalar() {
    }

    /**
     * @param kf {@code [N, KC, K*K, outH, outW]} ({@code KC = C} when {@code perChannel}, else 1)
     * @param x  {@code [N, C, H, W]}
     * @param y  {@code [N, C, outH, outW]}, overwritten
     */
    public static void forward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] y) {
        forward(g, kf, perChannel ? g.inC() : 1, x, y);
    }

    /**
     * @param kf     {@code [N, groups, K*K, outH, outW]}
     * @param groups the number of filters, dividing {@code C}: channel {@code c} uses filter {@code c / (C/groups)}
     * @param x      {@code [N, C, H, W]}
     * @param y      {@code [N, C, outH, outW]}, overwritten
     */
    public static void forward(FilterGeometry g, float[] kf, int groups, float[] x, float[] y) {
        forward(g, kf, groups, false, x, y);
    }

    /**
     * @param kf            {@code [N, KC, K*K, outH, outW]}, or {@code [KC, K*K, outH, outW]} when {@code sharedByBatch}
     * @param sharedByBatch whether one filter serves every image
     */
    public static void forward(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x, float[] y) {
        forward(g, kf, perChannel ? g.inC() : 1, sharedByBatch, x, y);
    }

    /** The general form: {@code groups} filters, shared by the batch or one set per image. */
    public static void forward(FilterGeometry g, float[] kf, int groups, boolean sharedByBatch, float[] x, float[] y) {
        int k = g.k();
        int taps = g.taps();
        int plane = g.outPlane();
        int kcs = groups;
        int per = g.inC() / groups;
        for (int n = 0; n < g.batch(); n++) {
            for (int c = 0; c < g.inC(); c++) {
                int xc = (n * g.inC() + c) * g.inPlane();
                int kfc = ((sharedByBatch ? 0 : n) * kcs + c / per) * taps * plane;
                for (int h = 0; h < g.outH(); h++) {
                    for (int w = 0; w < g.outW(); w++) {
                        int p = h * g.outW() + w;
                        float acc = 0f;
                        for (int a = 0; a < k; a++) {
                            int r = g.row(h, a);
                            if (r < 0) {
                                continue;
                            }
                            for (int b = 0; b < k; b++) {
                                int col = g.col(w, b);
                                if (col >= 0) {
                                    acc += kf[kfc + (a * k + b) * plane + p] * x[xc + r * g.inW() + col];
                                }
                            }
                        }
                        y[(n * g.inC() + c) * plane + p] = acc;
                    }
                }
            }
        }
    }

    /** Adds {@code dL/dx} into {@code dx} and {@code dL/dkf} into {@code dkf} (either may be {@code null}). */
    public static void backward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] dy, float[] dx,
                                float[] dkf) {
        backward(g, kf, perChannel ? g.inC() : 1, x, dy, dx, dkf);
    }

    /** As {@link #backward(FilterGeometry, float[], boolean, float[], float[], float[], float[])}, with {@code groups} filters. */
    public static void backward(FilterGeometry g, float[] kf, int groups, float[] x, float[] dy, float[] dx, float[] dkf) {
        backward(g, kf, groups, false, x, dy, dx, dkf);
    }

    /** As {@link #backward(FilterGeometry, float[], boolean, float[], float[], float[], float[])}, {@code kf} and {@code dkf} shared by the batch when {@code sharedByBatch}. */
    public static void backward(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x,
                                float[] dy, float[] dx, float[] dkf) {
        backward(g, kf, perChannel ? g.inC() : 1, sharedByBatch, x, dy, dx, dkf);
    }

    /** The general form of the backward: {@code groups} filters, shared by the batch or one set per image. */
    public static void backward(FilterGeometry g, float[] kf, int groups, boolean sharedByBatch, float[] x, float[] dy,
                                float[] dx, float[] dkf) {
        int k = g.k();
        int taps = g.taps();
        int plane = g.outPlane();
        int kcs = groups;
        int per = g.inC() / groups;
        for (int n = 0; n < g.batch(); n++) {
            for (int c = 0; c < g.inC(); c++) {
                int xc = (n * g.inC() + c) * g.inPlane();
                int kfc = ((sharedByBatch ? 0 : n) * kcs + c / per) * taps * plane;
                for (int h = 0; h < g.outH(); h++) {
                    for (int w = 0; w < g.outW(); w++) {
                        int p = h * g.outW() + w;
                        float gy = dy[(n * g.inC() + c) * plane + p];
                        for (int a = 0; a < k; a++) {
                            int r = g.row(h, a);
                            if (r < 0) {
                                continue;
                            }
                            for (int b = 0; b < k; b++) {
                                int col = g.col(w, b);
                                if (col < 0) {
                                    continue;
                                }
                                int ki = kfc + (a * k + b) * plane + p;
                                int xi = xc + r * g.inW() + col;
                                if (dx != null) {
                                    dx[xi] += kf[ki] * gy;
                                }
                                if (dkf != null) {
                                    dkf[ki] += x[xi] * gy;
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
