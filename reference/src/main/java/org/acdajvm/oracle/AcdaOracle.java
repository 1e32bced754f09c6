package org.acdajvm.oracle;

import java.util.EnumMap;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * THE ORACLE for ACDA: the naive per-pixel form of DESIGN section 5, accumulated in double.
 *
 * <p>For every image {@code n} it computes the generator output {@code G[n, j, h', w']}
 * (convolution, BatchNorm, tanh, convolution, BatchNorm, tanh), then for every output pixel
 * {@code p = (h', w')}:
 * <pre>
 *   D[m][u]        = sum_t G[n, m*T + t, p] * Psi[t][u]                       the M atoms
 *   Wpix[o][c][u]  = sum_m coef[o, c*M + m] * D[m][u]                         the whole filter
 *   y[n, o, p]     = bias[o] + sum_{c, a, b} Wpix[o][c][a*K + b] * xp[n, c, s*h' + d*a - pad, s*w' + d*b - pad]
 * </pre>
 * where {@code xp} reads {@code x} with the layer's padding (zeros, or wrap around). Beside
 * {@code y} it computes, with the same loops on absolute values, the two ingredients of the
 * acceptance bound of {@link ErrorBounds}: {@code S} and the carried generator error {@code E}; the tight tier's rounding model is
 * {@link ForwardRounding}, called once per pixel and kept out of these loops.
 * The parameters and the input are widened to double exactly before anything is computed.
 * {@link AcdaOracleBackward} is this file's derivative.
 *
 * <p>The loops over images and pixels are plain and sequential; {@link OracleRunner}, outside this
 * file, hands pixels of the same {@link #pixel} to threads, with bit-identical results.
 *
 * <p><b>What this file must never contain:</b> {@code jdk.incubator.vector}; threads or parallel
 * streams; float accumulation; loop reordering, blocking or fusion for speed; caching between
 * calls; special cases for particular parameter values; calls into any fast path. It is the
 * definition every other path is measured against: it may be slow, it must be obviously right.
 */
public final class AcdaOracle {

    private AcdaOracle() {
    }

    /**
     * The exact forward of {@code layer} on {@code x}.
     *
     * @param layer the layer (not modified)
     * @param x     input {@code [N, C, H, W]} (not modified)
     * @return output {@code [N, O, H', W']} in double, with {@code S} and {@code E} per element
     */
    public static OracleResult forward(AcdaLayer layer, Tensor x) {
        AcdaShapes.checkInput(layer.config(), x);
        return forward(Params.of(layer), Images.of(x));
    }

    static OracleResult forward(Params p, Images x) {
        return forward(p, x, null);
    }

    /**
     * The forward at the output pixels {@code selected} accepts (all when {@code null}); elements of
     * other pixels stay 0 and are marked not computed in the result.
     */
    static OracleResult forward(Params p, Images x, PixelSelection selected) {
        Output out = Output.of(p.config, x);
        PixelWork work = new PixelWork(p, out);
        for (int n = 0; n < x.batch; n++) {
            Generator gen = generator(p, x, n, out.outH, out.outW);
            double[][][][] genVariance = work.tight.generator(x, n, gen).value();
            for (int ho = 0; ho < out.outH; ho++) {
                for (int wo = 0; wo < out.outW; wo++) {
                    if (selected == null || selected.contains(n, ho, wo)) {
                        pixel(p, x, n, gen, genVariance, ho, wo, work, out);
                    }
                }
            }
        }
        return out.result(p.config, selected);
    }

    /** The output arrays of one forward call, written pixel by pixel (by several threads in {@link OracleRunner}). */
    record Output(int batch, int outC, int outH, int outW, double[] y, double[] sumAbs, double[] carried, double[][][] variance) {
        static Output of(AcdaConfig cfg, Images x) {
            int outH = cfg.outSize(x.height);
            int outW = cfg.outSize(x.width);
            int size = x.batch * cfg.outChannels() * outH * outW;
            return new Output(x.batch, cfg.outChannels(), outH, outW, new double[size], new double[size], new double[size],
                    new double[2][3][size]);
        }

        OracleResult result(AcdaConfig cfg, PixelSelection selected) {
            Map<ErrorBounds.Evaluation, Integer> chain = new EnumMap<>(ErrorBounds.Evaluation.class);
            for (ErrorBounds.Evaluation e : ErrorBounds.Evaluation.values()) {
                chain.put(e, e.chainLength(cfg));
            }
            boolean[] computed = null;
            if (selected != null) {
                computed = new boolean[y.length];
                for (int i = 0; i < y.length; i++) {
                    int wo = i % outW;
                    int ho = (i / outW) % outH;
                    int n = i / (outW * outH * outC);
                    computed[i] = selected.contains(n, ho, wo);
                }
            }
            return new OracleResult(new int[] {batch, outC, outH, outW}, y, sumAbs, carried, chain, variance, computed);
        }
    }

    /** Per-pixel work arrays, each fully rewritten at every pixel; one per thread. */
    static final class PixelWork {
        final double[][] atom;
        final double[][] atomAbs;
        final double[][][] filter;
        final double[][][] filterAbs;
        final double[][] patch;
        final double[][] basisDotPatch;
        final double[] yPixel;
        final double[] gPixel;
        final ForwardRounding tight;

        PixelWork(Params p, Output out) {
            AcdaConfig cfg = p.config;
            atom = new double[cfg.atoms()][cfg.taps()];
            atomAbs = new double[cfg.atoms()][cfg.taps()];
            filter = new double[cfg.outChannels()][cfg.inChannels()][cfg.taps()];
            filterAbs = new double[cfg.outChannels()][cfg.inChannels()][cfg.taps()];
            patch = new double[cfg.inChannels()][cfg.taps()];
            basisDotPatch = new double[cfg.inChannels()][cfg.bases()];
            yPixel = new double[cfg.outChannels()];
            gPixel = new double[cfg.generatorChannels()];
            tight = new ForwardRounding(p, out.variance());
        }
    }

    /** The outputs {@code y[n, :, h', w']} of one pixel, with their bounds' ingredients, into {@code out}. */
    static void pixel(Params p, Images x, int n, Generator gen, double[][][][] genVariance, int ho, int wo, PixelWork w,
                      Output out) {
        AcdaConfig cfg = p.config;
        int outC = cfg.outChannels();
        int inC = cfg.inChannels();
        int k = cfg.kernelSize();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        double[][] atom = w.atom;
        double[][] atomAbs = w.atomAbs;
        double[][][] filter = w.filter;
        double[][][] filterAbs = w.filterAbs;
        double[][] patch = w.patch;
        double[][] basisDotPatch = w.basisDotPatch;

        // Atoms: D[m][u] = sum_t G[m*T + t] * Psi[t][u].
        for (int m = 0; m < atoms; m++) {
            for (int u = 0; u < taps; u++) {
                double d = 0;
                double dAbs = 0;
                for (int t = 0; t < bases; t++) {
                    double g = gen.value[m * bases + t][ho][wo];
                    double psi = p.psi[t * taps + u];
                    d += g * psi;
                    dAbs += Math.abs(g * psi);
                }
                atom[m][u] = d;
                atomAbs[m][u] = dAbs;
            }
        }
        // The whole filter of this pixel: Wpix[o][c][u] = sum_m coef[o, c*M + m] * D[m][u].
        for (int o = 0; o < outC; o++) {
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    double wv = 0;
                    double wAbs = 0;
                    for (int m = 0; m < atoms; m++) {
                        double cf = p.coef[o * inC * atoms + c * atoms + m];
                        wv += cf * atom[m][u];
                        wAbs += Math.abs(cf) * atomAbs[m][u];
                    }
                    filter[o][c][u] = wv;
                    filterAbs[o][c][u] = wAbs;
                }
            }
        }
        // The input patch the filter sees: patch[c][a*K + b] = xp[c, s*h' + d*a - pad, s*w' + d*b - pad].
        for (int c = 0; c < inC; c++) {
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    patch[c][a * k + b] = x.read(cfg.padding(), n, c,
                            cfg.stride() * ho + cfg.dilation() * a - cfg.pad(),
                            cfg.stride() * wo + cfg.dilation() * b - cfg.pad());
                }
            }
        }
        // Each patch projected on each basis (used by the bound only):
        // basisDotPatch[c][t] = sum_u Psi[t][u] * patch[c][u].
        for (int c = 0; c < inC; c++) {
            for (int t = 0; t < bases; t++) {
                double s = 0;
                for (int u = 0; u < taps; u++) {
                    s += p.psi[t * taps + u] * patch[c][u];
                }
                basisDotPatch[c][t] = s;
            }
        }
        for (int o = 0; o < outC; o++) {
            int i = ((n * outC + o) * out.outH + ho) * out.outW + wo;
            // Apply the filter: y[o] = bias[o] + sum_{c,u} Wpix[o][c][u] * patch[c][u].
            double acc = p.bias[o];
            double accAbs = Math.abs(p.bias[o]);
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    acc += filter[o][c][u] * patch[c][u];
                    accAbs += filterAbs[o][c][u] * Math.abs(patch[c][u]);
                }
            }
            out.y[i] = acc;
            out.sumAbs[i] = accAbs;
            out.carried[i] = carriedGeneratorError(p, basisDotPatch, gen, o, ho, wo);
            w.yPixel[o] = acc;
        }
        // The tight tier's rounding model of this pixel's outputs (kept out of these loops).
        for (int j = 0; j < w.gPixel.length; j++) {
            w.gPixel[j] = gen.value[j][ho][wo];
        }
        w.tight.pixel(w.yPixel, ((n * outC) * out.outH + ho) * out.outW + wo, out.outH * out.outW, w.gPixel, genVariance,
                ho, wo, patch);
    }

    /**
     * The part {@code E} of element {@code y[n, o, h', w']}'s bound that a float32 generator
     * carries in. {@code y[o]} depends on {@code G[m*T + t]} linearly, with slope
     * <pre>   dy[o]/dG[m*T + t] = sum_c coef[o, c*M + m] * basisDotPatch[c][t],   basisDotPatch[c][t] = sum_u Psi[t][u] * patch[c][u]</pre>
     * so a generator output off by at most {@code eG} moves {@code y[o]} by at most
     * {@code sum_{m,t} |dy[o]/dG[m*T + t]| * eG[m*T + t]} (to first order; the safety factor of
     * {@link ErrorBounds} covers the rest). Summing with signs before taking the absolute value is
     * what keeps this tight: each {@code G} value is one number, shared by every tap and channel.
     */
    static double carriedGeneratorError(Params p, double[][] basisDotPatch, Generator gen, int o, int ho, int wo) {
        AcdaConfig cfg = p.config;
        int inC = cfg.inChannels();
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        double e = 0;
        for (int m = 0; m < atoms; m++) {
            for (int t = 0; t < bases; t++) {
                double slope = 0;
                for (int c = 0; c < inC; c++) {
                    slope += p.coef[o * inC * atoms + c * atoms + m] * basisDotPatch[c][t];
                }
                e += Math.abs(slope) * gen.error[m * bases + t][ho][wo];
            }
        }
        return e;
    }

    /**
     * The generator of one image, at output resolution, {@code [channel][h'][w']}: the first
     * convolution {@code g1} and its activation {@code e1} (with the bound {@code e1Error} of a
     * float32 evaluation), the second convolution {@code g2}, and the output {@code value = G}
     * (with its bound {@code error}); {@code g1Error} and {@code g2Error} bound float32 evaluations
     * of the convolutions. Channel {@code j} of {@code G} is {@code m*T + t}.
     */
    record Generator(double[][][] g1, double[][][] g1Error, double[][][] e1, double[][][] e1Error,
                     double[][][] g2, double[][][] g2Error, double[][][] value, double[][][] error) {
    }

    /**
     * The generator of DESIGN section 5 for image {@code n}, at output resolution:
     * <pre>
     *   g1[i, p] = b1[i] + sum_{c, a, b &lt; g} W1[i, c, a, b] * xp[c, s*h' + a - (g-1)/2, s*w' + b - (g-1)/2]
     *   e1       = tanh(bn1(g1))
     *   g2[j, p] = b2[j] + sum_{i, a, b &lt; 3} W2[j, i, a, b] * e1p[i, h' + a - 1, w' + b - 1]
     *   G        = tanh(bn2(g2))
     * </pre>
     * with {@code bn(v) = gamma (v - mean) / sqrt(var + 1e-5) + beta}, and {@code e1p} read with the
     * layer's padding at output resolution.
     */
    static Generator generator(Params p, Images x, int n, int outH, int outW) {
        AcdaConfig cfg = p.config;
        int inC = cfg.inChannels();
        int inter = cfg.interChannels();
        int gen = cfg.generatorChannels();
        int g = cfg.generatorKernel();
        int half = (g - 1) / 2;
        int s = cfg.stride();

        double[][][] g1 = new double[inter][outH][outW];
        double[][][] g1Err = new double[inter][outH][outW];
        double[][][] e1 = new double[inter][outH][outW];
        double[][][] e1Err = new double[inter][outH][outW];
        for (int i = 0; i < inter; i++) {
            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    double acc = p.b1[i];
                    double accAbs = Math.abs(p.b1[i]);
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < g; a++) {
                            for (int b = 0; b < g; b++) {
                                double w = p.w1[((i * inC + c) * g + a) * g + b];
                                double v = x.read(cfg.padding(), n, c, s * ho + a - half, s * wo + b - half);
                                acc += w * v;
                                accAbs += Math.abs(w * v);
                            }
                        }
                    }
                    double err = ErrorBounds.conv(inC * g * g, accAbs, 0.0);
                    double t = Math.tanh(p.bn1(i).apply(acc));
                    g1[i][ho][wo] = acc;
                    g1Err[i][ho][wo] = err;
                    e1[i][ho][wo] = t;
                    e1Err[i][ho][wo] = ErrorBounds.tanh(t, p.bn1(i).error(accAbs, err));
                }
            }
        }

        double[][][] g2 = new double[gen][outH][outW];
        double[][][] g2Err = new double[gen][outH][outW];
        double[][][] value = new double[gen][outH][outW];
        double[][][] error = new double[gen][outH][outW];
        for (int j = 0; j < gen; j++) {
            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    double acc = p.b2[j];
                    double accAbs = Math.abs(p.b2[j]);
                    double accCarried = 0;
                    for (int i = 0; i < inter; i++) {
                        for (int a = 0; a < 3; a++) {
                            for (int b = 0; b < 3; b++) {
                                int hh = cfg.padding().index(ho + a - 1, outH);
                                int ww = cfg.padding().index(wo + b - 1, outW);
                                if (hh < 0 || ww < 0) {
                                    continue;               // a padding zero: contributes nothing
                                }
                                double w = p.w2[((j * inter + i) * 3 + a) * 3 + b];
                                acc += w * e1[i][hh][ww];
                                accAbs += Math.abs(w * e1[i][hh][ww]);
                                accCarried += Math.abs(w) * e1Err[i][hh][ww];
                            }
                        }
                    }
                    double err = ErrorBounds.conv(inter * 9, accAbs, accCarried);
                    double t = Math.tanh(p.bn2(j).apply(acc));
                    g2[j][ho][wo] = acc;
                    g2Err[j][ho][wo] = err;
                    value[j][ho][wo] = t;
                    error[j][ho][wo] = ErrorBounds.tanh(t, p.bn2(j).error(accAbs, err));
                }
            }
        }
        return new Generator(g1, g1Err, e1, e1Err, g2, g2Err, value, error);
    }
}
