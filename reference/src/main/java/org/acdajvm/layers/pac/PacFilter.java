package org.acdajvm.layers.pac;

import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.oracle.SumModel;

/**
 * PAC conv, pool and (as the core's adjoint) transposed conv as a {@link PixelFilter} (DESIGN section 8):
 * <pre>
 *   conv:        Wpix[n,p][o,c,u] = weight[o,c,u] * Kn[n,p][g(c),u]
 *   pool:        Wpix[n,p][o,c,u] = [o = c] * Kn[n,p][g(c),u]
 *   transposed:  Wpix[n,p][o,c,u] = weight[o,c,u] * Kn[n,q][K^2-1-u],   q = tap(p, u) on the output grid
 * </pre>
 * with {@code g(c) = c} when {@code channel_wise}, else 0. The transposed layer is the adjoint of the
 * convolution over its output grid whose filter at {@code p} uses, at tap {@code u}, the kernel the
 * guidance makes at the output pixel {@code q} the tap lands on (its centre) for the tap {@code K^2-1-u}
 * pointing back at {@code p}'s place {@code s p + d(K-1)/2 - pad}: so it is PyTorch's transposed convolution
 * (weight {@code [C_in, C_out, K, K]} = this filter's {@code [O, C, K, K]}) with each contribution weighted by
 * the kernel between the output pixel and the place the input pixel lands on, both on the output grid. For
 * stride 1 and padding {@code d(K-1)/2} an unnormalised symmetric kernel makes it exactly the adjoint of PAC
 * conv with the same guidance.
 *
 * <p>The errors a float32 path makes building {@code Wpix}: the kernel's ({@link PacKernel}), shared by every
 * channel of its group and every output channel at its pixel (so summed with signs: {@code slope}), and the
 * product {@code weight * Kn}'s rounding. The oracle's header rules apply.
 */
final class PacFilter implements PixelFilter {

    private final PacConfig config;
    private final Sampling sampling;
    private final PacKernel kernel;
    private final int inC;
    private final int outC;
    private final int taps;
    private final double[] weight;     // [O][C][T] of this filter (conv: weight; transposed: weight [C_T, O_T] as is); null for pool
    private final double[] bias;       // [O] (zeros for the transpose and pool: the transpose's bias is the adjoint's)
    private final boolean transposed;
    private final boolean coherent;
    private final double dPatchMultiplicity;

    PacFilter(PacConfig c, Sampling sampling, PacKernel kernel, double[] weight, double[] bias) {
        this.config = c;
        this.sampling = sampling;
        this.kernel = kernel;
        this.transposed = c.variant() == PacConfig.Variant.TRANSPOSED;
        this.inC = transposed ? c.outChannels() : c.inChannels();
        this.outC = transposed ? c.inChannels() : c.outChannels();
        this.taps = c.taps();
        this.weight = weight;
        this.bias = bias;
        // Within one pixel of the transpose's adjoint the taps meet kernels of different output pixels (independent);
        // into one output value of the transpose the taps bring kernels of one output pixel, sharing its normaliser.
        this.coherent = !transposed;
        this.dPatchMultiplicity = transposed && c.normalizeKernel() ? taps : 1;
    }

    @Override
    public Sampling sampling() {
        return sampling;
    }

    @Override
    public int inChannels() {
        return inC;
    }

    @Override
    public int outChannels() {
        return outC;
    }

    @Override
    public void beginImage(int n, double[][][] x) {
        kernel.begin(n);
    }

    private int group(int c) {
        return config.channelWise() ? c : 0;
    }

    /** The weight factor of {@code Wpix[o][c][u]}: the weight, or for pool 1 on the diagonal. */
    private double weightOf(int o, int c, int u) {
        if (weight == null) {
            return o == c ? 1 : 0;
        }
        return weight[(o * inC + c) * taps + u];
    }

    /** Where the kernel value of tap {@code u} at pixel {@code (ho, wo)} lives: {@code {kernel row, kernel col, tap}}, or null. */
    private int[] kernelAt(int ho, int wo, int u) {
        if (!transposed) {
            return new int[] {ho, wo, u};
        }
        int k = sampling.kernelSize();
        int qh = sampling.row(ho, u / k);
        int qw = sampling.col(wo, u % k);
        Sampling ks = kernel.sampling();
        if (qh < 0 || qh >= ks.outHeight() || qw < 0 || qw >= ks.outWidth()) {
            return null;                            // outside the output grid: the adjoint drops this tap
        }
        return new int[] {qh, qw, taps - 1 - u};
    }

    @Override
    public void filterAt(int ho, int wo, Pixel px) {
        int groups = config.kernelChannels();
        double[][] kn = new double[groups][taps];
        double[][] ekn = new double[groups][taps];
        double[][][] vkn = new double[3][groups][taps];
        int[][] at = new int[taps][];
        for (int u = 0; u < taps; u++) {
            at[u] = kernelAt(ho, wo, u);
            if (at[u] == null) {
                continue;
            }
            for (int g = 0; g < groups; g++) {
                kn[g][u] = kernel.kn[at[u][0]][at[u][1]][g][at[u][2]];
                ekn[g][u] = kernel.eKn[at[u][0]][at[u][1]][g][at[u][2]];
                for (int c3 = 0; c3 < 3; c3++) {
                    vkn[c3][g][u] = kernel.varKn[c3][at[u][0]][at[u][1]][g][at[u][2]];
                }
            }
        }
        for (int o = 0; o < outC; o++) {
            px.bias[o] = transposed ? 0 : bias[o];
            for (int c = 0; c < inC; c++) {
                int g = group(c);
                for (int u = 0; u < taps; u++) {
                    double wv = weightOf(o, c, u);
                    px.w[o][c][u] = wv * kn[g][u];
                    px.wAbs[o][c][u] = Math.abs(wv) * Math.abs(kn[g][u]);
                }
            }
        }
        boolean product = weight != null;
        // Forward: the kernel's errors into y[o], through slope_o(g, u) = sum_{c in g} weight[o,c,u] patch[c][u].
        for (int o = 0; o < outC; o++) {
            double e = 0;
            double[] v = new double[3];
            for (int g = 0; g < groups; g++) {
                double[] slope = new double[taps];
                for (int c = 0; c < inC; c++) {
                    if (group(c) != g) {
                        continue;
                    }
                    for (int u = 0; u < taps; u++) {
                        double wv = weightOf(o, c, u);
                        slope[u] += wv * px.patch[c][u];
                        if (product) {
                            double t = px.w[o][c][u] * px.patch[c][u];
                            v[0] += t * t;              // the product weight * Kn's rounding
                            v[1] += t * t;              // and its third input's
                        }
                    }
                }
                for (int u = 0; u < taps; u++) {
                    e += Math.abs(slope[u]) * ekn[g][u];
                }
                if (coherent && config.normalizeKernel() && !kernel.zeroSum[ho][wo][g]) {
                    coherentVariance(ho, wo, g, slope, v);
                } else {
                    for (int u = 0; u < taps; u++) {
                        for (int c3 = 0; c3 < 3; c3++) {
                            v[c3] += slope[u] * slope[u] * vkn[c3][g][u];
                        }
                    }
                }
            }
            px.carried[o] = e;
            for (int c3 = 0; c3 < 3; c3++) {
                px.variance[c3][o] = v[c3];
            }
        }
        if (px.dy == null) {
            return;
        }
        // Backward / adjoint: the kernel's errors into dpatch[c][u] = sum_o dy[o] weight[o,c,u] Kn[g(c)][u].
        for (int c = 0; c < inC; c++) {
            int g = group(c);
            for (int u = 0; u < taps; u++) {
                double slope = 0;
                double own = 0;
                for (int o = 0; o < outC; o++) {
                    double wv = weightOf(o, c, u);
                    slope += px.dy[o] * wv;
                    if (product) {
                        own += Math.pow(px.dy[o] * px.w[o][c][u], 2);
                    }
                }
                px.dPatchCarried[c][u] = Math.abs(slope) * ekn[g][u];
                px.dPatchVariance[0][c][u] = slope * slope * vkn[0][g][u] * dPatchMultiplicity + own;
                px.dPatchVariance[1][c][u] = slope * slope * vkn[1][g][u] * dPatchMultiplicity + own;
                px.dPatchVariance[2][c][u] = slope * slope * vkn[2][g][u] * dPatchMultiplicity;
            }
        }
    }

    /**
     * The normalised kernel's errors into {@code y_g = sum_u slope_u Kn_u} with signed sensitivities: to
     * {@code K_v}, {@code slope_v / Sigma - [v in image] y_g / Sigma}; to the normaliser's own additions,
     * {@code y_g / Sigma}; each division's rounding, {@code slope_u Kn_u}.
     */
    private void coherentVariance(int ho, int wo, int g, double[] slope, double[] v) {
        double sg = kernel.sigma[ho][wo][g];
        double[] knv = kernel.kn[ho][wo][g];
        double yg = 0;
        for (int u = 0; u < taps; u++) {
            yg += slope[u] * knv[u];
        }
        for (int w = 0; w < taps; w++) {
            double sens = slope[w] / sg - (kernel.in[ho][wo][w] ? yg / sg : 0);
            for (int c3 = 0; c3 < 3; c3++) {
                v[c3] += sens * sens * kernel.varK[c3][ho][wo][g][w];
            }
            double div = slope[w] * knv[w];
            v[0] += div * div;
            v[2] += div * div;
        }
        v[0] += (yg / sg) * (yg / sg) * kernel.sigmaPartials[ho][wo][g];
    }

    @Override
    public void backward(int ho, int wo, Pixel px, GradientSink sink) {
        int groups = config.kernelChannels();
        double[] var = new double[3];
        SumModel sum = new SumModel();
        for (int u = 0; u < taps; u++) {
            int[] at = kernelAt(ho, wo, u);
            if (at == null) {
                continue;
            }
            for (int g = 0; g < groups; g++) {
                double kn = kernel.kn[at[0]][at[1]][g][at[2]];
                double ekn = kernel.eKn[at[0]][at[1]][g][at[2]];
                // dweight[o,c,u] += dWpix * Kn.
                if (weight != null) {
                    for (int o = 0; o < outC; o++) {
                        for (int c = 0; c < inC; c++) {
                            if (group(c) != g) {
                                continue;
                            }
                            double dw = px.dW[o][c][u];
                            double t = dw * kn;
                            for (int c3 = 0; c3 < 3; c3++) {
                                var[c3] = dw * dw * kernel.varKn[c3][at[0]][at[1]][g][at[2]];
                            }
                            var[0] += t * t;            // dWpix = dy * patch was rounded once
                            sink.add(PacLayer.WEIGHT, (o * inC + c) * taps + u, t, Math.abs(t), Math.abs(dw) * ekn, var, true);
                        }
                    }
                }
                // dKn[g][u] = sum_{o, c in g} dWpix[o][c][u] * weight[o,c,u].
                sum.reset();
                double s = 0;
                for (int o = 0; o < outC; o++) {
                    for (int c = 0; c < inC; c++) {
                        double wv = weightOf(o, c, u);
                        if (group(c) != g || wv == 0) {
                            continue;
                        }
                        sum.add(px.dW[o][c][u] * wv);
                        s += Math.abs(px.dW[o][c][u] * wv);
                    }
                }
                double own = weight != null ? sum.roundings() + sum.squares() : sum.partials() + sum.squares();
                kernel.addGradient(at[0], at[1], g, at[2], sum.sum(), s, new double[] {own, 2 * sum.squares(), sq(sum.sum())});
            }
        }
    }

    @Override
    public void endImage(int n, GradientSink sink) {
        kernel.backward(sink);
    }

    private static double sq(double a) {
        return a * a;
    }
}
