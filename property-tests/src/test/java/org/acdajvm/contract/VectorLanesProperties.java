package org.acdajvm.contract;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.Compare;
import org.acdajvm.testkit.contracts.AcdaArbitraries;
import org.acdajvm.testkit.contracts.AcdaCase;
import org.acdajvm.vector.AcdaForwardVector;

/**
 * The vector backend at output widths around multiples of the lane count, where its masked tails
 * and tile boundaries are: {@code lanes-1, lanes, lanes+1, 2*lanes-1, 2*lanes, 2*lanes+1, 3*lanes+1}.
 * Each case is run several times on one backend instance, so that the later calls run JIT-compiled code.
 */
class VectorLanesProperties {

    @Property(tries = 40)
    void outputWidthsAroundLaneMultiplesMatchTheOracle(@ForAll("widths") int outW, @ForAll("cases") AcdaCase c) {
        AcdaConfig cfg = c.config();
        int w = (outW - 1) * cfg.stride() + 1;                  // ceil(w / s) == outW
        AcdaLayer layer = c.layer();
        Tensor x = AcdaInit.input(cfg, c.batch(), c.height(), w, c.seed() + 1);
        var oracle = AcdaOracle.forward(layer, x);
        try (AcdaBackend b = Backends.require("vector")) {
            Tensor first = null;
            for (int call = 0; call < 5; call++) {
                Tensor y = b.forward(layer, x);
                Compare.assertAccepted(oracle, y, b.evaluation(), c + " width " + w + " call " + call);
                if (first == null) {
                    first = y;
                } else if (!first.equals(y)) {
                    throw new AssertionError("call " + call + " differs from call 0 for " + c);
                }
            }
        }
    }

    @Provide
    Arbitrary<Integer> widths() {
        int l = AcdaForwardVector.lanes();
        return Arbitraries.of(l - 1, l, l + 1, 2 * l - 1, 2 * l, 2 * l + 1, 3 * l + 1).filter(v -> v >= 1);
    }

    @Provide
    Arbitrary<AcdaCase> cases() {
        return AcdaArbitraries.cases().map(c -> new AcdaCase(c.config(), 1, Math.min(c.height(), 6), c.width(), c.seed()));
    }
}
