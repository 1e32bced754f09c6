package org.acdajvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.acdajvm.layer.Layer;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Every fast path of plain conv and PAC (the scalar and vector backends' ops, forward and each gradient)
 * against the layer kind's oracle under the tight verdict: {@code ACCEPTED} required, over {@link FamilyCases}.
 * The largest tight ratio per (kind, backend, tensor) is printed for the record.
 */
class FamilyOracleTest {

    /** Every kind of the family. */
    static final Set<String> JUDGED = Set.of("conv", "pac-conv", "pac-transposed", "pac-pool", "pac-kernel");

    @Test
    void fastPathsAreAcceptedByTheOracle() {
        List<FamilyCases.Case> cases = FamilyCases.all(24, 3).stream().filter(c -> JUDGED.contains(c.kind().name())).toList();
        assertTrue(cases.size() >= 5 * 24 - 12, "cases: " + cases.size());
        Map<String, Double> worst = new TreeMap<>();
        int judged = 0;
        try (ScalarBackend scalar = new ScalarBackend(); VectorBackend vector = new VectorBackend(2)) {
            for (FamilyCases.Case c : cases) {
                OracleResult ref = c.kind().oracleForward(c.layer(), c.inputs());
                AcdaOracleBackward.Gradients grads = c.kind().oracleBackward(c.layer(), c.inputs(), c.dy());
                for (AcdaBackend b : List.<AcdaBackend>of(scalar, vector)) {
                    LayerOp<Layer> op = b.op(c.kind()).orElseThrow();
                    String path = c.kind().name() + " " + b.name();
                    Tensor y = op.forward(c.layer(), c.inputs());
                    ErrorReport r = ErrorReport.compare(ref, y, op.evaluation());
                    assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), path + " y, " + c.label() + ": " + r.describe());
                    worst.merge(path + " y", r.maxRatio(), Math::max);
                    Map<String, Tensor> g = op.backward(c.layer(), c.inputs(), c.dy());
                    assertEquals(grads.byKey().keySet().stream().toList(), g.keySet().stream().toList(), path + " " + c.label());
                    for (var e : grads.byKey().entrySet()) {
                        Tensor actual = g.get(e.getKey());
                        ErrorReport gr = ErrorReport.compare(e.getValue().reference(Precision.FP32), ErrorReport.widen(actual),
                                actual.shape(), ErrorReport.Tier.TIGHT);
                        assertEquals(ErrorReport.Verdict.ACCEPTED, gr.verdict(),
                                path + " d" + e.getKey() + ", " + c.label() + ": " + gr.describe());
                        worst.merge(path + " d" + e.getKey(), gr.maxRatio(), Math::max);
                    }
                    judged++;
                }
            }
        }
        worst.forEach((k, v) -> System.out.printf("largest tight ratio %-32s %.3f%n", k, v));
        assertTrue(judged >= 2 * (5 * 24 - 12), "judged " + judged);
    }

    /** The oracle backend answers every family kind with the kind's own oracle, rounded to float32. */
    @Test
    void theOracleBackendAnswersEveryKindThroughItsOracle() {
        try (OracleBackend oracle = new OracleBackend()) {
            for (FamilyCases.Case c : FamilyCases.all(5, 21)) {
                LayerOp<Layer> op = oracle.op(c.kind()).orElseThrow();
                assertEquals(c.kind().oracleForward(c.layer(), c.inputs()).toTensor(), op.forward(c.layer(), c.inputs()),
                        c.label());
                Map<String, Tensor> g = op.backward(c.layer(), c.inputs(), c.dy());
                AcdaOracleBackward.Gradients ref = c.kind().oracleBackward(c.layer(), c.inputs(), c.dy());
                assertEquals(ref.byKey().keySet().stream().toList(), g.keySet().stream().toList(), c.label());
                ref.byKey().forEach((key, grad) -> assertEquals(grad.toTensor(), g.get(key), c.label() + " d" + key));
            }
        }
    }
}
