package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacConvContract;

@BackendUnderTest("vector")
public class PacConvVectorContractTest extends PacConvContract {
}
