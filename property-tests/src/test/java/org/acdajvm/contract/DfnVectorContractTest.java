package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.DfnContract;

@BackendUnderTest("vector")
public class DfnVectorContractTest extends DfnContract {
}
