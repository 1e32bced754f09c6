package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

import org.acdajvm.layers.dfn.DfnPaths;

/**
 * The Vector API softmax over the taps of a per-pixel filter {@code [N, T, P]} (dynamic local filtering), with
 * vectors along the pixels (the taps of one pixel are {@code P} apart, so {@code L} pixels are one load per tap):
 * max, {@code exp} ({@code VectorOperators.EXP}, within 1 ulp), sum in tap order, divide; its backward
 * {@code q (g - sum_v q_v g_v)}. The mathematics of {@link DfnPaths.Softmax#SCALAR}. Stateless.
 */
public final class SoftmaxVector implements DfnPaths.Softmax {

    public static final SoftmaxVector INSTANCE = new SoftmaxVector();

    private SoftmaxVector() {
    }

    @Override
    public void forward(float[] f, int batch, int taps, int pixels, float[] q) {
        for (int n = 0; n < batch; n++) {
            int base = n * taps * pixels;
            for (int p = 0; p < pixels; p += L) {
                VectorMask<Float> m = S.indexInRange(p, pixels);
                FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
                for (int u = 0; u < taps; u++) {
                    max = max.max(FloatVector.fromArray(S, f, base + u * pixels + p, m));
                }
                FloatVector z = FloatVector.zero(S);
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    FloatVector e = FloatVector.fromArray(S, f, i, m).sub(max).lanewise(VectorOperators.EXP);
                    e.intoArray(q, i, m);
                    z = z.add(e);
                }
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    FloatVector.fromArray(S, q, i, m).div(z).intoArray(q, i, m);
                }
            }
        }
    }

    @Override
    public void backward(float[] q, float[] g, int batch, int taps, int pixels, float[] df) {
        for (int n = 0; n < batch; n++) {
            int base = n * taps * pixels;
            for (int p = 0; p < pixels; p += L) {
                VectorMask<Float> m = S.indexInRange(p, pixels);
                FloatVector s = FloatVector.zero(S);
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    s = FloatVector.fromArray(S, q, i, m).fma(FloatVector.fromArray(S, g, i, m), s);
                }
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    FloatVector qv = FloatVector.fromArray(S, q, i, m);
                    qv.mul(FloatVector.fromArray(S, g, i, m).sub(s)).intoArray(df, i, m);
                }
            }
        }
    }
}
