package org.acdajvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The vector backend's plain conv and PAC ops against the scalar backend's, forward and backward, over
 * {@link FamilyCases}, each case run three times so the JIT-compiled kernels are among those checked. The
 * scalar paths are judged against the oracle by {@code FamilyOracleTest}.
 */
class FamilyVectorScalarTest {

    static void close(Tensor expected, Tensor actual, double rel, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what + " shape");
        double max = 0;
        for (float v : expected.data()) {
            max = Math.max(max, Math.abs(v));
        }
        for (int i = 0; i < expected.size(); i++) {
            double err = Math.abs(expected.data()[i] - actual.data()[i]);
            assertTrue(err <= rel * max + 1e-6, what + " element " + i + ": " + actual.data()[i] + " vs " + expected.data()[i]
                    + " (max " + max + ")");
        }
    }

    @Test
    void vectorMatchesScalarForwardAndBackward() {
        List<FamilyCases.Case> cases = FamilyCases.all(24, 7);
        int compared = 0;
        try (ScalarBackend scalar = new ScalarBackend(); VectorBackend vector = new VectorBackend(2)) {
            assertTrue(vector.vectorized(), "the Vector API must be in use in this test");
            for (int rep = 0; rep < 3; rep++) {
                for (FamilyCases.Case c : cases) {
                    LayerKind<Layer> kind = c.kind();
                    LayerOp<Layer> s = scalar.op(kind).orElseThrow();
                    LayerOp<Layer> v = vector.op(kind).orElseThrow();
                    close(s.forward(c.layer(), c.inputs()), v.forward(c.layer(), c.inputs()), 1e-5, c.label() + " y");
                    Map<String, Tensor> gs = s.backward(c.layer(), c.inputs(), c.dy());
                    Map<String, Tensor> gv = v.backward(c.layer(), c.inputs(), c.dy());
                    assertEquals(gs.keySet().stream().toList(), gv.keySet().stream().toList(), c.label());
                    for (String key : gs.keySet()) {
                        // inv_alpha's and inv_lambda's gradients are float sums over every pixel and tap (tens of
                        // thousands of terms, cancelling), in another order on each path: FamilyOracleTest judges
                        // both against the exact value; here they only have to agree to 2e-4.
                        double rel = gs.get(key).size() == 1 ? 2e-4 : 1e-5;
                        close(gs.get(key), gv.get(key), rel, c.label() + " d" + key);
                    }
                    compared++;
                }
            }
        }
        assertTrue(compared >= 3 * 24 * 4, "compared " + compared);
    }

    /** Rows and slices are fixed by the shape, not by the threads: 1 and 3 threads give the same bits. */
    @Test
    void resultsDoNotDependOnTheThreadCount() {
        List<FamilyCases.Case> cases = FamilyCases.all(12, 9);
        try (VectorBackend one = new VectorBackend(1); VectorBackend three = new VectorBackend(3)) {
            for (FamilyCases.Case c : cases) {
                LayerOp<Layer> a = one.op(c.kind()).orElseThrow();
                LayerOp<Layer> b = three.op(c.kind()).orElseThrow();
                assertEquals(a.forward(c.layer(), c.inputs()), b.forward(c.layer(), c.inputs()), c.label() + " y");
                assertEquals(a.backward(c.layer(), c.inputs(), c.dy()), b.backward(c.layer(), c.inputs(), c.dy()),
                        c.label() + " gradients");
            }
        }
    }

    /** Without the Vector API the vector backend still answers every family op, with the scalar kernels' very bits. */
    @Test
    void theScalarFallbackAnswersWithTheScalarKernels() {
        String key = VectorBackend.IMPLEMENTATION_PROPERTY;
        String before = System.getProperty(key);
        System.setProperty(key, "scalar");
        try (VectorBackend fallback = new VectorBackend(2); ScalarBackend scalar = new ScalarBackend()) {
            assertTrue(!fallback.vectorized(), "the fallback must be in use");
            for (FamilyCases.Case c : FamilyCases.all(6, 13)) {
                LayerOp<Layer> f = fallback.op(c.kind()).orElseThrow();
                LayerOp<Layer> s = scalar.op(c.kind()).orElseThrow();
                assertEquals(s.forward(c.layer(), c.inputs()), f.forward(c.layer(), c.inputs()), c.label() + " y");
                assertEquals(s.backward(c.layer(), c.inputs(), c.dy()), f.backward(c.layer(), c.inputs(), c.dy()),
                        c.label() + " gradients");
            }
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
    }
}
