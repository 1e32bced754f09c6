package org.acdajvm.layers.conv;

/**
 * The readable float32 backward of {@link ConvForwardScalar}: for an upstream gradient {@code dy},
 * <pre>
 *   dx[n,c,i,j]   += W[o,c,a,b] * kf[n,.,u,p] * dy[n,o,p]          for every (o, p, u) whose tap reads x[n,c,i,j]
 *   dW[o,c,a,b]    = sum_{n,p} dy[n,o,p] * kf[n,.,u,p] * xp[n,c,tap(p,u)]
 *   db[o]          = sum_{n,p} dy[n,o,p]
 *   dkf[n,kc,u,p]  = sum_{o, c (of kc)} W[o,c,u] * dy[n,o,p] * xp[n,c,tap(p,u)]
 * </pre>
 * The {@code dx} of a conv is the transposed conv of {@code dy}, which is how PAC's transposed conv uses it.
 * Every requested gradient is added into its array (callers pass zeros), in float, one thread.
 */
public final class ConvBackwardScalar {

    private ConvBackwardScalar() {
    }

    /**
     * @param g   the geometry
     * @param x   input {@code [N, C, H, W]} ({@code null} when neither {@code dw} nor {@code dkf} is asked for)
     * @param w   weight {@code [O, C, K, K]}
     * @param kf  tap weights {@code [N, KC, K*K, outH, outW]} or {@code null} (see {@link ConvForwardScalar#forward})
     * @param dy  upstream gradient {@code [N, O, outH, outW]}
     * @param dx  {@code [N, C, H, W]} to add into, or {@code null}
     * @param dw  {@code [O, C, K, K]} to add into, or {@code null}
     * @param db  {@code [O]} to add into, or {@code null}
     * @param dkf {@code [N, KC, K*K, outH, outW]} to add into, or {@code null}
     */
    public static void backward(FilterGeometry g, float[] x, float[] w, float[] kf, boolean kfPerChannel, float[] dy,
                                float[] dx, float[] dw, float[] db, float[] dkf) {
        int inC = g.inC();
        int outC = g.outC();
        int k = g.k();
        int taps = g.taps();
        int plane = g.outPlane();
        int kc = kfPerChannel ? inC : 1;
        for (int n = 0; n < g.batch(); n++) {
            for (int o = 0; o < outC; o++) {
                for (int h = 0; h < g.outH(); h++) {
                    for (int wo = 0; wo < g.outW(); wo++) {
                        int p = h * g.outW() + wo;
                        float gy = dy[(n * outC + o) * plane + p];
                        if (db != null) {
                            db[o] += gy;
                        }
                        for (int c = 0; c < inC; c++) {
                            int xc = (n * inC + c) * g.inPlane();
                            int kfc = ((n * kc + (kfPerChannel ? c : 0)) * taps) * plane + p;
                            for (int a = 0; a < k; a++) {
                                int r = g.row(h, a);
                                if (r < 0) {
                                    continue;
                                }
                                for (int b = 0; b < k; b++) {
                                    int col = g.col(wo, b);
                                    if (col < 0) {
                                        continue;
                                    }
                                    int u = a * k + b;
                                    int xi = xc + r * g.inW() + col;
                                    int wi = ((o * inC + c) * k + a) * k + b;
                                    float weight = kf == null ? 1f : kf[kfc + u * plane];
                                    if (dx != null) {
                                        dx[xi] += w[wi] * weight * gy;
                                    }
                                    if (dw != null) {
                                        dw[wi] += gy * weight * x[xi];
                                    }
                                    if (dkf != null) {
                                        dkf[kfc + u * plane] += w[wi] * gy * x[xi];
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
