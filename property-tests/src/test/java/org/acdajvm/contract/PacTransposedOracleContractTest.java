package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacTransposedContract;

@BackendUnderTest("oracle")
public class PacTransposedOracleContractTest extends PacTransposedContract {
}
