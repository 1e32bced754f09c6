package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.ConvContract;

@BackendUnderTest("oracle")
public class ConvOracleContractTest extends ConvContract {
}
