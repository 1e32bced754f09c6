package org.acdajvm.contract;

@BackendUnderTest("tornado")
class TornadoContractTest extends AcdaBackendContract {
}
