package org.acdajvm.oracle;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * THE ORACLE's backward (DESIGN section 6): the exact derivative of {@link AcdaOracle}'s naive
 * per-pixel form, in double, for a loss {@code L} with upstream gradient {@code dy = dL/dy}.
 * It returns {@code dL/dx} and the gradient of every parameter of section 5 ({@code bases}
 * excluded; BatchNorm's weight and bias get gradients, its running statistics do not). {@code x}
 * reaches {@code y} directly (through the atom convolution) and through the generator: both count.
 *
 * <p>Per output pixel, with {@code Z[c][m] = sum_u D[m][u] patch[c][u]} and
 * {@code dZ[c][m] = sum_o dy[o] coef[o, c*M + m]}:
 * <pre>
 *   dbias[o]        += dy[o]
 *   dcoef[o, cM+m]  += dy[o] Z[c][m]
 *   dpatch[c][u]     = sum_m dZ[c][m] D[m][u]          (scattered into dx through the padding)
 *   dD[m][u]         = sum_c dZ[c][m] patch[c][u]
 *   dG[m*T + t]      = sum_u dD[m][u] Psi[t][u]
 * </pre>
 * then back through the generator ({@code a = bn(g)}, {@code e = tanh(a)}, {@code tanh' = 1 - e^2},
 * {@code bn' = gamma / sigma}, {@code dgamma += da (g - mean)/sigma}, {@code dbeta += da}).
 *
 * <p>Beside every gradient it computes, with the same loops on magnitudes, both bounds a float32
 * backward is held to (DESIGN section 7). Worst-case: {@code S}, the sum of absolute values of the
 * products of the expanded expression, and {@code E}, the error carried in from the float32 forward
 * quantities the backward uses ({@code G}, {@code D}, {@code Z}, {@code tanh'}, {@code e1}, {@code g1},
 * {@code g2}), to first order, with each gradient's own chain length
 * ({@link ErrorBounds#gradientChainLengths}). Tight: the variance proxies of every intermediate
 * ({@code [A, B, C]} as in {@link ForwardRounding}), carried from factor to product
 * ({@code var(a b) = b^2 var(a) + a^2 var(b)} plus the product's own rounding) and from terms to
 * their sum ({@link GradientAccumulator}); where one rounded value reaches a result through several
 * terms ({@code dZ[c][m]} through every tap into {@code dG}, {@code G} through every tap into
 * {@code Z}) its sensitivity is summed with signs first. Same rules as the forward oracle: no
 * vector API, no threads, no float, no tricks.
 */
public final class AcdaOracleBackward {

    /** The key under which {@link Gradients} holds {@code dL/dx}. */
    public static final String INPUT = "x";

    private AcdaOracleBackward() {
    }

    /**
     * One gradient tensor with its bound ingredients, row-major.
     *
     * @param shape       the tensor's shape
     * @param value       the gradient, in double
     * @param sumAbs      {@code S} per element
     * @param carried     {@code E} per element
     * @param chainLength this gradient's chain length {@code n}
     * @param variance    the tight tier's variance proxies {@code [component A, B, C][element]}
     */
    public record Gradient(int[] shape, double[] value, double[] sumAbs, double[] carried, int chainLength,
                           double[][] variance) {
        /** The worst-case bound of element {@code i} for a float32 backward: {@code 4 u n S + E + tiny}. */
        public double bound(int i) {
            return ErrorBounds.accept(chainLength, sumAbs[i], carried[i]);
        }

        /**
         * The worst-case bound in a precision: for {@link Precision#FP32} {@link #bound}; otherwise each of the
         * {@code n} steps may also round a product's two inputs and store its result,
         * {@code 4 n (u + 2 u_in + u_st) S + E (1 + (2 u_in + u_st)/u) + tiny}.
         */
        public double worstCaseBound(int i, Precision precision) {
            if (precision == Precision.FP32) {
                return bound(i);
            }
            double extra = 2 * precision.inputUnit + precision.storageUnit;
            return ErrorBounds.SAFETY * chainLength * (ErrorBounds.U + extra) * sumAbs[i]
                    + carried[i] * (1 + extra / ErrorBounds.U) + ErrorBounds.TINY;
        }

        /** The tight tier's {@code sigma} of element {@code i}. */
        public double sigma(int i, Precision precision) {
            return ErrorBounds.sigma(variance[0][i], variance[1][i], variance[2][i], precision);
        }

        /** The tight bound of element {@code i}. */
        public double tightBound(int i, Precision precision) {
            return ErrorBounds.tight(sigma(i, precision), chainLength);
        }

        /** This gradient with both bounds, for {@link ErrorReport#compare(ErrorReport.Reference, double[], int[], ErrorReport.Tier)}. */
        public ErrorReport.Reference reference(Precision precision) {
            double[] tight = new double[value.length];
            double[] worst = new double[value.length];
            for (int i = 0; i < value.length; i++) {
                tight[i] = tightBound(i, precision);
                worst[i] = worstCaseBound(i, precision);
            }
            return new ErrorReport.Reference(shape, value, tight, worst, "gradient, " + precision.id() + ", n = " + chainLength);
        }

        /** The gradient rounded to float32. */
        public Tensor toTensor() {
            return Tensor.fromDoubles(value, shape);
        }
    }

    /**
     * All gradients of one backward call.
     *
     * @param byKey {@code "x"} first, then the parameters in state-dict order
     */
    public record Gradients(Map<String, Gradient> byKey) {
    }

    /**
     * The exact gradients of {@code L} with {@code dL/dy = dy}.
     *
     * @param layer the layer (not modified)
     * @param x     input {@code [N, C, H, W]} (not modified)
     * @param dy    upstream gradient {@code [N, O, H', W']} (not modified)
     */
    public static Gradients backward(AcdaLayer layer, Tensor x, Tensor dy) {
        int[] outShape = AcdaShapes.checkInput(layer.config(), x);
        if (dy == null) {
            throw new IllegalArgumentException("upstream gradient dy is null: expected a tensor of shape "
                    + java.util.Arrays.toString(outShape));
        }
        dy.requireShape("upstream gradient dy", outShape);
        double[] up = new double[dy.size()];
        for (int i = 0; i < up.length; i++) {
            if (!Float.isFinite(dy.data()[i])) {
                throw new IllegalArgumentException("upstream gradient dy has a non-finite value at "
                        + AcdaShapes.index(outShape, i));
            }
            up[i] = dy.data()[i];
        }
        return backward(Params.of(layer), Images.of(x), up);
    }

    static Gradients backward(Params p, Images x, double[] dy) {
        AcdaConfig cfg = p.config;
        int batch = x.batch;
        int outC = cfg.outChannels();
        int outH = cfg.outSize(x.height);
        int outW = cfg.outSize(x.width);
        int inC = cfg.inChannels();
        int k = cfg.kernelSize();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        int inter = cfg.interChannels();
        int gen = cfg.generatorChannels();
        int g = cfg.generatorKernel();
        int half = (g - 1) / 2;
        int s = cfg.stride();

        Map<String, GradientAccumulator> grads = new LinkedHashMap<>();
        GradientAccumulator dx = new GradientAccumulator(new int[] {batch, inC, x.height, x.width});
        grads.put(INPUT, dx);
        for (Map.Entry<String, int[]> e : AcdaLayer.expectedShapes(cfg).entrySet()) {
            if (!e.getKey().equals(AcdaLayer.BASES) && !e.getKey().endsWith("running_mean")
                    && !e.getKey().endsWith("running_var")) {
                grads.put(e.getKey(), new GradientAccumulator(e.getValue()));
            }
        }
        GradientAccumulator dw1 = grads.get(AcdaLayer.CONV1_WEIGHT);
        GradientAccumulator db1 = grads.get(AcdaLayer.CONV1_BIAS);
        GradientAccumulator dgamma1 = grads.get(AcdaLayer.BN1_WEIGHT);
        GradientAccumulator dbeta1 = grads.get(AcdaLayer.BN1_BIAS);
        GradientAccumulator dw2 = grads.get(AcdaLayer.CONV2_WEIGHT);
        GradientAccumulator db2 = grads.get(AcdaLayer.CONV2_BIAS);
        GradientAccumulator dgamma2 = grads.get(AcdaLayer.BN2_WEIGHT);
        GradientAccumulator dbeta2 = grads.get(AcdaLayer.BN2_BIAS);
        GradientAccumulator dcoef = grads.get(AcdaLayer.COEF);
        GradientAccumulator dbias = cfg.bias() ? grads.get(AcdaLayer.BIAS) : new GradientAccumulator(new int[] {outC});

        // Per-pixel work arrays: value, magnitude S, carried error E, and [component] variance proxies.
        double[][] atom = new double[atoms][taps];
        double[][] atomS = new double[atoms][taps];
        double[][] atomE = new double[atoms][taps];
        double[][][] atomOwn = new double[3][atoms][taps];
        double[][][] atomVar = new double[3][atoms][taps];
        double[][] patch = new double[inC][taps];
        double[][] basisDotPatch = new double[inC][bases];
        double[][] z = new double[inC][atoms];
        double[][] zS = new double[inC][atoms];
        double[][] zE = new double[inC][atoms];
        double[][][] zVar = new double[3][inC][atoms];
        double[][] dZ = new double[inC][atoms];
        double[][] dZs = new double[inC][atoms];
        double[][][] dZVar = new double[3][inC][atoms];
        double[][] dD = new double[atoms][taps];
        double[][] dDs = new double[atoms][taps];
        double[][][] dDOwn = new double[3][atoms][taps];
        double[] var = new double[3];
        SumModel sum = new SumModel();
        ForwardRounding model = new ForwardRounding(p, 0);

        for (int n = 0; n < batch; n++) {
            AcdaOracle.Generator fwd = AcdaOracle.generator(p, x, n, outH, outW);
            ForwardRounding.GeneratorVariance gv = model.generator(x, n, fwd);
            double[][][] dG = new double[gen][outH][outW];
            double[][][] dGs = new double[gen][outH][outW];
            double[][][][] dGVar = new double[3][gen][outH][outW];

            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    // Atoms D[m][u] = sum_t G[m*T + t] Psi[t][u]: own roundings, and with G's errors (independent across m).
                    for (int m = 0; m < atoms; m++) {
                        for (int u = 0; u < taps; u++) {
                            double ds = 0;
                            double de = 0;
                            double[] carriedG = new double[3];
                            sum.reset();
                            for (int t = 0; t < bases; t++) {
                                double psi = p.psi[t * taps + u];
                                double gval = fwd.value()[m * bases + t][ho][wo];
                                sum.add(gval * psi);
                                ds += Math.abs(gval * psi);
                                de += fwd.error()[m * bases + t][ho][wo] * Math.abs(psi);
                                for (int c3 = 0; c3 < 3; c3++) {
                                    carriedG[c3] += psi * psi * gv.value()[c3][m * bases + t][ho][wo];
                                }
                            }
                            atom[m][u] = sum.sum();
                            atomS[m][u] = ds;
                            atomE[m][u] = de;
                            own(atomOwn, m, u, sum);
                            for (int c3 = 0; c3 < 3; c3++) {
                                atomVar[c3][m][u] = atomOwn[c3][m][u] + carriedG[c3];
                            }
                        }
                    }
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                patch[c][a * k + b] = x.read(cfg.padding(), n, c,
                                        s * ho + cfg.dilation() * a - cfg.pad(), s * wo + cfg.dilation() * b - cfg.pad());
                            }
                        }
                        for (int t = 0; t < bases; t++) {
                            double bdp = 0;
                            for (int u = 0; u < taps; u++) {
                                bdp += p.psi[t * taps + u] * patch[c][u];
                            }
                            basisDotPatch[c][t] = bdp;
                        }
                    }
                    // Z[c][m] = sum_u D[m][u] patch[c][u]; G[m*T + t] reaches it through every tap: slope Psi[t] . patch[c].
                    for (int c = 0; c < inC; c++) {
                        for (int m = 0; m < atoms; m++) {
                            double zs = 0;
                            double ze = 0;
                            sum.reset();
                            for (int u = 0; u < taps; u++) {
                                sum.add(atom[m][u] * patch[c][u]);
                                zs += atomS[m][u] * Math.abs(patch[c][u]);
                                ze += atomE[m][u] * Math.abs(patch[c][u]);
                            }
                            z[c][m] = sum.sum();
                            zS[c][m] = zs;
                            zE[c][m] = ze;
                            double[] zv = {sum.roundings(), 2 * sum.squares(), sq(sum.sum())};
                            for (int u = 0; u < taps; u++) {
                                addScaled(zv, sq(patch[c][u]), atomOwn, m, u);
                            }
                            for (int t = 0; t < bases; t++) {
                                for (int c3 = 0; c3 < 3; c3++) {
                                    zv[c3] += sq(basisDotPatch[c][t]) * gv.value()[c3][m * bases + t][ho][wo];
                                }
                            }
                            for (int c3 = 0; c3 < 3; c3++) {
                                zVar[c3][c][m] = zv[c3];
                            }
                        }
                    }
                    // dbias[o] += dy[o];  dcoef[o, cM+m] += dy[o] Z[c][m].
                    for (int o = 0; o < outC; o++) {
                        double up = dy[((n * outC + o) * outH + ho) * outW + wo];
                        dbias.addExact(o, up);
                        for (int c = 0; c < inC; c++) {
                            for (int m = 0; m < atoms; m++) {
                                for (int c3 = 0; c3 < 3; c3++) {
                                    var[c3] = up * up * zVar[c3][c][m];
                                }
                                dcoef.add(o * inC * atoms + c * atoms + m, up * z[c][m], Math.abs(up) * zS[c][m],
                                        Math.abs(up) * zE[c][m], var, true);
                            }
                        }
                    }
                    // dZ[c][m] = sum_o dy[o] coef[o, cM+m]  (exact inputs: only its own roundings).
                    for (int c = 0; c < inC; c++) {
                        for (int m = 0; m < atoms; m++) {
                            double zs = 0;
                            sum.reset();
                            for (int o = 0; o < outC; o++) {
                                double t = dy[((n * outC + o) * outH + ho) * outW + wo] * p.coef[o * inC * atoms + c * atoms + m];
                                sum.add(t);
                                zs += Math.abs(t);
                            }
                            dZ[c][m] = sum.sum();
                            dZs[c][m] = zs;
                            own(dZVar, c, m, sum);
                        }
                    }
                    // dpatch[c][u] = sum_m dZ[c][m] D[m][u], scattered into dx (the direct path).
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int u = a * k + b;
                                double vs = 0;
                                double ve = 0;
                                sum.reset();
                                double[] dv = new double[3];
                                for (int m = 0; m < atoms; m++) {
                                    sum.add(dZ[c][m] * atom[m][u]);
                                    vs += dZs[c][m] * atomS[m][u];
                                    ve += dZs[c][m] * atomE[m][u];
                                    for (int c3 = 0; c3 < 3; c3++) {
                                        dv[c3] += sq(atom[m][u]) * dZVar[c3][c][m] + sq(dZ[c][m]) * atomVar[c3][m][u];
                                    }
                                }
                                dv[0] += sum.roundings();
                                dv[1] += 2 * sum.squares();
                                dv[2] += sq(sum.sum());
                                dx.scatter(x, cfg, n, c, s * ho + cfg.dilation() * a - cfg.pad(),
                                        s * wo + cfg.dilation() * b - cfg.pad(), sum.sum(), vs, ve, dv, false);
                            }
                        }
                    }
                    // dD[m][u] = sum_c dZ[c][m] patch[c][u], then dG[m*T + t] = sum_u dD[m][u] Psi[t][u].
                    for (int m = 0; m < atoms; m++) {
                        for (int u = 0; u < taps; u++) {
                            double dds = 0;
                            sum.reset();
                            for (int c = 0; c < inC; c++) {
                                sum.add(dZ[c][m] * patch[c][u]);
                                dds += dZs[c][m] * Math.abs(patch[c][u]);
                            }
                            dD[m][u] = sum.sum();
                            dDs[m][u] = dds;
                            own(dDOwn, m, u, sum);
                        }
                        for (int t = 0; t < bases; t++) {
                            int j = m * bases + t;
                            double dgs = 0;
                            sum.reset();
                            double[] dv = new double[3];
                            for (int u = 0; u < taps; u++) {
                                double psi = p.psi[t * taps + u];
                                sum.add(dD[m][u] * psi);
                                dgs += dDs[m][u] * Math.abs(psi);
                                addScaled(dv, psi * psi, dDOwn, m, u);
                            }
                            // dZ[c][m] reaches dG[j] through every tap: slope Psi[t] . patch[c], summed with signs.
                            for (int c = 0; c < inC; c++) {
                                addScaled(dv, sq(basisDotPatch[c][t]), dZVar, c, m);
                            }
                            dG[j][ho][wo] = sum.sum();
                            dGs[j][ho][wo] = dgs;
                            dGVar[0][j][ho][wo] = dv[0] + sum.roundings();
                            dGVar[1][j][ho][wo] = dv[1] + 2 * sum.squares();
                            dGVar[2][j][ho][wo] = dv[2] + sq(sum.sum());
                        }
                    }
                }
            }

            // Generator, second half: G = tanh(a2), a2 = bn2(g2), g2 = b2 + W2 * e1p.
            GradientAccumulator de1 = new GradientAccumulator(new int[] {inter, outH, outW});
            for (int j = 0; j < gen; j++) {
                BatchNorm bn = p.bn2(j);
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        double[] dgVar = new double[3];
                        double[] daVar = new double[3];
                        double[] centredVar = new double[3];
                        Step st = activationBackward(bn, dG[j][ho][wo], dGs[j][ho][wo], component(dGVar, j, ho, wo),
                                fwd.value()[j][ho][wo], fwd.error()[j][ho][wo], component(gv.value(), j, ho, wo),
                                fwd.g2()[j][ho][wo], fwd.g2Error()[j][ho][wo], component(gv.g2(), j, ho, wo),
                                0, daVar, centredVar, dgVar);
                        dgamma2.add(j, st.da * st.centred, st.das * Math.abs(st.centred),
                                st.dae * Math.abs(st.centred) + st.das * st.centredErr, productVar(st.da, daVar, st.centred, centredVar), true);
                        dbeta2.add(j, st.da, st.das, st.dae, daVar, false);
                        db2.add(j, st.dg, st.dgs, st.dge, dgVar, false);
                        for (int i = 0; i < inter; i++) {
                            for (int a = 0; a < 3; a++) {
                                for (int b = 0; b < 3; b++) {
                                    int hh = cfg.padding().index(ho + a - 1, outH);
                                    int ww = cfg.padding().index(wo + b - 1, outW);
                                    if (hh < 0 || ww < 0) {
                                        continue;
                                    }
                                    int w = ((j * inter + i) * 3 + a) * 3 + b;
                                    double e1 = fwd.e1()[i][hh][ww];
                                    dw2.add(w, st.dg * e1, st.dgs * Math.abs(e1), st.dge * Math.abs(e1) + st.dgs * fwd.e1Error()[i][hh][ww],
                                            productVar(st.dg, dgVar, e1, component(gv.e1(), i, hh, ww)), true);
                                    double w2 = p.w2[w];
                                    for (int c3 = 0; c3 < 3; c3++) {
                                        var[c3] = w2 * w2 * dgVar[c3];
                                    }
                                    de1.add((i * outH + hh) * outW + ww, st.dg * w2, st.dgs * Math.abs(w2), st.dge * Math.abs(w2), var, true);
                                }
                            }
                        }
                    }
                }
            }

            // Generator, first half: e1 = tanh(a1), a1 = bn1(g1), g1 = b1 + W1 * xp.
            for (int i = 0; i < inter; i++) {
                BatchNorm bn = p.bn1(i);
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        int q = (i * outH + ho) * outW + wo;
                        double[] dgVar = new double[3];
                        double[] daVar = new double[3];
                        double[] centredVar = new double[3];
                        Step st = activationBackward(bn, de1.value[q], de1.sumAbs[q], de1.variance(q),
                                fwd.e1()[i][ho][wo], fwd.e1Error()[i][ho][wo], component(gv.e1(), i, ho, wo),
                                fwd.g1()[i][ho][wo], fwd.g1Error()[i][ho][wo], component(gv.g1(), i, ho, wo),
                                de1.carried[q], daVar, centredVar, dgVar);
                        dgamma1.add(i, st.da * st.centred, st.das * Math.abs(st.centred),
                                st.dae * Math.abs(st.centred) + st.das * st.centredErr, productVar(st.da, daVar, st.centred, centredVar), true);
                        dbeta1.add(i, st.da, st.das, st.dae, daVar, false);
                        db1.add(i, st.dg, st.dgs, st.dge, dgVar, false);
                        for (int c = 0; c < inC; c++) {
                            for (int a = 0; a < g; a++) {
                                for (int b = 0; b < g; b++) {
                                    int w = ((i * inC + c) * g + a) * g + b;
                                    int h = s * ho + a - half;
                                    int col = s * wo + b - half;
                                    double xv = x.read(cfg.padding(), n, c, h, col);
                                    for (int c3 = 0; c3 < 3; c3++) {
                                        var[c3] = xv * xv * dgVar[c3];
                                    }
                                    dw1.add(w, st.dg * xv, st.dgs * Math.abs(xv), st.dge * Math.abs(xv), var, true);
                                    double w1 = p.w1[w];
                                    for (int c3 = 0; c3 < 3; c3++) {
                                        var[c3] = w1 * w1 * dgVar[c3];
                                    }
                                    dx.scatter(x, cfg, n, c, h, col, st.dg * w1, st.dgs * Math.abs(w1), st.dge * Math.abs(w1), var, true);
                                }
                            }
                        }
                    }
                }
            }
        }

        Map<String, Integer> chains = ErrorBounds.gradientChainLengths(cfg, batch, outH, outW);
        Map<String, Gradient> out = new LinkedHashMap<>();
        grads.forEach((key, gr) -> {
            double[][] v = new double[3][gr.value.length];
            for (int i = 0; i < gr.value.length; i++) {
                double[] vi = gr.variance(i);
                for (int c3 = 0; c3 < 3; c3++) {
                    v[c3][i] = vi[c3];
                }
            }
            out.put(key, new Gradient(gr.shape, gr.value, gr.sumAbs, gr.carried, chains.get(key), v));
        });
        return new Gradients(out);
    }

    /**
     * One channel-pixel of the generator's backward through {@code e = tanh(a)}, {@code a = bn(g)}:
     * {@code da = de (1 - e^2)}, {@code dg = da gamma / sigma}, and {@code centred = (g - mean)/sigma}
     * for gamma's gradient, each with {@code S} ({@code das}, {@code dgs}) and {@code E}.
     */
    private record Step(double da, double das, double dae, double dg, double dgs, double dge, double centred,
                        double centredErr) {
    }

    /**
     * The worst-case and tight bookkeeping of {@link Step}: the upstream {@code de} (value, {@code S},
     * variance, carried {@code E}), the activation {@code e} (value, worst-case error, variance) and
     * the pre-activation {@code g} (value, worst-case error, variance); fills {@code daVar},
     * {@code centredVar}, {@code dgVar}.
     */
    private static Step activationBackward(BatchNorm bn, double de, double des, double[] deVar, double e, double eErr,
                                           double[] eVar, double gv, double gErr, double[] gVar, double deCarried,
                                           double[] daVar, double[] centredVar, double[] dgVar) {
        double slope = 1 - e * e;
        double da = de * slope;
        double das = des * Math.abs(slope);
        double dae = deCarried * Math.abs(slope) + des * eErr * (2 * Math.abs(e) + eErr);
        // tanh' = 1 - e^2 from the float32 e: var 4 e^2 var(e), plus the rounding of e^2 and of 1 - e^2.
        double[] slopeVar = {4 * e * e * eVar[0] + sq(e * e) + sq(slope), 4 * e * e * eVar[1], 4 * e * e * eVar[2] + sq(slope)};
        double[] v = productVar(de, deVar, slope, slopeVar);
        daVar[0] = v[0] + da * da;
        daVar[1] = v[1] + 2 * da * da;
        daVar[2] = v[2] + da * da;
        // centred: g's variance over sigma^2, plus the subtraction and division roundings (sigma's own: 3 more, shared).
        double centred = bn.centred(gv, gVar, centredVar);
        double centredErr = gErr / bn.sigma();
        double scale = bn.gamma() / bn.sigma();
        double dg = bn.backward(da, daVar, dgVar);
        return new Step(da, das, dae, dg, das * Math.abs(scale), dae * Math.abs(scale), centred, centredErr);
    }

    /** {@code var(a b) = b^2 var(a) + a^2 var(b)}, per component (the product's own rounding is counted where it is summed). */
    private static double[] productVar(double a, double[] varA, double b, double[] varB) {
        return new double[] {b * b * varA[0] + a * a * varB[0], b * b * varA[1] + a * a * varB[1], b * b * varA[2] + a * a * varB[2]};
    }

    /** {@code {A, B, C}} of element {@code [ch][h][w]} of {@code [component][ch][h][w]} arrays. */
    private static double[] component(double[][][][] v, int ch, int h, int w) {
        return new double[] {v[0][ch][h][w], v[1][ch][h][w], v[2][ch][h][w]};
    }

    /** A finished sum's own roundings, into {@code out[component][i][j]}: its additions and products, its inputs, its storage. */
    private static void own(double[][][] out, int i, int j, SumModel sum) {
        out[0][i][j] = sum.roundings();
        out[1][i][j] = 2 * sum.squares();
        out[2][i][j] = sq(sum.sum());
    }

    /** {@code acc += f * v[.][i][j]} per component. */
    private static void addScaled(double[] acc, double f, double[][][] v, int i, int j) {
        for (int c3 = 0; c3 < 3; c3++) {
            acc[c3] += f * v[c3][i][j];
        }
    }

    private static double sq(double a) {
        return a * a;
    }
}
