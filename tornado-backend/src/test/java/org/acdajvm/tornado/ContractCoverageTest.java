package org.acdajvm.tornado;

import java.util.List;

import org.acdajvm.testkit.ContractCoverage;
import org.junit.jupiter.api.Test;

/**
 * The contract matrix of this module (see {@link ContractCoverage}): every op the tornado backend claims,
 * for every layer, has a contract subclass here. The other backends on this class path (oracle, scalar,
 * vector) are covered in property-tests.
 */
class ContractCoverageTest {

    @Test
    void everyOpOfTheTornadoBackendHasAContractSubclass() {
        List<ContractCoverage.Entry> found = ContractCoverage.assertMatrix(List.of("tornado"), "org.acdajvm.tornado");
        for (ContractCoverage.Entry e : found) {
            System.out.printf("contract coverage: %-16s x %-8s %s%n", e.kind().name(), e.backend(), e.type().getSimpleName());
        }
    }
}
