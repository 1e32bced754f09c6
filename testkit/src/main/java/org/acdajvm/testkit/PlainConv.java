package org.acdajvm.testkit;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * Independent, obviously correct plain 2-D convolutions in double, written for the tests: no code shared
 * with the library beyond the tensor type, one loop nest per formula.
 * <pre>
 *   y[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o][c][a*K + b] * x[n, c, s*i + d*a - pad, s*j + d*b - pad]
 * </pre>
 * Reads outside the image give 0 (zeros) or wrap around (circular). {@link #forward} is ACDA's "same"
 * geometry ({@code pad = d*(K-1)/2}, output {@code ceil(H/s) x ceil(W/s)}); {@link #conv} takes PyTorch's
 * explicit padding (output {@code floor((H + 2 pad - d(K-1) - 1)/s) + 1}); {@link #transposed} is
 * {@code ConvTranspose2d}; {@link #pool} sums or averages over the taps.
 */
public final class PlainConv {

    private PlainConv() {
    }

    /**
     * ACDA's geometry: {@code pad = d*(K-1)/2}, output {@code [N, O, ceil(H/s), ceil(W/s)]}.
     *
     * @param x      input {@code [N, C, H, W]}
     * @param weight {@code weight[o][c][a*K + b]}, {@code [O][C][K*K]}
     * @param bias   {@code [O]}
     * @return the output, flat {@code [N, O, H', W']}
     */
    public static double[] forward(Tensor x, double[][][] weight, double[] bias, int k, int stride, int dilation,
                                   PaddingMode padding) {
        int batch = x.dim(0);
        int inC = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int outC = weight.length;
        int outH = (h + stride - 1) / stride;
        int outW = (w + stride - 1) / stride;
        int pad = dilation * (k - 1) / 2;
        double[] y = new double[batch * outC * outH * outW];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < outC; o++) {
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        double acc = bias[o];
                        for (int c = 0; c < inC; c++) {
                            for (int a = 0; a < k; a++) {
                                for (int b = 0; b < k; b++) {
                                    int r = stride * i + dilation * a - pad;
                                    int q = stride * j + dilation * b - pad;
                                    if (padding == PaddingMode.CIRCULAR) {
                                        r = ((r % h) + h) % h;
                                        q = ((q % w) + w) % w;
                                    } else if (r < 0 || r >= h || q < 0 || q >= w) {
                                        continue;
                                    }
                                    acc += weight[o][c][a * k + b] * x.get(n, c, r, q);
                                }
                            }
                        }
                        y[((n * outC + o) * outH + i) * outW + j] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** {@code floor((in + 2 pad - d(K-1) - 1)/s) + 1}, PyTorch's convolution output size (may be {@code <= 0}). */
    public static int outSize(int in, int k, int stride, int dilation, int pad) {
        int span = in + 2 * pad - dilation * (k - 1) - 1;
        return span < 0 ? 0 : span / stride + 1;
    }

    /**
     * A convolution with explicit padding (PyTorch's {@code Conv2d}).
     *
     * @param x                 input {@code [N, C, H, W]}
     * @param weight            {@code [O, C, K, K]}, flat
     * @param bias              {@code [O]}, or {@code null} for none
     * @param outC              O
     * @param normalizeInImage  divide each output pixel's sum (not the bias) by the number of its taps inside the
     *                          image (with circular padding every tap is inside)
     * @return the output, flat {@code [N, O, H', W']} with {@code H' = outSize(H, K, s, d, pad)}
     */
    public static double[] conv(Tensor x, double[] weight, double[] bias, int outC, int k, int stride, int dilation, int pad,
                                PaddingMode padding, boolean normalizeInImage) {
        int batch = x.dim(0);
        int inC = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int outH = outSize(h, k, stride, dilation, pad);
        int outW = outSize(w, k, stride, dilation, pad);
        double[] y = new double[batch * outC * outH * outW];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < outC; o++) {
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        double acc = 0;
                        int inside = 0;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int r = stride * i + dilation * a - pad;
                                int q = stride * j + dilation * b - pad;
                                if (padding == PaddingMode.CIRCULAR) {
                                    r = Math.floorMod(r, h);
                                    q = Math.floorMod(q, w);
                                } else if (r < 0 || r >= h || q < 0 || q >= w) {
                                    continue;
                                }
                                inside++;
                                for (int c = 0; c < inC; c++) {
                                    acc += weight[((o * inC + c) * k + a) * k + b] * x.get(n, c, r, q);
                                }
                            }
                        }
                        if (normalizeInImage) {
                            acc /= Math.max(inside, 1);
                        }
                        y[((n * outC + o) * outH + i) * outW + j] = (bias == null ? 0 : bias[o]) + acc;
                    }
                }
            }
        }
        return y;
    }

    /**
     * A transposed convolution (PyTorch's {@code ConvTranspose2d}, zero padding): every input pixel scatters
     * {@code x[n, c, h, w] * weight[c, o, a, b]} to output {@code (s h + d a - pad, s w + d b - pad)} when that is
     * inside the output {@code [N, O, (H-1)s - 2 pad + d(K-1) + outputPadding + 1, ...]}.
     *
     * @param x      input {@code [N, C, H, W]}
     * @param weight {@code [C, O, K, K]}, flat
     * @param bias   {@code [O]}, or {@code null}
     * @return the output, flat {@code [N, O, H_out, W_out]}
     */
    public static double[] transposed(Tensor x, double[] weight, double[] bias, int outC, int k, int stride, int dilation,
                                      int pad, int outputPadding) {
        int batch = x.dim(0);
        int inC = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int outH = (h - 1) * stride - 2 * pad + dilation * (k - 1) + outputPadding + 1;
        int outW = (w - 1) * stride - 2 * pad + dilation * (k - 1) + outputPadding + 1;
        double[] y = new double[batch * outC * outH * outW];
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < outC; o++) {
                for (int i = 0; i < outH * outW; i++) {
                    y[(n * outC + o) * outH * outW + i] = bias == null ? 0 : bias[o];
                }
                for (int c = 0; c < inC; c++) {
                    for (int hi = 0; hi < h; hi++) {
                        for (int wi = 0; wi < w; wi++) {
                            for (int a = 0; a < k; a++) {
                                for (int b = 0; b < k; b++) {
                                    int r = stride * hi + dilation * a - pad;
                                    int q = stride * wi + dilation * b - pad;
                                    if (r >= 0 && r < outH && q >= 0 && q < outW) {
                                        y[((n * outC + o) * outH + r) * outW + q] +=
                                                weight[((c * outC + o) * k + a) * k + b] * x.get(n, c, hi, wi);
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    /**
     * Sum or average pooling per channel over the {@code K x K} taps (explicit padding): the average divides by
     * the number of taps inside the image (with circular padding, all of them).
     *
     * @param x input {@code [N, C, H, W]}
     * @return the output, flat {@code [N, C, H', W']}
     */
    public static double[] pool(Tensor x, int k, int stride, int dilation, int pad, PaddingMode padding, boolean average) {
        int batch = x.dim(0);
        int chans = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int outH = outSize(h, k, stride, dilation, pad);
        int outW = outSize(w, k, stride, dilation, pad);
        double[] y = new double[batch * chans * outH * outW];
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < chans; c++) {
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        double acc = 0;
                        int inside = 0;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int r = stride * i + dilation * a - pad;
                                int q = stride * j + dilation * b - pad;
                                if (padding == PaddingMode.CIRCULAR) {
                                    r = Math.floorMod(r, h);
                                    q = Math.floorMod(q, w);
                                } else if (r < 0 || r >= h || q < 0 || q >= w) {
                                    continue;
                                }
                                inside++;
                                acc += x.get(n, c, r, q);
                            }
                        }
                        y[((n * chans + c) * outH + i) * outW + j] = average ? acc / Math.max(inside, 1) : acc;
                    }
                }
            }
        }
        return y;
    }

    /** {@code f} widened to double. */
    public static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
