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
 */
public record OracleResult(int[] shape, double[] y, double[] sumAbs, double[] carried,
                           java.util.Map<ErrorBounds.Evaluation, Integer> chainLength) {

    public OracleResult {
        int n = (int) Tensor.elementCount(shape);
        if (y.length != n || sumAbs.length != n || carried.length != n) {
            throw new IllegalArgumentException("oracle arrays do not match shape " + Arrays.toString(shape));
        }
    }

    /** The acceptance bound of element {@code i} for a path evaluating in order {@code evaluation}. */
    public double bound(int i, ErrorBounds.Evaluation evaluation) {
        return ErrorBounds.accept(chainLength.get(evaluation), sumAbs[i], carried[i]);
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
                && chainLength.equals(r.chainLength);
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
