package org.acdajvm.testkit;

import java.util.Arrays;

import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/**
 * Assertions that locate the bug when they fail: index {@code (n, o, h, w)}, expected, actual,
 * bound and shape. None of them returns a result a caller could forget to check.
 */
public final class Compare {

    private Compare() {
    }

    /** Asserts that every element of {@code actual} is within the oracle's bound; returns the report for counting. */
    public static ErrorReport assertAccepted(OracleResult oracle, Tensor actual, ErrorBounds.Evaluation evaluation,
                                      Object context) {
        ErrorReport r = ErrorReport.compare(oracle, actual, evaluation);
        if (!r.accepted()) {
            throw new AssertionError(r.describe() + "\n  case: " + context);
        }
        return r;
    }

    /**
     * Asserts {@code |actual - expected| <= tolerance} element by element, for two tensors of the
     * same shape, reporting the worst element.
     */
    public static void assertClose(double[] expected, float[] actual, double[] tolerance, int[] shape, Object context) {
        if (expected.length != actual.length) {
            throw new AssertionError("length " + actual.length + " != expected " + expected.length + " for shape "
                    + Arrays.toString(shape) + "\n  case: " + context);
        }
        int worst = -1;
        double worstRatio = 0;
        for (int i = 0; i < actual.length; i++) {
            double ratio = Math.abs(actual[i] - expected[i]) / tolerance[i];
            if (!(ratio <= 1) && (worst < 0 || !(ratio <= worstRatio))) {
                worst = i;
                worstRatio = ratio;
            }
        }
        if (worst >= 0) {
            throw new AssertionError("element " + AcdaShapes.index(shape, worst) + " of shape " + Arrays.toString(shape)
                    + ": expected " + expected[worst] + ", actual " + actual[worst] + ", |err| "
                    + Math.abs(actual[worst] - expected[worst]) + " > tolerance " + tolerance[worst] + "\n  case: " + context);
        }
    }

    /** Asserts that {@code after} is bit-for-bit {@code before}: a backend must not write into its inputs. */
    public static void assertUnchanged(Tensor before, Tensor after, String name) {
        if (!before.equals(after)) {
            float[] a = before.data();
            float[] b = after.data();
            int i = 0;
            while (i < a.length && Float.compare(a[i], b[i]) == 0) {
                i++;
            }
            throw new AssertionError("the backend modified its input " + name + " at flat index " + i + ": "
                    + (i < a.length ? a[i] + " -> " + b[i] : "shape changed"));
        }
    }
}
