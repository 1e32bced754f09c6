package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.InvolutionContract;

@BackendUnderTest("scalar")
public class InvolutionScalarContractTest extends InvolutionContract {
}
