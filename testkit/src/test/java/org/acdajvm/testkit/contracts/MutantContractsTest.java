package org.acdajvm.testkit.contracts;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import net.jqwik.api.Arbitrary;

import org.acdajvm.backend.LayerOp;
import org.acdajvm.backend.ScalarBackend;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.conv.ConvLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.BackendUnderTest;
import org.junit.jupiter.api.Test;

/**
 * The layer contract fails on backends with a planted bug ({@link MutantBackend}) and passes on the correct
 * scalar backend, property by property, on the same cases: each property can fail, and fails for its bug.
 * The contract classes here are static nested, so no engine runs them as tests; the properties are called
 * directly on a few sampled cases.
 */
class MutantContractsTest {

    @BackendUnderTest("scalar")
    static class Correct extends ConvContract {
    }

    @BackendUnderTest("mutant-writes-input")
    static class WritesInput extends ConvContract {
    }

    @BackendUnderTest("mutant-nondeterministic")
    static class Nondeterministic extends ConvContract {
    }

    @BackendUnderTest("mutant-wrong-element")
    static class WrongElement extends ConvContract {
    }

    @BackendUnderTest("mutant-unnamed-errors")
    static class UnnamedErrors extends ConvContract {
    }

    @BackendUnderTest("mutant-wrong-gradient")
    static class WrongGradient extends ConvContract {
    }

    private static boolean weightGradientIsNotZero(LayerCase lc) {
        ConvLayer layer = (ConvLayer) lc.layer();
        LayerOp<ConvLayer> op = new ScalarBackend().op(ConvKind.INSTANCE).orElseThrow();
        Tensor dy = Tensor.zeros(op.forward(layer, lc.inputs()).shape());
        Arrays.fill(dy.data(), 1f);
        for (float v : op.backward(layer, lc.inputs(), dy).get(ConvLayer.WEIGHT).data()) {
            if (v != 0) {
                return true;
            }
        }
        return false;
    }

    private static List<LayerCase> cases(int count) {
        Arbitrary<LayerCase> cases = new ConvContract.Spec().cases();
        List<LayerCase> list = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            list.add(cases.sample());
        }
        return list;
    }

    @Test
    void theCorrectBackendPassesEveryPropertyOnTheSameCases() {
        Correct c = new Correct();
        c.layerKnownCasesGiveTheirWrittenAnswer();
        for (LayerCase lc : cases(4)) {
            c.layerMatchesTheOracleUnderTheTightVerdict(lc);
            c.layerLeavesItsInputsAndParametersUntouched(lc);
            c.layerGivesTheSameBitsOnTwoCalls(lc);
            c.layerNamesAMissingMisshapedOrUnknownInput(lc);
            c.layerBackwardMatchesTheOracleUnderTheTightVerdict(lc);
            c.layerZeroUpstreamGradientGivesExactlyZeroGradients(lc);
        }
    }

    @Test
    void anInPlaceWriteIsCaught() {
        LayerCase lc = cases(1).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> new WritesInput().layerLeavesItsInputsAndParametersUntouched(lc));
        assertTrue(e.getMessage().contains("modified its input input x"), e.getMessage());
    }

    @Test
    void aNondeterministicOutputIsCaught() {
        LayerCase lc = cases(1).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> new Nondeterministic().layerGivesTheSameBitsOnTwoCalls(lc));
        assertTrue(e.getMessage().contains("nondeterministic"), e.getMessage());
    }

    @Test
    void aWrongElementIsCaughtByTheOracleAndByTheKnownCases() {
        LayerCase lc = cases(1).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> new WrongElement().layerMatchesTheOracleUnderTheTightVerdict(lc));
        assertTrue(e.getMessage().contains("REJECTED"), e.getMessage());
        assertThrows(AssertionError.class, () -> new WrongElement().layerKnownCasesGiveTheirWrittenAnswer());
    }

    @Test
    void anErrorThatDoesNotNameTheInputIsCaught() {
        LayerCase lc = cases(1).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> new UnnamedErrors().layerNamesAMissingMisshapedOrUnknownInput(lc));
        assertTrue(e.getMessage().contains("should name it"), e.getMessage());
    }

    @Test
    void aWrongGradientIsCaught() {
        // A case whose weight gradient is not all zero: with K = 1, padding and a stride every tap can land in the
        // padding (e.g. N=1 1x10 C=5 O=1 K=1 s=3 d=2 p=1), the weight gradient is exactly zero and the mutant's
        // 0.1% more of it is no bug at all (2 of 300 sampled cases).
        LayerCase lc = cases(20).stream().filter(MutantContractsTest::weightGradientIsNotZero).findFirst().orElseThrow();
        AssertionError e = assertThrows(AssertionError.class, () -> new WrongGradient().layerBackwardMatchesTheOracleUnderTheTightVerdict(lc));
        assertTrue(e.getMessage().contains("gradient weight"), e.getMessage());
    }
}
