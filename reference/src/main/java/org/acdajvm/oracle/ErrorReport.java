package org.acdajvm.oracle;

import java.util.Arrays;
import java.util.Locale;

import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * How far a candidate tensor is from the oracle (DESIGN section 7): the maximum error ratio
 * {@code |err| / bound} (accepted when {@code <= 1}), the maximum absolute and relative errors,
 * and where the worst ratio occurs with both values.
 *
 * <p>A NaN or infinite element in the candidate is never accepted; it is reported as the worst
 * element with an infinite ratio.
 *
 * @param shape      the compared shape
 * @param boundLabel what the bound assumed (the evaluation order, or the gradient chain length)
 * @param maxRatio   maximum of {@code |actual - expected| / bound}
 * @param maxAbs     maximum absolute error
 * @param maxRel     maximum relative error {@code |err| / |expected|} (elements with {@code expected = 0} excluded)
 * @param worst      flat index of the element with the largest ratio
 * @param expected   oracle value there
 * @param actual     candidate value there
 * @param bound      bound there
 * @param elements   number of elements compared
 * @param rejected   number of elements whose ratio exceeds 1
 */
public record ErrorReport(int[] shape, String boundLabel, double maxRatio, double maxAbs, double maxRel, int worst,
                          double expected, double actual, double bound, int elements, int rejected) {

    /**
     * Compares a float32 output with the oracle's result.
     *
     * @throws IllegalArgumentException if the shapes differ (naming both)
     */
    public static ErrorReport compare(OracleResult oracle, Tensor actual, ErrorBounds.Evaluation evaluation) {
        return compare(oracle.shape(), oracle.y(), bounds(oracle, evaluation), widen(actual), actual.shape(),
                evaluation.name().toLowerCase(Locale.ROOT).replace('_', '-'));
    }

    /** Every element's bound of an oracle result for one evaluation order. */
    public static double[] bounds(OracleResult oracle, ErrorBounds.Evaluation evaluation) {
        double[] b = new double[oracle.size()];
        for (int i = 0; i < b.length; i++) {
            b[i] = oracle.bound(i, evaluation);
        }
        return b;
    }

    /**
     * The general comparison: {@code actual} (of shape {@code actualShape}) against {@code expected}
     * (of shape {@code shape}) with a bound per element.
     *
     * @throws IllegalArgumentException if the shapes differ (naming both)
     */
    public static ErrorReport compare(int[] shape, double[] expected, double[] bound, double[] actual, int[] actualShape,
                                      String boundLabel) {
        if (!Arrays.equals(shape, actualShape)) {
            throw new IllegalArgumentException("the tensor to check has shape " + Arrays.toString(actualShape)
                    + ", the oracle's is " + Arrays.toString(shape));
        }
        double maxRatio = -1;
        double maxAbs = 0;
        double maxRel = 0;
        int worst = 0;
        int rejected = 0;
        for (int i = 0; i < actual.length; i++) {
            double err = Math.abs(actual[i] - expected[i]);
            double ratio = Double.isFinite(actual[i]) ? err / bound[i] : Double.POSITIVE_INFINITY;
            if (ratio > 1) {
                rejected++;
            }
            if (ratio > maxRatio) {
                maxRatio = ratio;
                worst = i;
            }
            if (Double.isFinite(actual[i])) {
                maxAbs = Math.max(maxAbs, err);
                if (expected[i] != 0) {
                    maxRel = Math.max(maxRel, err / Math.abs(expected[i]));
                }
            } else {
                maxAbs = Double.POSITIVE_INFINITY;
                maxRel = Double.POSITIVE_INFINITY;
            }
        }
        boolean empty = actual.length == 0;
        return new ErrorReport(shape.clone(), boundLabel, Math.max(0, maxRatio), maxAbs, maxRel, worst, empty ? 0 : expected[worst],
                empty ? 0 : actual[worst], empty ? 0 : bound[worst], actual.length, rejected);
    }

    /**
     * Per-slice summary along {@code axis} (for an output {@code [N, O, H, W]}, axis 1 gives one row
     * per output channel): {@code {max ratio, max abs error, elements over}} per index of that axis.
     */
    public static double[][] perIndex(int[] shape, double[] expected, double[] bound, double[] actual, int axis) {
        int inner = 1;
        for (int a = axis + 1; a < shape.length; a++) {
            inner *= shape[a];
        }
        double[][] r = new double[shape[axis]][3];
        for (int i = 0; i < actual.length; i++) {
            int idx = (i / inner) % shape[axis];
            double err = Math.abs(actual[i] - expected[i]);
            double ratio = Double.isFinite(actual[i]) ? err / bound[i] : Double.POSITIVE_INFINITY;
            r[idx][0] = Math.max(r[idx][0], ratio);
            r[idx][1] = Math.max(r[idx][1], Double.isFinite(actual[i]) ? err : Double.POSITIVE_INFINITY);
            if (ratio > 1) {
                r[idx][2]++;
            }
        }
        return r;
    }

    /** A float tensor's data widened to double. */
    public static double[] widen(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.data()[i];
        }
        return d;
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
                Arrays.toString(shape), expected, actual, Math.abs(actual - expected), bound, boundLabel);
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
