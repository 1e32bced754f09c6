package org.acdajvm.cli.fuzzkernels;

import java.nio.file.Path;
import java.util.Map;

import org.acdajvm.backend.AcdaForwardScalar;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.tensor.Tensor;

/**
 * Someone else's kernel, as {@code acda fuzz} sees one: a program started as a child process with a
 * case folder, that writes {@code y.npy} (and with gradients {@code grads/<key>.npy}) into it.
 *
 * <p>{@code java -cp <test classpath> org.acdajvm.cli.fuzzkernels.TestKernel BUG CASE_DIR}.
 * {@code correct} runs our scalar backend; every other {@link Bug} runs {@link #forward}, a plain
 * two-layer forward (DESIGN section 5) with one injected bug that shows only on some shapes. The
 * bugs are gross (they change values by order 1, not by rounding), so any verdict rejects them.
 */
public final class TestKernel {

    /** The injected bugs; each comment says where it shows, which is what the fuzz tests shrink to. */
    public enum Bug {
        /** No bug: the scalar backend. */
        CORRECT,
        /** With stride 2 and an odd input width, the last output column clamps its right taps to the border. */
        ODD_WIDTH_STRIDE2,
        /** The coefficient sum runs over input channels in tiles of 8 and drops the tail (when C > 8, C % 8 != 0). */
        CHANNEL_TILE_8,
        /** The per-pixel filter is applied as if the dilation were 1 (padding and taps). */
        DILATION_IGNORED,
        /** The atoms of image 0 are reused for every image of the batch (wrong only for N > 1). */
        BATCH_REUSES_ATOMS,
        /** Throws for K = 7. */
        CRASH_K7,
        /** Writes an output of width floor(W / s) instead of ceil(W / s). */
        FLOOR_OUTPUT_WIDTH,
        /** Exits 0 without writing y.npy when O > 4. */
        MISSING_FOR_WIDE_O,
        /** Hangs when C > 3. */
        HANGS_FOR_C4,
        /** Correct y, but the bias gradient sums image 0 only (wrong only for N > 1). */
        BIAS_GRAD_FIRST_IMAGE;
    }

    private TestKernel() {
    }

    public static void main(String[] args) throws Exception {
        Bug bug = Bug.valueOf(args[0]);
        Path dir = Path.of(args[1]);
        CaseFolder.Description d = CaseFolder.read(dir);
        AcdaLayer layer = CaseFolder.loadLayer(d, false);
        Tensor x = Npy.read(d.inputPath(), false);
        AcdaConfig c = layer.config();
        if (bug == Bug.CRASH_K7 && c.kernelSize() == 7) {
            throw new IllegalStateException("kernel size 7 is not implemented");
        }
        if (bug == Bug.HANGS_FOR_C4 && c.inChannels() > 3) {
            Thread.sleep(600_000);
        }
        if (bug == Bug.MISSING_FOR_WIDE_O && c.outChannels() > 4) {
            System.out.println("nothing to do");
            return;
        }
        Tensor y = switch (bug) {
            case CORRECT, BIAS_GRAD_FIRST_IMAGE, CRASH_K7, HANGS_FOR_C4, MISSING_FOR_WIDE_O -> AcdaForwardScalar.forward(layer, x);
            default -> forward(layer, x, bug);
        };
        Npy.write(dir.resolve("y.npy"), y);
        if (d.gradientsPath() != null) {
            Tensor dy = Npy.read(d.upstreamPath(), false);
            for (Map.Entry<String, AcdaOracleBackward.Gradient> e : AcdaOracleBackward.backward(layer, x, dy).byKey()
                    .entrySet()) {
                Tensor g = e.getValue().toTensor();
                if (bug == Bug.BIAS_GRAD_FIRST_IMAGE && e.getKey().equals(AcdaLayer.BIAS)) {
                    g = firstImageBiasGrad(dy);
                }
                Npy.write(d.gradientsPath().resolve(e.getKey() + ".npy"), g);
            }
        }
    }

    /** dL/dbias[o] = sum over n, h, w of dy[n, o, h, w], but with n = 0 only. */
    private static Tensor firstImageBiasGrad(Tensor dy) {
        int o = dy.dim(1);
        float[] g = new float[o];
        for (int k = 0; k < o; k++) {
            for (int h = 0; h < dy.dim(2); h++) {
                for (int w = 0; w < dy.dim(3); w++) {
                    g[k] += dy.get(0, k, h, w);
                }
            }
        }
        return Tensor.wrap(g, o);
    }

    /** The two-layer forward of {@code AcdaForwardScalar}, shortened, with {@code bug} injected. */
    static Tensor forward(AcdaLayer layer, Tensor x, Bug bug) {
        AcdaConfig cfg = layer.config();
        int batch = x.dim(0);
        int inC = cfg.inChannels();
        int outC = cfg.outChannels();
        int inH = x.dim(2);
        int inW = x.dim(3);
        int s = cfg.stride();
        int outH = cfg.outSize(inH);
        int outW = bug == Bug.FLOOR_OUTPUT_WIDTH ? inW / s : cfg.outSize(inW);
        int pixels = outH * outW;
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        int k = cfg.kernelSize();
        int taps = k * k;
        int dil = bug == Bug.DILATION_IGNORED ? 1 : cfg.dilation();
        int pad = dil * (k - 1) / 2;
        float[] psi = layer.data(AcdaLayer.BASES);
        float[] coef = layer.data(AcdaLayer.COEF);
        float[] bias = layer.biasOrZeros();
        Tensor y = Tensor.zeros(batch, outC, outH, outW);
        float[] out = y.data();
        float[] d0 = null;
        for (int n = 0; n < batch; n++) {
            float[] d;
            if (bug == Bug.BATCH_REUSES_ATOMS && d0 != null) {
                d = d0;
            } else {
                float[] g = generator(layer, x, n, outH, outW);
                d = new float[atoms * taps * pixels];
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
                d0 = d;
            }
            float[] z = new float[inC * atoms * pixels];
            for (int c = 0; c < inC; c++) {
                for (int m = 0; m < atoms; m++) {
                    for (int ho = 0; ho < outH; ho++) {
                        for (int wo = 0; wo < outW; wo++) {
                            boolean clampRight = bug == Bug.ODD_WIDTH_STRIDE2 && s == 2 && inW % 2 == 1
                                    && wo == outW - 1;
                            float acc = 0f;
                            for (int a = 0; a < k; a++) {
                                for (int b = 0; b < k; b++) {
                                    int hh = s * ho + dil * a - pad;
                                    int ww = s * wo + dil * b - pad;
                                    float v = clampRight && ww >= inW ? read(x, cfg.padding(), n, c, hh, inW - 1)
                                            : read(x, cfg.padding(), n, c, hh, ww);
                                    acc += d[(m * taps + a * k + b) * pixels + ho * outW + wo] * v;
                                }
                            }
                            z[(c * atoms + m) * pixels + ho * outW + wo] = acc;
                        }
                    }
                }
            }
            int channels = bug == Bug.CHANNEL_TILE_8 && inC > 8 ? inC / 8 * 8 : inC;
            for (int o = 0; o < outC; o++) {
                for (int p = 0; p < pixels; p++) {
                    float acc = bias[o];
                    for (int j = 0; j < channels * atoms; j++) {
                        acc += coef[o * inC * atoms + j] * z[j * pixels + p];
                    }
                    out[(n * outC + o) * pixels + p] = acc;
                }
            }
        }
        return y;
    }

    /** The generator output {@code G}, flat {@code [M*T][H'*W']} (DESIGN section 5). */
    private static float[] generator(AcdaLayer layer, Tensor x, int n, int outH, int outW) {
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
            for (int p = 0; p < pixels; p++) {
                int ho = p / outW;
                int wo = p % outW;
                float acc = b1[i];
                for (int c = 0; c < inC; c++) {
                    for (int a = 0; a < g; a++) {
                        for (int b = 0; b < g; b++) {
                            acc += w1[((i * inC + c) * g + a) * g + b]
                                    * read(x, cfg.padding(), n, c, s * ho + a - half, s * wo + b - half);
                        }
                    }
                }
                e1[i * pixels + p] = (float) Math.tanh(acc * bn1[0][i] + bn1[1][i]);
            }
        }
        float[] out = new float[gen * pixels];
        for (int j = 0; j < gen; j++) {
            for (int p = 0; p < pixels; p++) {
                int ho = p / outW;
                int wo = p % outW;
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
                out[j * pixels + p] = (float) Math.tanh(acc * bn2[0][j] + bn2[1][j]);
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
