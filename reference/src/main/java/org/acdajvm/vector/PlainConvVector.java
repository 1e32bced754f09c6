package org.acdajvm.vector;

import java.util.Objects;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.tensor.Tensor;

/**
 * A plain 2-D convolution on the Vector API, written with the same care as the ACDA path (the same
 * padded input, the same matrix-product kernel, the same threads), so that benchmarks compare
 * ACDA with the convolution it replaces on equal terms:
 * <pre>
 *   y[n, o, h', w'] = bias[o] + sum_{c,a,b} weight[o, c, a, b] * xp[n, c, s*h' + d*a - pad, s*w' + d*b - pad]
 * </pre>
 * with PyTorch's explicit padding and output size, or ACDA's "same" padding. The implicit GEMM is
 * {@link TapConvVector}'s (a plain conv is its case without tap weights). Not thread-safe.
 */
public final class PlainConvVector implements AutoCloseable {

    private final TapConvVector conv;

    public PlainConvVector(int threads) {
        this.conv = new TapConvVector(threads);
    }

    /**
     * "Same" padding {@code pad = d*(K-1)/2}: output {@code ceil(H/s) x ceil(W/s)} (ACDA's geometry).
     *
     * @param x        input {@code [N, C, H, W]} (not modified)
     * @param weight   {@code [O, C, K, K]} (not modified)
     * @param bias     {@code [O]} or {@code null}
     * @param stride   {@code s >= 1}
     * @param dilation {@code d >= 1}
     * @return a new tensor {@code [N, O, ceil(H/s), ceil(W/s)]}
     */
    public Tensor forward(Tensor x, Tensor weight, float[] bias, int stride, int dilation, PaddingMode padding) {
        return forward(x, weight, bias, stride, dilation, samePad(weight, dilation), padding);
    }

    /**
     * {@link #forward(Tensor, Tensor, float[], int, int, PaddingMode)} into a caller-owned output (overwritten), so
     * that repeated calls allocate nothing in steady state (a new Java array is zeroed first: for a large output that
     * costs several percent of the call, bench/RESULTS.md).
     *
     * @param y output {@code [N, O, ceil(H/s), ceil(W/s)]}
     */
    public void forwardInto(Tensor x, Tensor weight, float[] bias, int stride, int dilation, PaddingMode padding,
                            Tensor y) {
        forwardInto(x, weight, bias, stride, dilation, samePad(weight, dilation), padding, y);
    }

    private static int samePad(Tensor weight, int dilation) {
        weight.requireRank("weight", 4, "[O, C, K, K]");
        if (dilation < 1) {
            throw new IllegalArgumentException("dilation = " + dilation + " must be >= 1");
        }
        return dilation * (weight.dim(2) - 1) / 2;
    }

    /**
     * PyTorch's {@code conv2d}: explicit padding, output {@code floor((H + 2 pad - d(K-1) - 1)/s) + 1}.
     *
     * @param x        input {@code [N, C, H, W]} (not modified)
     * @param weight   {@code [O, C, K, K]} (not modified)
     * @param bias     {@code [O]} or {@code null}
     * @param stride   {@code s >= 1}
     * @param dilation {@code d >= 1}
     * @param pad      padding on every side, {@code >= 0}
     * @return a new tensor {@code [N, O, H', W']}
     */
    public Tensor forward(Tensor x, Tensor weight, float[] bias, int stride, int dilation, int pad, PaddingMode padding) {
        FilterGeometry g = geometry(x, weight, bias, stride, dilation, pad, padding);
        Tensor y = Tensor.zeros(x.dim(0), weight.dim(0), g.outH(), g.outW());
        conv.forward(g, x.data(), weight.data(), bias, null, false, y.data());
        return y;
    }

    /**
     * {@link #forward(Tensor, Tensor, float[], int, int, int, PaddingMode)} into a caller-owned output (overwritten).
     *
     * @param y output {@code [N, O, H', W']}
     */
    public void forwardInto(Tensor x, Tensor weight, float[] bias, int stride, int dilation, int pad,
                            PaddingMode padding, Tensor y) {
        FilterGeometry g = geometry(x, weight, bias, stride, dilation, pad, padding);
        Objects.requireNonNull(y, "output y");
        y.requireShape("output y", x.dim(0), weight.dim(0), g.outH(), g.outW());
        if (y.data() == x.data()) {
            throw new IllegalArgumentException("output y is the input x: expected a tensor of its own");
        }
        conv.forward(g, x.data(), weight.data(), bias, null, false, y.data());
    }

    /** The arguments checked, each with one line naming it; the geometry of the call. */
    private static FilterGeometry geometry(Tensor x, Tensor weight, float[] bias, int stride, int dilation, int pad,
                                           PaddingMode padding) {
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
        if (stride < 1 || dilation < 1 || pad < 0) {
            throw new IllegalArgumentException("stride = " + stride + ", dilation = " + dilation + " and padding = " + pad
                    + " are not allowed: expected stride, dilation >= 1 and padding >= 0");
        }
        if (bias != null && bias.length != outC) {
            throw new IllegalArgumentException("bias has " + bias.length + " elements, expected O = " + outC);
        }
        return FilterGeometry.of(x.dim(0), inC, x.dim(2), x.dim(3), outC, k, stride, dilation, pad, padding);
    }

    @Override
    public void close() {
        conv.close();
    }
}
