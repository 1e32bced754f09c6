package org.acdajvm.layers.pac;

import java.util.Locale;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.Sampling;

/**
 * The hyper-parameters of one PAC layer (DESIGN section 8): pixel-adaptive convolution, its transpose,
 * pooling, or the adapting kernel alone. Geometry as PyTorch's convolutions (explicit integer
 * {@code padding}, output {@code floor((H + 2p - d(K-1) - 1)/s) + 1}; for the transpose
 * {@code (H-1) s - 2p + d(K-1) + output_padding + 1}), odd {@code K}.
 *
 * @param variant          which of the four layers
 * @param inChannels       C: channels of {@code x} (for {@code pac-kernel}, of the guidance)
 * @param outChannels      O (for pool: C; for {@code pac-kernel}: {@code G K^2}, the kernel's channels)
 * @param kernelSize       K (odd)
 * @param stride           s
 * @param dilation         d
 * @param padding          explicit integer padding p
 * @param paddingMode      zeros or circular (the transpose: zeros only, as {@code ConvTranspose2d})
 * @param outputPadding    the transpose's output padding ({@code < s}); 0 otherwise
 * @param kernelType       gaussian or inverse
 * @param channelWise      one kernel per input channel (the guidance then has C channels)
 * @param normalizeKernel  divide the kernel by its sum over the taps inside the image (pool: {@code average})
 * @param guidanceChannels Cf: channels of the guidance
 * @param bias             whether there is a bias {@code [O]} (conv and transpose)
 */
public record PacConfig(Variant variant, int inChannels, int outChannels, int kernelSize, int stride, int dilation,
                        int padding, PaddingMode paddingMode, int outputPadding, KernelType kernelType,
                        boolean channelWise, boolean normalizeKernel, int guidanceChannels, boolean bias) {

    /** The four PAC layers. */
    public enum Variant {
        CONV("pac-conv"), TRANSPOSED("pac-transposed"), POOL("pac-pool"), KERNEL("pac-kernel");

        public final String id;

        Variant(String id) {
            this.id = id;
        }
    }

    /** The adapting kernel's form. */
    public enum KernelType {
        /** {@code exp(-0.5 |f_q - f_p|^2)}. */
        GAUSSIAN,
        /** {@code inv_alpha + (|f_q - f_p|^2 + 1e-4)^(inv_lambda / 2)}. */
        INVERSE;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The inverse kernel's {@code eps^2} (PAC's public implementation's constant). */
    public static final double INVERSE_EPS = 1e-4;

    public static final int MAX_CHANNELS = 1 << 16;
    public static final int MAX_KERNEL = 63;
    public static final int MAX_STEP = 64;
    public static final int MAX_PADDING = 1 << 10;

    public PacConfig {
        if (variant == null || paddingMode == null || kernelType == null) {
            throw new IllegalArgumentException("variant, padding_mode and kernel_type must be given");
        }
        range("in_channels", inChannels, 1, MAX_CHANNELS);
        range("out_channels", outChannels, 1, MAX_CHANNELS);
        range("kernel_size", kernelSize, 1, MAX_KERNEL);
        if (kernelSize % 2 == 0) {
            throw new IllegalArgumentException("kernel_size = " + kernelSize + " is even: expected an odd number in 1.." + MAX_KERNEL);
        }
        range("stride", stride, 1, MAX_STEP);
        range("dilation", dilation, 1, MAX_STEP);
        range("padding", padding, 0, MAX_PADDING);
        range("guidance_channels", guidanceChannels, 1, MAX_CHANNELS);
        if (variant == Variant.TRANSPOSED) {
            if (outputPadding < 0 || outputPadding >= stride) {
                throw new IllegalArgumentException("output_padding = " + outputPadding + " is out of range: expected 0.."
                        + (stride - 1) + " (smaller than the stride " + stride + ")");
            }
            if (paddingMode != PaddingMode.ZEROS) {
                throw new IllegalArgumentException("padding_mode = " + paddingMode.id() + " is not supported by pac-transposed: "
                        + "expected zeros (as ConvTranspose2d)");
            }
            if (channelWise) {
                throw new IllegalArgumentException("channel_wise = true is not supported by pac-transposed: expected false");
            }
        } else if (outputPadding != 0) {
            throw new IllegalArgumentException("output_padding = " + outputPadding + " is a setting of pac-transposed only: expected 0");
        }
        if (channelWise && variant != Variant.KERNEL && guidanceChannels != inChannels) {
            throw new IllegalArgumentException("guidance_channels = " + guidanceChannels + " with channel_wise = true: expected "
                    + "in_channels = " + inChannels + " (one kernel per input channel)");
        }
        if (variant == Variant.KERNEL && inChannels != guidanceChannels) {
            throw new IllegalArgumentException("in_channels = " + inChannels + " for pac-kernel: expected guidance_channels = "
                    + guidanceChannels + " (its input x is the guidance)");
        }
        int expectedOut = switch (variant) {
            case POOL -> inChannels;
            case KERNEL -> kernelChannels(variant, channelWise, guidanceChannels, inChannels) * kernelSize * kernelSize;
            default -> outChannels;
        };
        if (outChannels != expectedOut) {
            throw new IllegalArgumentException("out_channels = " + outChannels + " for " + variant.id + ": expected " + expectedOut);
        }
        if (bias && (variant == Variant.POOL || variant == Variant.KERNEL)) {
            throw new IllegalArgumentException("bias = true for " + variant.id + ": expected false (it has no bias)");
        }
    }

    private static int kernelChannels(Variant v, boolean channelWise, int guidanceChannels, int inChannels) {
        if (!channelWise) {
            return 1;
        }
        return v == Variant.KERNEL ? guidanceChannels : inChannels;
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

    /** G: the number of kernels per pixel (1, or the channels when {@code channel_wise}). */
    public int kernelChannels() {
        return kernelChannels(variant, channelWise, guidanceChannels, inChannels);
    }

    /** Whether the layer has {@code inv_alpha} and {@code inv_lambda}. */
    public boolean inverse() {
        return kernelType == KernelType.INVERSE;
    }

    /** The output size along an axis of {@code in}: the conv's, or for the transpose {@code (in-1)s - 2p + d(K-1) + op + 1}. */
    public int outSize(int in) {
        if (variant == Variant.TRANSPOSED) {
            return (in - 1) * stride - 2 * padding + dilation * (kernelSize - 1) + outputPadding + 1;
        }
        return Sampling.outSize(in, kernelSize, stride, dilation, padding);
    }

    /**
     * The sampling of the convolution in this layer: for conv, pool and kernel over the {@code h x w} input;
     * for the transpose, of the convolution it is the adjoint of, over the transpose's output grid (whose
     * output is then {@code h x w} again).
     */
    public Sampling sampling(int h, int w) {
        if (variant == Variant.TRANSPOSED) {
            int oh = outSize(h);
            int ow = outSize(w);
            if (oh < 1 || ow < 1) {
                throw new IllegalArgumentException("an input of " + h + "x" + w + " gives an empty pac-transposed output "
                        + oh + "x" + ow + " (K = " + kernelSize + ", s = " + stride + ", d = " + dilation + ", padding "
                        + padding + ")");
            }
            Sampling s = Sampling.conv(kernelSize, stride, dilation, padding, paddingMode, oh, ow);
            if (s.outHeight() != h || s.outWidth() != w) {
                throw new IllegalStateException("transposed geometry does not invert: " + s + " for " + h + "x" + w);
            }
            return s;
        }
        return Sampling.conv(kernelSize, stride, dilation, padding, paddingMode, h, w);
    }

    /** One line for reports. */
    public String summary() {
        return variant.id + " C=" + inChannels + " O=" + outChannels + " K=" + kernelSize + " s=" + stride + " d=" + dilation
                + " p=" + padding + (variant == Variant.TRANSPOSED ? " op=" + outputPadding : "") + " " + paddingMode.id()
                + " " + kernelType.id() + " Cf=" + guidanceChannels + (channelWise ? " channel-wise" : "")
                + (normalizeKernel ? " normalized" : "") + (bias ? " bias" : "");
    }
}
