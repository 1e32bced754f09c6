package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acdajvm.oracle.ErrorBounds;
import org.junit.jupiter.api.Test;

/** {@link VectorMath#expInPlace} against {@link Math#exp}: within the tight tier's ulps on PAC's range {@code z <= 0}. */
class VectorExpTest {

    private static final int L = VectorGemm.L;

    /** Max error in ulps of the (normal) result over {@code count} points of {@code [lo, hi]}; subnormal results must be 0. */
    private static double sweep(float lo, float hi, int count) {
        float[] out = new float[L];
        float[] in = new float[L];
        double maxUlp = 0;
        for (int i = 0; i < count; i += L) {
            for (int j = 0; j < L; j++) {
                in[j] = lo + (hi - lo) * (float) (i + j) / count;
            }
            System.arraycopy(in, 0, out, 0, L);
            VectorMath.expInPlace(out, 0);
            for (int j = 0; j < L; j++) {
                double exact = Math.exp(in[j]);
                if (exact < Float.MIN_NORMAL) {
                    assertTrue(out[j] == 0f || Math.abs(out[j] - exact) <= Float.MIN_NORMAL, "exp(" + in[j] + ") = " + out[j]);
                    continue;
                }
                maxUlp = Math.max(maxUlp, Math.abs(out[j] - exact) / Math.ulp((float) exact));
            }
        }
        return maxUlp;
    }

    @Test
    void expIsWithinTheTightUlpsOnTheGaussiansRange() {
        double wide = sweep(-90f, 0f, 4_000_000);
        assertTrue(wide <= ErrorBounds.EXP_TIGHT_ULPS, "max ulp error over [-90, 0]: " + wide);
        double near = sweep(-1e-3f, 0f, 200_000);
        assertTrue(near <= 1.0, "max ulp error near 0: " + near);
        System.out.printf("VectorMath.expInPlace: max %.3f ulp over [-90, 0], %.3f ulp near 0%n", wide, near);
    }

    @Test
    void exactPoints() {
        float[] a = new float[L];
        a[0] = 0f;
        a[1] = -1000f;
        a[2] = Float.NEGATIVE_INFINITY;
        VectorMath.expInPlace(a, 0);
        assertEquals(1f, a[0]);
        assertEquals(0f, a[1]);
        assertEquals(0f, a[2]);
    }

    /** {@link VectorMath#logInto} and {@link VectorMath#powInPlace} against {@link Math#log} and {@link Math#pow}. */
    @Test
    void logAndPowAreAccurate() {
        float[] x = new float[L];
        float[] out = new float[L];
        float[] tmp = new float[L];
        double maxLogAbs = 0;
        java.util.SplittableRandom r = new java.util.SplittableRandom(3);
        for (int i = 0; i < 200_000; i++) {
            for (int j = 0; j < L; j++) {
                x[j] = (float) Math.exp(r.nextDouble(-12, 12));
            }
            VectorMath.logInto(x, 0, out, 0);
            for (int j = 0; j < L; j++) {
                double exact = Math.log(x[j]);
                // An error of u |ln x| or one ulp of 1 is what rounding ln x to float allows.
                maxLogAbs = Math.max(maxLogAbs, Math.abs(out[j] - exact) / Math.max(Math.ulp((float) exact), Math.ulp(1f)));
            }
        }
        assertTrue(maxLogAbs <= 2.0, "log: max error " + maxLogAbs + " ulp (of the result, or of 1 near x = 1)");
        double maxPow = 0;
        for (int i = 0; i < 200_000; i++) {
            float h = (float) r.nextDouble(-2, 2);
            for (int j = 0; j < L; j++) {
                x[j] = (float) (r.nextDouble(0, 9) + 1e-4);
            }
            float[] p = x.clone();
            VectorMath.powInPlace(p, 0, h, tmp);
            for (int j = 0; j < L; j++) {
                double exact = Math.pow(x[j], h);
                // The policy's allowance: POW_TIGHT_ULPS plus 2 |ln P| ulps (the exponent's own rounding).
                double allowed = ErrorBounds.POW_TIGHT_ULPS + 2 * Math.abs(Math.log(exact));
                maxPow = Math.max(maxPow, Math.abs(p[j] - exact) / Math.ulp((float) exact) / allowed);
            }
        }
        assertTrue(maxPow <= 1.0, "pow: max error " + maxPow + " of the allowance");
        System.out.printf("VectorMath: log within %.3f ulp; pow within %.3f of its allowance%n", maxLogAbs, maxPow);
    }
}
