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
}
