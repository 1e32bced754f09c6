package org.acdajvm.contract;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.AcdaContract;

@BackendUnderTest("oracle")
public class OracleContractTest extends AcdaContract {
}
