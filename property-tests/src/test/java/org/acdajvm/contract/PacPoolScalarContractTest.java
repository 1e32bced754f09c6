package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacPoolContract;

@BackendUnderTest("scalar")
public class PacPoolScalarContractTest extends PacPoolContract {
}
