package org.acdajvm.layers.pac;

import org.acdajvm.layers.conv.ConvBackwardScalar;
import org.acdajvm.layers.conv.ConvForwardScalar;
import org.acdajvm.layers.conv.FilterGeometry;

/**
 * The readable float32 backwards of PAC (conv, pool, transposed conv): the tap-weighted conv's gradients
 * ({@link ConvBackwardScalar}, which include {@code dL/dKf}), then the kernel's ({@link PacKernelScalar#backward})
 * for the guidance and the inverse kernel's two scalars. Shapes as in {@link PacForwardScalar}.
 */
public final class PacBackwardScalar {

    /**
     * The gradients of one call; arrays shaped as what they differentiate, {@code null} where there is none.
     *
     * @param input    {@code dL/dx} (pool, conv) or {@code dL/dz} (transposed)
     * @param guidance {@code dL/df}
     * @param weight   {@code dL/dW}
     * @param bias     {@code dL/db}
     * @param alpha    {@code dL/d inv_alpha}
     * @param lambda   {@code dL/d inv_lambda}
     */
    public record Grads(float[] input, float[] guidance, float[] weight, float[] bias, float alpha, float lambda) {
    }

    private PacBackwardScalar() {
    }

    /** PAC conv; {@code dy [N, O, outH, outW]}. */
    public static Grads conv(FilterGeometry g, PacKernelScalar.Spec spec, float[] x, float[] f, int gc, float[] w,
                             boolean hasBias, float[] dy) {
        float[] kf = PacForwardScalar.kernel(g, spec, f, gc);
        float[] dx = new float[x.length];
        float[] dw = new float[w.length];
        float[] db = hasBias ? new float[g.outC()] : null;
        float[] dkf = new float[kf.length];
        ConvBackwardScalar.backward(g, x, w, kf, spec.channelWise(), dy, dx, dw, db, dkf);
        float[] df = new float[f.length];
        float[] s = PacKernelScalar.backward(g, spec, f, gc, dkf, df);
        return new Grads(dx, df, dw, db, s[0], s[1]);
    }

    /** PAC pool; {@code dy [N, C, outH, outW]}. */
    public static Grads pool(FilterGeometry g, PacKernelScalar.Spec spec, float[] x, float[] f, int gc, float[] dy) {
        float[] kf = PacForwardScalar.kernel(g, spec, f, gc);
        float[] dx = new float[x.length];
        float[] dkf = new float[kf.length];
        poolBackward(g, kf, spec.channelWise(), x, dy, dx, dkf);
        float[] df = new float[f.length];
        float[] s = PacKernelScalar.backward(g, spec, f, gc, dkf, df);
        return new Grads(dx, df, null, null, s[0], s[1]);
    }

    /** The local filter's backward: adds {@code dL/dx} into {@code dx} and {@code dL/dKf} into {@code dkf} (either may be {@code null}). */
    public static void poolBackward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] dy, float[] dx,
                                    float[] dkf) {
        int k = g.k();
        int taps = g.taps();
        int plane = g.outPlane();
        int kcs = perChannel ? g.inC() : 1;
        for (int n = 0; n < g.batch(); n++) {
            for (int c = 0; c < g.inC(); c++) {
                int xc = (n * g.inC() + c) * g.inPlane();
                int kfc = (n * kcs + (perChannel ? c : 0)) * taps * plane;
                for (int h = 0; h < g.outH(); h++) {
                    for (int w = 0; w < g.outW(); w++) {
                        int p = h * g.outW() + w;
                        float gy = dy[(n * g.inC() + c) * plane + p];
                        for (int a = 0; a < k; a++) {
                            int r = g.row(h, a);
                            if (r < 0) {
                                continue;
                            }
                            for (int b = 0; b < k; b++) {
                                int col = g.col(w, b);
                                if (col < 0) {
                                    continue;
                                }
                                int ki = kfc + (a * k + b) * plane + p;
                                int xi = xc + r * g.inW() + col;
                                if (dx != null) {
                                    dx[xi] += kf[ki] * gy;
                                }
                                if (dkf != null) {
                                    dkf[ki] += x[xi] * gy;
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /**
     * PAC transposed conv (see {@link PacForwardScalar#transposed}); {@code dOut [N, O, H, W]} on its output grid.
     */
    public static Grads transposed(FilterGeometry g, PacKernelScalar.Spec spec, float[] z, float[] f, int gc, float[] w,
                                   boolean hasBias, float[] dOut) {
        float[] kf = PacForwardScalar.kernel(g, spec, f, gc);
        // The layer is the conv's adjoint: its input gradient is the conv of dOut, and its weight and kernel
        // gradients are the conv's with the roles of x (here dOut) and dy (here z) exchanged.
        float[] dz = new float[z.length];
        ConvForwardScalar.forward(g, dOut, w, null, kf, spec.channelWise(), dz);
        float[] dw = new float[w.length];
        float[] dkf = new float[kf.length];
        ConvBackwardScalar.backward(g, dOut, w, kf, spec.channelWise(), z, null, dw, null, dkf);
        float[] db = null;
        if (hasBias) {
            db = new float[g.inC()];
            for (int n = 0; n < g.batch(); n++) {
                for (int o = 0; o < g.inC(); o++) {
                    int base = (n * g.inC() + o) * g.inPlane();
                    for (int i = 0; i < g.inPlane(); i++) {
                        db[o] += dOut[base + i];
                    }
                }
            }
        }
        float[] df = new float[f.length];
        float[] s = PacKernelScalar.backward(g, spec, f, gc, dkf, df);
        return new Grads(dz, df, dw, db, s[0], s[1]);
    }
}
