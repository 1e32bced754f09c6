package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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

    /**
     * The method of {@link VectorMath}'s class comment written plainly ({@code min}/{@code max} clamps, a float-to-int
     * conversion for {@code 2^n}, a masked negation), as {@code tanhInPlace} was before it was rewritten for speed.
     */
    private static void plainTanh(float[] a, int off) {
        VectorSpecies<Float> s = VectorGemm.S;
        VectorSpecies<Integer> is = VectorSpecies.of(int.class, s.vectorShape());
        FloatVector x = FloatVector.fromArray(s, a, off);
        FloatVector ax = x.abs();
        FloatVector x2 = x.mul(x);
        FloatVector p = x2.fma(-0.0062726075f, 0.021070253f).fma(x2, FloatVector.broadcast(s, -0.053851865f))
                .fma(x2, FloatVector.broadcast(s, 0.1333258f)).fma(x2, FloatVector.broadcast(s, -0.33333316f));
        FloatVector small = x.mul(x2).fma(p, x);
        FloatVector z = ax.min(9.5f).max(0.55f).mul(-2f);
        FloatVector n = z.mul(1.4426950408889634f).add(12582912.0f).sub(12582912.0f);
        FloatVector r = n.fma(FloatVector.broadcast(s, -0.693145751953125f), z);
        r = n.fma(FloatVector.broadcast(s, -1.4286068e-6f), r);
        FloatVector q = r.fma(0.00137514f, 0.00836892f).fma(r, FloatVector.broadcast(s, 0.04166953f))
                .fma(r, FloatVector.broadcast(s, 0.16666518f)).fma(r, FloatVector.broadcast(s, 0.49999988f));
        FloatVector er = r.mul(r).fma(q, r.add(1f));
        IntVector bits = ((IntVector) n.convertShape(VectorOperators.F2I, is, 0)).add(127)
                .lanewise(VectorOperators.LSHL, 23);
        FloatVector e = er.mul(bits.reinterpretAsFloats());
        FloatVector big = FloatVector.broadcast(s, 1f).sub(e.add(e).div(e.add(1f)));
        big = big.lanewise(VectorOperators.NEG, x.compare(VectorOperators.LT, 0f));
        small.blend(big, ax.compare(VectorOperators.GE, 0.55f)).intoArray(a, off);
    }

    @Test
    void tanhGivesTheBitsOfThePlainFormAndOfOneVectorAtATime() {
        // Dense in [-12, 12], every float around the switch at 0.55 and the clamp at 9.5, signed zeros, tiny values.
        java.util.List<Float> points = new java.util.ArrayList<>();
        for (int i = 0; i < 3_000_000; i++) {
            points.add(-12f + 24f * i / 3_000_000);
        }
        for (float centre : new float[] {0.55f, -0.55f, 9.5f, -9.5f}) {
            int b = Float.floatToRawIntBits(centre);
            for (int d = -20_000; d <= 20_000; d++) {
                points.add(Float.intBitsToFloat(b + d));
            }
        }
        for (float v : new float[] {0f, -0f, Float.MIN_VALUE, -Float.MIN_VALUE, 1e-30f, -1e-30f, 30f, -30f, 1e30f}) {
            points.add(v);
        }
        int vectors = (points.size() + L - 1) / L;
        float[] in = new float[vectors * L];
        for (int i = 0; i < points.size(); i++) {
            in[i] = points.get(i);
        }
        float[] plain = in.clone();
        float[] one = in.clone();
        float[] many = in.clone();
        for (int v = 0; v < vectors; v++) {
            plainTanh(plain, v * L);
            VectorMath.tanhInPlace(one, v * L);
        }
        for (int v = 0; v < vectors; v += 24) {
            VectorMath.tanhInPlace(many, v * L, Math.min(24, vectors - v));
        }
        for (int i = 0; i < in.length; i++) {
            int expected = Float.floatToRawIntBits(plain[i]);
            assertEquals(expected, Float.floatToRawIntBits(one[i]), "tanh(" + in[i] + ")");
            assertEquals(expected, Float.floatToRawIntBits(many[i]), "tanh(" + in[i] + "), 24 vectors a call");
        }
    }
}
