package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacKernelContract;

@BackendUnderTest("vector")
public class PacKernelVectorContractTest extends PacKernelContract {
}
