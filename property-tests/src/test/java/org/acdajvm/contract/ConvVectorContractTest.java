package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.ConvContract;

@BackendUnderTest("vector")
public class ConvVectorContractTest extends ConvContract {
}
