package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacConvContract;

@BackendUnderTest("oracle")
public class PacConvOracleContractTest extends PacConvContract {
}
