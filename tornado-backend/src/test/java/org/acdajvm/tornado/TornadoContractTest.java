package org.acdajvm.tornado;

import org.acdajvm.testkit.BackendUnderTest;
import org.acdajvm.testkit.contracts.AcdaContract;

@BackendUnderTest("tornado")
public class TornadoContractTest extends AcdaContract {
}
