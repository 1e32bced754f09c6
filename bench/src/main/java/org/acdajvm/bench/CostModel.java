package org.acdajvm.bench;

import java.util.Locale;

import org.acdajvm.layer.AcdaConfig;

/**
 * Multiply-adds and memory of an ACDA layer and of the plain convolution it replaces (DESIGN
 * section 5, "Cost per output pixel"). Per output pixel:
 * <pre>
 *   generator            I*C*g^2 + M*T*I*9
 *   atoms                M*T*K^2
 *   atom conv            C*M*K^2
 *   coefficient conv     O*C*M  (+ O for the bias)
 *   naive per-pixel      O*C*M*K^2 + O*C*K^2
 *   plain conv           O*C*K^2 (+ O)
 * </pre>
 * The paper's Table 6 "conv-only" row is atom conv + coefficient conv + bias; its generator row
 * was computed for a lighter generator than the reference code's, so ours is printed instead.
 */
public final class CostModel {

    private final AcdaConfig c;
    private final long pixels;
    private final int batch;

    /** The cost of a layer on {@code batch} images of {@code outH x outW} output pixels. */
    public CostModel(AcdaConfig config, int batch, int outH, int outW) {
        this.c = config;
        this.batch = batch;
        this.pixels = (long) batch * outH * outW;
    }

    public long pixels() {
        return pixels;
    }

    public long generatorPerPixel() {
        return generatorConv1PerPixel() + generatorConv2PerPixel();
    }

    /** Generator conv 1: {@code I*C*g^2}. */
    public long generatorConv1PerPixel() {
        return (long) c.interChannels() * c.inChannels() * c.generatorKernel() * c.generatorKernel();
    }

    /** Generator conv 2: {@code M*T*I*9}. */
    public long generatorConv2PerPixel() {
        return (long) c.generatorChannels() * c.interChannels() * 9;
    }

    public long atomsPerPixel() {
        return (long) c.generatorChannels() * c.taps();
    }

    public long atomConvPerPixel() {
        return (long) c.inChannels() * c.atoms() * c.taps();
    }

    public long coefficientConvPerPixel() {
        return (long) c.outChannels() * c.inChannels() * c.atoms() + (c.bias() ? c.outChannels() : 0);
    }

    /** Atom conv + coefficient conv + bias: the paper's "conv-only" row. */
    public long convOnlyPerPixel() {
        return atomConvPerPixel() + coefficientConvPerPixel();
    }

    /** Everything the two-layer form does. */
    public long totalPerPixel() {
        return generatorPerPixel() + atomsPerPixel() + convOnlyPerPixel();
    }

    public long naivePerPixel() {
        return (long) c.outChannels() * c.inChannels() * c.atoms() * c.taps()
                + (long) c.outChannels() * c.inChannels() * c.taps();
    }

    public long plainConvPerPixel() {
        return (long) c.outChannels() * c.inChannels() * c.taps() + (c.bias() ? c.outChannels() : 0);
    }

    /** Multiply-adds of the whole two-layer forward. */
    public double totalMacs() {
        return (double) totalPerPixel() * pixels;
    }

    /**
     * Multiply-adds of one backward per output pixel, as the vector backward does it (DESIGN section 6):
     * the forward's intermediates recomputed (generator, atoms, atom conv {@code Z}; not the coefficient
     * conv), then {@code dZ = coef^T dy} and {@code dcoef = dy Z^T} ({@code 2 O C M}), {@code dD = dZ x} and the
     * direct path {@code dx += dZ D} ({@code 2 C M K^2}), {@code dG = Psi dD} ({@code M T K^2}), conv 2's input and
     * weight gradients ({@code 2 M T I 9}) and conv 1's ({@code 2 I C g^2}). BatchNorm, tanh and the bias sums are
     * per-element work, left out as in the forward's count.
     */
    public long backwardPerPixel() {
        long recompute = generatorPerPixel() + atomsPerPixel() + atomConvPerPixel();
        return recompute + 2L * c.outChannels() * c.inChannels() * c.atoms() + 2 * atomConvPerPixel() + atomsPerPixel()
                + 2 * generatorConv2PerPixel() + 2 * generatorConv1PerPixel();
    }

    /** Multiply-adds of the whole backward. */
    public double backwardMacs() {
        return (double) backwardPerPixel() * pixels;
    }

    /** Multiply-adds of the plain convolution of the same shape. */
    public double plainConvMacs() {
        return (double) plainConvPerPixel() * pixels;
    }

    /** Learned parameters of the ACDA layer (BatchNorm running statistics and the bases excluded). */
    public long acdaParameters() {
        long inter = c.interChannels();
        long gen = c.generatorChannels();
        long g2 = (long) c.generatorKernel() * c.generatorKernel();
        return inter * c.inChannels() * g2 + inter + 2 * inter + gen * inter * 9 + gen + 2 * gen
                + (long) c.outChannels() * c.inChannels() * c.atoms() + (c.bias() ? c.outChannels() : 0);
    }

    /** Parameters of the plain convolution of the same shape. */
    public long plainConvParameters() {
        return (long) c.outChannels() * c.inChannels() * c.taps() + (c.bias() ? c.outChannels() : 0);
    }

    /** Floats of {@code Z} the two-layer form would hold if it materialised it (ours holds one tile per thread). */
    public double zFloats() {
        return (double) c.inChannels() * c.atoms() * pixels;
    }

    /** Floats of filters the naive form would hold if it materialised them (the oracle does not). */
    public double naiveFilterFloats() {
        return (double) c.outChannels() * c.inChannels() * c.taps() * pixels;
    }

    /** A short table of this layer's costs, in MMAC. */
    public String describe() {
        return String.format(Locale.ROOT,
                "generator %.1f, atoms %.1f, atom conv %.1f, coefficient conv %.1f, total %.1f MMAC "
                        + "(plain conv %.1f, naive per-pixel %.1f)",
                mmac(generatorPerPixel()), mmac(atomsPerPixel()), mmac(atomConvPerPixel()),
                mmac(coefficientConvPerPixel()), mmac(totalPerPixel()), mmac(plainConvPerPixel()),
                mmac(naivePerPixel()));
    }

    /** Per-pixel count times the pixel count, in millions. */
    public double mmac(long perPixel) {
        return perPixel * (double) pixels / 1e6;
    }

    public int batch() {
        return batch;
    }
}
