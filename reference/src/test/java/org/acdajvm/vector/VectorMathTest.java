package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VectorMathTest {

    private static final int L = VectorGemm.L;

    /** Max error in ulps of the result, and max absolute error, over {@code count} points of {@code [lo, hi]}. */
    private static double[] sweep(float lo, float hi, int count) {
        float[] in = new float[L];
        float[] out = new float[L];
        double maxUlp = 0;
        double maxAbs = 0;
        for (int i = 0; i < count; i += L) {
            for (int j = 0; j < L; j++) {
                in[j] = lo + (hi - lo) * (float) (i + j) / count;
            }
            System.arraycopy(in, 0, out, 0, L);
            VectorMath.tanhInPlace(out, 0);
            for (int j = 0; j < L; j++) {
                double exact = Math.tanh(in[j]);
                double err = Math.abs(out[j] - exact);
                maxAbs = Math.max(maxAbs, err);
                maxUlp = Math.max(maxUlp, err / Math.ulp((float) exact));
            }
        }
        return new double[] {maxUlp, maxAbs};
    }

    @Test
    void tanhIsWithinTwoUlpEverywhere() {
        double[] wide = sweep(-12f, 12f, 4_000_000);
        assertTrue(wide[0] <= 2.0, "max ulp error over [-12, 12]: " + wide[0]);
        double[] small = sweep(-1e-3f, 1e-3f, 200_000);
        assertTrue(small[0] <= 2.0, "max ulp error near 0: " + small[0]);
        double[] edge = sweep(0.5f, 0.6f, 400_000);
        assertTrue(edge[0] <= 2.0, "max ulp error around the switch at 0.55: " + edge[0]);
    }

    @Test
    void tanhHasTheRightSymmetryAndLimits() {
        float[] in = new float[L];
        float[] pos = new float[L];
        float[] neg = new float[L];
        for (int j = 0; j < L; j++) {
            in[j] = 0.37f * j - 2.1f;
        }
        for (int j = 0; j < L; j++) {
            pos[j] = in[j];
            neg[j] = -in[j];
        }
        VectorMath.tanhInPlace(pos, 0);
        VectorMath.tanhInPlace(neg, 0);
        for (int j = 0; j < L; j++) {
            assertEquals(-pos[j], neg[j], 0f, "odd at " + in[j]);
        }
        float[] big = new float[L];
        java.util.Arrays.fill(big, 30f);
        VectorMath.tanhInPlace(big, 0);
        assertEquals(1f, big[0], 0f);
        float[] zero = new float[L];
        VectorMath.tanhInPlace(zero, 0);
        assertEquals(0f, zero[0], 0f);
    }
}
