package org.acdajvm.basis;

import java.util.Arrays;

import org.hipparchus.analysis.solvers.BracketingNthOrderBrentSolver;
import org.hipparchus.special.BesselJ;

/**
 * Positive zeros {@code j(k, q)} of the Bessel function of the first kind {@code J_k}, found by a
 * bracketing root finder on Hipparchus' {@link BesselJ}: the function is scanned for sign
 * changes, and each bracket is refined with a Brent solver. No table of zeros is needed. Thread-safe.
 */
public final class BesselZeros {

    /**
     * Scan step. Consecutive zeros of {@code J_k} are more than {@code pi - 1} apart for every
     * integer order (they tend to {@code pi} from above for {@code k >= 1}, and are about
     * {@code pi} apart for {@code k = 0}), so a step of 0.1 never steps over two zeros at once.
     */
    private static final double SCAN_STEP = 0.1;

    private BesselZeros() {
    }

    /** {@code J_k(x)}, for integer order {@code k >= 0}. */
    public static double besselJ(int k, double x) {
        return BesselJ.value(k, x);
    }

    /**
     * The first {@code count} positive zeros of {@code J_k}, ascending.
     *
     * @param k     order, {@code 0 <= k <= 100}
     * @param count number of zeros wanted, {@code >= 1}
     * @return a new array of length {@code count}; element {@code q-1} is {@code j(k, q)}
     */
    public static double[] zeros(int k, int count) {
        if (k < 0 || k > 100) {
            throw new IllegalArgumentException("order k = " + k + " is outside the supported range 0..100");
        }
        if (count < 1) {
            throw new IllegalArgumentException("count = " + count + " must be >= 1");
        }
        double[] result = new double[count];
        // A solver per call: Hipparchus' solvers keep the function and interval of the current solve in fields, so
        // one shared between threads solved another thread's bracket ("interval does not bracket a root").
        BracketingNthOrderBrentSolver solver = new BracketingNthOrderBrentSolver(1e-15, 1e-15, 1e-300, 5);
        int found = 0;
        // J_k has no zero in (0, k] for k >= 1 (j(k,1) > k), and J_0 none in (0, 2].
        double lo = Math.max(k, 1.0);
        double fLo = besselJ(k, lo);
        while (found < count) {
            double hi = lo + SCAN_STEP;
            double fHi = besselJ(k, hi);
            if (fLo == 0.0) {
                result[found++] = lo;
            } else if (Math.signum(fLo) != Math.signum(fHi) && fHi != 0.0) {
                result[found++] = solver.solve(1000, x -> besselJ(k, x), lo, hi);
            }
            lo = hi;
            fLo = fHi;
        }
        return result;
    }

    /**
     * All positive zeros of {@code J_k} that are {@code <= limit}, ascending (possibly none).
     *
     * @param k     order, {@code 0 <= k <= 100}
     * @param limit upper bound on the zeros returned
     */
    public static double[] zerosUpTo(int k, double limit) {
        int count = 1;
        double[] z = zeros(k, count);
        while (z[z.length - 1] <= limit) {
            count *= 2;
            z = zeros(k, count);
        }
        int n = 0;
        while (n < z.length && z[n] <= limit) {
            n++;
        }
        return Arrays.copyOf(z, n);
    }
}
