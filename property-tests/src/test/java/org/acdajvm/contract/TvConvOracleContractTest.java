package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.TvConvContract;

@BackendUnderTest("oracle")
public class TvConvOracleContractTest extends TvConvContract {
}
