package org.acdajvm.layers.pac;

import org.acdajvm.layers.conv.FilterGeometry;

/**
 * PAC's adapting kernel in float32, computed once per (pixel, tap) and shared by every fast path (the scalar
 * and the vector PAC conv, pool and transposed conv all consume its output), with its backward. For output
 * pixel {@code p = (h', w')} and tap {@code u = (a, b)}, with {@code q = (s*h'+d*a-pad, s*w'+d*b-pad)} the
 * tap's input pixel and {@code c = (s*h'+d*(K-1)/2-pad, ...)} the window's centre:
 * <pre>
 *   d2        = sum_{g} (f[g,q] - f[g,c])^2          (one g = kc per kernel channel with channel_wise)
 *   gaussian:  Kf = exp(-0.5 * d2)
 *   inverse:   Kf = alpha + (d2 + eps)^(lambda/2)
 *   normalised: Kf[u] / sum_{v inside} Kf[v]   (a zero sum divides by 1)
 * </pre>
 * Guidance is read through the padding mode; with zero padding a tap outside the image has {@code Kf = 0} (it
 * multiplies a padding zero, and is not counted by the normaliser) and a centre outside the image reads
 * guidance 0. With circular padding every tap is inside (it wraps). The distance is summed in float in
 * guidance-channel order; {@code exp} and {@code pow} are evaluated in double and rounded once.
 */
public final class PacKernelScalar {

    /** The kernel function. */
    public enum Function {
        GAUSSIAN, INVERSE
    }

    /**
     * The kernel's hyper-parameters and learnable scalars.
     *
     * @param function    gaussian or inverse
     * @param alpha       {@code inv_alpha} (inverse only)
     * @param lambda      {@code inv_lambda} (inverse only)
     * @param eps         the constant added to {@code d2} (inverse only; 1e-4 in PAC)
     * @param channelWise one kernel per guidance channel (then {@code KC = G}), else one ({@code KC = 1})
     * @param normalise   divide by the sum over in-image taps
     */
    public record Spec(Function function, float alpha, float lambda, double eps, boolean channelWise, boolean normalise) {
    }

    private PacKernelScalar() {
    }

    /** Kernel channels: {@code G} with channel_wise, else 1. */
    public static int kernelChannels(Spec spec, int guidanceChannels) {
        return spec.channelWise() ? guidanceChannels : 1;
    }

    /**
     * @param g     the conv's geometry (guidance lives on its input grid, {@code H x W})
     * @param f     guidance {@code [N, G, H, W]}
     * @param gc    guidance channels {@code G}
     * @param kf    output {@code [N, KC, K*K, outH, outW]}, overwritten
     */
    public static void forward(FilterGeometry g, Spec spec, float[] f, int gc, float[] kf) {
        forward(g, spec, f, gc, kf, 0, g.outH());
    }

    /** {@link #forward} for output rows {@code [h0, h1)} only (rows are independent: callers may run them in parallel). */
    public static void forward(FilterGeometry g, Spec spec, float[] f, int gc, float[] kf, int h0, int h1) {
        int taps = g.taps();
        int plane = g.outPlane();
        int kcs = kernelChannels(spec, gc);
        float[] raw = new float[taps];
        for (int n = 0; n < g.batch(); n++) {
            for (int kc = 0; kc < kcs; kc++) {
                for (int h = h0; h < h1; h++) {
                    for (int w = 0; w < g.outW(); w++) {
                        float sum = rawKernel(g, spec, f, gc, n, kc, h, w, raw);
                        float div = spec.normalise() && sum != 0f ? sum : 1f;
                        int base = ((n * kcs + kc) * taps) * plane + h * g.outW() + w;
                        for (int u = 0; u < taps; u++) {
                            kf[base + u * plane] = spec.normalise() ? raw[u] / div : raw[u];
                        }
                    }
                }
            }
        }
    }

    /**
     * The backward of {@link #forward}: for {@code dkf = dL/dKf} (shaped as {@code kf}), adds {@code dL/df} into
     * {@code df} ({@code [N, G, H, W]}) and returns {@code {dL/dalpha, dL/dlambda}} (both 0 for the gaussian).
     */
    public static float[] backward(FilterGeometry g, Spec spec, float[] f, int gc, float[] dkf, float[] df) {
        int k = g.k();
        int taps = g.taps();
        int plane = g.outPlane();
        int kcs = kernelChannels(spec, gc);
        int centre = (k - 1) / 2;
        float[] raw = new float[taps];
        float[] draw = new float[taps];
        float dAlpha = 0f;
        float dLambda = 0f;
        for (int n = 0; n < g.batch(); n++) {
            for (int kc = 0; kc < kcs; kc++) {
                int g0 = spec.channelWise() ? kc : 0;
                int g1 = spec.channelWise() ? kc + 1 : gc;
                for (int h = 0; h < g.outH(); h++) {
                    int cr = g.row(h, centre);
                    for (int w = 0; w < g.outW(); w++) {
                        int cc = g.col(w, centre);
                        float sum = rawKernel(g, spec, f, gc, n, kc, h, w, raw);
                        int base = ((n * kcs + kc) * taps) * plane + h * g.outW() + w;
                        if (spec.normalise() && sum != 0f) {
                            // Kn[u] = raw[u] / S:  draw[u] = (dKn[u] - sum_v dKn[v] Kn[v]) / S for in-image u.
                            float dot = 0f;
                            for (int u = 0; u < taps; u++) {
                                dot += dkf[base + u * plane] * (raw[u] / sum);
                            }
                            for (int u = 0; u < taps; u++) {
                                draw[u] = (dkf[base + u * plane] - dot) / sum;
                            }
                        } else {
                            for (int u = 0; u < taps; u++) {
                                draw[u] = dkf[base + u * plane];
                            }
                        }
                        for (int a = 0; a < k; a++) {
                            int r = g.row(h, a);
                            for (int b = 0; b < k; b++) {
                                int col = g.col(w, b);
                                if (r < 0 || col < 0) {
                                    continue;           // Kf = 0 there whatever the guidance: no gradient
                                }
                                int u = a * k + b;
                                float d2 = 0f;
                                for (int gi = g0; gi < g1; gi++) {
                                    float diff = read(g, f, gc, n, gi, r, col) - read(g, f, gc, n, gi, cr, cc);
                                    d2 += diff * diff;
                                }
                                float dd2;
                                if (spec.function() == Function.GAUSSIAN) {
                                    dd2 = draw[u] * raw[u] * -0.5f;
                                } else {
                                    double base2 = (double) d2 + spec.eps();
                                    double pw = Math.pow(base2, spec.lambda() / 2.0);
                                    dAlpha += draw[u];
                                    dLambda += (float) (draw[u] * pw * 0.5 * Math.log(base2));
                                    dd2 = (float) (draw[u] * (spec.lambda() / 2.0) * pw / base2);
                                }
                                for (int gi = g0; gi < g1; gi++) {
                                    float diff = read(g, f, gc, n, gi, r, col) - read(g, f, gc, n, gi, cr, cc);
                                    float gd = 2f * diff * dd2;
                                    df[((n * gc + gi) * g.inH() + r) * g.inW() + col] += gd;
                                    if (cr >= 0 && cc >= 0) {
                                        df[((n * gc + gi) * g.inH() + cr) * g.inW() + cc] -= gd;
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return new float[] {dAlpha, dLambda};
    }

    /** The unnormalised kernel of pixel {@code (h, w)} into {@code raw[K*K]}; returns its sum over in-image taps. */
    private static float rawKernel(FilterGeometry g, Spec spec, float[] f, int gc, int n, int kc, int h, int w, float[] raw) {
        int k = g.k();
        int centre = (k - 1) / 2;
        int cr = g.row(h, centre);
        int cc = g.col(w, centre);
        int g0 = spec.channelWise() ? kc : 0;
        int g1 = spec.channelWise() ? kc + 1 : gc;
        float sum = 0f;
        for (int a = 0; a < k; a++) {
            int r = g.row(h, a);
            for (int b = 0; b < k; b++) {
                int col = g.col(w, b);
                int u = a * k + b;
                if (r < 0 || col < 0) {
                    raw[u] = 0f;
                    continue;
                }
                float d2 = 0f;
                for (int gi = g0; gi < g1; gi++) {
                    float diff = read(g, f, gc, n, gi, r, col) - read(g, f, gc, n, gi, cr, cc);
                    d2 += diff * diff;
                }
                raw[u] = spec.function() == Function.GAUSSIAN
                        ? (float) Math.exp(-0.5 * d2)
                        : (float) (spec.alpha() + Math.pow((double) d2 + spec.eps(), spec.lambda() / 2.0));
                sum += raw[u];
            }
        }
        return sum;
    }

    /** Guidance at an in-image (or already wrapped) pixel; a padding position ({@code -1}) reads 0. */
    private static float read(FilterGeometry g, float[] f, int gc, int n, int gi, int r, int c) {
        return r < 0 || c < 0 ? 0f : f[((n * gc + gi) * g.inH() + r) * g.inW() + c];
    }
}
