package org.acdajvm.vector;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * A float32 {@code tanh} on vectors built from IEEE operations only (add, multiply, fused
 * multiply-add, divide, min, max, compare), so that it gives the same bits in the interpreter, in
 * C1 and in C2 code and on every machine. {@code VectorOperators.TANH} does not: C2 calls an
 * intrinsic (Intel SVML) while the interpreter evaluates {@code Math.tanh} lane by lane, so results
 * would depend on how warm the JIT is and, through that, on the thread count.
 *
 * <p>Accuracy, measured against {@link Math#tanh} over every float in {@code [-12, 12]} sampled
 * densely (see {@code VectorMathTest}): at most 1.4 ulp, well inside the 8 ulp the error policy
 * allows ({@link org.acdajvm.oracle.ErrorBounds#TANH_ULPS}).
 *
 * <p>Method. For {@code |x| < 0.55}: {@code tanh x = x + x^3 P(x^2)}, {@code P} of degree 4 fitted
 * by weighted least squares (relative error of tanh) on Chebyshev nodes of {@code x^2 in [0, 0.3025]}.
 * For {@code |x| >= 0.55}: {@code tanh|x| = 1 - 2E/(1 + E)}, {@code E = exp(-2|x|)}, with
 * {@code |x|} clamped to 9.5 (beyond which tanh rounds to 1 in float32). {@code exp(z)} for
 * {@code z in [-19, -1.1]}: {@code n = rint(z log2 e)}, {@code r = z - n ln2} (ln2 split in a
 * 16-bit head and a tail so that {@code n * head} is exact), {@code exp r = 1 + r + r^2 Q(r)},
 * {@code Q} of degree 4 fitted the same way on {@code |r| <= ln2/2}, then scaled by {@code 2^n}
 * built in the exponent bits.
 */
final class VectorMath {

    private static final VectorSpecies<Float> S = VectorGemm.S;
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, S.vectorShape());

    private static final float P0 = -0.33333316f;
    private static final float P1 = 0.1333258f;
    private static final float P2 = -0.053851865f;
    private static final float P3 = 0.021070253f;
    private static final float P4 = -0.0062726075f;

    private static final float Q0 = 0.49999988f;
    private static final float Q1 = 0.16666518f;
    private static final float Q2 = 0.04166953f;
    private static final float Q3 = 0.00836892f;
    private static final float Q4 = 0.00137514f;

    private static final float SWITCH = 0.55f;
    private static final float CLAMP = 9.5f;
    private static final float LOG2E = 1.4426950408889634f;
    /** 1.5 * 2^23: adding and subtracting it rounds a float of magnitude below 2^22 to the nearest integer. */
    private static final float ROUND = 12582912.0f;
    /** The bits of {@link #ROUND}: those of {@code ROUND + n} minus these are {@code n} for integers {@code |n| < 2^22}. */
    private static final int ROUND_BITS = 0x4B400000;
    private static final int SIGN_BIT = 0x80000000;
    private static final float LN2_HI = 0.693145751953125f;
    private static final float LN2_LO = 1.4286068e-6f;

    private VectorMath() {
    }

    /**
     * {@code a[i] = max(a[i] * mul + add, 0)} for {@code i} in {@code [off, off + len)}: a folded BatchNorm then ReLU,
     * multiply then add (two roundings, as the scalar form; ReLU itself is exact).
     */
    static void affineReluInPlace(float[] a, int off, int len, float mul, float add) {
        FloatVector m = FloatVector.broadcast(S, mul);
        FloatVector c = FloatVector.broadcast(S, add);
        FloatVector zero = FloatVector.zero(S);
        int i = 0;
        for (int bound = S.loopBound(len); i < bound; i += S.length()) {
            FloatVector.fromArray(S, a, off + i).mul(m).add(c).max(zero).intoArray(a, off + i);
        }
        for (; i < len; i++) {
            a[off + i] = Math.max(a[off + i] * mul + add, 0f);
        }
    }

    /**
     * Replaces the {@code L} floats at {@code a[off ..]} by their {@code tanh} (finite inputs): {@link
     * #tanhInPlace(float[], int, int)} of one vector.
     */
    static void tanhInPlace(float[] a, int off) {
        tanhInPlace(a, off, 1);
    }

    /**
     * Replaces the {@code vectors * L} floats at {@code a[off ..]} by their {@code tanh} (finite inputs), vector by
     * vector. Arrays in and out, so that no vector crosses a method boundary: a vector passed to or returned from a
     * call the JIT does not inline is boxed on the heap. The constants are broadcast once per call, before the loop.
     *
     * <p>Written for the x86 code C2 makes of it (a generator convolution's epilogue spent about 12% of the stage
     * here): the clamps are compare-and-blend rather than {@code min}/{@code max}, whose Java semantics (NaN,
     * {@code -0.0}) cost six instructions each; {@code 2^n} takes {@code n} from the bits of {@code z log2e + 1.5 *
     * 2^23} rather than a float-to-int conversion with its out-of-range fix-up; the sign is OR-ed in rather than a
     * masked negation. For finite inputs every step computes the same float as the plain form in the class comment
     * (checked on every float of {@code [-12, 12]}: the same bits), so the generator's outputs do not change.
     */
    static void tanhInPlace(float[] a, int off, int vectors) {
        FloatVector p0 = FloatVector.broadcast(S, P0);
        FloatVector p1 = FloatVector.broadcast(S, P1);
        FloatVector p2 = FloatVector.broadcast(S, P2);
        FloatVector p3 = FloatVector.broadcast(S, P3);
        FloatVector p4 = FloatVector.broadcast(S, P4);
        FloatVector q0 = FloatVector.broadcast(S, Q0);
        FloatVector q1 = FloatVector.broadcast(S, Q1);
        FloatVector q2 = FloatVector.broadcast(S, Q2);
        FloatVector q3 = FloatVector.broadcast(S, Q3);
        FloatVector q4 = FloatVector.broadcast(S, Q4);
        FloatVector lnHi = FloatVector.broadcast(S, -LN2_HI);
        FloatVector lnLo = FloatVector.broadcast(S, -LN2_LO);
        FloatVector one = FloatVector.broadcast(S, 1f);
        for (int i = 0, o = off; i < vectors; i++, o += VectorGemm.L) {
            FloatVector x = FloatVector.fromArray(S, a, o);
            FloatVector ax = x.abs();
            FloatVector s = x.mul(x);
            FloatVector p = s.fma(p4, p3).fma(s, p2).fma(s, p1).fma(s, p0);
            FloatVector small = x.mul(s).fma(p, x);

            // exp(z), z = -2 * clamp(|x|, 0.55, 9.5) in [-19, -1.1]; n = rint(z log2e) from the bits of
            // nr = z log2e + 1.5 * 2^23 (a float in [2^23, 2^24): its integer part is its mantissa).
            VectorMask<Float> isBig = ax.compare(VectorOperators.GE, SWITCH);
            FloatVector z = ax.blend(CLAMP, ax.compare(VectorOperators.GT, CLAMP)).blend(SWITCH, isBig.not()).mul(-2f);
            FloatVector nr = z.mul(LOG2E).add(ROUND);
            FloatVector n = nr.sub(ROUND);
            FloatVector r = n.fma(lnHi, z);
            r = n.fma(lnLo, r);
            FloatVector q = r.fma(q4, q3).fma(r, q2).fma(r, q1).fma(r, q0);
            FloatVector er = r.mul(r).fma(q, r.add(one));
            IntVector bits = nr.reinterpretAsInts().add(127 - ROUND_BITS).lanewise(VectorOperators.LSHL, 23);
            FloatVector e = er.mul(bits.reinterpretAsFloats());

            // tanh|x| = 1 - 2E/(1 + E) is in [0.5, 1): the sign of x goes into its sign bit.
            FloatVector big = one.sub(e.add(e).div(e.add(one)));
            big = big.reinterpretAsInts().or(x.reinterpretAsInts().and(SIGN_BIT)).reinterpretAsFloats();
            small.blend(big, isBig).intoArray(a, o);
        }
    }

    /** Below this, {@code exp} is subnormal in float32: {@link #expInPlace} gives 0 (a flush the error policy allows). */
    private static final float EXP_MIN = -87.336544f;

    /**
     * Replaces the {@code L} floats at {@code a[off ..]} (each {@code <= 0}) by their {@code exp}, from the same
     * reduction and polynomial as {@link #tanhInPlace}'s {@code exp} (which keeps its own inline copy, so that
     * ACDA's bits and speed never depend on what the JIT inlines): {@code n = rint(z log2 e)},
     * {@code r = z - n ln2}, {@code exp r = 1 + r + r^2 Q(r)}, times {@code 2^n}. Results that would be subnormal
     * ({@code z < ln 2^-126 = -87.3365}) are 0. Accuracy against {@link Math#exp} in {@code VectorExpTest}.
     */
    static void expInPlace(float[] a, int off) {
        FloatVector z = FloatVector.fromArray(S, a, off);
        VectorMask<Float> tiny = z.compare(VectorOperators.LT, EXP_MIN);
        FloatVector zc = z.max(EXP_MIN).min(0f);
        FloatVector n = zc.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), zc);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector q = r.fma(Q4, Q3).fma(r, FloatVector.broadcast(S, Q2)).fma(r, FloatVector.broadcast(S, Q1))
                .fma(r, FloatVector.broadcast(S, Q0));
        FloatVector er = r.mul(r).fma(q, r.add(1f));
        IntVector bits = ((IntVector) n.convertShape(VectorOperators.F2I, I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        er.mul(bits.reinterpretAsFloats()).blend(0f, tiny).intoArray(a, off);
    }

    private static final float SQRT2 = 1.4142135f;

    /**
     * {@code ln x} for the {@code L} positive normal floats at {@code x[off ..]}, into {@code out[outOff ..]}:
     * {@code x = m 2^e} with {@code m in [sqrt(1/2), sqrt 2)}, {@code ln m = 2 atanh s}, {@code s = (m-1)/(m+1)}
     * (exact numerator), by its series to {@code s^9}, plus {@code e ln 2} with {@code ln 2} split in two.
     */
    static void logInto(float[] x, int off, float[] out, int outOff) {
        FloatVector v = FloatVector.fromArray(S, x, off);
        IntVector bits = v.reinterpretAsInts();
        IntVector e = bits.lanewise(VectorOperators.LSHR, 23).sub(127);
        FloatVector m = bits.and(0x007fffff).or(0x3f800000).reinterpretAsFloats();
        VectorMask<Float> big = m.compare(VectorOperators.GT, SQRT2);
        m = m.blend(m.mul(0.5f), big);
        FloatVector ef = ((FloatVector) e.convertShape(VectorOperators.I2F, S, 0)).blend(
                ((FloatVector) e.convertShape(VectorOperators.I2F, S, 0)).add(1f), big);
        FloatVector s = m.sub(1f).div(m.add(1f));
        FloatVector z = s.mul(s);
        FloatVector p = z.fma(1f / 9, 1f / 7).fma(z, FloatVector.broadcast(S, 1f / 5)).fma(z, FloatVector.broadcast(S, 1f / 3));
        FloatVector lnm = s.add(s).fma(z.mul(p), s.add(s));
        ef.fma(FloatVector.broadcast(S, LN2_LO), lnm).add(ef.mul(LN2_HI)).intoArray(out, outOff);
    }

    /**
     * {@code base^h} for the {@code L} floats at {@code a[off ..]} (each {@code >= 1e-30}, normal), in place:
     * {@code exp(h ln base)} with {@link #logInto} and {@link #expInPlace}'s reduction and polynomial. A vector
     * whose exponent leaves {@code [-87, 80]} is done lane by lane with {@link Math#pow} (results near float's
     * range ends).
     */
    static void powInPlace(float[] a, int off, float h, float[] tmp) {
        logInto(a, off, tmp, 0);
        FloatVector z = FloatVector.fromArray(S, tmp, 0).mul(h);
        if (z.compare(VectorOperators.GT, 80f).anyTrue() || z.compare(VectorOperators.LT, -87f).anyTrue()) {
            for (int i = 0; i < S.length(); i++) {
                a[off + i] = (float) Math.pow(a[off + i], h);
            }
            return;
        }
        FloatVector n = z.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(S, -LN2_HI), z);
        r = n.fma(FloatVector.broadcast(S, -LN2_LO), r);
        FloatVector q = r.fma(Q4, Q3).fma(r, FloatVector.broadcast(S, Q2)).fma(r, FloatVector.broadcast(S, Q1))
                .fma(r, FloatVector.broadcast(S, Q0));
        FloatVector er = r.mul(r).fma(q, r.add(1f));
        IntVector bits = ((IntVector) n.convertShape(VectorOperators.F2I, I, 0)).add(127).lanewise(VectorOperators.LSHL, 23);
        er.mul(bits.reinterpretAsFloats()).intoArray(a, off);
    }
}
