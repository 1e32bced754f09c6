package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.InvolutionContract;

@BackendUnderTest("vector")
public class InvolutionVectorContractTest extends InvolutionContract {
}
