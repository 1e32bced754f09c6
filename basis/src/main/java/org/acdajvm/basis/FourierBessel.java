package org.acdajvm.basis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Fourier-Bessel bases on a square pixel grid, exactly as in DESIGN.md section 4.
 *
 * <p>For a {@code (2L+1) x (2L+1)} support ({@link #singleScale(int)}):
 * <ol>
 *   <li>{@code R = L + 0.5}; {@code f = 2} if {@code L < 2}, else {@code 1.5};</li>
 *   <li>candidates: pairs {@code (k, q)}, {@code 0 <= k <= 15}, {@code q >= 1}, whose <em>next</em>
 *       zero satisfies {@code j(k, q+1) <= pi * R * f};</li>
 *   <li>sorted by {@code j(k, q)} ascending;</li>
 *   <li>on the grid {@code (i, j)}, {@code i} = row, {@code j} = column, each in {@code [-L, L]}:
 *       {@code r = sqrt(i^2 + j^2) / R}, {@code theta = atan2(j, i)};</li>
 *   <li>{@code phi(r) = J_k(j(k,q) r) / |J_{k+1}(j(k,q))|} for {@code r < 1}, else 0;</li>
 *   <li>{@code k = 0}: one function {@code phi}; {@code k >= 1}: {@code sqrt(2) phi cos(k theta)},
 *       then {@code sqrt(2) phi sin(k theta)};</li>
 *   <li>at most {@code (2L+1)^2 - 1} functions are kept;</li>
 *   <li>all are divided by {@code c = sqrt(mean over kept functions of sum(psi^2))}.</li>
 * </ol>
 *
 * <p>The multi-scale ACDA set ({@link #multiScale(int, int)}) stacks, for {@code L = 1 .. (K-1)/2},
 * the first {@code B} functions of each scale, zero-padded centrally to {@code K x K}.
 */
public final class FourierBessel {

    /** Largest Bessel order considered (DESIGN section 4, step 2). */
    public static final int MAX_ORDER = 15;
    /** Largest number of bases per scale in the multi-scale set (the smallest scale has 6). */
    public static final int MAX_PER_SCALE = 6;

    private FourierBessel() {
    }

    /** One basis function's identity: Bessel order {@code k}, zero index {@code q}, and its angular part. */
    public record Mode(int k, int q, Angular angular, double zero) {
        @Override
        public String toString() {
            return "(" + k + "," + q + ")" + (angular == Angular.NONE ? "" : angular.name().toLowerCase());
        }
    }

    /** Angular factor of a basis function: none for {@code k = 0}, else cosine or sine of {@code k theta}. */
    public enum Angular { NONE, COS, SIN }

    /**
     * The bases of one scale.
     *
     * @param halfWidth     {@code L}; the support is {@code size x size}, {@code size = 2L+1}
     * @param modes         the kept functions in order
     * @param values        {@code values[e][i*size + j]}: function {@code e} at row {@code i}, column {@code j}
     *                      (offsets {@code i - L}, {@code j - L}), already divided by {@code normalisation}
     * @param normalisation the constant {@code c} every function was divided by
     */
    public record Scale(int halfWidth, List<Mode> modes, double[][] values, double normalisation) {
        public int size() {
            return 2 * halfWidth + 1;
        }

        public int count() {
            return values.length;
        }

        /** Value of function {@code e} at grid row {@code row}, column {@code col} (both in {@code 0..size-1}). */
        public double value(int e, int row, int col) {
            return values[e][row * size() + col];
        }
    }

    /**
     * Fourier-Bessel bases for one {@code (2L+1) x (2L+1)} support, normalised (DESIGN section 4).
     *
     * @param halfWidth {@code L >= 1}
     */
    public static Scale singleScale(int halfWidth) {
        if (halfWidth < 1 || halfWidth > 50) {
            throw new IllegalArgumentException("L (halfWidth) = " + halfWidth + " is outside the supported range 1..50");
        }
        int size = 2 * halfWidth + 1;
        double radius = halfWidth + 0.5;
        double factor = halfWidth < 2 ? 2.0 : 1.5;
        double limit = Math.PI * radius * factor;

        // Steps 2 and 3: candidates whose next zero is still inside the band, by increasing zero.
        List<Mode> candidates = new ArrayList<>();
        for (int k = 0; k <= MAX_ORDER; k++) {
            double[] zeros = BesselZeros.zerosUpTo(k, limit);
            for (int q = 1; q < zeros.length; q++) {     // j(k, q+1) = zeros[q] <= limit
                double z = zeros[q - 1];
                if (k == 0) {
                    candidates.add(new Mode(k, q, Angular.NONE, z));
                } else {
                    candidates.add(new Mode(k, q, Angular.COS, z));
                    candidates.add(new Mode(k, q, Angular.SIN, z));
                }
            }
        }
        // Stable sort: a cos/sin pair shares its zero and keeps cos first.
        candidates.sort(Comparator.comparingDouble(Mode::zero));

        // Step 7.
        int kept = Math.min(candidates.size(), size * size - 1);
        List<Mode> modes = List.copyOf(candidates.subList(0, kept));

        // Steps 4 to 6.
        double[][] values = new double[kept][size * size];
        for (int e = 0; e < kept; e++) {
            Mode mode = modes.get(e);
            double scale = Math.abs(BesselZeros.besselJ(mode.k() + 1, mode.zero()));
            for (int row = 0; row < size; row++) {
                for (int col = 0; col < size; col++) {
                    int i = row - halfWidth;
                    int j = col - halfWidth;
                    double r = Math.sqrt(i * i + j * j) / radius;
                    if (r >= 1.0) {
                        continue;
                    }
                    double theta = Math.atan2(j, i);
                    double phi = BesselZeros.besselJ(mode.k(), mode.zero() * r) / scale;
                    double v = switch (mode.angular()) {
                        case NONE -> phi;
                        case COS -> Math.sqrt(2.0) * phi * Math.cos(mode.k() * theta);
                        case SIN -> Math.sqrt(2.0) * phi * Math.sin(mode.k() * theta);
                    };
                    values[e][row * size + col] = v;
                }
            }
        }

        // Step 8.
        double meanSquares = 0.0;
        for (double[] psi : values) {
            meanSquares += sumOfSquares(psi);
        }
        double c = Math.sqrt(meanSquares / kept);
        for (double[] psi : values) {
            for (int p = 0; p < psi.length; p++) {
                psi[p] /= c;
            }
        }
        return new Scale(halfWidth, modes, values, c);
    }

    /**
     * The multi-scale ACDA bases {@code Psi[t][u]} for kernel size {@code K} and {@code B} bases per scale.
     *
     * @param kernelSize {@code K}: odd, {@code >= 3}
     * @param perScale   {@code B}: {@code 1 <= B <= 6}
     * @return a new array {@code [T][K*K]}, {@code T = B * (K-1)/2}; row {@code t} holds basis {@code t}
     *         row-major ({@code u = a*K + b}); scales are stacked from the smallest ({@code 3x3}) up
     */
    public static double[][] multiScale(int kernelSize, int perScale) {
        checkKernelSize(kernelSize);
        checkPerScale(perScale);
        int scales = (kernelSize - 1) / 2;
        double[][] psi = new double[perScale * scales][kernelSize * kernelSize];
        for (int l = 1; l <= scales; l++) {
            Scale scale = singleScale(l);
            int pad = scales - l;
            for (int e = 0; e < perScale; e++) {
                double[] target = psi[(l - 1) * perScale + e];
                for (int row = 0; row < scale.size(); row++) {
                    for (int col = 0; col < scale.size(); col++) {
                        target[(row + pad) * kernelSize + (col + pad)] = scale.value(e, row, col);
                    }
                }
            }
        }
        return psi;
    }

    /** Number of multi-scale bases {@code T = B * (K-1)/2}, after checking both arguments. */
    public static int count(int kernelSize, int perScale) {
        checkKernelSize(kernelSize);
        checkPerScale(perScale);
        return perScale * (kernelSize - 1) / 2;
    }

    /** Throws if {@code K} is not an odd integer {@code >= 3}. */
    public static void checkKernelSize(int kernelSize) {
        if (kernelSize < 3 || kernelSize % 2 == 0 || kernelSize > 101) {
            throw new IllegalArgumentException("kernel size K = " + kernelSize
                    + " is not allowed: expected an odd integer in 3..101");
        }
    }

    /** Throws if {@code B} is outside {@code 1..6}. */
    public static void checkPerScale(int perScale) {
        if (perScale < 1 || perScale > MAX_PER_SCALE) {
            throw new IllegalArgumentException("bases per scale B = " + perScale
                    + " is not allowed: expected 1.." + MAX_PER_SCALE);
        }
    }

    private static double sumOfSquares(double[] v) {
        double s = 0.0;
        for (double x : v) {
            s += x * x;
        }
        return s;
    }
}
