package org.acdajvm.layers.dfn;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.Sampling;

/**
 * The hyper-parameters of dynamic local filtering (DESIGN section 8, "Dynamic filter networks"; Jia et al., NeurIPS
 * 2016): a given per-pixel filter {@code F[n, u, h', w']} (an input: the filter-generating network's output),
 * optionally softmax-normalised over the taps {@code u}, applied to every channel,
 * <pre>   y[n,c,p] = sum_u F~[n,u,p] * xp[n, c, s*p + d*u - pad]</pre>
 * with PyTorch's conv arithmetic (explicit integer padding, output {@code floor((H + 2p - d(K-1) - 1)/s) + 1}),
 * odd {@code K}. The softmax runs over all {@code K^2} taps, whether or not a tap reads inside the image (the
 * filter is a property of the pixel, not of the border). There is no bias and no learned parameter: the classic
 * layer has none, and a bias would be a separate per-channel add.
 *
 * @param inChannels  C (= O: every channel is filtered by the same per-pixel filter)
 * @param kernelSize  K (odd)
 * @param stride      s
 * @param dilation    d
 * @param padding     explicit integer padding on every side
 * @param paddingMode zeros or circular
 * @param softmax     whether the filter is softmax-normalised over its {@code K^2} taps
 */
public record DfnConfig(int inChannels, int kernelSize, int stride, int dilation, int padding, PaddingMode paddingMode,
                        boolean softmax) {

    public static final int MAX_CHANNELS = 1 << 16;
    public static final int MAX_KERNEL = 63;
    public static final int MAX_STEP = 64;
    public static final int MAX_PADDING = 1 << 10;

    public DfnConfig {
        range("in_channels", inChannels, 1, MAX_CHANNELS);
        range("kernel_size", kernelSize, 1, MAX_KERNEL);
        if (kernelSize % 2 == 0) {
            throw new IllegalArgumentException("kernel_size = " + kernelSize + " is even: expected an odd number in 1.." + MAX_KERNEL);
        }
        range("stride", stride, 1, MAX_STEP);
        range("dilation", dilation, 1, MAX_STEP);
        range("padding", padding, 0, MAX_PADDING);
        if (paddingMode == null) {
            throw new IllegalArgumentException("padding_mode is null: expected zeros or circular");
        }
    }

    private static void range(String key, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " = " + v + " is out of range: expected " + min + ".." + max);
        }
    }

    /** {@code K*K}. */
    public int taps() {
        return kernelSize * kernelSize;
    }

    /** The sampling over an {@code h x w} input (throws when the output would be empty). */
    public Sampling sampling(int h, int w) {
        return Sampling.conv(kernelSize, stride, dilation, padding, paddingMode, h, w);
    }

    /** One line for reports. */
    public String summary() {
        return "dynamic-filter C=" + inChannels + " K=" + kernelSize + " s=" + stride + " d=" + dilation + " p=" + padding + " "
                + paddingMode.id() + (softmax ? " softmax" : " raw");
    }
}
