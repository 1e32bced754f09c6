package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.AcdaContract;

@BackendUnderTest("opencl")
public class OpenclContractTest extends AcdaContract {
}
