package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.PacPoolContract;

@BackendUnderTest("vector")
public class PacPoolVectorContractTest extends PacPoolContract {
}
