package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.OracleRunner;
import org.acdajvm.oracle.PixelSelection;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * {@code verify --pixels}: judging a random sample of interior pixels plus every border pixel still
 * catches a bug that lives only at the borders and one that lives only in the interior, and accepts
 * correct code.
 */
class SampledVerdictTest {

    @Test
    void borderOnlyAndInteriorOnlyBugsAreCaughtFromASample() {
        AcdaConfig cfg = AcdaConfig.builder(8, 4, 5).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 61);
        Tensor x = AcdaInit.input(cfg, 1, 24, 24, 62);
        PixelSelection sel = PixelSelection.sample(cfg, 1, 24, 24, 20, 63);
        assertTrue(sel.count() < sel.total() / 2, "the sample is a minority of the pixels: " + sel.count());
        OracleResult oracle = OracleRunner.forward(layer, x, 2, sel, null);

        ErrorReport ok = ErrorReport.compare(oracle, new Float32Acda().forward(layer, x), ErrorBounds.Evaluation.ANY);
        assertEquals(ErrorReport.Verdict.ACCEPTED, ok.verdict(), ok.describe());

        Float32Acda border = new Float32Acda();
        border.replicateBorder = true;              // wrong only where the atom convolution reads the padding
        ErrorReport b = ErrorReport.compare(oracle, border.forward(layer, x), ErrorBounds.Evaluation.ANY);
        assertTrue(b.verdict() != ErrorReport.Verdict.ACCEPTED, "border-only bug accepted: " + b.describe());

        // Wrong only in the interior: every pixel at least 4 from each edge off by 1e-4 of its value.
        Tensor y = new Float32Acda().forward(layer, x);
        for (int o = 0; o < 4; o++) {
            for (int h = 4; h < 20; h++) {
                for (int w = 4; w < 20; w++) {
                    y.set(0, o, h, w, y.get(0, o, h, w) * (1 + 1e-4f));
                }
            }
        }
        ErrorReport in = ErrorReport.compare(oracle, y, ErrorBounds.Evaluation.ANY);
        assertTrue(in.verdict() != ErrorReport.Verdict.ACCEPTED, "interior-only bug accepted: " + in.describe());
        System.out.printf("sampled verdict: %d of %d pixels judged; correct %s, border-only bug %s (excess %.3g), "
                + "interior-only bug %s (excess %.3g)%n", sel.count(), sel.total(), ok.verdict(), b.verdict(), b.excess(),
                in.verdict(), in.excess());
    }
}
