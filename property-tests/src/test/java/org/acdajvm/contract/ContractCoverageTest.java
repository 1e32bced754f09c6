package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.acdajvm.backend.Backends;
import org.acdajvm.testkit.ContractCoverage;
import org.junit.jupiter.api.Test;

/**
 * The contract matrix of this module (see {@link ContractCoverage}): every op that a backend found on the
 * class path claims, for every layer, has a contract subclass here, and every contract property states a
 * minimum of at least half its tries.
 */
class ContractCoverageTest {

    @Test
    void everyOpOfEveryDiscoveredBackendHasAContractSubclass() {
        List<String> names = Backends.names();
        // This module has the opencl backend on its test class path; all four must be found, or the matrix would shrink silently.
        assertTrue(names.containsAll(List.of("oracle", "scalar", "vector", "opencl")), "backends found: " + names);
        List<ContractCoverage.Entry> found = ContractCoverage.assertMatrix(names, "org.acdajvm.contract");
        for (ContractCoverage.Entry e : found) {
            System.out.printf("contract coverage: %-16s x %-8s %s%n", e.kind().name(), e.backend(), e.type().getSimpleName());
        }
        System.out.println("contract coverage: " + found.size() + " (layer, backend) pairs over " + names.size() + " backends " + names);
    }
}
