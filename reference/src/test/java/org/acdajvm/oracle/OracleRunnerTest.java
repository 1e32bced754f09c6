package org.acdajvm.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The parallel runner gives the sequential oracle's result bit for bit; a sample computes exactly its pixels. */
class OracleRunnerTest {

    @Test
    void everyThreadCountGivesTheSequentialResultBitForBit() {
        AcdaConfig[] configs = {
                AcdaConfig.builder(5, 3, 5).stride(2).padding(PaddingMode.CIRCULAR).build(),
                AcdaConfig.builder(3, 4, 3).dilation(2).build()};
        for (AcdaConfig cfg : configs) {
            AcdaLayer layer = AcdaInit.randomized(cfg, 3);
            Tensor x = AcdaInit.input(cfg, 2, 9, 7, 4);
            OracleResult sequential = AcdaOracle.forward(layer, x);
            for (int threads : new int[] {1, 2, 3, 8}) {
                OracleResult parallel = OracleRunner.forward(layer, x, threads);
                assertEquals(sequential, parallel, cfg.summary() + ", " + threads + " threads");
                assertArrayEquals(sequential.y(), parallel.y());
            }
        }
    }

    @Test
    void aSampleComputesItsPixelsExactlyAndTheBorderAlways() {
        AcdaConfig cfg = AcdaConfig.builder(3, 2, 5).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 5);
        Tensor x = AcdaInit.input(cfg, 1, 12, 11, 6);
        OracleResult full = AcdaOracle.forward(layer, x);
        PixelSelection sel = PixelSelection.sample(cfg, 1, 12, 11, 5, 7);
        assertEquals(12 * 11 - 8 * 7 + 5, sel.count(), "border band of 2 pixels plus 5 interior pixels");
        OracleResult part = OracleRunner.forward(layer, x, 2, sel, null);
        int computed = 0;
        for (int i = 0; i < full.size(); i++) {
            int w = i % 11;
            int h = (i / 11) % 12;
            if (sel.contains(0, h, w)) {
                computed++;
                assertEquals(full.y()[i], part.y()[i], "element " + i);
                assertEquals(full.tightBound(i, ErrorBounds.Evaluation.ANY, Precision.FP32),
                        part.tightBound(i, ErrorBounds.Evaluation.ANY, Precision.FP32));
                assertTrue(part.isComputed(i));
            } else {
                assertTrue(!part.isComputed(i));
            }
        }
        assertEquals(2 * sel.count(), computed);
        assertEquals(computed, part.computedCount());
        ErrorReport r = ErrorReport.compare(part, full.toTensor(), ErrorBounds.Evaluation.ANY);
        assertEquals(computed, r.elements());
        assertTrue(r.accepted(), r.describe());
    }
}
