package org.acdajvm.layers.involution;

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
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.LocalFilterScalar;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Involution's float32 paths (the scalar and vector backends' ops) against its oracle under the tight verdict,
 * forward and every gradient, over geometries around the vector lane count; and the grouped local filter's vector
 * kernel against the scalar one (the vector forward uses fused multiply-adds, so the two agree to rounding, not to
 * the bit).
 */
class InvolutionPathsTest {

    /** C, K, s, d, circular, G, r, H, W. */
    private static final int[][] CASES = {
            {4, 3, 1, 1, 0, 2, 2, 6, 5}, {4, 3, 2, 1, 1, 1, 1, 7, 6}, {6, 5, 1, 2, 0, 3, 2, 9, 17}, {3, 1, 3, 1, 0, 3, 3, 7, 5},
            {8, 3, 1, 1, 1, 4, 4, 5, 33}, {6, 3, 3, 2, 1, 2, 3, 8, 19}, {2, 5, 2, 1, 0, 1, 1, 5, 4}, {8, 7, 1, 1, 0, 2, 4, 11, 16},
            {4, 3, 2, 3, 1, 4, 1, 10, 9}, {16, 3, 1, 1, 0, 4, 4, 8, 8}};

    @Test
    void scalarAndVectorPathsAreAcceptedByTheOracle() {
        Map<String, Double> worst = new TreeMap<>();
        int judged = 0;
        long seed = 5;
        try (ScalarBackend scalar = new ScalarBackend(); VectorBackend vector = new VectorBackend(2)) {
            assertTrue(vector.vectorized(), "the Vector API must be in use in this test");
            for (int[] cs : CASES) {
                InvolutionConfig c = InvolutionOracleTest.config(cs);
                InvolutionLayer layer = InvolutionKind.random(c, seed);
                Inputs in = InvolutionKind.INSTANCE.randomInputs(layer, 2, cs[7], cs[8], seed + 1);
                int[] out = InvolutionKind.INSTANCE.checkInputs(layer, in);
                Tensor dy = Tensor.zeros(out);
                StateDicts.uniform(dy, new SplittableRandom(seed + 2), -1, 1);
                OracleResult ref = InvolutionKind.INSTANCE.oracleForward(layer, in);
                AcdaOracleBackward.Gradients grads = InvolutionKind.INSTANCE.oracleBackward(layer, in, dy);
                for (AcdaBackend b : List.<AcdaBackend>of(scalar, vector)) {
                    LayerOp<InvolutionLayer> op = b.op(InvolutionKind.INSTANCE).orElseThrow();
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
                        worst.merge(path + " d" + e.getKey(), gr.maxRatio(), Math::max);
                    }
                    judged++;
                }
                seed++;
            }
        }
        worst.forEach((k, v) -> System.out.printf("involution largest tight ratio %-28s %.3f%n", k, v));
        assertEquals(2 * CASES.length, judged);
    }

    @Test
    void groupedLocalFilterVectorKernelAgreesWithTheScalarOne() {
        SplittableRandom rng = new SplittableRandom(9);
        try (var v = new org.acdajvm.vector.TapConvVector(2)) {
            for (int[] cs : CASES) {
                FilterGeometry g = FilterGeometry.of(2, cs[0], cs[7], cs[8], cs[0], cs[1], cs[2], cs[3], cs[3] * (cs[1] - 1) / 2,
                        cs[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS);
                int groups = cs[5];
                float[] kf = new float[2 * groups * g.taps() * g.outPlane()];
                float[] x = new float[2 * cs[0] * cs[7] * cs[8]];
                for (int i = 0; i < kf.length; i++) {
                    kf[i] = (float) rng.nextDouble(-1, 1);
                }
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) rng.nextDouble(-1, 1);
                }
                float[] ys = new float[2 * cs[0] * g.outPlane()];
                float[] yv = new float[ys.length];
                LocalFilterScalar.forward(g, kf, groups, x, ys);
                ((TapConv) v).localFilter(g, kf, groups, x, yv);
                for (int i = 0; i < ys.length; i++) {
                    assertEquals(ys[i], yv[i], 1e-5f * (1 + Math.abs(ys[i])), "forward " + g + " at " + i);
                }
                float[] dy = ys.clone();
                float[] dks = new float[kf.length];
                float[] dkv = new float[kf.length];
                float[] dxs = new float[x.length];
                float[] dxv = new float[x.length];
                LocalFilterScalar.backward(g, kf, groups, x, dy, dxs, dks);
                ((TapConv) v).localFilterBackward(g, kf, groups, x, dy, dxv, dkv);
                for (int i = 0; i < dks.length; i++) {
                    assertEquals(dks[i], dkv[i], 1e-5f * (1 + Math.abs(dks[i])), "dkf " + g + " at " + i);
                }
                for (int i = 0; i < dxs.length; i++) {
                    assertEquals(dxs[i], dxv[i], 1e-5f * (1 + Math.abs(dxs[i])), "dx " + g + " at " + i);
                }
            }
        }
    }
}
