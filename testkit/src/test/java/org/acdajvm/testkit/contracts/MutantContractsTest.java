package org.acdajvm.testkit.contracts;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitrary;

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
        LayerCase lc = cases(1).get(0);
        AssertionError e = assertThrows(AssertionError.class, () -> new WrongGradient().layerBackwardMatchesTheOracleUnderTheTightVerdict(lc));
        assertTrue(e.getMessage().contains("gradient weight"), e.getMessage());
    }
}
