package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacTransposedContract;

@BackendUnderTest("vector")
public class PacTransposedVectorContractTest extends PacTransposedContract {
}
