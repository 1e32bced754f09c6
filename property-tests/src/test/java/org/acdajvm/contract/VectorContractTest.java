package org.acdajvm.contract;

@BackendUnderTest("vector")
class VectorContractTest extends AcdaBackendContract {
}
