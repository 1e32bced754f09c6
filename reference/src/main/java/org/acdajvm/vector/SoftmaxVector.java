package org.acdajvm.vector;

import static org.acdajvm.vector.VectorGemm.L;
import static org.acdajvm.vector.VectorGemm.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import org.acdajvm.layers.dfn.DfnPaths;

/**
 * The Vector API softmax over the taps of a per-pixel filter {@code [N, T, P]} (dynamic local filtering), with
 * vectors along the pixels (the taps of one pixel are {@code P} apart, so {@code L} pixels are one load per tap):
 * max, {@code exp} ({@code VectorOperators.EXP}, within 1 ulp), sum in tap order, divide; its backward
 * {@code q (g - sum_v q_v g_v)}. The mathematics of {@link DfnPaths.Softmax#SCALAR}, which also does the last
 * {@code P mod L} pixels (plain loads only: masked loads are slow where they are not intrinsified). Stateless.
 */
public final class SoftmaxVector implements DfnPaths.Softmax {

    public static final SoftmaxVector INSTANCE = new SoftmaxVector();

    private SoftmaxVector() {
    }

    @Override
    public void forward(float[] f, int batch, int taps, int pixels, float[] q) {
        int bound = S.loopBound(pixels);
        for (int n = 0; n < batch; n++) {
            int base = n * taps * pixels;
            for (int p = 0; p < bound; p += L) {
                FloatVector max = FloatVector.fromArray(S, f, base + p);
                for (int u = 1; u < taps; u++) {
                    max = max.max(FloatVector.fromArray(S, f, base + u * pixels + p));
                }
                FloatVector z = FloatVector.zero(S);
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    FloatVector e = FloatVector.fromArray(S, f, i).sub(max).lanewise(VectorOperators.EXP);
                    e.intoArray(q, i);
                    z = z.add(e);
                }
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    FloatVector.fromArray(S, q, i).div(z).intoArray(q, i);
                }
            }
            tail(n, taps, pixels, bound, (b, p) -> {
                float m = Float.NEGATIVE_INFINITY;
                for (int u = 0; u < taps; u++) {
                    m = Math.max(m, f[b + u * pixels + p]);
                }
                float z = 0f;
                for (int u = 0; u < taps; u++) {
                    float e = (float) Math.exp(f[b + u * pixels + p] - m);
                    q[b + u * pixels + p] = e;
                    z += e;
                }
                for (int u = 0; u < taps; u++) {
                    q[b + u * pixels + p] /= z;
                }
            });
        }
    }

    @Override
    public void backward(float[] q, float[] g, int batch, int taps, int pixels, float[] df) {
        int bound = S.loopBound(pixels);
        for (int n = 0; n < batch; n++) {
            int base = n * taps * pixels;
            for (int p = 0; p < bound; p += L) {
                FloatVector s = FloatVector.zero(S);
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    s = FloatVector.fromArray(S, q, i).fma(FloatVector.fromArray(S, g, i), s);
                }
                for (int u = 0; u < taps; u++) {
                    int i = base + u * pixels + p;
                    FloatVector.fromArray(S, q, i).mul(FloatVector.fromArray(S, g, i).sub(s)).intoArray(df, i);
                }
            }
            tail(n, taps, pixels, bound, (b, p) -> {
                float s = 0f;
                for (int u = 0; u < taps; u++) {
                    s = Math.fma(q[b + u * pixels + p], g[b + u * pixels + p], s);
                }
                for (int u = 0; u < taps; u++) {
                    int i = b + u * pixels + p;
                    df[i] = q[i] * (g[i] - s);
                }
            });
        }
    }

    private interface Pixel {
        void run(int base, int p);
    }

    /** Pixels {@code [bound, pixels)} of image {@code n}, one at a time. */
    private static void tail(int n, int taps, int pixels, int bound, Pixel body) {
        for (int p = bound; p < pixels; p++) {
            body.run(n * taps * pixels, p);
        }
    }
}
