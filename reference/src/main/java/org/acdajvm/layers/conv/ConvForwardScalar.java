package org.acdajvm.layers.conv;

/**
 * The readable float32 forward of a 2-D convolution whose products may be weighted per (pixel, tap), the
 * shape every member of the family reduces to once its adapting kernel is known (plain conv: no weight;
 * PAC conv: the adapting kernel {@code Kf}):
 * <pre>
 *   y[n,o,h',w'] = bias[o] + sum_{c,a,b} W[o,c,a,b] * kf[n, c or 0, a*K+b, h',w'] * xp[n,c, s*h'+d*a-pad, s*w'+d*b-pad]
 * </pre>
 * Sums run in float, in the order {@code c, a, b}, bias first; a tap that reads a padding zero is skipped.
 * One thread, no cleverness: the vector path is tested against the oracle, and against this.
 */
public final class ConvForwardScalar {

    private ConvForwardScalar() {
    }

    /**
     * @param g          the geometry ({@code C = g.inC()}, {@code O = g.outC()})
     * @param x          input {@code [N, C, H, W]}
     * @param w          weight {@code [O, C, K, K]}
     * @param bias       {@code [O]}, or {@code null} for none
     * @param kf         tap weights {@code [N, KC, K*K, outH, outW]} with {@code KC = C} when {@code kfPerChannel}, else 1;
     *                   {@code null} for none (a plain conv)
     * @param y          output {@code [N, O, outH, outW]}, overwritten
     */
    public static void forward(FilterGeometry g, float[] x, float[] w, float[] bias, float[] kf, boolean kfPerChannel,
                               float[] y) {
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
                        float acc = bias == null ? 0f : bias[o];
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
                                    float v = x[xc + r * g.inW() + col];
                                    if (kf != null) {
                                        v *= kf[kfc + u * plane];
                                    }
                                    acc += w[((o * inC + c) * k + a) * k + b] * v;
                                }
                            }
                        }
                        y[(n * outC + o) * plane + p] = acc;
                    }
                }
            }
        }
    }
}
