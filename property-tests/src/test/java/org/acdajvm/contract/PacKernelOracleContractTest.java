package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacKernelContract;

@BackendUnderTest("oracle")
public class PacKernelOracleContractTest extends PacKernelContract {
}
