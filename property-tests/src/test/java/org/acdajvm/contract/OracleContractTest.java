package org.acdajvm.contract;

@BackendUnderTest("oracle")
class OracleContractTest extends AcdaBackendContract {
}
