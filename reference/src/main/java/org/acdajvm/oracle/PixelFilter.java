package org.acdajvm.oracle;

/**
 * One layer of the family of per-pixel convolutions as the oracle core sees it (DESIGN section 8,
 * ARCHITECTURE "The oracle core"): a filter {@code Wpix[n,p][o,c,u]} per output pixel, applied by
 * {@link PixelFilterOracle} as
 * <pre>   y[n,o,p] = bias[o] + sum_{c,u} Wpix[n,p][o,c,u] * xp[n, c, s*p + d*u - pad]</pre>
 * The filter only builds {@code Wpix} (with its magnitude {@code S} and the error a float32 path makes
 * building it) and back-propagates {@code dWpix}; patch reading, padding, the apply, {@code S}, the
 * scatter into {@code dx} and the adjoint are the core's. The oracle's header rules apply to every
 * implementation: double only, no vector API, no threads, no caching between calls.
 *
 * <p>Calls, per image {@code n}: {@link #beginImage}, then {@link #filterAt} once per output pixel (row
 * by row), each followed in a backward by {@link #backward}, then {@link #endImage}.
 */
public interface PixelFilter {

    /** Where the filter reads its input, and the output size. */
    Sampling sampling();

    /** {@code C}: channels of the input the filter is applied to. */
    int inChannels();

    /** {@code O}: channels of the output. */
    int outChannels();

    /**
     * Starts image {@code n} (the generator, the guidance's kernels, ... of this image).
     *
     * @param x the input image {@code [C][H][W]} (not modified)
     */
    void beginImage(int n, double[][][] x);

    /**
     * The filter at output pixel {@code (ho, wo)} of the current image, into {@code px}: {@link Pixel#w},
     * {@link Pixel#wAbs}, {@link Pixel#bias}, and the error a float32 path makes building it:
     * {@link Pixel#carried} and {@link Pixel#variance} for each output (from {@link Pixel#patch}) and, when
     * {@link Pixel#dy} is set (a backward or an adjoint), {@link Pixel#dPatchCarried} and
     * {@link Pixel#dPatchVariance} for each {@code dpatch[c][u] = sum_o dy[o] Wpix[o][c][u]}.
     */
    void filterAt(int ho, int wo, Pixel px);

    /**
     * Back-propagates the current pixel's {@code dWpix[o][c][u]} ({@link Pixel#dW}, exact in double: each
     * entry is one float32 product {@code dy[o] * patch[c][u]}) into the filter's own gradients (its
     * parameters, other inputs such as the guidance, and {@code x} where the filter depends on it).
     */
    void backward(int ho, int wo, Pixel px, GradientSink sink);

    /** Ends image {@code n} of a backward: gradients accumulated over the image's pixels go out now. */
    default void endImage(int n, GradientSink sink) {
    }

    /**
     * Where a filter's gradients go: per element the exact value, the worst-case ingredients {@code S}
     * and {@code E}, and the term's own tight-tier variance proxies {@code {A, B, C}} (DESIGN section 7);
     * {@code product} says the term is a float32 product formed for this addition (its own rounding then
     * counts here).
     */
    interface GradientSink {
        void add(String key, int index, double value, double sumAbs, double carried, double[] variance, boolean product);
    }

    /**
     * The work arrays of one output pixel, written by the core ({@code patch}, {@code dy}, {@code dW}) and by
     * the filter (the rest). Layouts: {@code [o][c][u]}, {@code [c][u]}, {@code [component A, B, C][...]}.
     */
    final class Pixel {
        /** {@code patch[c][u] = xp[n, c, tap(p, u)]}: what the filter sees (the core). */
        public final double[][] patch;
        /** The upstream gradient {@code dy[o]} at this pixel, or {@code null} in a forward (the core). */
        public double[] dy;
        /** {@code dWpix[o][c][u] = dy[o] * patch[c][u]} (the core, in a backward). */
        public final double[][][] dW;
        /** {@code Wpix[o][c][u]} (the filter). */
        public final double[][][] w;
        /** Its magnitude: the sum of the absolute values of the products that make it (the filter). */
        public final double[][][] wAbs;
        /** {@code bias[o]} (zeros when the layer has none). */
        public final double[] bias;
        /** {@code E[o]}: the worst-case error a float32 path carries into {@code y[o]} from building {@code Wpix}. */
        public final double[] carried;
        /** {@code [A, B, C][o]}: that error's tight variance proxies, beyond the final sum's own roundings. */
        public final double[][] variance;
        /**
         * Optional, forward only: the complete tight variance of {@code y[o]} per evaluation order,
         * {@code [order 0 two-layer, 1 per-pixel][A, B, C][o]}, replacing the core's model (ACDA, whose
         * two-layer order is not a per-pixel filter's). {@code null} (reset before every pixel): the core's model.
         */
        public double[][][] orderVariance;
        /** {@code E} of {@code dpatch[c][u]} from building {@code Wpix} (backward, adjoint). */
        public final double[][] dPatchCarried;
        /** {@code [A, B, C][c][u]}: its tight variance proxies beyond the sum over {@code o}'s own roundings. */
        public final double[][][] dPatchVariance;

        public Pixel(int outChannels, int inChannels, int taps) {
            patch = new double[inChannels][taps];
            dW = new double[outChannels][inChannels][taps];
            w = new double[outChannels][inChannels][taps];
            wAbs = new double[outChannels][inChannels][taps];
            bias = new double[outChannels];
            carried = new double[outChannels];
            variance = new double[3][outChannels];
            dPatchCarried = new double[inChannels][taps];
            dPatchVariance = new double[3][inChannels][taps];
        }
    }
}
