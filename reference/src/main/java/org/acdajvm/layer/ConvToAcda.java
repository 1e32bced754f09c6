package org.acdajvm.layer;

import java.util.Map;
import java.util.Objects;

import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.SingularOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.dense.row.factory.LinearSolverFactory_DDRM;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;
import org.ejml.interfaces.linsol.LinearSolverDense;

import org.acdajvm.tensor.Tensor;

/**
 * Turns a trained plain convolution into an ACDA layer that reproduces it as closely as the bases
 * allow, at initialisation (the atoms then start constant across pixels and training can make them
 * adapt).
 *
 * <p>Method. Write the weight {@code W [O, C, K, K]} as the {@code (O*C) x K^2} matrix {@code Wm}.
 * <ol>
 *   <li>Project every row onto the span of the multi-scale bases {@code Psi} ({@code T x K^2}) by least
 *       squares (QR): {@code P = B Psi}, {@code B = argmin |B Psi - Wm|}.</li>
 *   <li>The best rank-{@code M} approximation of {@code P} (Eckart-Young, SVD with EJML):
 *       {@code P ~ sum_m sigma_m u_m v_m^T}; its right vectors lie in the span, so they are the atoms
 *       {@code D[m] = lambda_m v_m}, and {@code coef[o, c*M + m] = sigma_m u_m[(o, c)] / lambda_m}.</li>
 *   <li>Each atom's coordinates in the bases, {@code alpha[m] = argmin |alpha Psi - D[m]|}, become the
 *       generator's constant output: {@code W2 = 0}, BatchNorm 2 the identity, and
 *       {@code b2 = atanh(alpha) sqrt(1 + eps)}, so that {@code G = tanh(bn2(b2)) = alpha}. The free
 *       scale {@code lambda_m} puts {@code max |alpha[m]|} at {@link #ATOM_SCALE}, far from tanh's
 *       saturation; a conversion that would need {@code |alpha| >= 0.99} is refused.</li>
 * </ol>
 * The rest of the generator keeps a seeded reference initialisation (with {@code W2 = 0} it does
 * not affect the output). When {@code W} lies in the span with rank at most {@code M}, the layer
 * equals the convolution up to rounding.
 */
public final class ConvToAcda {

    /** Largest |alpha| an atom is scaled to. */
    public static final double ATOM_SCALE = 0.5;
    private static final double SATURATION = 0.99;

    private ConvToAcda() {
    }

    /**
     * The converted layer and how well it reproduces the convolution.
     *
     * @param layer         the ACDA layer
     * @param relativeError {@code |W - Wc|_F / |W|_F}, {@code Wc} the layer's constant filter
     * @param spanError     the part of it from projecting onto the bases' span alone
     * @param singularValues the singular values of the projected weight, descending (all of them)
     */
    public record Result(AcdaLayer layer, double relativeError, double spanError, double[] singularValues) {
    }

    /**
     * Converts a plain convolution.
     *
     * @param weight   {@code [O, C, K, K]}, K odd {@code >= 3} (not modified)
     * @param bias     {@code [O]} or {@code null} for none
     * @param config   the ACDA hyper-parameters; its C, O and K must match the weight
     * @param seed     seed of the (output-irrelevant) first generator convolution
     */
    public static Result convert(Tensor weight, Tensor bias, AcdaConfig config, long seed) {
        Objects.requireNonNull(weight, "weight");
        weight.requireRank("weight", 4, "[O, C, K, K]");
        int outC = weight.dim(0);
        int inC = weight.dim(1);
        int k = weight.dim(2);
        if (weight.dim(3) != k) {
            throw new IllegalArgumentException("weight has shape " + weight.shapeString() + ": the kernel must be square");
        }
        if (config.inChannels() != inC || config.outChannels() != outC || config.kernelSize() != k) {
            throw new IllegalArgumentException("weight has shape " + weight.shapeString() + " but the layer is "
                    + config.summary());
        }
        if (bias != null) {
            bias.requireShape("bias", outC);
        }
        if (config.bias() != (bias != null)) {
            throw new IllegalArgumentException(bias == null ? "the layer has a bias but no conv bias was given"
                    : "a conv bias was given but the layer has no bias");
        }
        int taps = k * k;
        int rows = outC * inC;
        int atoms = config.atoms();
        Tensor psiT = AcdaLayer.computedBases(config);
        int bases = psiT.dim(0);

        DMatrixRMaj psi = new DMatrixRMaj(bases, taps);
        for (int i = 0; i < bases * taps; i++) {
            psi.data[i] = psiT.data()[i];
        }
        DMatrixRMaj wm = new DMatrixRMaj(rows, taps);
        for (int i = 0; i < rows * taps; i++) {
            wm.data[i] = weight.data()[i];
        }
        // 1. Least-squares projection onto the span: solve Psi^T B^T = Wm^T.
        DMatrixRMaj psiTransposed = CommonOps_DDRM.transpose(psi, null);
        DMatrixRMaj coords = solve(psiTransposed, CommonOps_DDRM.transpose(wm, null));      // T x rows
        DMatrixRMaj projected = new DMatrixRMaj(rows, taps);
        CommonOps_DDRM.multTransA(coords, psi, projected);                                  // rows x K^2

        // 2. Truncated SVD of the projection.
        SingularValueDecomposition_F64<DMatrixRMaj> svd = DecompositionFactory_DDRM.svd(rows, taps, true, true, true);
        if (!svd.decompose(projected.copy())) {
            throw new IllegalStateException("the SVD of the projected weight did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj w = svd.getW(null);
        DMatrixRMaj v = svd.getV(null, false);
        SingularOps_DDRM.descendingOrder(u, false, w, v, false);
        int rank = Math.min(w.numCols, w.numRows);
        double[] sigma = new double[rank];
        for (int i = 0; i < rank; i++) {
            sigma[i] = w.get(i, i);
        }

        // 3. Atoms, their coordinates in the bases, and the coefficients.
        double[][] alpha = new double[atoms][bases];
        double[][] coef = new double[rows][atoms];
        // Singular values below the numerical rank's threshold are rounding noise: those atoms stay zero.
        double negligible = (rank == 0 ? 0 : sigma[0]) * Math.max(rows, taps) * 1e-13;
        for (int m = 0; m < Math.min(atoms, rank); m++) {
            if (sigma[m] <= negligible) {
                continue;
            }
            DMatrixRMaj atom = new DMatrixRMaj(taps, 1);
            for (int t = 0; t < taps; t++) {
                atom.data[t] = v.get(t, m);
            }
            DMatrixRMaj a = solve(psiTransposed, atom);                                       // T x 1
            double max = 0;
            for (int t = 0; t < bases; t++) {
                max = Math.max(max, Math.abs(a.data[t]));
            }
            if (max == 0) {
                continue;
            }
            double lambda = ATOM_SCALE / max;
            for (int t = 0; t < bases; t++) {
                alpha[m][t] = lambda * a.data[t];
                if (Math.abs(alpha[m][t]) >= SATURATION) {
                    throw new IllegalArgumentException("atom " + m + " would need a generator output of " + alpha[m][t]
                            + ", too close to tanh's saturation at 1");
                }
            }
            for (int r = 0; r < rows; r++) {
                coef[r][m] = sigma[m] * u.get(r, m) / lambda;
            }
        }

        Map<String, Tensor> sd = AcdaInit.reference(config, seed).stateDict();
        sd.put(AcdaLayer.CONV2_WEIGHT, Tensor.zeros(sd.get(AcdaLayer.CONV2_WEIGHT).shape()));
        Tensor b2 = Tensor.zeros(config.generatorChannels());
        double bnScale = Math.sqrt(1 + AcdaLayer.BN_EPS);
        for (int m = 0; m < atoms; m++) {
            for (int t = 0; t < bases; t++) {
                b2.data()[m * bases + t] = (float) (atanh(alpha[m][t]) * bnScale);
            }
        }
        sd.put(AcdaLayer.CONV2_BIAS, b2);
        fill(sd.get(AcdaLayer.BN2_WEIGHT), 1f);
        fill(sd.get(AcdaLayer.BN2_BIAS), 0f);
        fill(sd.get(AcdaLayer.BN2_MEAN), 0f);
        fill(sd.get(AcdaLayer.BN2_VAR), 1f);
        Tensor c = Tensor.zeros(outC, inC * atoms, 1, 1);
        for (int o = 0; o < outC; o++) {
            for (int ci = 0; ci < inC; ci++) {
                for (int m = 0; m < atoms; m++) {
                    c.data()[(o * inC + ci) * atoms + m] = (float) coef[o * inC + ci][m];
                }
            }
        }
        sd.put(AcdaLayer.COEF, c);
        if (bias != null) {
            sd.put(AcdaLayer.BIAS, bias.copy());
        }
        AcdaLayer layer = new AcdaLayer(config, sd);
        double norm = frobenius(wm.data);
        double[] wc = constantFilter(layer);
        double[] diff = new double[wc.length];
        double[] spanDiff = new double[wc.length];
        for (int i = 0; i < wc.length; i++) {
            diff[i] = wm.data[i] - wc[i];
            spanDiff[i] = wm.data[i] - projected.data[i];
        }
        return new Result(layer, norm == 0 ? 0 : frobenius(diff) / norm, norm == 0 ? 0 : frobenius(spanDiff) / norm,
                sigma);
    }

    /**
     * The filter {@code Wc[o][c][u] = sum_m coef[o, c*M + m] D[m][u]} of a layer whose atoms are
     * constant ({@code W2 = 0}), flat {@code [O][C][K*K]}, in double.
     */
    public static double[] constantFilter(AcdaLayer layer) {
        AcdaConfig cfg = layer.config();
        int bases = cfg.bases();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        float[] b2 = layer.data(AcdaLayer.CONV2_BIAS);
        float[] psi = layer.data(AcdaLayer.BASES);
        float[] coef = layer.data(AcdaLayer.COEF);
        float[] gamma = layer.data(AcdaLayer.BN2_WEIGHT);
        float[] beta = layer.data(AcdaLayer.BN2_BIAS);
        float[] mean = layer.data(AcdaLayer.BN2_MEAN);
        float[] var = layer.data(AcdaLayer.BN2_VAR);
        double[][] d = new double[atoms][taps];
        for (int m = 0; m < atoms; m++) {
            for (int t = 0; t < bases; t++) {
                int j = m * bases + t;
                double g = Math.tanh(((double) b2[j] - mean[j]) / Math.sqrt((double) var[j] + AcdaLayer.BN_EPS) * gamma[j]
                        + beta[j]);
                for (int u = 0; u < taps; u++) {
                    d[m][u] += g * psi[t * taps + u];
                }
            }
        }
        int inC = cfg.inChannels();
        double[] wc = new double[cfg.outChannels() * inC * taps];
        for (int o = 0; o < cfg.outChannels(); o++) {
            for (int c = 0; c < inC; c++) {
                for (int m = 0; m < atoms; m++) {
                    double cf = coef[(o * inC + c) * atoms + m];
                    for (int u = 0; u < taps; u++) {
                        wc[(o * inC + c) * taps + u] += cf * d[m][u];
                    }
                }
            }
        }
        return wc;
    }

    private static DMatrixRMaj solve(DMatrixRMaj a, DMatrixRMaj b) {
        LinearSolverDense<DMatrixRMaj> ls = LinearSolverFactory_DDRM.leastSquares(a.numRows, a.numCols);
        if (!ls.setA(a.copy())) {
            throw new IllegalStateException("the bases are rank-deficient");
        }
        DMatrixRMaj x = new DMatrixRMaj(a.numCols, b.numCols);
        ls.solve(b, x);
        return x;
    }

    private static double atanh(double a) {
        return 0.5 * Math.log((1 + a) / (1 - a));
    }

    private static void fill(Tensor t, float v) {
        java.util.Arrays.fill(t.data(), v);
    }

    private static double frobenius(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
