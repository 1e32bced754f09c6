package org.acdajvm.layers.conv;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.Sampling;

/**
 * The hyper-parameters of a plain convolution ({@code nn.Conv2d} with one group): output size
 * {@code floor((H + 2 padding - d (K-1) - 1) / s) + 1}, odd {@code K}.
 *
 * @param inChannels  C
 * @param outChannels O
 * @param kernelSize  K (odd)
 * @param stride      s
 * @param dilation    d
 * @param padding     explicit integer padding on every side (PyTorch's {@code padding})
 * @param paddingMode zeros or circular
 * @param bias        whether there is a bias {@code [O]}
 */
public record ConvConfig(int inChannels, int outChannels, int kernelSize, int stride, int dilation, int padding,
                         PaddingMode paddingMode, boolean bias) {

    /** Largest channel count, kernel size, stride, dilation and padding accepted. */
    public static final int MAX_CHANNELS = 1 << 16;
    public static final int MAX_KERNEL = 63;
    public static final int MAX_STEP = 64;
    public static final int MAX_PADDING = 1 << 10;

    public ConvConfig {
        range("in_channels", inChannels, 1, MAX_CHANNELS);
        range("out_channels", outChannels, 1, MAX_CHANNELS);
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

    static void range(String key, int v, int min, int max) {
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
        return "C=" + inChannels + " O=" + outChannels + " K=" + kernelSize + " s=" + stride + " d=" + dilation + " p="
                + padding + " " + paddingMode.id() + (bias ? " bias" : " no-bias");
    }
}
