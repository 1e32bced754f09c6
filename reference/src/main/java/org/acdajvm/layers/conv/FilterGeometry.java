package org.acdajvm.layers.conv;

import java.util.Objects;

import org.acdajvm.layer.PaddingMode;

/**
 * The index arithmetic of one 2-D convolution in PyTorch's conventions, shared by the float32 paths of plain
 * conv and PAC: output pixel {@code (h', w')}, tap {@code (a, b)} reads the input at
 * <pre>
 *   row = s*h' + d*a - pad,   col = s*w' + d*b - pad      (through the padding mode)
 * </pre>
 * and the output is {@code outH x outW}, by default {@code floor((H + 2 pad - d(K-1) - 1)/s) + 1} (a transposed
 * conv's adjoint may ask for another size). The window's centre tap is {@code a = b = (K-1)/2}.
 *
 * @param batch    N
 * @param inC      input channels C
 * @param inH      input height H
 * @param inW      input width W
 * @param outC     output channels O
 * @param k        kernel size K (odd)
 * @param stride   s &gt;= 1
 * @param dilation d &gt;= 1
 * @param pad      explicit padding on every side (negative only for index arithmetic, e.g. a transposed conv's kernel grid)
 * @param mode     zeros or circular
 * @param outH     output height
 * @param outW     output width
 */
public record FilterGeometry(int batch, int inC, int inH, int inW, int outC, int k, int stride, int dilation, int pad,
                             PaddingMode mode, int outH, int outW) {

    public FilterGeometry {
        Objects.requireNonNull(mode, "padding mode");
        if (batch < 1 || inC < 1 || inH < 1 || inW < 1 || outC < 1) {
            throw new IllegalArgumentException("shape N=" + batch + " C=" + inC + " H=" + inH + " W=" + inW + " O=" + outC
                    + " is not allowed: expected every size >= 1");
        }
        if (k < 1 || k % 2 == 0) {
            throw new IllegalArgumentException("kernel size K = " + k + " is not allowed: expected an odd K >= 1");
        }
        if (stride < 1 || dilation < 1) {
            throw new IllegalArgumentException("stride = " + stride + ", dilation = " + dilation
                    + " are not allowed: expected stride >= 1, dilation >= 1");
        }
        if (outH < 1 || outW < 1) {
            throw new IllegalArgumentException("the output would be " + outH + " x " + outW + " for input " + inH + " x " + inW
                    + ", K = " + k + ", stride = " + stride + ", dilation = " + dilation + ", padding = " + pad
                    + ": expected at least 1 x 1");
        }
    }

    /** PyTorch's output size {@code floor((size + 2 pad - d(K-1) - 1)/s) + 1} (may be below 1 for a too small input). */
    public static int outSize(int size, int k, int stride, int dilation, int pad) {
        return Math.floorDiv(size + 2 * pad - dilation * (k - 1) - 1, stride) + 1;
    }

    /** A geometry with PyTorch's output size. */
    public static FilterGeometry of(int batch, int inC, int inH, int inW, int outC, int k, int stride, int dilation, int pad,
                                    PaddingMode mode) {
        return new FilterGeometry(batch, inC, inH, inW, outC, k, stride, dilation, pad, mode,
                outSize(inH, k, stride, dilation, pad), outSize(inW, k, stride, dilation, pad));
    }

    /** Taps per channel, {@code K*K}. */
    public int taps() {
        return k * k;
    }

    /** Output pixels per image, {@code outH * outW}. */
    public int outPlane() {
        return outH * outW;
    }

    /** Input pixels per image, {@code H * W}. */
    public int inPlane() {
        return inH * inW;
    }

    /** The input row that tap row {@code a} of output row {@code h} reads, or -1 for a padding zero. */
    public int row(int h, int a) {
        return mode.index(stride * h + dilation * a - pad, inH);
    }

    /** The input column that tap column {@code b} of output column {@code w} reads, or -1 for a padding zero. */
    public int col(int w, int b) {
        return mode.index(stride * w + dilation * b - pad, inW);
    }
}
