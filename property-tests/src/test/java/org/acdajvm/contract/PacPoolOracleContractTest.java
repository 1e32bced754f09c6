package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacPoolContract;

@BackendUnderTest("oracle")
public class PacPoolOracleContractTest extends PacPoolContract {
}
