package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.TvConvContract;

@BackendUnderTest("scalar")
public class TvConvScalarContractTest extends TvConvContract {
}
