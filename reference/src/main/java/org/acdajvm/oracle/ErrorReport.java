package org.acdajvm.oracle;

import java.util.Arrays;
import java.util.Locale;

import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * How far a float32 output is from the oracle (DESIGN section 7): the maximum error ratio
 * {@code |err| / bound} (accepted when {@code <= 1}), the maximum absolute and relative errors,
 * and where the worst ratio occurs with both values.
 *
 * <p>A NaN or infinite element in the candidate is never accepted; it is reported as the worst
 * element with an infinite ratio.
 *
 * @param shape        the compared shape
 * @param evaluation   the evaluation order whose chain length the bound used
 * @param maxRatio     maximum of {@code |y - y_oracle| / bound}
 * @param maxAbs       maximum absolute error
 * @param maxRel       maximum relative error {@code |err| / |y_oracle|} (elements with {@code y_oracle = 0} excluded)
 * @param worst        flat index of the element with the largest ratio
 * @param expected     oracle value there
 * @param actual       candidate value there
 * @param bound        bound there
 * @param elements     number of elements compared
 * @param rejected     number of elements whose ratio exceeds 1
 */
public record ErrorReport(int[] shape, ErrorBounds.Evaluation evaluation, double maxRatio, double maxAbs,
                          double maxRel, int worst, double expected, double actual, double bound,
                          int elements, int rejected) {

    /**
     * Compares {@code actual} with the oracle's result.
     *
     * @throws IllegalArgumentException if the shapes differ (naming both)
     */
    public static ErrorReport compare(OracleResult oracle, Tensor actual, ErrorBounds.Evaluation evaluation) {
        if (!actual.hasShape(oracle.shape())) {
            throw new IllegalArgumentException("output has shape " + actual.shapeString() + ", the oracle's is "
                    + Arrays.toString(oracle.shape()));
        }
        float[] a = actual.data();
        double maxRatio = -1;
        double maxAbs = 0;
        double maxRel = 0;
        int worst = 0;
        int rejected = 0;
        for (int i = 0; i < a.length; i++) {
            double bound = oracle.bound(i, evaluation);
            double err = Math.abs(a[i] - oracle.y()[i]);
            double ratio = Float.isFinite(a[i]) ? err / bound : Double.POSITIVE_INFINITY;
            if (ratio > 1) {
                rejected++;
            }
            if (ratio > maxRatio) {
                maxRatio = ratio;
                worst = i;
            }
            if (Float.isFinite(a[i])) {
                maxAbs = Math.max(maxAbs, err);
                if (oracle.y()[i] != 0) {
                    maxRel = Math.max(maxRel, err / Math.abs(oracle.y()[i]));
                }
            } else {
                maxAbs = Double.POSITIVE_INFINITY;
                maxRel = Double.POSITIVE_INFINITY;
            }
        }
        if (a.length == 0) {
            maxRatio = 0;
        }
        double expected = a.length == 0 ? 0 : oracle.y()[worst];
        double act = a.length == 0 ? 0 : a[worst];
        double bound = a.length == 0 ? 0 : oracle.bound(worst, evaluation);
        return new ErrorReport(oracle.shape(), evaluation, maxRatio, maxAbs, maxRel, worst, expected, act, bound,
                a.length, rejected);
    }

    /** True when every element is within its bound. */
    public boolean accepted() {
        return rejected == 0;
    }

    /** The worst element's index as {@code (n, o, h, w)}. */
    public String worstIndex() {
        return AcdaShapes.index(shape, worst);
    }

    /** A one-paragraph description that locates the worst element, for failure messages and reports. */
    public String describe() {
        return String.format(Locale.ROOT,
                "%s: max error ratio %.3g (accepted when <= 1; %d of %d elements over), max abs %.3g, max rel %.3g; "
                        + "worst at %s of shape %s: expected %.9g, actual %.9g, |err| %.3g, bound %.3g (%s)",
                accepted() ? "ACCEPTED" : "REJECTED", maxRatio, rejected, elements, maxAbs, maxRel, worstIndex(),
                Arrays.toString(shape), expected, actual, Math.abs(actual - expected), bound,
                evaluation.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorReport r && Arrays.equals(shape, r.shape) && maxRatio == r.maxRatio
                && worst == r.worst && rejected == r.rejected;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(maxRatio) * 31 + worst;
    }

    @Override
    public String toString() {
        return describe();
    }
}
