package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.UnaryOperator;

import org.acdajvm.backend.AcdaForwardScalar;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The bound has teeth: typical indexing bugs, simulated by running the scalar path on a layer
 * whose parameters were permuted the way the bug would permute them, are rejected by a wide margin.
 * (That correct code is accepted is what the contract suite shows.)
 */
class BoundSensitivityTest {

    /** The smallest error ratio a bug may produce and still count as caught "by a wide margin". */
    private static final double MARGIN = 10;

    @Test
    void typicalBugsExceedTheBoundByAWideMargin() {
        for (PaddingMode mode : PaddingMode.values()) {
            AcdaConfig cfg = AcdaConfig.builder(16, 16, 7).padding(mode).build();
            AcdaLayer layer = AcdaInit.randomized(cfg, 42);
            Tensor x = AcdaInit.input(cfg, 1, 16, 16, 43);
            OracleResult oracle = AcdaOracle.forward(layer, x);

            Map<String, UnaryOperator<AcdaLayer>> bugs = new LinkedHashMap<>();
            bugs.put("generator conv 1 taps transposed (a and b swapped)",
                    l -> l.with("bases_net.0.weight", transposeTaps(l.param("bases_net.0.weight"), 3)));
            bugs.put("coefficients indexed m*C + c instead of c*M + m", l -> l.with("coef", swapCoefOrder(l, 16, 6)));
            bugs.put("one atom dropped", l -> l.with("coef", zeroAtom(l.param("coef"), 16, 6, 5)));
            bugs.put("generator output channel j read as j+1", BoundSensitivityTest::shiftGeneratorChannels);
            bugs.put("generator conv 2 flipped (convolution, not correlation)",
                    l -> l.with("bases_net.3.weight", flip3x3(l.param("bases_net.3.weight"))));
            bugs.put("BatchNorm 1 statistics off by one channel",
                    l -> l.with("bases_net.1.running_mean", shiftRows1d(l.param("bases_net.1.running_mean"))));
            bugs.put("output bias dropped", l -> l.with("bias", Tensor.zeros(16)));
            for (Map.Entry<String, UnaryOperator<AcdaLayer>> bug : bugs.entrySet()) {
                Tensor y = AcdaForwardScalar.forward(bug.getValue().apply(layer), x);
                ErrorReport r = ErrorReport.compare(oracle, y, ErrorBounds.Evaluation.TWO_LAYER);
                System.out.printf("bound sensitivity, %-8s %-58s max error ratio %10.3g, %5.1f%% of elements over%n",
                        mode.id(), bug.getKey(), r.maxWorstRatio(), 100.0 * r.overWorst() / r.elements());
                assertTrue(r.maxWorstRatio() >= MARGIN, mode.id() + ": '" + bug.getKey() + "' is not caught: " + r.describe());
            }
            // A dropped input channel, and the wrong padding mode.
            Tensor dropped = x.copy();
            for (int i = 0; i < 16 * 16; i++) {
                dropped.data()[15 * 256 + i] = 0;
            }
            assertCaught(oracle, AcdaForwardScalar.forward(layer, dropped), mode.id() + " last input channel dropped");
        }
        AcdaConfig dilated = AcdaConfig.builder(16, 16, 5).dilation(2).build();
        AcdaLayer ld = AcdaInit.randomized(dilated, 42);
        Tensor xd = AcdaInit.input(dilated, 1, 16, 16, 43);
        assertCaught(AcdaOracle.forward(ld, xd), AcdaForwardScalar.forward(
                new AcdaLayer(AcdaConfig.builder(16, 16, 5).build(), ld.stateDict()), xd), "dilation 1 where 2 was asked");
        AcdaConfig circular = AcdaConfig.builder(16, 16, 7).padding(PaddingMode.CIRCULAR).build();
        AcdaConfig zeros = AcdaConfig.builder(16, 16, 7).build();
        AcdaLayer lc = AcdaInit.randomized(circular, 42);
        Tensor x = AcdaInit.input(circular, 1, 16, 16, 43);
        assertCaught(AcdaOracle.forward(lc, x), AcdaForwardScalar.forward(new AcdaLayer(zeros, lc.stateDict()), x),
                "zero padding where circular was asked");
    }

    private static void assertCaught(OracleResult oracle, Tensor y, String bug) {
        ErrorReport r = ErrorReport.compare(oracle, y, ErrorBounds.Evaluation.TWO_LAYER);
        System.out.printf("bound sensitivity, %-67s worst-case ratio %10.3g%n", bug, r.maxWorstRatio());
        assertTrue(r.maxWorstRatio() >= MARGIN, "'" + bug + "' is not caught: " + r.describe());
    }

    /** Swaps a and b in every k x k kernel of a weight [.., .., k, k]. */
    private static Tensor transposeTaps(Tensor w, int k) {
        Tensor t = w.copy();
        for (int base = 0; base < w.size(); base += k * k) {
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    t.data()[base + a * k + b] = w.data()[base + b * k + a];
                }
            }
        }
        return t;
    }

    /** Every parameter of generator channel j (conv 2 and BN 2) moved to channel j-1: G[j] reads what G[j+1] was. */
    private static AcdaLayer shiftGeneratorChannels(AcdaLayer l) {
        Map<String, Tensor> sd = l.stateDict();
        for (String key : new String[] {"bases_net.3.weight", "bases_net.3.bias", "bases_net.4.weight", "bases_net.4.bias",
                "bases_net.4.running_mean", "bases_net.4.running_var"}) {
            sd.put(key, shiftRows(sd.get(key).reshape(sd.get(key).dim(0), sd.get(key).size() / sd.get(key).dim(0)))
                    .reshape(sd.get(key).shape()));
        }
        return new AcdaLayer(l.config(), sd);
    }

    private static Tensor swapCoefOrder(AcdaLayer l, int c, int m) {
        Tensor coef = l.param("coef");
        Tensor t = coef.copy();
        int o = coef.dim(0);
        for (int q = 0; q < o; q++) {
            for (int ci = 0; ci < c; ci++) {
                for (int mi = 0; mi < m; mi++) {
                    t.data()[q * c * m + mi * c + ci] = coef.data()[q * c * m + ci * m + mi];
                }
            }
        }
        return t;
    }

    private static Tensor zeroAtom(Tensor coef, int c, int m, int atom) {
        Tensor t = coef.copy();
        for (int q = 0; q < coef.dim(0); q++) {
            for (int ci = 0; ci < c; ci++) {
                t.data()[q * c * m + ci * m + atom] = 0;
            }
        }
        return t;
    }

    private static Tensor shiftRows(Tensor bases) {
        Tensor t = bases.copy();
        int rows = bases.dim(0);
        int cols = bases.dim(1);
        for (int r = 0; r < rows; r++) {
            System.arraycopy(bases.data(), ((r + 1) % rows) * cols, t.data(), r * cols, cols);
        }
        return t;
    }

    private static Tensor shiftRows1d(Tensor v) {
        Tensor t = v.copy();
        for (int i = 0; i < v.size(); i++) {
            t.data()[i] = v.data()[(i + 1) % v.size()];
        }
        return t;
    }

    private static Tensor flip3x3(Tensor w) {
        Tensor t = w.copy();
        for (int base = 0; base < w.size(); base += 9) {
            for (int i = 0; i < 9; i++) {
                t.data()[base + i] = w.data()[base + 8 - i];
            }
        }
        return t;
    }
}
