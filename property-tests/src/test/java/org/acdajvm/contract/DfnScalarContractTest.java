package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.DfnContract;

@BackendUnderTest("scalar")
public class DfnScalarContractTest extends DfnContract {
}
