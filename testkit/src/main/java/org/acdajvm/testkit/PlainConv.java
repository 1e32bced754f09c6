package org.acdajvm.testkit;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * An independent, obviously correct plain 2-D convolution in double, written for the tests: no
 * code shared with the library beyond the tensor type.
 * <pre>
 *   y[n, o, i, j] = bias[o] + sum_{c, a, b} weight[o][c][a*K + b] * x[n, c, s*i + d*a - pad, s*j + d*b - pad]
 * </pre>
 * with {@code pad = d*(K-1)/2}, output size {@code ceil(H/s) x ceil(W/s)}, and reads outside the
 * image giving 0 (zeros) or wrapping around (circular).
 */
public final class PlainConv {

    private PlainConv() {
    }

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
}
