package org.acdajvm.layers.pac;

import org.acdajvm.layers.conv.ConvBackwardScalar;
import org.acdajvm.layers.conv.ConvForwardScalar;
import org.acdajvm.layers.conv.FilterGeometry;

/**
 * The readable float32 forwards of PAC (conv, pool, transposed conv): the adapting kernel from
 * {@link PacKernelScalar}, then a tap-weighted conv ({@link ConvForwardScalar}), a local filter, or the
 * adjoint of the conv ({@link ConvBackwardScalar}'s {@code dx}). Arrays are NCHW, row-major.
 */
public final class PacForwardScalar {

    private PacForwardScalar() {
    }

    /** The kernel of {@code g} from guidance {@code f [N, G, H, W]}: a new {@code [N, KC, K*K, outH, outW]}. */
    public static float[] kernel(FilterGeometry g, PacKernelScalar.Spec spec, float[] f, int gc) {
        float[] kf = new float[g.batch() * PacKernelScalar.kernelChannels(spec, gc) * g.taps() * g.outPlane()];
        PacKernelScalar.forward(g, spec, f, gc, kf);
        return kf;
    }

    /**
     * PAC conv: {@code y[n,o,p] = b[o] + sum_{c,u} W[o,c,u] Kf[n,.,u,p] xp[n,c,tap(p,u)]}.
     *
     * @param x    {@code [N, C, H, W]}
     * @param f    guidance {@code [N, G, H, W]} ({@code G = C} with channel_wise)
     * @param w    {@code [O, C, K, K]}
     * @param bias {@code [O]} or {@code null}
     * @return a new {@code [N, O, outH, outW]}
     */
    public static float[] conv(FilterGeometry g, PacKernelScalar.Spec spec, float[] x, float[] f, int gc, float[] w,
                               float[] bias) {
        float[] kf = kernel(g, spec, f, gc);
        float[] y = new float[g.batch() * g.outC() * g.outPlane()];
        ConvForwardScalar.forward(g, x, w, bias, kf, spec.channelWise(), y);
        return y;
    }

    /**
     * PAC pool: {@code y[n,c,p] = sum_u Kf[n,.,u,p] xp[n,c,tap(p,u)]} ({@code g.outC() == g.inC()}).
     *
     * @return a new {@code [N, C, outH, outW]}
     */
    public static float[] pool(FilterGeometry g, PacKernelScalar.Spec spec, float[] x, float[] f, int gc) {
        float[] kf = kernel(g, spec, f, gc);
        float[] y = new float[g.batch() * g.inC() * g.outPlane()];
        pool(g, kf, spec.channelWise(), x, y);
        return y;
    }

    /** The local filter of PAC pool on a given kernel {@code kf [N, KC, K*K, outH, outW]}, into {@code y}. */
    public static void pool(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] y) {
        int k = g.k();
        int taps = g.taps();
        int plane = g.outPlane();
        int kcs = perChannel ? g.inC() : 1;
        for (int n = 0; n < g.batch(); n++) {
            for (int c = 0; c < g.inC(); c++) {
                int xc = (n * g.inC() + c) * g.inPlane();
                int kfc = (n * kcs + (perChannel ? c : 0)) * taps * plane;
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

    /**
     * PAC transposed conv, the adjoint of the PAC conv {@code g} (input grid {@code H x W} = this layer's
     * output grid, where the guidance lives; output grid {@code outH x outW} = this layer's input grid):
     * {@code out[n,o,q] = b[o] + sum_{c,p,u: tap(p,u) = q} W[c,o,u] Kf[n,.,u,p] z[n,c,p]}.
     *
     * @param g    the conv's geometry: {@code inC = O} (this layer's outputs), {@code outC = C} (its inputs)
     * @param z    this layer's input {@code [N, C, outH, outW]}
     * @param f    guidance {@code [N, G, H, W]}
     * @param w    {@code [C, O, K, K]} (ConvTranspose2d's layout, which is the conv's {@code [out, in, K, K]})
     * @param bias {@code [O]} or {@code null}
     * @return a new {@code [N, O, H, W]}
     */
    public static float[] transposed(FilterGeometry g, PacKernelScalar.Spec spec, float[] z, float[] f, int gc,
                                     float[] w, float[] bias) {
        float[] kf = kernel(g, spec, f, gc);
        float[] out = new float[g.batch() * g.inC() * g.inPlane()];
        ConvBackwardScalar.backward(g, null, w, kf, spec.channelWise(), z, out, null, null, null);
        addBias(out, bias, g.batch(), g.inC(), g.inPlane());
        return out;
    }

    /** Adds {@code bias[o]} to every pixel of channel {@code o} of {@code out [N, O, plane]} (after the sums, as PyTorch's transposed conv). */
    static void addBias(float[] out, float[] bias, int batch, int channels, int plane) {
        if (bias == null) {
            return;
        }
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < channels; o++) {
                int base = (n * channels + o) * plane;
                for (int i = 0; i < plane; i++) {
                    out[base + i] += bias[o];
                }
            }
        }
    }
}
