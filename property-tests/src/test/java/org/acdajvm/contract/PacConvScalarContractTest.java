package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacConvContract;

@BackendUnderTest("scalar")
public class PacConvScalarContractTest extends PacConvContract {
}
