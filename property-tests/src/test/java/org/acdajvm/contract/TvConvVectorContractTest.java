package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.TvConvContract;

@BackendUnderTest("vector")
public class TvConvVectorContractTest extends TvConvContract {
}
