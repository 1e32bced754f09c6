package org.acdajvm.layer;

import java.util.Objects;

import org.acdajvm.basis.FourierBessel;

/**
 * Hyper-parameters of an ACDA layer (DESIGN section 5). Immutable and validated on construction:
 * every inconsistent value is an {@link IllegalArgumentException} that names the argument, the
 * value and the allowed range.
 *
 * @param inChannels     {@code C >= 1}
 * @param outChannels    {@code O >= 1}
 * @param kernelSize     {@code K}: odd, {@code >= 3}
 * @param stride         {@code s >= 1}
 * @param dilation       {@code d >= 1}
 * @param padding        zeros (default) or circular, used by all three convolutions
 * @param basesPerScale  {@code B}: Fourier-Bessel bases taken from each scale, {@code 1..6}
 * @param atoms          {@code M >= 1}: dynamic atoms per pixel
 * @param generatorKernel {@code g}: kernel size of the generator's first convolution, odd, {@code >= 1}
 * @param bias           whether the layer has an output bias
 */
public record AcdaConfig(int inChannels, int outChannels, int kernelSize, int stride, int dilation,
                         PaddingMode padding, int basesPerScale, int atoms, int generatorKernel, boolean bias) {

    /** Defaults of the reference PyTorch layer. */
    public static final int DEFAULT_BASES_PER_SCALE = 6;
    public static final int DEFAULT_ATOMS = 6;
    public static final int DEFAULT_GENERATOR_KERNEL = 3;
    /** Upper limits that keep a layer's parameter tensors addressable; far above any practical layer. */
    public static final int MAX_CHANNELS = 1 << 16;
    public static final int MAX_ATOMS = 1024;
    public static final int MAX_STRIDE_OR_DILATION = 64;

    public AcdaConfig {
        Objects.requireNonNull(padding, "padding");
        requireRange("in_channels C", inChannels, 1, MAX_CHANNELS);
        requireRange("out_channels O", outChannels, 1, MAX_CHANNELS);
        FourierBessel.checkKernelSize(kernelSize);
        requireRange("stride s", stride, 1, MAX_STRIDE_OR_DILATION);
        requireRange("dilation d", dilation, 1, MAX_STRIDE_OR_DILATION);
        FourierBessel.checkPerScale(basesPerScale);
        requireRange("atoms M", atoms, 1, MAX_ATOMS);
        if (generatorKernel < 1 || generatorKernel % 2 == 0 || generatorKernel > 15) {
            throw new IllegalArgumentException("generator kernel size g = " + generatorKernel
                    + " is not allowed: expected an odd integer in 1..15 (the reference layer uses 3)");
        }
    }

    /** A builder with the reference defaults ({@code s = d = 1}, zeros, {@code B = M = 6}, {@code g = 3}, bias). */
    public static Builder builder(int inChannels, int outChannels, int kernelSize) {
        return new Builder(inChannels, outChannels, kernelSize);
    }

    /** {@code T = B * (K-1)/2}: number of multi-scale bases. */
    public int bases() {
        return basesPerScale * (kernelSize - 1) / 2;
    }

    /** {@code M*T}: generator output channels. */
    public int generatorChannels() {
        return atoms * bases();
    }

    /** {@code I = max(64, floor(M*T/2))}: generator hidden channels. */
    public int interChannels() {
        return Math.max(64, generatorChannels() / 2);
    }

    /** {@code K*K}: taps per filter. */
    public int taps() {
        return kernelSize * kernelSize;
    }

    /** {@code pad = d*(K-1)/2} ("same" padding of the atom convolution). */
    public int pad() {
        return dilation * (kernelSize - 1) / 2;
    }

    /** Output extent {@code ceil(size / s)} along an axis of input extent {@code size}. */
    public int outSize(int size) {
        return (size + stride - 1) / stride;
    }

    /** Short human-readable summary, for reports. */
    public String summary() {
        return "C=" + inChannels + " O=" + outChannels + " K=" + kernelSize + " s=" + stride + " d=" + dilation
                + " " + padding.id() + " B=" + basesPerScale + " M=" + atoms + " g=" + generatorKernel
                + " T=" + bases() + " I=" + interChannels() + (bias ? " bias" : " no-bias");
    }

    private static void requireRange(String name, int value, int lo, int hi) {
        if (value < lo || value > hi) {
            throw new IllegalArgumentException(name + " = " + value + " is not allowed: expected " + lo + ".." + hi);
        }
    }

    /** Fluent construction with the reference defaults. */
    public static final class Builder {
        private final int inChannels;
        private final int outChannels;
        private final int kernelSize;
        private int stride = 1;
        private int dilation = 1;
        private PaddingMode padding = PaddingMode.ZEROS;
        private int basesPerScale = DEFAULT_BASES_PER_SCALE;
        private int atoms = DEFAULT_ATOMS;
        private int generatorKernel = DEFAULT_GENERATOR_KERNEL;
        private boolean bias = true;

        private Builder(int inChannels, int outChannels, int kernelSize) {
            this.inChannels = inChannels;
            this.outChannels = outChannels;
            this.kernelSize = kernelSize;
        }

        public Builder stride(int s) {
            this.stride = s;
            return this;
        }

        public Builder dilation(int d) {
            this.dilation = d;
            return this;
        }

        public Builder padding(PaddingMode p) {
            this.padding = p;
            return this;
        }

        public Builder basesPerScale(int b) {
            this.basesPerScale = b;
            return this;
        }

        public Builder atoms(int m) {
            this.atoms = m;
            return this;
        }

        public Builder generatorKernel(int g) {
            this.generatorKernel = g;
            return this;
        }

        public Builder bias(boolean b) {
            this.bias = b;
            return this;
        }

        public AcdaConfig build() {
            return new AcdaConfig(inChannels, outChannels, kernelSize, stride, dilation, padding, basesPerScale,
                    atoms, generatorKernel, bias);
        }
    }
}
