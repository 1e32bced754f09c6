package org.acdajvm.testkit;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.backend.ScalarBackend;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.contracts.AcdaCase;
import org.acdajvm.testkit.contracts.AcdaContract;
import org.junit.jupiter.api.Test;

/** The contract's relative gradient check: it passes correct float32 code on a cancelling sum and still rejects a bug. */
class GradientCompareTest {

    /**
     * The case jqwik found on 2026-12-02 (the contract's scalar backward, a correct float32 backward): with one
     * channel, one atom and one output, {@code coef}'s gradient is a sum over every pixel that cancels to 8.2e-4 from
     * partial sums near 1, and its error relative to the gradient alone read 3.0e-4, over the 1e-4 allowed.
     */
    private static final AcdaCase CANCELLING = new AcdaCase(
            AcdaConfig.builder(1, 1, 3).padding(PaddingMode.CIRCULAR).atoms(1).generatorKernel(1).build(), 1, 7, 9, 250842);

    private final AcdaLayer layer = CANCELLING.layer();
    private final Tensor x = CANCELLING.input();
    private final Tensor dy = AcdaContract.upstream(CANCELLING);
    private final AcdaOracleBackward.Gradients oracle = AcdaOracleBackward.backward(layer, x, dy);

    @Test
    void aCancellingSumIsMeasuredAgainstItsPartialSums() {
        Map<String, Tensor> g = new ScalarBackend().backward(layer, x, dy);
        GradientCompare.assertAccepted(oracle, g, CANCELLING);
        double rel = GradientCompare.assertRelativeError(oracle, g, AcdaContract.GRADIENT_RELATIVE_ERROR, CANCELLING);
        assertTrue(rel < 1e-5, "correct code, measured against the partial sums: " + rel);
        // Against the gradient's size alone the same error is over the limit: this is the cancelling case.
        AcdaOracleBackward.Gradient coef = oracle.byKey().get("coef");
        double err = 0;
        double size = 0;
        for (int i = 0; i < coef.value().length; i++) {
            err = Math.max(err, Math.abs(g.get("coef").data()[i] - coef.value()[i]));
            size = Math.max(size, Math.abs(coef.value()[i]));
        }
        assertTrue(err / size > AcdaContract.GRADIENT_RELATIVE_ERROR, "relative to |grad| alone: " + err / size);
    }

    @Test
    void anErrorOfOnePartInAThousandIsStillRejected() {
        Map<String, Tensor> g = new LinkedHashMap<>(new ScalarBackend().backward(layer, x, dy));
        Tensor dx = g.get("x").copy();
        for (int i = 0; i < dx.size(); i++) {
            dx.data()[i] *= 1.001f;
        }
        g.put("x", dx);
        assertThrows(AssertionError.class,
                () -> GradientCompare.assertRelativeError(oracle, g, AcdaContract.GRADIENT_RELATIVE_ERROR, CANCELLING));
    }
}
