package org.acdajvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.Precision;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The scalar backward against the oracle's on a few fixed configurations (the contract suite in
 * property-tests draws random ones); relative agreement per tensor and the oracle's bound.
 */
class AcdaBackwardScalarTest {

    static void assertMatchesOracle(Map<String, Tensor> actual, AcdaOracleBackward.Gradients oracle, double rel,
                                    String context) {
        assertEquals(List.copyOf(oracle.byKey().keySet()), List.copyOf(actual.keySet()), "gradient keys, " + context);
        oracle.byKey().forEach((key, g) -> {
            float[] a = actual.get(key).data();
            assertTrue(actual.get(key).hasShape(g.shape()), key + " shape " + actual.get(key).shapeString());
            double maxErr = 0;
            double maxAbs = 0;
            for (int i = 0; i < a.length; i++) {
                double err = Math.abs(a[i] - g.value()[i]);
                assertTrue(err <= g.tightBound(i, Precision.FP32), key + "[" + i + "]: " + a[i] + " vs oracle "
                        + g.value()[i] + " beyond the bound " + g.tightBound(i, Precision.FP32) + "; " + context);
                maxErr = Math.max(maxErr, err);
                maxAbs = Math.max(maxAbs, Math.abs(g.value()[i]));
            }
            assertTrue(maxErr <= rel * maxAbs + 1e-30, key + ": max |err| " + maxErr + " > " + rel + " * max |grad| "
                    + maxAbs + "; " + context);
        });
    }

    static Tensor upstream(AcdaConfig cfg, Tensor x, long seed) {
        Tensor dy = Tensor.zeros(x.dim(0), cfg.outChannels(), cfg.outSize(x.dim(2)), cfg.outSize(x.dim(3)));
        AcdaInit.fill(dy, new SplittableRandom(seed), -1, 1);
        return dy;
    }

    @Test
    void matchesTheOracleOnFixedConfigurations() {
        AcdaConfig[] configs = {
            AcdaConfig.builder(3, 4, 3).build(),
            AcdaConfig.builder(2, 3, 5).stride(2).dilation(2).padding(PaddingMode.CIRCULAR).atoms(4).basesPerScale(2).build(),
            AcdaConfig.builder(4, 2, 7).generatorKernel(1).bias(false).atoms(3).basesPerScale(3).build(),
            AcdaConfig.builder(1, 1, 3).stride(3).padding(PaddingMode.CIRCULAR).build(),
        };
        long seed = 1;
        for (AcdaConfig cfg : configs) {
            AcdaLayer layer = AcdaInit.randomized(cfg, seed);
            Tensor x = AcdaInit.input(cfg, 2, 9, 7, seed + 1);
            Tensor dy = upstream(cfg, x, seed + 2);
            Map<String, Tensor> g = AcdaBackwardScalar.backward(layer, x, dy);
            assertMatchesOracle(g, AcdaOracleBackward.backward(layer, x, dy), 1e-4, cfg.summary());
            seed++;
        }
    }
}
