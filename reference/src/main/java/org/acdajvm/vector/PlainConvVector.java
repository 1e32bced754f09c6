package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.MR;
import static org.acdajvm.vector.VectorGemm.NR;

import java.util.Objects;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * A plain 2-D convolution on the Vector API, written with the same care as the ACDA path (the same
 * padded input, the same matrix-product kernel, the same threads), so that benchmarks compare
 * ACDA with the convolution it replaces on equal terms:
 * <pre>
 *   y[n, o, h', w'] = bias[o] + sum_{c,a,b} weight[o, c, a, b] * xp[n, c, s*h' + d*a - pad, s*w' + d*b - pad]
 * </pre>
 * with {@code pad = d*(K-1)/2}, output {@code ceil(H/s) x ceil(W/s)}. Not thread-safe.
 */
public final class PlainConvVector implements AutoCloseable {

    private final RowParallel rows;
    private float[][] scratch;
    private float[] packed;
    private float[] packedFrom;
    private float[] xph;

    public PlainConvVector(int threads) {
        this.rows = new RowParallel(threads);
    }

    /**
     * @param x        input {@code [N, C, H, W]} (not modified)
     * @param weight   {@code [O, C, K, K]} (not modified)
     * @param bias     {@code [O]} or {@code null}
     * @param stride   {@code s >= 1}
     * @param dilation {@code d >= 1}
     * @return a new tensor {@code [N, O, ceil(H/s), ceil(W/s)]}
     */
    public Tensor forward(Tensor x, Tensor weight, float[] bias, int stride, int dilation, PaddingMode padding) {
        Objects.requireNonNull(padding, "padding");
        x.requireRank("input x", 4, "NCHW: [N, C, H, W]");
        weight.requireRank("weight", 4, "[O, C, K, K]");
        int outC = weight.dim(0);
        int inC = weight.dim(1);
        int k = weight.dim(2);
        if (weight.dim(3) != k || k % 2 == 0) {
            throw new IllegalArgumentException("weight has shape " + weight.shapeString() + ": expected [O, C, K, K] with K odd");
        }
        if (x.dim(1) != inC) {
            throw new IllegalArgumentException("input x has shape " + x.shapeString() + ": expected C = " + inC + " channels");
        }
        if (stride < 1 || dilation < 1) {
            throw new IllegalArgumentException("stride = " + stride + " and dilation = " + dilation + " must be >= 1");
        }
        if (bias != null && bias.length != outC) {
            throw new IllegalArgumentException("bias has " + bias.length + " elements, expected O = " + outC);
        }
        int outH = (x.dim(2) + stride - 1) / stride;
        int outW = (x.dim(3) + stride - 1) / stride;
        int pad = dilation * (k - 1) / 2;
        int tiled = (outW + NR - 1) / NR * NR;
        PaddedInput in = new PaddedInput(inC, x.dim(2), x.dim(3), stride, pad, tiled, 2 * pad);
        if (xph == null || xph.length < in.size()) {
            xph = new float[in.size()];
        }
        int kdim = inC * k * k;
        if (packedFrom != weight.data()) {
            packed = VectorGemm.pack(weight.data(), outC, kdim);
            packedFrom = weight.data();
        }
        if (scratch == null || scratch.length != rows.threads()) {
            scratch = new float[rows.threads()][MR * NR];
        }
        int[] off = new int[kdim];
        for (int c = 0; c < inC; c++) {
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    off[(c * k + a) * k + b] = in.tap(c, dilation * a, dilation * b);
                }
            }
        }
        Tensor y = Tensor.zeros(x.dim(0), outC, outH, outW);
        float[] out = y.data();
        int plane = outH * outW;
        float[] add = bias == null ? null : bias;
        for (int n = 0; n < x.dim(0); n++) {
            in.fill(xph, x.data(), n, padding);
            int image = n * outC * plane;
            rows.run(outH, scratch, (r0, r1, sc) -> {
                for (int h = r0; h < r1; h++) {
                    for (int w0 = 0; w0 < outW; w0 += NR) {
                        int cols = Math.min(NR, outW - w0);
                        for (int blk = 0; blk < VectorGemm.blocks(outC); blk++) {
                            VectorGemm.block(packed, blk * kdim * MR, kdim, xph, off, in.base(h, w0), null, add, false,
                                    blk * MR, outC, out, image + blk * MR * plane + h * outW + w0, plane, cols, sc);
                        }
                    }
                }
            });
        }
        return y;
    }

    @Override
    public void close() {
        rows.close();
    }
}
