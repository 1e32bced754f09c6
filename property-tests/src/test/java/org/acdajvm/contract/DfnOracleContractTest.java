package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.DfnContract;

@BackendUnderTest("oracle")
public class DfnOracleContractTest extends DfnContract {
}
