package org.acdajvm.backend;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * The ACDA forward in the two-layer form (DESIGN section 5), float32, one thread, written to be
 * read: each stage is a plain loop nest over a full intermediate tensor.
 * <pre>
 *   G = generator(x)                                   [M*T, H', W']  (conv, BN, tanh, conv, BN, tanh)
 *   D[m, u, p]      = sum_t G[m*T + t, p] * Psi[t][u]  [M, K*K, H', W'] atoms
 *   Z[c*M + m, p]   = sum_u D[m, u, p] * xp[c, p, u]   [C*M, H', W']    atom convolution
 *   y[o, p]         = bias[o] + sum_j coef[o, j] Z[j, p]                coefficient (1x1) convolution
 * </pre>
 * BatchNorm is applied as {@code v * scale + shift} with {@code scale} and {@code shift}
 * precomputed in float32, as fast paths do; {@link org.acdajvm.oracle.ErrorBounds} accounts for it.
 */
public final class AcdaForwardScalar {

    private AcdaForwardScalar() {
    }

    /**
     * Forward of {@code layer} on {@code x}.
     *
     * @param x input {@code [N, C, H, W]} (not modified)
     * @return a new tensor {@code [N, O, H', W']}
     */
    public static Tensor forward(AcdaLayer layer, Tensor x) {
        AcdaConfig cfg = layer.config();
        int[] outShape = AcdaShapes.checkInput(cfg, x);
        int batch = outShape[0];
        int outC = outShape[1];
        int outH = outShape[2];
        int outW = outShape[3];
        int pixels = outH * outW;
        int inC = cfg.inChannels();
        int atoms = cfg.atoms();
        float[] psi = layer.data(AcdaLayer.BASES);
        float[] coef = layer.data(AcdaLayer.COEF);
        float[] bias = layer.biasOrZeros();

        Tensor y = Tensor.zeros(outShape);
        float[] out = y.data();
        for (int n = 0; n < batch; n++) {
            float[] g = generator(layer, x, n, outH, outW);

            float[] d = atoms(cfg, g, psi, pixels);
            float[] z = atomConvolution(cfg, d, x, n, outH, outW);

            for (int o = 0; o < outC; o++) {
                for (int p = 0; p < pixels; p++) {
                    float acc = bias[o];
                    for (int j = 0; j < inC * atoms; j++) {
                        acc += coef[o * inC * atoms + j] * z[j * pixels + p];
                    }
                    out[(n * outC + o) * pixels + p] = acc;
                }
            }
        }
        return y;
    }

    /** Atoms {@code D[m, u, p] = sum_t G[m*T + t, p] Psi[t][u]}, flat {@code [M][K*K][H'*W']}, float32. */
    static float[] atoms(AcdaConfig cfg, float[] g, float[] psi, int pixels) {
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        int taps = cfg.taps();
        float[] d = new float[atoms * taps * pixels];
        for (int m = 0; m < atoms; m++) {
            for (int u = 0; u < taps; u++) {
                for (int p = 0; p < pixels; p++) {
                    float acc = 0f;
                    for (int t = 0; t < bases; t++) {
                        acc += g[(m * bases + t) * pixels + p] * psi[t * taps + u];
                    }
                    d[(m * taps + u) * pixels + p] = acc;
                }
            }
        }
        return d;
    }

    /** Atom convolution {@code Z[c*M + m, p] = sum_u D[m, u, p] xp[n, c, p, u]} of image {@code n}, flat {@code [C*M][H'*W']}. */
    static float[] atomConvolution(AcdaConfig cfg, float[] d, Tensor x, int n, int outH, int outW) {
        int inC = cfg.inChannels();
        int atoms = cfg.atoms();
        int taps = cfg.taps();
        int k = cfg.kernelSize();
        int pixels = outH * outW;
        float[] z = new float[inC * atoms * pixels];
        for (int c = 0; c < inC; c++) {
            for (int m = 0; m < atoms; m++) {
                for (int ho = 0; ho < outH; ho++) {
                    for (int wo = 0; wo < outW; wo++) {
                        int p = ho * outW + wo;
                        float acc = 0f;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                float v = read(x, cfg.padding(), n, c,
                                        cfg.stride() * ho + cfg.dilation() * a - cfg.pad(),
                                        cfg.stride() * wo + cfg.dilation() * b - cfg.pad());
                                acc += d[(m * taps + a * k + b) * pixels + p] * v;
                            }
                        }
                        z[(c * atoms + m) * pixels + p] = acc;
                    }
                }
            }
        }
        return z;
    }

    /** The generator output {@code G[j, h', w']} of image {@code n}, flat {@code [M*T][H'*W']}, float32. */
    static float[] generator(AcdaLayer layer, Tensor x, int n, int outH, int outW) {
        AcdaConfig cfg = layer.config();
        int inC = cfg.inChannels();
        int inter = cfg.interChannels();
        int gen = cfg.generatorChannels();
        int g = cfg.generatorKernel();
        int half = (g - 1) / 2;
        int s = cfg.stride();
        int pixels = outH * outW;
        float[] w1 = layer.data(AcdaLayer.CONV1_WEIGHT);
        float[] b1 = layer.data(AcdaLayer.CONV1_BIAS);
        float[] w2 = layer.data(AcdaLayer.CONV2_WEIGHT);
        float[] b2 = layer.data(AcdaLayer.CONV2_BIAS);
        float[][] bn1 = layer.batchNormScaleShift("bases_net.1.");
        float[][] bn2 = layer.batchNormScaleShift("bases_net.4.");

        float[] e1 = new float[inter * pixels];
        for (int i = 0; i < inter; i++) {
            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    float acc = b1[i];
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < g; a++) {
                            for (int b = 0; b < g; b++) {
                                acc += w1[((i * inC + c) * g + a) * g + b]
                                        * read(x, cfg.padding(), n, c, s * ho + a - half, s * wo + b - half);
                            }
                        }
                    }
                    e1[i * pixels + ho * outW + wo] = (float) Math.tanh(acc * bn1[0][i] + bn1[1][i]);
                }
            }
        }

        float[] out = new float[gen * pixels];
        for (int j = 0; j < gen; j++) {
            for (int ho = 0; ho < outH; ho++) {
                for (int wo = 0; wo < outW; wo++) {
                    float acc = b2[j];
                    for (int i = 0; i < inter; i++) {
                        for (int a = 0; a < 3; a++) {
                            for (int b = 0; b < 3; b++) {
                                int hh = cfg.padding().index(ho + a - 1, outH);
                                int ww = cfg.padding().index(wo + b - 1, outW);
                                if (hh >= 0 && ww >= 0) {
                                    acc += w2[((j * inter + i) * 3 + a) * 3 + b] * e1[i * pixels + hh * outW + ww];
                                }
                            }
                        }
                    }
                    out[j * pixels + ho * outW + wo] = (float) Math.tanh(acc * bn2[0][j] + bn2[1][j]);
                }
            }
        }
        return out;
    }

    private static float read(Tensor x, PaddingMode padding, int n, int c, int h, int w) {
        int hh = padding.index(h, x.dim(2));
        int ww = padding.index(w, x.dim(3));
        return hh < 0 || ww < 0 ? 0f : x.get(n, c, hh, ww);
    }
}
