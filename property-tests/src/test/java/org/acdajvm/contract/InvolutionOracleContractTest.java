package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.InvolutionContract;

@BackendUnderTest("oracle")
public class InvolutionOracleContractTest extends InvolutionContract {
}
