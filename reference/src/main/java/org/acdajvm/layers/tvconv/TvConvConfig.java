package org.acdajvm.layers.tvconv;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.Sampling;

/**
 * The hyper-parameters of a TVConv layer (translation-variant convolution, Chen et al., CVPR 2022; DESIGN
 * section 8): a depthwise "same" convolution, stride 1, whose per-position filter {@code F[c, u, h, w]} is made
 * by a small network (the weight net) from a learnable position map {@code A[ca, h, w]}, and shared by the whole
 * batch. The grid {@code height x width} is fixed at construction: an input of another size is an error.
 *
 * @param channels         C (input = output channels, depthwise)
 * @param kernelSize       K (odd); padding {@code d (K-1)/2}
 * @param dilation         d
 * @param paddingMode      what the apply reads outside the input (zeros or circular); the weight net's own
 *                         convolutions always pad with zeros (as {@code nn.Conv2d(padding=1)})
 * @param height           h, the position map's (and every input's) height
 * @param width            w
 * @param affinityChannels ca, channels of the position map
 * @param midChannels      mid, channels of the weight net's hidden layers
 * @param layers           how many (3x3 conv, LayerNorm, ReLU) blocks precede the last 3x3 conv ({@code >= 1})
 * @param bias             whether the layer adds a plain bias {@code [C]} (key {@code bias})
 */
public record TvConvConfig(int channels, int kernelSize, int dilation, PaddingMode paddingMode, int height, int width,
                           int affinityChannels, int midChannels, int layers, boolean bias) {

    public static final int MAX_CHANNELS = 1 << 12;
    public static final int MAX_KERNEL = 31;
    public static final int MAX_DILATION = 16;
    public static final int MAX_SIZE = 1 << 11;
    public static final int MAX_LAYERS = 8;

    public TvConvConfig {
        range("channels", channels, 1, MAX_CHANNELS);
        range("kernel_size", kernelSize, 1, MAX_KERNEL);
        if (kernelSize % 2 == 0) {
            throw new IllegalArgumentException("kernel_size = " + kernelSize + " is even: expected an odd number in 1.."
                    + MAX_KERNEL);
        }
        range("dilation", dilation, 1, MAX_DILATION);
        range("height", height, 1, MAX_SIZE);
        range("width", width, 1, MAX_SIZE);
        range("affinity_channels", affinityChannels, 1, MAX_CHANNELS);
        range("mid_channels", midChannels, 1, MAX_CHANNELS);
        range("layers", layers, 1, MAX_LAYERS);
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

    /** {@code d (K-1)/2}: "same" padding. */
    public int pad() {
        return dilation * (kernelSize - 1) / 2;
    }

    /** {@code C K^2}: channels of the weight net's output, channel {@code c*K*K + u}. */
    public int filterChannels() {
        return channels * taps();
    }

    /** {@code h w}. */
    public int positions() {
        return height * width;
    }

    /** Input channels of weight-net conv {@code l} ({@code l = layers} is the last conv). */
    public int convIn(int l) {
        return l == 0 ? affinityChannels : midChannels;
    }

    /** Output channels of weight-net conv {@code l}. */
    public int convOut(int l) {
        return l == layers ? filterChannels() : midChannels;
    }

    /** The apply's sampling: stride 1, "same" padding, over the fixed {@code h x w} grid. */
    public Sampling sampling() {
        return new Sampling(kernelSize, 1, dilation, pad(), pad(), paddingMode, height, width);
    }

    /** One line for reports. */
    public String summary() {
        return "C=" + channels + " K=" + kernelSize + " d=" + dilation + " " + paddingMode.id() + " " + height + "x" + width
                + " ca=" + affinityChannels + " mid=" + midChannels + " layers=" + layers + (bias ? " bias" : " no-bias");
    }
}
