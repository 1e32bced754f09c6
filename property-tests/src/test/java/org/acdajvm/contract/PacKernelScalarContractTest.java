package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacKernelContract;

@BackendUnderTest("scalar")
public class PacKernelScalarContractTest extends PacKernelContract {
}
