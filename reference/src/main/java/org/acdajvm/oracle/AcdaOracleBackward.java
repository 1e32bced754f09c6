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
 * <p>Beside every gradient it computes, with the same loops on magnitudes, the bound a float32
 * backward is held to: {@code S}, the sum of absolute values of the products of the expanded
 * expression, and {@code E}, the error carried in from the float32 forward quantities the backward
 * uses ({@code G}, {@code tanh'}, {@code e1}, {@code g1}, {@code g2}), to first order; see
 * {@link ErrorBounds#gradientChainLength}. Same rules as the forward oracle: no vector API, no
 * threads, no float, no tricks.
 */
public final class AcdaOracleBackward {

    /** The key under which {@link Gradients} holds {@code dL/dx}. */
    public static final String INPUT = "x";

    private AcdaOracleBackward() {
    }

    /**
     * One gradient tensor with its bound ingredients, row-major.
     *
     * @param shape   the tensor's shape
     * @param value   the gradient, in double
     * @param sumAbs  {@code S} per element
     * @param carried {@code E} per element
     */
    public record Gradient(int[] shape, double[] value, double[] sumAbs, double[] carried) {
        /** The acceptance bound of element {@code i}: {@code 4 u n S + E + tiny}. */
        public double bound(int i, int chainLength) {
            return ErrorBounds.accept(chainLength, sumAbs[i], carried[i]);
        }

        /** The gradient rounded to float32. */
        public Tensor toTensor() {
            return Tensor.fromDoubles(value, shape);
        }
    }

    /**
     * All gradients of one backward call.
     *
     * @param byKey       {@code "x"} first, then the parameters in state-dict order
     * @param chainLength the chain length {@code n} of every gradient's bound
     */
    public record Gradients(Map<String, Gradient> byKey, int chainLength) {
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

        Map<String, Grad> grads = new LinkedHashMap<>();
        Grad dx = new Grad(new int[] {batch, inC, x.height, x.width});
        grads.put(INPUT, dx);
        for (Map.Entry<String, int[]> e : AcdaLayer.expectedShapes(cfg).entrySet()) {
            if (!e.getKey().equals(AcdaLayer.BASES) && !e.getKey().endsWith("running_mean")
                    && !e.getKey().endsWith("running_var")) {
                grads.put(e.getKey(), new Grad(e.getValue()));
            }
        }
        Grad dw1 = grads.get(AcdaLayer.CONV1_WEIGHT);
        Grad db1 = grads.get(AcdaLayer.CONV1_BIAS);
        Grad dgamma1 = grads.get(AcdaLayer.BN1_WEIGHT);
        Grad dbeta1 = grads.get(AcdaLayer.BN1_BIAS);
        Grad dw2 = grads.get(AcdaLayer.CONV2_WEIGHT);
        Grad db2 = grads.get(AcdaLayer.CONV2_BIAS);
        Grad dgamma2 = grads.get(AcdaLayer.BN2_WEIGHT);
        Grad dbeta2 = grads.get(AcdaLayer.BN2_BIAS);
        Grad dcoef = grads.get(AcdaLayer.COEF);
        Grad dbias = cfg.bias() ? grads.get(AcdaLayer.BIAS) : new Grad(new int[] {outC});

        // Per-pixel work arrays (value, magnitude S, carried error E).
        double[][] atom = new double[atoms][taps];
        double[][] atomS = new double[atoms][taps];
        double[][] atomE = new double[atoms][taps];
        double[][] patch = new double[inC][taps];
        double[][] dZ = new double[inC][atoms];
        double[][] dZs = new double[inC][atoms];

        for (int n = 0; n < batch; n++) {
            AcdaOracle.Generator fwd = AcdaOracle.generator(p, x, n, outH, outW);
            double[][][] dG = new double[gen][outH][outW];
            double[][][] dGs = new double[gen][outH][outW];

            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    for (int m = 0; m < atoms; m++) {
                        for (int u = 0; u < taps; u++) {
                            double d = 0;
                            double ds = 0;
                            double de = 0;
                            for (int t = 0; t < bases; t++) {
                                double psi = p.psi[t * taps + u];
                                d += fwd.value()[m * bases + t][ho][wo] * psi;
                                ds += Math.abs(fwd.value()[m * bases + t][ho][wo] * psi);
                                de += fwd.error()[m * bases + t][ho][wo] * Math.abs(psi);
                            }
                            atom[m][u] = d;
                            atomS[m][u] = ds;
                            atomE[m][u] = de;
                        }
                    }
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                patch[c][a * k + b] = x.read(cfg.padding(), n, c,
                                        s * ho + cfg.dilation() * a - cfg.pad(), s * wo + cfg.dilation() * b - cfg.pad());
                            }
                        }
                    }
                    // dbias[o] += dy[o];  dcoef[o, cM+m] += dy[o] Z[c][m];  dZ[c][m] = sum_o dy[o] coef[o, cM+m].
                    for (double[] row : dZ) {
                        java.util.Arrays.fill(row, 0);
                    }
                    for (double[] row : dZs) {
                        java.util.Arrays.fill(row, 0);
                    }
                    for (int o = 0; o < outC; o++) {
                        double up = dy[((n * outC + o) * outH + ho) * outW + wo];
                        dbias.add(o, up, Math.abs(up), 0);
                        for (int c = 0; c < inC; c++) {
                            for (int m = 0; m < atoms; m++) {
                                double z = 0;
                                double zs = 0;
                                double ze = 0;
                                for (int u = 0; u < taps; u++) {
                                    z += atom[m][u] * patch[c][u];
                                    zs += atomS[m][u] * Math.abs(patch[c][u]);
                                    ze += atomE[m][u] * Math.abs(patch[c][u]);
                                }
                                int j = o * inC * atoms + c * atoms + m;
                                dcoef.add(j, up * z, Math.abs(up) * zs, Math.abs(up) * ze);
                                dZ[c][m] += up * p.coef[j];
                                dZs[c][m] += Math.abs(up * p.coef[j]);
                            }
                        }
                    }
                    // dpatch[c][u] = sum_m dZ[c][m] D[m][u], scattered into dx (the direct path).
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int u = a * k + b;
                                double v = 0;
                                double vs = 0;
                                double ve = 0;
                                for (int m = 0; m < atoms; m++) {
                                    v += dZ[c][m] * atom[m][u];
                                    vs += dZs[c][m] * atomS[m][u];
                                    ve += dZs[c][m] * atomE[m][u];
                                }
                                dx.scatter(x, cfg, n, c, s * ho + cfg.dilation() * a - cfg.pad(),
                                        s * wo + cfg.dilation() * b - cfg.pad(), v, vs, ve);
                            }
                        }
                    }
                    // dG[m*T + t] = sum_u (sum_c dZ[c][m] patch[c][u]) Psi[t][u].
                    for (int m = 0; m < atoms; m++) {
                        for (int u = 0; u < taps; u++) {
                            double dd = 0;
                            double dds = 0;
                            for (int c = 0; c < inC; c++) {
                                dd += dZ[c][m] * patch[c][u];
                                dds += dZs[c][m] * Math.abs(patch[c][u]);
                            }
                            for (int t = 0; t < bases; t++) {
                                dG[m * bases + t][ho][wo] += dd * p.psi[t * taps + u];
                                dGs[m * bases + t][ho][wo] += dds * Math.abs(p.psi[t * taps + u]);
                            }
                        }
                    }
                }
            }

            // Generator, second half: G = tanh(a2), a2 = bn2(g2), g2 = b2 + W2 * e1p.
            double[][][] de1 = new double[inter][outH][outW];
            double[][][] de1s = new double[inter][outH][outW];
            double[][][] de1e = new double[inter][outH][outW];
            for (int j = 0; j < gen; j++) {
                Params.BatchNorm bn = p.bn2(j);
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        double gv = fwd.value()[j][ho][wo];
                        double ge = fwd.error()[j][ho][wo];
                        double da = dG[j][ho][wo] * (1 - gv * gv);
                        double das = dGs[j][ho][wo] * Math.abs(1 - gv * gv);
                        double dae = dGs[j][ho][wo] * ge * (2 * Math.abs(gv) + ge);
                        double centred = (fwd.g2()[j][ho][wo] - bn.mean()) / bn.sigma();
                        double centredErr = fwd.g2Error()[j][ho][wo] / bn.sigma();
                        dgamma2.add(j, da * centred, das * Math.abs(centred), dae * Math.abs(centred) + das * centredErr);
                        dbeta2.add(j, da, das, dae);
                        double scale = bn.gamma() / bn.sigma();
                        double dg = da * scale;
                        double dgs = das * Math.abs(scale);
                        double dge = dae * Math.abs(scale);
                        db2.add(j, dg, dgs, dge);
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
                                    dw2.add(w, dg * e1, dgs * Math.abs(e1), dge * Math.abs(e1) + dgs * fwd.e1Error()[i][hh][ww]);
                                    de1[i][hh][ww] += dg * p.w2[w];
                                    de1s[i][hh][ww] += dgs * Math.abs(p.w2[w]);
                                    de1e[i][hh][ww] += dge * Math.abs(p.w2[w]);
                                }
                            }
                        }
                    }
                }
            }

            // Generator, first half: e1 = tanh(a1), a1 = bn1(g1), g1 = b1 + W1 * xp.
            for (int i = 0; i < inter; i++) {
                Params.BatchNorm bn = p.bn1(i);
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        double ev = fwd.e1()[i][ho][wo];
                        double ee = fwd.e1Error()[i][ho][wo];
                        double da = de1[i][ho][wo] * (1 - ev * ev);
                        double das = de1s[i][ho][wo] * Math.abs(1 - ev * ev);
                        double dae = de1e[i][ho][wo] * Math.abs(1 - ev * ev) + de1s[i][ho][wo] * ee * (2 * Math.abs(ev) + ee);
                        double centred = (fwd.g1()[i][ho][wo] - bn.mean()) / bn.sigma();
                        double centredErr = fwd.g1Error()[i][ho][wo] / bn.sigma();
                        dgamma1.add(i, da * centred, das * Math.abs(centred), dae * Math.abs(centred) + das * centredErr);
                        dbeta1.add(i, da, das, dae);
                        double scale = bn.gamma() / bn.sigma();
                        double dg = da * scale;
                        double dgs = das * Math.abs(scale);
                        double dge = dae * Math.abs(scale);
                        db1.add(i, dg, dgs, dge);
                        for (int c = 0; c < inC; c++) {
                            for (int a = 0; a < g; a++) {
                                for (int b = 0; b < g; b++) {
                                    int w = ((i * inC + c) * g + a) * g + b;
                                    int h = s * ho + a - half;
                                    int col = s * wo + b - half;
                                    double xv = x.read(cfg.padding(), n, c, h, col);
                                    dw1.add(w, dg * xv, dgs * Math.abs(xv), dge * Math.abs(xv));
                                    dx.scatter(x, cfg, n, c, h, col, dg * p.w1[w], dgs * Math.abs(p.w1[w]),
                                            dge * Math.abs(p.w1[w]));
                                }
                            }
                        }
                    }
                }
            }
        }

        Map<String, Gradient> out = new LinkedHashMap<>();
        grads.forEach((key, gr) -> out.put(key, new Gradient(gr.shape, gr.value, gr.sumAbs, gr.carried)));
        return new Gradients(out, ErrorBounds.gradientChainLength(cfg, batch, outH, outW));
    }

    /** A gradient being accumulated: value, magnitude {@code S} and carried error {@code E} per element. */
    private static final class Grad {
        final int[] shape;
        final double[] value;
        final double[] sumAbs;
        final double[] carried;

        Grad(int[] shape) {
            this.shape = shape.clone();
            int n = (int) Tensor.elementCount(shape);
            value = new double[n];
            sumAbs = new double[n];
            carried = new double[n];
        }

        void add(int i, double v, double s, double e) {
            value[i] += v;
            sumAbs[i] += s;
            carried[i] += e;
        }

        /** Adds to the input element that {@code xp[n, c, h, w]} reads, if any (the adjoint of reading through the padding). */
        void scatter(Images x, AcdaConfig cfg, int n, int c, int h, int w, double v, double s, double e) {
            int hh = cfg.padding().index(h, x.height);
            int ww = cfg.padding().index(w, x.width);
            if (hh >= 0 && ww >= 0) {
                add(x.index(n, c, hh, ww), v, s, e);
            }
        }
    }
}
