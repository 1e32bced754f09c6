package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.AcdaContract;

@BackendUnderTest("scalar")
public class ScalarContractTest extends AcdaContract {
}
