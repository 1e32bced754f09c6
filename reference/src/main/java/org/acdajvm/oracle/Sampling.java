package org.acdajvm.oracle;

import org.acdajvm.layer.PaddingMode;

/**
 * Where a per-pixel filter reads its input (DESIGN section 3, in PyTorch's convolution arithmetic):
 * output pixel {@code (h', w')} at tap {@code u = a*K + b} reads
 * <pre>   xp[c, s*h' + d*a - padTop, s*w' + d*b - padLeft]</pre>
 * with {@code xp} the input read with {@code padding} (zeros outside, or wrapped around). ACDA's "same"
 * padding is {@code padTop = padLeft = d(K-1)/2}; PAC and plain conv take an explicit integer padding.
 *
 * @param kernelSize K (odd, {@code >= 1})
 * @param stride     s ({@code >= 1})
 * @param dilation   d ({@code >= 1})
 * @param padTop     rows of padding above (and below) the input
 * @param padLeft    columns of padding left (and right) of the input
 * @param padding    what reads outside the input give
 * @param outHeight  H'
 * @param outWidth   W'
 */
public record Sampling(int kernelSize, int stride, int dilation, int padTop, int padLeft, PaddingMode padding,
                       int outHeight, int outWidth) {

    public Sampling {
        if (kernelSize < 1 || kernelSize % 2 == 0 || stride < 1 || dilation < 1 || padTop < 0 || padLeft < 0
                || outHeight < 1 || outWidth < 1 || padding == null) {
            throw new IllegalArgumentException("invalid sampling: K = " + kernelSize + " (odd >= 1), s = " + stride
                    + ", d = " + dilation + " (>= 1), pad = " + padTop + "/" + padLeft + " (>= 0), out = " + outHeight
                    + "x" + outWidth + " (>= 1), padding " + padding);
        }
    }

    /**
     * The sampling of a convolution over an {@code inHeight x inWidth} input with symmetric integer padding
     * {@code pad}: output size {@code floor((H + 2 pad - d (K-1) - 1) / s) + 1} (PyTorch's {@code Conv2d}).
     *
     * @throws IllegalArgumentException when the output would be empty (naming the input size and geometry)
     */
    public static Sampling conv(int kernelSize, int stride, int dilation, int pad, PaddingMode padding, int inHeight,
                                int inWidth) {
        int oh = outSize(inHeight, kernelSize, stride, dilation, pad);
        int ow = outSize(inWidth, kernelSize, stride, dilation, pad);
        if (oh < 1 || ow < 1) {
            throw new IllegalArgumentException("an input of " + inHeight + "x" + inWidth + " is too small for K = "
                    + kernelSize + ", stride " + stride + ", dilation " + dilation + ", padding " + pad
                    + ": the output would be " + oh + "x" + ow + " (expected H + 2 padding >= dilation (K-1) + 1)");
        }
        return new Sampling(kernelSize, stride, dilation, pad, pad, padding, oh, ow);
    }

    /** {@code floor((in + 2 pad - d (K-1) - 1) / s) + 1}, possibly {@code <= 0}. */
    public static int outSize(int in, int kernelSize, int stride, int dilation, int pad) {
        long span = (long) in + 2L * pad - (long) dilation * (kernelSize - 1) - 1;
        return span < 0 ? 0 : (int) (span / stride + 1);
    }

    /** {@code K*K}. */
    public int taps() {
        return kernelSize * kernelSize;
    }

    /** The input row tap row {@code a} of output row {@code ho} reads: {@code s*ho + d*a - padTop}. */
    public int row(int ho, int a) {
        return stride * ho + dilation * a - padTop;
    }

    /** The input column tap column {@code b} of output column {@code wo} reads: {@code s*wo + d*b - padLeft}. */
    public int col(int wo, int b) {
        return stride * wo + dilation * b - padLeft;
    }
}
