package org.acdajvm.layers.tvconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.LayerOp;
import org.acdajvm.backend.ScalarBackend;
import org.acdajvm.backend.VectorBackend;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.TapConvVector;
import org.junit.jupiter.api.Test;

/**
 * TVConv's scalar and vector paths (the backends' ops, forward and every gradient) against its oracle under the
 * tight verdict (ACCEPTED required) over seeded cases around the lane count; the largest tight ratio per
 * (backend, tensor) is printed. And the precomputed-filter forward equals the on-the-fly one bit for bit.
 */
class TvConvFastPathTest {

    static TvConvConfig config(SplittableRandom rng) {
        int k = new int[] {1, 3, 5}[rng.nextInt(3)];
        return new TvConvConfig(1 + rng.nextInt(4), k, 1 + rng.nextInt(2), rng.nextBoolean() ? PaddingMode.ZEROS
                : PaddingMode.CIRCULAR, 3 + rng.nextInt(8), 3 + rng.nextInt(19), 1 + rng.nextInt(3), 2 + rng.nextInt(5),
                1 + rng.nextInt(2), rng.nextBoolean());
    }

    @Test
    void fastPathsAreAcceptedByTheOracle() {
        SplittableRandom rng = new SplittableRandom(2026);
        Map<String, Double> worst = new TreeMap<>();
        int judged = 0;
        try (ScalarBackend scalar = new ScalarBackend(); VectorBackend vector = new VectorBackend(2)) {
            for (int t = 0; t < 16; t++) {
                TvConvConfig c = config(rng);
                TvConvLayer layer = TvConvKind.random(c, rng.nextLong());
                int batch = 1 + rng.nextInt(2);
                Inputs in = TvConvKind.INSTANCE.randomInputs(layer, batch, c.height(), c.width(), rng.nextLong());
                Tensor dy = Tensor.zeros(batch, c.channels(), c.height(), c.width());
                StateDicts.uniform(dy, rng, -1, 1);
                OracleResult ref = TvConvKind.INSTANCE.oracleForward(layer, in);
                AcdaOracleBackward.Gradients grads = TvConvKind.INSTANCE.oracleBackward(layer, in, dy);
                for (AcdaBackend b : List.<AcdaBackend>of(scalar, vector)) {
                    LayerOp<Layer> op = b.op(TvConvKind.INSTANCE).map(o -> {
                        @SuppressWarnings("unchecked")
                        LayerOp<Layer> l = (LayerOp<Layer>) (LayerOp<?>) o;
                        return l;
                    }).orElseThrow();
                    String path = b.name();
                    Tensor y = op.forward(layer, in);
                    ErrorReport r = ErrorReport.compare(ref, y, op.evaluation());
                    assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), path + " y, " + c.summary() + ": " + r.describe());
                    worst.merge(path + " y", r.maxRatio(), Math::max);
                    Map<String, Tensor> g = op.backward(layer, in, dy);
                    assertEquals(grads.byKey().keySet().stream().toList(), g.keySet().stream().toList(), path);
                    for (var e : grads.byKey().entrySet()) {
                        Tensor actual = g.get(e.getKey());
                        ErrorReport gr = ErrorReport.compare(e.getValue().reference(Precision.FP32), ErrorReport.widen(actual),
                                actual.shape(), ErrorReport.Tier.TIGHT);
                        assertEquals(ErrorReport.Verdict.ACCEPTED, gr.verdict(),
                                path + " d" + e.getKey() + ", " + c.summary() + ": " + gr.describe());
                        worst.merge(path + " d" + e.getKey().replaceAll("weight_net\\.\\d+", "weight_net.*"), gr.maxRatio(),
                                Math::max);
                    }
                    judged++;
                }
            }
        }
        worst.forEach((k, v) -> System.out.printf("largest tight ratio %-30s %.4f%n", k, v));
        assertEquals(32, judged);
    }

    @Test
    void precomputedFiltersEqualOnTheFlyBitForBit() {
        SplittableRandom rng = new SplittableRandom(7);
        try (TapConvVector vector = new TapConvVector(2)) {
            for (TapConv kernels : List.of(TapConv.SCALAR, (TapConv) vector)) {
                TvConvPaths paths = new TvConvPaths(kernels);
                for (int t = 0; t < 4; t++) {
                    TvConvConfig c = config(rng);
                    TvConvLayer layer = TvConvKind.random(c, rng.nextLong());
                    float[] filter = paths.precompute(layer);
                    for (int i = 0; i < 3; i++) {
                        Inputs in = TvConvKind.INSTANCE.randomInputs(layer, 1 + i, c.height(), c.width(), rng.nextLong());
                        assertArrayEquals(paths.forward(layer, in).data(), paths.forward(layer, filter, in).data(), c.summary());
                    }
                }
            }
        }
    }

    @Test
    void vectorLocalFilterMatchesTheScalarOneAcrossLayouts() {
        SplittableRandom rng = new SplittableRandom(3);
        try (TapConvVector vector = new TapConvVector(3)) {
            for (int t = 0; t < 24; t++) {
                int n = 1 + rng.nextInt(3);
                int ch = 1 + rng.nextInt(4);
                int h = 2 + rng.nextInt(9);
                int w = 2 + rng.nextInt(27);
                int k = new int[] {1, 3, 5}[rng.nextInt(3)];
                int d = 1 + rng.nextInt(2);
                PaddingMode mode = rng.nextBoolean() ? PaddingMode.ZEROS : PaddingMode.CIRCULAR;
                var g = org.acdajvm.layers.conv.FilterGeometry.of(n, ch, h, w, ch, k, 1, d, d * (k - 1) / 2, mode);
                boolean perChannel = rng.nextBoolean();
                boolean shared = rng.nextBoolean();
                int kc = perChannel ? ch : 1;
                float[] kf = random((shared ? 1 : n) * kc * k * k * g.outPlane(), rng);
                float[] x = random(n * ch * h * w, rng);
                float[] dy = random(n * ch * g.outPlane(), rng);
                float[] y1 = new float[dy.length];
                float[] y2 = new float[dy.length];
                TapConv.SCALAR.localFilter(g, kf, perChannel, shared, x, y1);
                vector.localFilter(g, kf, perChannel, shared, x, y2);
                float[] dx1 = new float[x.length];
                float[] dx2 = new float[x.length];
                float[] dk1 = new float[kf.length];
                float[] dk2 = new float[kf.length];
                TapConv.SCALAR.localFilterBackward(g, kf, perChannel, shared, x, dy, dx1, dk1);
                vector.localFilterBackward(g, kf, perChannel, shared, x, dy, dx2, dk2);
                String label = g + " perChannel " + perChannel + " shared " + shared;
                close(y1, y2, label + " y");
                close(dx1, dx2, label + " dx");
                close(dk1, dk2, label + " dkf");
            }
        }
    }

    /** Same sums in another rounding (fused multiply-adds, lanes): within 1e-5 of the values' scale. */
    private static void close(float[] a, float[] b, String label) {
        double scale = 0;
        for (float v : a) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
            assertTrue(Math.abs(a[i] - b[i]) <= 1e-5 * Math.max(1, scale), label + " [" + i + "]: " + a[i] + " vs " + b[i]);
        }
    }

    private static float[] random(int size, SplittableRandom rng) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (2 * rng.nextDouble() - 1);
        }
        return a;
    }
}
