package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.ConvContract;

@BackendUnderTest("scalar")
public class ConvScalarContractTest extends ConvContract {
}
