package org.acdajvm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;

import net.jqwik.api.Example;
import net.jqwik.api.Property;

import org.acdajvm.backend.Backends;
import org.junit.jupiter.api.Test;

/** The kit's own checks fail where they should: the accounting below a minimum, the coverage on a gap. */
class KitSelfTest {

    /** Holders of annotated methods for {@link ContractCoverage#minimumProblems}; static nested, so no engine runs them. */
    static class Stated {
        @Property(tries = 40)
        @MinimumCompared(cases = 20)
        void half() {
        }

        @Example
        @MinimumCompared(cases = 1)
        void example() {
        }
    }

    static class Unstated extends Stated {
        @Property(tries = 40)
        @MinimumCompared(cases = 19)
        void belowHalf() {
        }

        @Example
        void none() {
        }

        @Property(tries = 10)
        @MinimumCompared(cases = 11)
        void moreThanTries() {
        }
    }

    @MinimumCompared(cases = 5)
    private static void five() {
    }

    private static Optional<MinimumCompared> minimumOfFive() throws NoSuchMethodException {
        return Optional.of(KitSelfTest.class.getDeclaredMethod("five").getAnnotation(MinimumCompared.class));
    }

    @Test
    void accountingFailsBelowTheMinimumAndWithoutOne() throws NoSuchMethodException {
        Optional<MinimumCompared> five = minimumOfFive();
        assertTrue(ContractAccounting.shortfall(new BackendContract.Counts(5, 10, null, 0), five, "p", "C", "b").isEmpty());
        String below = ContractAccounting.shortfall(new BackendContract.Counts(4, 10, null, 0), five, "p", "C", "b").orElseThrow();
        assertTrue(below.contains("compared 4 cases") && below.contains("minimum of 5"), below);
        assertTrue(ContractAccounting.shortfall(new BackendContract.Counts(5, 0, null, 0), five, "p", "C", "b").isPresent(),
                "cases without elements compared nothing");
        assertTrue(ContractAccounting.shortfall(new BackendContract.Counts(9, 9, null, 0), Optional.empty(), "p", "C", "b")
                .orElseThrow().contains("states no @MinimumCompared"));
        // Comparing nothing on purpose (no backward), with the reason recorded, passes.
        assertTrue(ContractAccounting.shortfall(new BackendContract.Counts(0, 0, "no backward", 0), five, "p", "C", "b").isEmpty());
    }

    @Test
    void coverageNamesEveryPropertyWithoutAnAdequateMinimum() {
        assertEquals(List.of(), ContractCoverage.minimumProblems(Stated.class));
        List<String> problems = ContractCoverage.minimumProblems(Unstated.class);
        assertEquals(3, problems.size(), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Unstated.belowHalf") && p.contains("at least half")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Unstated.none states no")), problems.toString());
        assertTrue(problems.stream().anyMatch(p -> p.startsWith("Unstated.moreThanTries")), problems.toString());
    }

    @Test
    void coverageFailsForAnOpWithoutAContractSubclass() {
        // No contract subclass lives in this package, so every op of every backend on the class path is a gap.
        AssertionError e = assertThrows(AssertionError.class,
                () -> ContractCoverage.assertMatrix(Backends.names(), "org.acdajvm.testkit"));
        assertTrue(e.getMessage().contains("backend 'scalar' has an op for layer 'acda' but no contract subclass"), e.getMessage());
        assertTrue(e.getMessage().contains("backend 'oracle' has an op for layer 'acda'"), e.getMessage());
    }

    @Test
    void aDeviceTestOfAnUnknownBackendIsAnErrorNotASkip() {
        assertThrows(IllegalArgumentException.class, () -> DeviceTests.require("no-such-backend"));
    }
}
