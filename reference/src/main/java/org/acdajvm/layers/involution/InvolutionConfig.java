package org.acdajvm.layers.involution;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.Sampling;

/**
 * The hyper-parameters of an involution (Li et al., CVPR 2021; DESIGN section 8): {@code C} channels in and out,
 * split into {@code G} groups of {@code C/G} channels; a {@code K x K} kernel per group and pixel, generated from
 * the pixel's own features by a {@code 1x1} conv to {@code R = floor(C / r)} channels, BatchNorm, ReLU and a
 * {@code 1x1} conv to {@code G K^2} channels; "same" padding {@code d(K-1)/2}.
 *
 * <p>Geometry: the output is {@code ceil(H/s) x ceil(W/s)}, PyTorch's conv arithmetic
 * {@code floor((H + 2 pad - d(K-1) - 1)/s) + 1} with {@code pad = d(K-1)/2}. For {@code s > 1} the kernel branch
 * runs on the input average-pooled as {@code nn.AvgPool2d(kernel_size=s, stride=s, ceil_mode=True)}: output
 * {@code ceil(H/s)} (the same grid), each window the mean of its in-image elements (PyTorch divides a window
 * that runs off the end by its in-image count when the padding is 0). The paper's official code uses
 * {@code ceil_mode=False}; the two agree whenever {@code s} divides {@code H} and {@code W}, and where it does
 * not the official code's kernel grid {@code floor(H/s)} cannot match its output {@code ceil(H/s)} (its
 * {@code view} fails), so ceil mode is the one choice that makes both grids agree.
 *
 * @param channels    C (= O)
 * @param kernelSize  K (odd)
 * @param stride      s
 * @param dilation    d
 * @param paddingMode zeros or circular (the apply's padding; the pooling has none)
 * @param groups      G, dividing C
 * @param reduction   r, with {@code C / r >= 1}
 */
public record InvolutionConfig(int channels, int kernelSize, int stride, int dilation, PaddingMode paddingMode,
                               int groups, int reduction) {

    public static final int MAX_CHANNELS = 1 << 14;
    public static final int MAX_KERNEL = 63;
    public static final int MAX_STEP = 64;

    public InvolutionConfig {
        range("in_channels", channels, 1, MAX_CHANNELS);
        range("kernel_size", kernelSize, 1, MAX_KERNEL);
        if (kernelSize % 2 == 0) {
            throw new IllegalArgumentException("kernel_size = " + kernelSize + " is even: expected an odd number in 1.." + MAX_KERNEL);
        }
        range("stride", stride, 1, MAX_STEP);
        range("dilation", dilation, 1, MAX_STEP);
        if (paddingMode == null) {
            throw new IllegalArgumentException("padding_mode is null: expected zeros or circular");
        }
        range("groups", groups, 1, channels);
        if (channels % groups != 0) {
            throw new IllegalArgumentException("groups = " + groups + " does not divide in_channels = " + channels
                    + ": expected a divisor of " + channels);
        }
        range("reduction", reduction, 1, channels);
    }

    private static void range(String key, int v, int min, int max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(key + " = " + v + " is out of range: expected " + min + ".." + max);
        }
    }

    /** {@code R = floor(C / r)}: the reduced channels. */
    public int reduced() {
        return channels / reduction;
    }

    /** {@code C / G}: channels per group. */
    public int groupChannels() {
        return channels / groups;
    }

    /** {@code K*K}. */
    public int taps() {
        return kernelSize * kernelSize;
    }

    /** {@code G K^2}: the kernel branch's output channels, channel {@code g K^2 + u}. */
    public int kernelChannels() {
        return groups * taps();
    }

    /** The group of channel {@code c}: {@code c / (C/G)}. */
    public int group(int c) {
        return c / groupChannels();
    }

    /** "Same" padding {@code d(K-1)/2}. */
    public int padding() {
        return dilation * (kernelSize - 1) / 2;
    }

    /** The apply's sampling over an {@code h x w} input: output {@code ceil(h/s) x ceil(w/s)}. */
    public Sampling sampling(int h, int w) {
        return Sampling.conv(kernelSize, stride, dilation, padding(), paddingMode, h, w);
    }

    /** One line for reports. */
    public String summary() {
        return "C=" + channels + " K=" + kernelSize + " s=" + stride + " d=" + dilation + " " + paddingMode.id() + " G="
                + groups + " r=" + reduction + " (R=" + reduced() + ")";
    }
}
