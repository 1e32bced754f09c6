package org.acdajvm.oracle;

import org.acdajvm.layer.AcdaConfig;

/**
 * The tight tier's rounding model of the forward (DESIGN section 7; derivation in {@link ErrorBounds}):
 * for every output element, the variance proxy {@code V = u^2 A + u_in^2 B + u_st^2 C} of the error a
 * float32 evaluation makes, to first order, as three components per element:
 * <ul>
 *   <li>{@code A}: every float32 rounding (products and additions, BatchNorm, tanh), in units of {@code u^2};</li>
 *   <li>{@code B}: every product's two inputs rounded (TF32, bf16, fp16 inputs), in units of {@code u_in^2};</li>
 *   <li>{@code C}: every stored intermediate rounded (bf16, fp16 storage), in units of {@code u_st^2}.</li>
 * </ul>
 * Each rounding contributes {@code (sensitivity x rounded value)^2}; roundings are taken as
 * independent, so contributions add. Where one rounded value reaches an output through many terms
 * (an atom value {@code D[m][u]} through every input channel, a generator value {@code G[j]} through
 * every tap and channel) its sensitivity is summed with signs first, which is what makes this exact
 * rather than an over- or underestimate. It is computed for both evaluation orders of
 * {@link ErrorBounds.Evaluation}: the two-layer form ({@code D}, {@code Z}, then the coefficient sum)
 * and the per-pixel filter form ({@code D}, {@code Wpix}, then the filter applied).
 *
 * <p>Kept apart from {@link AcdaOracle} so that the oracle's loops stay the definition; this class
 * recomputes the few sums it needs with {@link SumModel}.
 */
final class ForwardRounding {

    /** Component indices. */
    static final int A = 0;
    static final int B = 1;
    static final int C = 2;

    /** Variance proxies per element: {@code [evaluation 0 two-layer, 1 per-pixel][component][element]}. */
    final double[][][] v;

    private final Params p;
    private final int inC;
    private final int outC;
    private final int atoms;
    private final int bases;
    private final int taps;

    // Per-pixel work arrays, [component][...] where they carry a variance.
    private final double[][] atom;
    private final double[][][] atomVar;
    private final double[][] z;
    private final double[][][] zVar;
    private final double[][] basisDotPatch;
    private final SumModel sum = new SumModel();
    private final SumModel inner = new SumModel();

    ForwardRounding(Params p, int elements) {
        this(p, new double[2][3][elements]);
    }

    /** A model writing into {@code v} (shared by the threads of {@link OracleRunner}; each writes its own pixels). */
    ForwardRounding(Params p, double[][][] v) {
        this.p = p;
        AcdaConfig cfg = p.config;
        inC = cfg.inChannels();
        outC = cfg.outChannels();
        atoms = cfg.atoms();
        bases = cfg.bases();
        taps = cfg.taps();
        this.v = v;
        atom = new double[atoms][taps];
        atomVar = new double[3][atoms][taps];
        z = new double[inC][atoms];
        zVar = new double[3][inC][atoms];
        basisDotPatch = new double[inC][bases];
    }

    /**
     * The generator's variance proxies {@code [component][j][h'][w']} for image {@code n}, stage by
     * stage as {@link AcdaOracle#generator} computes the values:
     * <pre>
     *   g = b + sum w v          A: the sum's roundings + sum w^2 A_v;   B: 2 sum (w v)^2 + sum w^2 B_v;   C: sum w^2 C_v + g^2
     *   a = bn(g)                A: scale^2 A_g + BN_TIGHT a_max^2;     B: scale^2 B_g;                   C: scale^2 C_g + a^2
     *   e = tanh(a)              A: tanh'^2 A_a + tanh's own error^2;   B: tanh'^2 B_a;                   C: tanh'^2 C_a + e^2
     * </pre>
     * with {@code a_max = |scale| (|g| + |mean|) + |beta|} bounding every BatchNorm intermediate.
     * Errors of {@code e1} at different channels and pixels are independent (each has its own
     * roundings); errors of {@code G} at different channels share {@code e1}'s, which the
     * quadrature below treats as independent (see {@link ErrorBounds}).
     */
    GeneratorVariance generator(Images x, int n, AcdaOracle.Generator gen) {
        AcdaConfig cfg = p.config;
        int inter = cfg.interChannels();
        int genC = cfg.generatorChannels();
        int g = cfg.generatorKernel();
        int half = (g - 1) / 2;
        int s = cfg.stride();
        int outH = gen.value()[0].length;
        int outW = gen.value()[0][0].length;

        double[][][][] g1Var = new double[3][inter][outH][outW];
        double[][][][] e1Var = new double[3][inter][outH][outW];
        for (int i = 0; i < inter; i++) {
            BatchNorm bn = p.bn1(i);
            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    sum.reset().add(p.b1[i]);
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < g; a++) {
                            for (int b = 0; b < g; b++) {
                                sum.add(p.w1[((i * inC + c) * g + a) * g + b]
                                        * x.read(cfg.padding(), n, c, s * ho + a - half, s * wo + b - half));
                            }
                        }
                    }
                    double[] conv = {sum.roundings(), 2 * sum.squares(), sq(gen.g1()[i][ho][wo])};
                    for (int k = 0; k < 3; k++) {
                        g1Var[k][i][ho][wo] = conv[k];
                    }
                    activation(bn, gen.g1()[i][ho][wo], gen.e1()[i][ho][wo], conv, e1Var, i, ho, wo);
                }
            }
        }

        double[][][][] g2Var = new double[3][genC][outH][outW];
        double[][][][] gVar = new double[3][genC][outH][outW];
        for (int j = 0; j < genC; j++) {
            BatchNorm bn = p.bn2(j);
            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    sum.reset().add(p.b2[j]);
                    double carriedA = 0;
                    double carriedB = 0;
                    double carriedC = 0;
                    for (int i = 0; i < inter; i++) {
                        for (int a = 0; a < 3; a++) {
                            for (int b = 0; b < 3; b++) {
                                int hh = cfg.padding().index(ho + a - 1, outH);
                                int ww = cfg.padding().index(wo + b - 1, outW);
                                if (hh < 0 || ww < 0) {
                                    continue;
                                }
                                double w = p.w2[((j * inter + i) * 3 + a) * 3 + b];
                                sum.add(w * gen.e1()[i][hh][ww]);
                                carriedA += w * w * e1Var[A][i][hh][ww];
                                carriedB += w * w * e1Var[B][i][hh][ww];
                                carriedC += w * w * e1Var[C][i][hh][ww];
                            }
                        }
                    }
                    double[] conv = {sum.roundings() + carriedA, 2 * sum.squares() + carriedB,
                            carriedC + sq(gen.g2()[j][ho][wo])};
                    for (int k = 0; k < 3; k++) {
                        g2Var[k][j][ho][wo] = conv[k];
                    }
                    activation(bn, gen.g2()[j][ho][wo], gen.value()[j][ho][wo], conv, gVar, j, ho, wo);
                }
            }
        }
        return new GeneratorVariance(g1Var, e1Var, g2Var, gVar);
    }

    /** The generator's variance proxies, {@code [component][channel][h'][w']}, of each stage's output. */
    record GeneratorVariance(double[][][][] g1, double[][][][] e1, double[][][][] g2, double[][][][] value) {
    }

    /** BatchNorm then tanh of one convolution output {@code g} with variance {@code conv}, into {@code out[.][ch][ho][wo]}. */
    private static void activation(BatchNorm bn, double g, double e, double[] conv, double[][][][] out,
                                   int ch, int ho, int wo) {
        double scale = bn.gamma() / bn.sigma();
        double a = bn.apply(g);
        double aMax = bn.largest(g);
        double slope = 1 - e * e;
        double tanhOwn = ErrorBounds.tanhTight(e);
        out[A][ch][ho][wo] = slope * slope * (scale * scale * conv[A] + ErrorBounds.BN_TIGHT * aMax * aMax) + tanhOwn * tanhOwn;
        out[B][ch][ho][wo] = slope * slope * scale * scale * conv[B];
        out[C][ch][ho][wo] = slope * slope * (scale * scale * conv[C] + a * a) + e * e;
    }

    /**
     * The variance proxies of every output element of one pixel, both evaluation orders.
     *
     * @param y      the oracle's outputs at this pixel, per output channel
     * @param first  flat index of {@code y[n, 0, h', w']}; channel {@code o} is at {@code first + o * plane}
     * @param plane  {@code H' * W'}
     * @param gv     {@code G[j]} at this pixel
     * @param gVar   the generator output's variance proxies, {@code [component][j][h'][w']}
     * @param patch  {@code patch[c][u]}, the input the filter sees
     */
    void pixel(double[] y, int first, int plane, double[] gv, double[][][][] gVar, int ho, int wo, double[][] patch) {
        // Atoms D[m][u] = sum_t G[m*T + t] Psi[t][u], with their own roundings (G's errors go through slopeG below).
        for (int m = 0; m < atoms; m++) {
            for (int u = 0; u < taps; u++) {
                sum.reset();
                for (int t = 0; t < bases; t++) {
                    sum.add(gv[m * bases + t] * p.psi[t * taps + u]);
                }
                atom[m][u] = sum.sum();
                atomVar[A][m][u] = sum.roundings();
                atomVar[B][m][u] = 2 * sum.squares();
                atomVar[C][m][u] = sq(sum.sum());
            }
        }
        // Two-layer: Z[c][m] = sum_u D[m][u] patch[c][u], with its own roundings (D's go through sensD).
        for (int c = 0; c < inC; c++) {
            for (int m = 0; m < atoms; m++) {
                sum.reset();
                for (int u = 0; u < taps; u++) {
                    sum.add(atom[m][u] * patch[c][u]);
                }
                z[c][m] = sum.sum();
                zVar[A][c][m] = sum.roundings();
                zVar[B][c][m] = 2 * sum.squares();
                zVar[C][c][m] = sq(sum.sum());
            }
        }
        for (int c = 0; c < inC; c++) {
            for (int t = 0; t < bases; t++) {
                double s = 0;
                for (int u = 0; u < taps; u++) {
                    s += p.psi[t * taps + u] * patch[c][u];
                }
                basisDotPatch[c][t] = s;
            }
        }
        int cm = inC * atoms;
        for (int o = 0; o < outC; o++) {
            int i = first + o * plane;
            double[] shared = new double[3];
            // D[m][u] reaches y[o] through every channel: dy/dD[m][u] = sum_c coef[o, c*M + m] patch[c][u].
            for (int m = 0; m < atoms; m++) {
                for (int u = 0; u < taps; u++) {
                    double sens = 0;
                    for (int c = 0; c < inC; c++) {
                        sens += p.coef[o * cm + c * atoms + m] * patch[c][u];
                    }
                    for (int k = 0; k < 3; k++) {
                        shared[k] += sens * sens * atomVar[k][m][u];
                    }
                }
            }
            // G[m*T + t] reaches y[o] through every tap and channel: dy/dG = sum_c coef[o, c*M + m] (Psi[t] . patch[c]).
            for (int m = 0; m < atoms; m++) {
                for (int t = 0; t < bases; t++) {
                    double sens = 0;
                    for (int c = 0; c < inC; c++) {
                        sens += p.coef[o * cm + c * atoms + m] * basisDotPatch[c][t];
                    }
                    for (int k = 0; k < 3; k++) {
                        shared[k] += sens * sens * gVar[k][m * bases + t][ho][wo];
                    }
                }
            }

            // Two-layer: y[o] = bias[o] + sum_{c,m} coef[o, c*M + m] Z[c][m].
            sum.reset().add(p.bias[o]);
            double[] own = new double[3];
            for (int c = 0; c < inC; c++) {
                for (int m = 0; m < atoms; m++) {
                    double cf = p.coef[o * cm + c * atoms + m];
                    sum.add(cf * z[c][m]);
                    for (int k = 0; k < 3; k++) {
                        own[k] += cf * cf * zVar[k][c][m];
                    }
                }
            }
            v[0][A][i] = sum.roundings() + own[A] + shared[A];
            v[0][B][i] = 2 * sum.squares() + own[B] + shared[B];
            v[0][C][i] = sq(y[o]) + own[C] + shared[C];

            // Per-pixel filter: Wpix[c][u] = sum_m coef[o, c*M + m] D[m][u], then y[o] = bias[o] + sum_{c,u} Wpix[c][u] patch[c][u].
            java.util.Arrays.fill(own, 0);
            sum.reset().add(p.bias[o]);
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    inner.reset();
                    for (int m = 0; m < atoms; m++) {
                        inner.add(p.coef[o * cm + c * atoms + m] * atom[m][u]);
                    }
                    double xv = patch[c][u];
                    sum.add(inner.sum() * xv);
                    own[A] += xv * xv * inner.roundings();
                    own[B] += xv * xv * 2 * inner.squares();
                    own[C] += xv * xv * sq(inner.sum());
                }
            }
            v[1][A][i] = sum.roundings() + own[A] + shared[A];
            v[1][B][i] = 2 * sum.squares() + own[B] + shared[B];
            v[1][C][i] = sq(y[o]) + own[C] + shared[C];
        }
    }

    private static double sq(double a) {
        return a * a;
    }
}
