package org.acdajvm.backend;

import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * The ACDA backward in the two-layer form (DESIGN sections 5 and 6), float32, one thread, written
 * to be read: the forward's intermediates are recomputed per image as full tensors (flat
 * {@code [channels][H'*W']}), then each stage is differentiated in reverse order by a plain loop nest:
 * <pre>
 *   y  = bias + coef Z                 dbias[o] = sum_p dy[o,p];  dcoef[o,j] = sum_p dy[o,p] Z[j,p];
 *                                      dZ[j,p] = sum_o coef[o,j] dy[o,p]
 *   Z[cM+m,p] = sum_u D[m,u,p] xp      dD[m,u,p] = sum_c dZ[cM+m,p] xp[c,p,u];
 *                                      dxp[c,p,u] += sum_m dZ[cM+m,p] D[m,u,p]      (direct path)
 *   D[m,u,p] = sum_t G[mT+t,p] Psi[t,u]   dG[mT+t,p] = sum_u dD[m,u,p] Psi[t,u]
 *   G = tanh(a2), a2 = bn2(g2)         da2 = dG (1 - G^2);  dgamma2 += da2 (g2 - mean)/sigma;
 *                                      dbeta2 += da2;  dg2 = da2 gamma/sigma
 *   g2 = b2 + W2 * e1p                 db2 += dg2;  dW2 += dg2 e1p;  de1 += W2^T dg2 (through the padding)
 *   e1 = tanh(bn1(g1)), g1 = b1 + W1 * xp   the same, into dW1, db1, BN 1, and dx  (generator path)
 * </pre>
 * Reads through the padding become scatters into {@code dx}: a wrapped read (circular) adds to the
 * element it read, a padding zero drops the gradient. BatchNorm uses the float32
 * {@link AcdaLayer#batchNormScaleShift} of the forward.
 */
public final class AcdaBackwardScalar {

    private AcdaBackwardScalar() {
    }

    /**
     * Backward of {@code layer} at {@code x} for the upstream gradient {@code dy}.
     *
     * @param x  input {@code [N, C, H, W]} (not modified)
     * @param dy upstream gradient {@code [N, O, H', W']} (not modified)
     * @return new tensors keyed as {@link AcdaGradients#keys}: {@code dL/dx} {@code [N, C, H, W]}, then
     *         every learned parameter's gradient in its parameter's shape
     */
    public static Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        AcdaConfig cfg = layer.config();
        int[] outShape = AcdaGradients.checkArguments(layer, x, dy);
        int batch = outShape[0];
        int outC = outShape[1];
        int outH = outShape[2];
        int outW = outShape[3];
        int pixels = outH * outW;
        int inC = cfg.inChannels();
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        int taps = cfg.taps();
        int k = cfg.kernelSize();
        int inter = cfg.interChannels();
        int gen = cfg.generatorChannels();
        int g = cfg.generatorKernel();
        int half = (g - 1) / 2;
        int s = cfg.stride();
        int dil = cfg.dilation();
        PaddingMode padding = cfg.padding();
        float[] psi = layer.data(AcdaLayer.BASES);
        float[] coef = layer.data(AcdaLayer.COEF);
        float[] bias = layer.biasOrZeros();
        float[] w1 = layer.data(AcdaLayer.CONV1_WEIGHT);
        float[] b1 = layer.data(AcdaLayer.CONV1_BIAS);
        float[] w2 = layer.data(AcdaLayer.CONV2_WEIGHT);
        float[] b2 = layer.data(AcdaLayer.CONV2_BIAS);
        float[][] bn1 = layer.batchNormScaleShift("bases_net.1.");
        float[][] bn2 = layer.batchNormScaleShift("bases_net.4.");
        float[] mean1 = layer.data(AcdaLayer.BN1_MEAN);
        float[] mean2 = layer.data(AcdaLayer.BN2_MEAN);
        float[] invSigma1 = invSigma(layer.data(AcdaLayer.BN1_VAR));
        float[] invSigma2 = invSigma(layer.data(AcdaLayer.BN2_VAR));

        Map<String, Tensor> grads = AcdaGradients.zeros(cfg, x.shape());
        float[] dx = grads.get("x").data();
        float[] dw1 = grads.get(AcdaLayer.CONV1_WEIGHT).data();
        float[] db1 = grads.get(AcdaLayer.CONV1_BIAS).data();
        float[] dgamma1 = grads.get(AcdaLayer.BN1_WEIGHT).data();
        float[] dbeta1 = grads.get(AcdaLayer.BN1_BIAS).data();
        float[] dw2 = grads.get(AcdaLayer.CONV2_WEIGHT).data();
        float[] db2 = grads.get(AcdaLayer.CONV2_BIAS).data();
        float[] dgamma2 = grads.get(AcdaLayer.BN2_WEIGHT).data();
        float[] dbeta2 = grads.get(AcdaLayer.BN2_BIAS).data();
        float[] dcoef = grads.get(AcdaLayer.COEF).data();
        float[] dbias = cfg.bias() ? grads.get(AcdaLayer.BIAS).data() : new float[outC];
        float[] up = dy.data();

        for (int n = 0; n < batch; n++) {
            // ---- Forward, keeping every intermediate.
            float[] g1 = new float[inter * pixels];          // generator conv 1 with its bias, before BN
            float[] e1 = new float[inter * pixels];
            for (int i = 0; i < inter; i++) {
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        float acc = b1[i];
                        for (int c = 0; c < inC; c++) {
                            for (int a = 0; a < g; a++) {
                                for (int b = 0; b < g; b++) {
                                    acc += w1[((i * inC + c) * g + a) * g + b]
                                            * read(x, padding, n, c, s * ho + a - half, s * wo + b - half);
                                }
                            }
                        }
                        int p = i * pixels + ho * outW + wo;
                        g1[p] = acc;
                        e1[p] = (float) Math.tanh(acc * bn1[0][i] + bn1[1][i]);
                    }
                }
            }
            float[] g2 = new float[gen * pixels];
            float[] gOut = new float[gen * pixels];
            for (int j = 0; j < gen; j++) {
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        float acc = b2[j];
                        for (int i = 0; i < inter; i++) {
                            for (int a = 0; a < 3; a++) {
                                for (int b = 0; b < 3; b++) {
                                    int hh = padding.index(ho + a - 1, outH);
                                    int ww = padding.index(wo + b - 1, outW);
                                    if (hh >= 0 && ww >= 0) {
                                        acc += w2[((j * inter + i) * 3 + a) * 3 + b] * e1[i * pixels + hh * outW + ww];
                                    }
                                }
                            }
                        }
                        int p = j * pixels + ho * outW + wo;
                        g2[p] = acc;
                        gOut[p] = (float) Math.tanh(acc * bn2[0][j] + bn2[1][j]);
                    }
                }
            }
            float[] d = AcdaForwardScalar.atoms(cfg, gOut, psi, pixels);
            float[] z = AcdaForwardScalar.atomConvolution(cfg, d, x, n, outH, outW);

            // ---- Coefficient convolution: y[o,p] = bias[o] + sum_j coef[o,j] Z[j,p].
            int yBase = n * outC * pixels;
            float[] dz = new float[inC * atoms * pixels];
            for (int o = 0; o < outC; o++) {
                for (int p = 0; p < pixels; p++) {
                    float v = up[yBase + o * pixels + p];
                    dbias[o] += v;
                    for (int j = 0; j < inC * atoms; j++) {
                        dcoef[o * inC * atoms + j] += v * z[j * pixels + p];
                        dz[j * pixels + p] += coef[o * inC * atoms + j] * v;
                    }
                }
            }

            // ---- Atom convolution: dD, and dx through the direct path.
            float[] dd = new float[atoms * taps * pixels];
            for (int c = 0; c < inC; c++) {
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        int p = ho * outW + wo;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int u = a * k + b;
                                int h = s * ho + dil * a - cfg.pad();
                                int w = s * wo + dil * b - cfg.pad();
                                float xv = read(x, padding, n, c, h, w);
                                float v = 0f;
                                for (int m = 0; m < atoms; m++) {
                                    float dzv = dz[(c * atoms + m) * pixels + p];
                                    dd[(m * taps + u) * pixels + p] += dzv * xv;
                                    v += dzv * d[(m * taps + u) * pixels + p];
                                }
                                scatter(dx, x, padding, n, c, h, w, v);
                            }
                        }
                    }
                }
            }

            // ---- Atoms: dG[mT+t,p] = sum_u dD[m,u,p] Psi[t,u]; then tanh and BatchNorm 2.
            float[] dg2 = new float[gen * pixels];
            for (int m = 0; m < atoms; m++) {
                for (int t = 0; t < bases; t++) {
                    int j = m * bases + t;
                    for (int p = 0; p < pixels; p++) {
                        float acc = 0f;
                        for (int u = 0; u < taps; u++) {
                            acc += dd[(m * taps + u) * pixels + p] * psi[t * taps + u];
                        }
                        float gv = gOut[j * pixels + p];
                        float da = acc * (1f - gv * gv);
                        dgamma2[j] += da * ((g2[j * pixels + p] - mean2[j]) * invSigma2[j]);
                        dbeta2[j] += da;
                        dg2[j * pixels + p] = da * bn2[0][j];
                    }
                }
            }

            // ---- Generator conv 2: db2, dW2, and de1 through its padding.
            float[] de1 = new float[inter * pixels];
            for (int j = 0; j < gen; j++) {
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        float v = dg2[j * pixels + ho * outW + wo];
                        db2[j] += v;
                        for (int i = 0; i < inter; i++) {
                            for (int a = 0; a < 3; a++) {
                                for (int b = 0; b < 3; b++) {
                                    int hh = padding.index(ho + a - 1, outH);
                                    int ww = padding.index(wo + b - 1, outW);
                                    if (hh >= 0 && ww >= 0) {
                                        int wi = ((j * inter + i) * 3 + a) * 3 + b;
                                        dw2[wi] += v * e1[i * pixels + hh * outW + ww];
                                        de1[i * pixels + hh * outW + ww] += w2[wi] * v;
                                    }
                                }
                            }
                        }
                    }
                }
            }

            // ---- tanh and BatchNorm 1, then generator conv 1: db1, dW1, and dx through the generator path.
            for (int i = 0; i < inter; i++) {
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        int p = i * pixels + ho * outW + wo;
                        float ev = e1[p];
                        float da = de1[p] * (1f - ev * ev);
                        dgamma1[i] += da * ((g1[p] - mean1[i]) * invSigma1[i]);
                        dbeta1[i] += da;
                        float v = da * bn1[0][i];
                        db1[i] += v;
                        for (int c = 0; c < inC; c++) {
                            for (int a = 0; a < g; a++) {
                                for (int b = 0; b < g; b++) {
                                    int wi = ((i * inC + c) * g + a) * g + b;
                                    int h = s * ho + a - half;
                                    int w = s * wo + b - half;
                                    dw1[wi] += v * read(x, padding, n, c, h, w);
                                    scatter(dx, x, padding, n, c, h, w, w1[wi] * v);
                                }
                            }
                        }
                    }
                }
            }
        }
        return grads;
    }

    /** {@code 1 / sqrt(var + eps)} in float32, as {@link AcdaLayer#batchNormScaleShift} computes the scale's divisor. */
    static float[] invSigma(float[] var) {
        float[] r = new float[var.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = 1f / (float) Math.sqrt(var[i] + (float) AcdaLayer.BN_EPS);
        }
        return r;
    }

    private static float read(Tensor x, PaddingMode padding, int n, int c, int h, int w) {
        int hh = padding.index(h, x.dim(2));
        int ww = padding.index(w, x.dim(3));
        return hh < 0 || ww < 0 ? 0f : x.get(n, c, hh, ww);
    }

    /** The adjoint of {@link #read}: adds {@code v} to the element a read at {@code (h, w)} returned, if any. */
    private static void scatter(float[] dx, Tensor x, PaddingMode padding, int n, int c, int h, int w, float v) {
        int hh = padding.index(h, x.dim(2));
        int ww = padding.index(w, x.dim(3));
        if (hh >= 0 && ww >= 0) {
            dx[((n * x.dim(1) + c) * x.dim(2) + hh) * x.dim(3) + ww] += v;
        }
    }
}
