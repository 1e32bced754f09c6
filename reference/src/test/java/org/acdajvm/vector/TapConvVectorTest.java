package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.ConvBackwardScalar;
import org.acdajvm.layers.conv.ConvForwardScalar;
import org.acdajvm.layers.conv.FilterGeometry;
import org.junit.jupiter.api.Test;

/**
 * The tap-weighted conv's vector path against the readable scalar one (which the oracle tests judge), over
 * shapes around multiples of the lane count, both padding modes, stride 2 and 3, dilation 2, N &gt; 1, with and
 * without tap weights (one per pixel and tap, or one per channel too). Each shape runs several times so that
 * the JIT-compiled kernels, not the interpreter, are what is checked.
 */
class TapConvVectorTest {

    static List<FilterGeometry> geometries() {
        int l = TapConvVector.lanes();
        List<FilterGeometry> gs = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(11);
        int[] widths = {l - 1, l, l + 1, 2 * l + 1, 4 * l + 3, 5};
        int i = 0;
        for (int w : widths) {
            for (PaddingMode mode : PaddingMode.values()) {
                int k = new int[] {1, 3, 5}[i % 3];
                int s = new int[] {1, 2, 3}[(i / 2) % 3];
                int d = i % 4 == 3 ? 2 : 1;
                int pad = Math.min(d * (k - 1) / 2 + (i % 5 == 4 ? 1 : 0), Math.min(w, 7));
                int h = 5 + r.nextInt(6);
                int n = 1 + i % 2;
                int c = 1 + r.nextInt(4);
                int o = 1 + r.nextInt(8);
                FilterGeometry g = FilterGeometry.of(n, c, h, w, o, k, s, d, pad, mode);
                if (g.outH() >= 1 && g.outW() >= 1) {
                    gs.add(g);
                }
                i++;
            }
        }
        return gs;
    }

    static float[] random(SplittableRandom r, int n, double lo, double hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) r.nextDouble(lo, hi);
        }
        return a;
    }

    static void close(float[] expected, float[] actual, double rel, String what) {
        double max = 0;
        for (float v : expected) {
            max = Math.max(max, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            double err = Math.abs(expected[i] - actual[i]);
            assertTrue(err <= rel * max + 1e-6, what + " element " + i + ": " + actual[i] + " vs " + expected[i]);
        }
    }

    @Test
    void forwardAndBackwardMatchTheScalarPath() {
        SplittableRandom r = new SplittableRandom(5);
        try (TapConvVector v = new TapConvVector(2)) {
            for (int rep = 0; rep < 3; rep++) {
                for (FilterGeometry g : geometries()) {
                    for (int weighting = 0; weighting < 3; weighting++) {
                        boolean perChannel = weighting == 2;
                        int kcs = perChannel ? g.inC() : 1;
                        float[] x = random(r, g.batch() * g.inC() * g.inPlane(), -1, 1);
                        float[] w = random(r, g.outC() * g.inC() * g.taps(), -1, 1);
                        float[] b = random(r, g.outC(), -1, 1);
                        float[] kf = weighting == 0 ? null : random(r, g.batch() * kcs * g.taps() * g.outPlane(), 0, 1);
                        float[] dy = random(r, g.batch() * g.outC() * g.outPlane(), -1, 1);
                        String what = g + " weighting " + weighting;

                        float[] ys = new float[dy.length];
                        float[] yv = new float[dy.length];
                        ConvForwardScalar.forward(g, x, w, b, kf, perChannel, ys);
                        v.forward(g, x, w, b, kf, perChannel, yv);
                        close(ys, yv, 1e-5, what + " y");

                        float[] dxs = new float[x.length], dxv = new float[x.length];
                        float[] dws = new float[w.length], dwv = new float[w.length];
                        float[] dbs = new float[b.length], dbv = new float[b.length];
                        float[] dks = kf == null ? null : new float[kf.length];
                        float[] dkv = kf == null ? null : new float[kf.length];
                        ConvBackwardScalar.backward(g, x, w, kf, perChannel, dy, dxs, dws, dbs, dks);
                        v.backward(g, x, w, kf, perChannel, dy, dxv, dwv, dbv, dkv);
                        close(dxs, dxv, 1e-5, what + " dx");
                        close(dws, dwv, 1e-5, what + " dw");
                        close(dbs, dbv, 1e-5, what + " db");
                        if (kf != null) {
                            close(dks, dkv, 1e-5, what + " dkf");
                        }
                    }
                }
            }
        }
    }
}
