package org.acdajvm.oracle;

import org.acdajvm.layer.AcdaConfig;

/**
 * The tolerance policy of DESIGN section 7, and the derivation of every bound the oracle computes.
 *
 * <h2>Policy</h2>
 * A float32 path is accepted element by element when
 * <pre>   |y - y_oracle| &lt;= bound = 4 * u * n * S + E + tiny,   u = 2^-24, tiny = 1e-30</pre>
 * where {@code S} is the sum of the absolute values of every product in the fully expanded
 * expression of that element, {@code n} the length of the longest chain of roundings any one
 * product goes through, and {@code E} the error carried in from inputs that were themselves
 * computed in float32 (the generator output {@code G}).
 *
 * <h2>Why 4 u n S</h2>
 * Higham (Accuracy and Stability of Numerical Algorithms, 2nd ed., section 3.1): for a sum of
 * products evaluated in floating point in <em>any</em> order, with or without fused multiply-adds,
 * each product's computed value is its exact value times at most {@code n} factors
 * {@code (1 + delta)}, {@code |delta| <= u}, where {@code n} counts its multiplication roundings
 * plus the additions it passes through (at most the number of other terms in each sum it is part
 * of). Hence {@code |fl(y) - y| <= gamma_n * S}, {@code gamma_n = n u / (1 - n u)}. The factor 4
 * covers {@code gamma_n > n u} and the second-order terms neglected when errors are carried
 * through a later stage (below); it is not a fudge for sloppy code: correct code stays far below
 * it, and a wrong index or a dropped term overshoots it by orders of magnitude.
 *
 * <h2>Chain lengths for ACDA (one product {@code coef * G * Psi * x} of the final sum)</h2>
 * Two-layer evaluation (atoms, atom convolution, coefficient convolution, bias):
 * {@code G*Psi} (1) + sum over t (T-1) + {@code D*x} (1) + sum over u (K^2-1) + {@code coef*Z} (1)
 * + sum over (c, m) (C*M-1) + bias (1) = {@code T + K^2 + C*M + 1}.
 * Per-pixel-filter evaluation (atoms, filter {@code Wpix = sum_m coef*D}, then the filter applied):
 * 1 + (T-1) + 1 + (M-1) + 1 + (C*K^2-1) + 1 = {@code T + M + C*K^2 + 1}.
 * {@link Evaluation#ANY} takes the larger, for an implementation whose order is not known.
 *
 * <h2>Generator error {@code E} (carried through)</h2>
 * A float32 path computes {@code G} itself; its error {@code eG} (a bound per channel and pixel)
 * enters the final sum linearly, so {@code E = sum_{c,m,u,t} |coef| * eG * |Psi| * |x|}. The
 * stages of the generator and their bounds, where {@code S1, S2} are the sums of absolute
 * products of the two convolutions:
 * <ol>
 *   <li>{@code g1 = b1 + sum W1*x}: {@code C g^2} products and a bias, so
 *       {@code e_g1 = 4 u (C g^2 + 1) S1} ({@link #conv}).</li>
 *   <li>{@code a1 = bn1(g1) = gamma (g1 - mean)/sqrt(var + eps) + beta}, computed either so or as
 *       {@code g1*scale + shift} with {@code scale}, {@code shift} precomputed, or folded into the
 *       convolution: at most {@value #BN_ROUNDINGS} roundings on terms of total size
 *       {@code A1 = |scale| (S1 + |mean|) + |beta|}, plus {@code e_g1} scaled by {@code |scale|}:
 *       {@code e_a1 = |scale| e_g1 + 4 u BN_ROUNDINGS A1} ({@link #batchNorm}).</li>
 *   <li>{@code e1 = tanh(a1)}: {@code |tanh'| <= 1} carries {@code e_a1} unchanged; a float32 tanh is
 *       accepted with {@value #TANH_ULPS} ulp of its result plus {@code 2u} absolute (fast
 *       exp-based forms lose relative accuracy near 0): {@code e_e1 = e_a1 + 2u (TANH_ULPS |e1| + 1)}
 *       ({@link #tanh}).</li>
 *   <li>{@code g2 = b2 + sum W2*e1}: {@code 9 I} products and a bias, one factor ({@code e1}) carrying
 *       its own error: {@code e_g2 = sum |W2| e_e1 + 4 u (9 I + 1) S2}.</li>
 *   <li>{@code G = tanh(bn2(g2))}: as steps 2 and 3.</li>
 * </ol>
 */
public final class ErrorBounds {

    /** Unit roundoff of float32: half the distance from 1 to the next float. */
    public static final double U = 0x1.0p-24;
    /** Added to every bound so that an exact zero result with exact zero error is accepted. */
    public static final double TINY = 1e-30;
    /** The policy's safety factor. */
    public static final double SAFETY = 4.0;
    /** Roundings allowed for evaluating an affine BatchNorm (add eps, sqrt, divide, multiply gamma, subtract mean, multiply, add beta, one spare). */
    public static final int BN_ROUNDINGS = 8;
    /** Ulps of its result a float32 tanh may be off by (OpenCL allows 5 for tanh). */
    public static final int TANH_ULPS = 8;

    private ErrorBounds() {
    }

    /** The order in which a float32 path evaluates the final sum; it fixes the chain length {@code n}. */
    public enum Evaluation {
        /** Atom convolution then 1x1 coefficient convolution (the scalar, vector and GPU paths). */
        TWO_LAYER,
        /** The full filter reconstructed per pixel, then applied. */
        PER_PIXEL_FILTER,
        /** Unknown order: the larger of the two chains. */
        ANY;

        /** The chain length {@code n} of the final sum for this evaluation order. */
        public int chainLength(AcdaConfig config) {
            int t = config.bases();
            int k2 = config.taps();
            int c = config.inChannels();
            int m = config.atoms();
            int twoLayer = t + k2 + c * m + 1;
            int perPixel = t + m + c * k2 + 1;
            return switch (this) {
                case TWO_LAYER -> twoLayer;
                case PER_PIXEL_FILTER -> perPixel;
                case ANY -> Math.max(twoLayer, perPixel);
            };
        }
    }

    /**
     * The chain length {@code n} used for every gradient of {@link AcdaOracleBackward}: an upper
     * bound on the roundings any one product of a gradient's expanded expression goes through in a
     * float32 backward, in any summation order. The longest path runs from {@code dy} through
     * {@code dZ} (a sum over O), {@code dD} (over C), {@code dG} (over K^2), {@code de1} (over 9 M*T),
     * {@code dg1} into {@code dx} (over I*g^2 and M*K^2 taps) or into a parameter gradient (a sum
     * over all N*H'*W' pixels), and the recomputed forward quantities it multiplies ({@code D}: T,
     * {@code Z}: K^2) add theirs; 16 covers the elementwise steps (tanh', BatchNorm scales).
     */
    public static int gradientChainLength(AcdaConfig c, int batch, int outH, int outW) {
        long n = (long) batch * outH * outW + c.outChannels() + (long) c.inChannels() * c.atoms() + c.inChannels()
                + 2L * c.taps() + (long) c.atoms() * c.taps() + c.bases() + 9L * c.generatorChannels()
                + (long) c.interChannels() * c.generatorKernel() * c.generatorKernel() + 16;
        return (int) Math.min(Integer.MAX_VALUE, n);
    }

    /** The bound on the rounding error of a sum of products: {@code 4 u n S}. */
    public static double rounding(int chainLength, double sumAbs) {
        return SAFETY * U * chainLength * sumAbs;
    }

    /** The complete acceptance bound {@code 4 u n S + E + tiny}. */
    public static double accept(int chainLength, double sumAbs, double carried) {
        return rounding(chainLength, sumAbs) + carried + TINY;
    }

    /**
     * Error bound of a float32 convolution output {@code b + sum w*v}: the rounding of its
     * {@code products + 1} terms plus the error carried by its inputs.
     *
     * @param products number of products in the sum (without the bias)
     * @param sumAbs   {@code |b| + sum |w| |v|}
     * @param carried  {@code sum |w| e_v}, the inputs' own error weighted by the weights
     */
    public static double conv(int products, double sumAbs, double carried) {
        return rounding(products + 1, sumAbs) + carried;
    }

    /**
     * Error bound of {@code bn(v) = gamma (v - mean)/sqrt(var + eps) + beta} evaluated in float32.
     *
     * @param scale  {@code gamma / sqrt(var + eps)}
     * @param mean   running mean
     * @param beta   BatchNorm bias
     * @param sumAbsV a bound on {@code |v|} (its sum of absolute products)
     * @param errV   the error bound of {@code v}
     */
    public static double batchNorm(double scale, double mean, double beta, double sumAbsV, double errV) {
        double size = Math.abs(scale) * (sumAbsV + Math.abs(mean)) + Math.abs(beta);
        return Math.abs(scale) * errV + rounding(BN_ROUNDINGS, size);
    }

    /** Error bound of {@code tanh(a)} in float32, given the bound {@code errA} of its argument and its value {@code t}. */
    public static double tanh(double t, double errA) {
        return errA + 2 * U * (TANH_ULPS * Math.abs(t) + 1.0);
    }
}
