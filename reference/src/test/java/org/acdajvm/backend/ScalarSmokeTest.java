package org.acdajvm.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

class ScalarSmokeTest {
    @Test
    void scalarMatchesOracle() {
        AcdaConfig c = AcdaConfig.builder(4, 5, 5).stride(2).build();
        AcdaLayer layer = AcdaInit.randomized(c, 1);
        Tensor x = AcdaInit.input(c, 2, 9, 11, 2);
        OracleResult r = AcdaOracle.forward(layer, x);
        ErrorReport rep = ErrorReport.compare(r, AcdaForwardScalar.forward(layer, x), ErrorBounds.Evaluation.TWO_LAYER);
        System.out.println(rep.describe());
        assertTrue(rep.accepted(), rep.describe());
        assertTrue(rep.maxRatio() > 0);
    }
}
