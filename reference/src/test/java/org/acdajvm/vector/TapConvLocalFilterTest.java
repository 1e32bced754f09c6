package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.LocalFilterScalar;
import org.acdajvm.layers.dfn.DfnPaths;
import org.junit.jupiter.api.Test;

/**
 * The vector local filter ({@link TapConvVector#localFilter}) and softmax against their readable scalar versions, forward and backward, over seeded
 * geometries around the lane count (every stride, dilation, padding mode, shared and per-channel kernels, 1 and 3
 * threads). Each element is compared with {@code 1e-5} of its sum of absolute products (a wrong index or a lost tap
 * is of the size of the sum itself); the tight comparison with the oracle is the contract's.
 */
class TapConvLocalFilterTest {

    private static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (2 * r.nextDouble() - 1);
        }
        return a;
    }

    private static void close(float[] expected, float[] actual, float[] scale, String what) {
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-5 * (Math.abs(scale[i]) + 1e-3);
            assertTrue(Math.abs(expected[i] - actual[i]) <= tol, what + " element " + i + ": scalar " + expected[i]
                    + ", vector " + actual[i]);
        }
    }

    @Test
    void localFilterMatchesTheScalarKernel() {
        SplittableRandom r = new SplittableRandom(5);
        int cases = 0;
        for (int threads : new int[] {1, 3}) {
            try (TapConvVector v = new TapConvVector(threads)) {
                for (int t = 0; t < 24; t++) {
                    int k = new int[] {1, 3, 5, 7}[r.nextInt(4)];
                    int s = 1 + r.nextInt(3);
                    int d = 1 + r.nextInt(2);
                    PaddingMode mode = r.nextBoolean() ? PaddingMode.ZEROS : PaddingMode.CIRCULAR;
                    int pad = r.nextInt(d * (k - 1) / 2 + 2);
                    if (mode == PaddingMode.CIRCULAR) {
                        pad = Math.min(pad, d * (k - 1) / 2);
                    }
                    int c = 1 + r.nextInt(9);
                    int h = d * (k - 1) + 1 + r.nextInt(8);
                    int w = d * (k - 1) + 1 + r.nextInt(2 * TapConvVector.lanes() + 3);
                    boolean perChannel = r.nextInt(3) == 0;
                    int n = 1 + r.nextInt(2);
                    FilterGeometry g = FilterGeometry.of(n, c, h, w, c, k, s, d, pad, mode);
                    int kcs = perChannel ? c : 1;
                    float[] x = random(r, n * c * h * w);
                    float[] kf = random(r, n * kcs * g.taps() * g.outPlane());
                    float[] dy = random(r, n * c * g.outPlane());
                    float[] ys = new float[dy.length];
                    float[] yv = new float[dy.length];
                    LocalFilterScalar.forward(g, kf, perChannel, x, ys);
                    v.localFilter(g, kf, perChannel, x, yv);
                    float[] absX = x.clone();
                    float[] absK = kf.clone();
                    for (int i = 0; i < absX.length; i++) {
                        absX[i] = Math.abs(absX[i]);
                    }
                    for (int i = 0; i < absK.length; i++) {
                        absK[i] = Math.abs(absK[i]);
                    }
                    float[] sy = new float[dy.length];
                    LocalFilterScalar.forward(g, absK, perChannel, absX, sy);
                    close(ys, yv, sy, "y " + g);
                    float[] dxs = new float[x.length];
                    float[] dxv = new float[x.length];
                    float[] dks = new float[kf.length];
                    float[] dkv = new float[kf.length];
                    LocalFilterScalar.backward(g, kf, perChannel, x, dy, dxs, dks);
                    v.localFilterBackward(g, kf, perChannel, x, dy, dxv, dkv);
                    float[] absDy = dy.clone();
                    for (int i = 0; i < absDy.length; i++) {
                        absDy[i] = Math.abs(absDy[i]);
                    }
                    float[] sdx = new float[x.length];
                    float[] sdk = new float[kf.length];
                    LocalFilterScalar.backward(g, absK, perChannel, absX, absDy, sdx, sdk);
                    close(dxs, dxv, sdx, "dx " + g);
                    close(dks, dkv, sdk, "dkf " + g);
                    // Only one of the two gradients asked for.
                    float[] dxOnly = new float[x.length];
                    v.localFilterBackward(g, kf, perChannel, x, dy, dxOnly, null);
                    close(dxs, dxOnly, sdx, "dx alone " + g);
                    cases++;
                }
            }
        }
        assertTrue(cases == 48);
    }

    @Test
    void softmaxMatchesTheScalarOne() {
        SplittableRandom r = new SplittableRandom(9);
        for (int t = 0; t < 12; t++) {
            int taps = new int[] {1, 9, 25, 49}[r.nextInt(4)];
            int pixels = 1 + r.nextInt(3 * TapConvVector.lanes());
            int n = 1 + r.nextInt(2);
            float[] f = random(r, n * taps * pixels);
            for (int i = 0; i < f.length; i++) {
                f[i] *= 8;
            }
            float[] g = random(r, f.length);
            float[] qs = new float[f.length];
            float[] qv = new float[f.length];
            DfnPaths.Softmax.SCALAR.forward(f, n, taps, pixels, qs);
            SoftmaxVector.INSTANCE.forward(f, n, taps, pixels, qv);
            float[] ones = new float[f.length];
            java.util.Arrays.fill(ones, 1f);
            close(qs, qv, ones, "q");
            float[] ds = new float[f.length];
            float[] dv = new float[f.length];
            DfnPaths.Softmax.SCALAR.backward(qs, g, n, taps, pixels, ds);
            SoftmaxVector.INSTANCE.backward(qs, g, n, taps, pixels, dv);
            close(ds, dv, ones, "dF");
        }
    }
}
