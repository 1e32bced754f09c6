package org.acdajvm.testkit;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;

/**
 * The gradient comparisons of the contract, in one place: a backend's float32 gradients against
 * the oracle's backward. Like {@link Compare}, every method asserts and returns nothing a caller
 * could forget to check; failures name the tensor, the index, both values and the bound.
 */
public final class GradientCompare {

    private GradientCompare() {
    }

    /**
     * Asserts that {@code actual} has exactly the oracle's keys, in order, and shapes, and that every
     * gradient is ACCEPTED by the verdict of DESIGN section 7 (the tight tier: per element and the
     * aggregate test, float32).
     *
     * @return the number of elements compared
     */
    public static long assertAccepted(AcdaOracleBackward.Gradients oracle, Map<String, Tensor> actual, Object context) {
        assertSameKeysAndShapes(oracle, actual, context);
        long compared = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : oracle.byKey().entrySet()) {
            Tensor t = actual.get(e.getKey());
            ErrorReport r = ErrorReport.compare(e.getValue().reference(Precision.FP32), ErrorReport.widen(t), t.shape(),
                    ErrorReport.Tier.TIGHT);
            if (!r.accepted()) {
                throw new AssertionError("gradient " + e.getKey() + ": " + r.describe() + "\n  case: " + context);
            }
            compared += t.size();
        }
        return compared;
    }

    /**
     * Asserts, per tensor, {@code max_i |actual_i - oracle_i| <= maxRelative * scale}, where {@code scale} is the
     * larger of {@code max_i |oracle_i|} and {@code max_i sqrt(A_i / n)}, the root mean square of the values a
     * float32 backward rounds on the way to element {@code i} ({@code A}: the tight tier's variance proxy, a sum of
     * squares over the {@code n} steps of the chain). Without cancellation the second is below the first, and the
     * measure is the error relative to the gradient's size: float32 rounding of a correct backward keeps it at a
     * few 1e-6 (2.6e-6 the worst seen on the contract's cases) and almost every real bug exceeds it, where the
     * worst-case bound alone is loose enough to let small ones through. A gradient that is a small sum of large terms
     * (a one-channel {@code coef} summed over every pixel: 8.2e-4 from partial sums near 1) is measured against
     * the size of its partial sums instead, whose rounding a correct backward cannot avoid: relative to the
     * gradient alone, one such case read 3.0e-4 and failed a correct scalar backward.
     *
     * @return the largest relative error seen, over all tensors
     */
    public static double assertRelativeError(AcdaOracleBackward.Gradients oracle, Map<String, Tensor> actual, double maxRelative,
                                      Object context) {
        assertSameKeysAndShapes(oracle, actual, context);
        double largest = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : oracle.byKey().entrySet()) {
            double[] expected = e.getValue().value();
            float[] a = actual.get(e.getKey()).data();
            double maxErr = 0;
            double maxAbs = 0;
            double maxRounded = 0;
            int worst = 0;
            double[] proxy = e.getValue().variance()[0];
            int n = Math.max(1, e.getValue().chainLength());
            for (int i = 0; i < a.length; i++) {
                double err = Math.abs(a[i] - expected[i]);
                if (!(err <= maxErr)) {
                    maxErr = err;
                    worst = i;
                }
                maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
                maxRounded = Math.max(maxRounded, Math.sqrt(proxy[i] / n));
            }
            if (maxAbs == 0) {
                if (maxErr != 0) {
                    throw new AssertionError("gradient " + e.getKey() + " must be exactly zero (the oracle's is) but element "
                            + AcdaShapes.index(e.getValue().shape(), worst) + " is " + a[worst] + "\n  case: " + context);
                }
                continue;
            }
            double rel = maxErr / Math.max(maxAbs, maxRounded);
            largest = Math.max(largest, rel);
            if (!(rel <= maxRelative)) {
                throw new AssertionError("gradient " + e.getKey() + ": max |err| / max(max |grad|, rms rounded) = " + rel
                        + " > " + maxRelative + "; worst element " + AcdaShapes.index(e.getValue().shape(), worst)
                        + " of shape " + Arrays.toString(e.getValue().shape()) + ": oracle " + expected[worst] + ", actual "
                        + a[worst] + ", max |grad| " + maxAbs + ", rms rounded " + maxRounded + "\n  case: " + context);
            }
        }
        return largest;
    }

    private static void assertSameKeysAndShapes(AcdaOracleBackward.Gradients oracle, Map<String, Tensor> actual,
                                                Object context) {
        List<String> expectedKeys = List.copyOf(oracle.byKey().keySet());
        if (!expectedKeys.equals(List.copyOf(actual.keySet()))) {
            throw new AssertionError("gradient keys " + actual.keySet() + ", expected " + expectedKeys + " in that order"
                    + "\n  case: " + context);
        }
        oracle.byKey().forEach((key, g) -> {
            if (!actual.get(key).hasShape(g.shape())) {
                throw new AssertionError("gradient " + key + " has shape " + actual.get(key).shapeString() + ", expected "
                        + Arrays.toString(g.shape()) + "\n  case: " + context);
            }
        });
    }
}
