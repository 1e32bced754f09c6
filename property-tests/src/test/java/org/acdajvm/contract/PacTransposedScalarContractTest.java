package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacTransposedContract;

@BackendUnderTest("scalar")
public class PacTransposedScalarContractTest extends PacTransposedContract {
}
