package org.acdajvm.oracle;

import java.util.Arrays;

import org.acdajvm.tensor.Tensor;

/**
 * The oracle's answer for one forward call: the exact output in double, and beside every element
 * the two ingredients of its acceptance bound (DESIGN section 7): {@code S}, the sum of absolute
 * values of every product of its expanded expression, and {@code E}, the error a float32 path
 * carries in from values it computed itself (the generator output).
 *
 * <p>Arrays are row-major with the same {@code shape} as the output tensor, and owned by this
 * object: callers must not modify them.
 *
 * @param shape       output shape, e.g. {@code [N, O, H', W']}
 * @param y           exact output (double accumulation)
 * @param sumAbs      {@code S} per element
 * @param carried     {@code E} per element
 * @param chainLength the chain length {@code n} of every element, per evaluation order
 * @param variance    the tight tier's variance proxies {@code [order][component][element]}: order 0 two-layer,
 *                    1 per-pixel filter; components {@code A, B, C} of {@link ForwardRounding}
 * @param computed    which elements were computed ({@code null}: all); a sampled run ({@code verify --pixels})
 *                    leaves the others at 0, and comparisons skip them
 */
public record OracleResult(int[] shape, double[] y, double[] sumAbs, double[] carried,
                           java.util.Map<ErrorBounds.Evaluation, Integer> chainLength, double[][][] variance,
                           boolean[] computed) {

    /** A result computed at every element. */
    public OracleResult(int[] shape, double[] y, double[] sumAbs, double[] carried,
                        java.util.Map<ErrorBounds.Evaluation, Integer> chainLength, double[][][] variance) {
        this(shape, y, sumAbs, carried, chainLength, variance, null);
    }

    public OracleResult {
        int n = (int) Tensor.elementCount(shape);
        if (y.length != n || sumAbs.length != n || carried.length != n) {
            throw new IllegalArgumentException("oracle arrays do not match shape " + Arrays.toString(shape));
        }
        for (double[][] order : variance) {
            for (double[] component : order) {
                if (component.length != n) {
                    throw new IllegalArgumentException("oracle variance arrays do not match shape " + Arrays.toString(shape));
                }
            }
        }
    }

    /** The worst-case bound of element {@code i} for a float32 path evaluating in order {@code evaluation}. */
    public double bound(int i, ErrorBounds.Evaluation evaluation) {
        return ErrorBounds.accept(chainLength.get(evaluation), sumAbs[i], carried[i]);
    }

    /** The worst-case bound of element {@code i} in a precision. */
    public double worstCaseBound(int i, ErrorBounds.Evaluation evaluation, Precision precision) {
        return ErrorBounds.worstCase(chainLength.get(evaluation), sumAbs[i], carried[i], precision);
    }

    /** The tight tier's {@code sigma} of element {@code i}: for {@link ErrorBounds.Evaluation#ANY} the larger of the two orders'. */
    public double sigma(int i, ErrorBounds.Evaluation evaluation, Precision precision) {
        return switch (evaluation) {
            case TWO_LAYER -> sigmaOf(0, i, precision);
            case PER_PIXEL_FILTER -> sigmaOf(1, i, precision);
            case ANY -> Math.max(sigmaOf(0, i, precision), sigmaOf(1, i, precision));
        };
    }

    private double sigmaOf(int order, int i, Precision precision) {
        return ErrorBounds.sigma(variance[order][0][i], variance[order][1][i], variance[order][2][i], precision);
    }

    /** The tight bound of element {@code i}: {@code LAMBDA sigma + n 2^-149 + tiny}. */
    public double tightBound(int i, ErrorBounds.Evaluation evaluation, Precision precision) {
        return ErrorBounds.tight(sigma(i, evaluation, precision), chainLength.get(evaluation));
    }

    /** True when element {@code i} was computed. */
    public boolean isComputed(int i) {
        return computed == null || computed[i];
    }

    /** The number of elements computed. */
    public int computedCount() {
        if (computed == null) {
            return y.length;
        }
        int n = 0;
        for (boolean c : computed) {
            n += c ? 1 : 0;
        }
        return n;
    }

    /** The output rounded to float32. */
    public Tensor toTensor() {
        return Tensor.fromDoubles(y, shape);
    }

    public int size() {
        return y.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof OracleResult r && Arrays.equals(shape, r.shape) && Arrays.equals(y, r.y)
                && Arrays.equals(sumAbs, r.sumAbs) && Arrays.equals(carried, r.carried)
                && chainLength.equals(r.chainLength) && Arrays.deepEquals(variance, r.variance)
                && Arrays.equals(computed, r.computed);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(y);
    }

    @Override
    public String toString() {
        return "OracleResult" + Arrays.toString(shape);
    }
}
