package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.AcdaContract;

@BackendUnderTest("vector")
public class VectorContractTest extends AcdaContract {
}
