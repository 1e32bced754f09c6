package org.acdajvm.contract;

@BackendUnderTest("scalar")
class ScalarContractTest extends AcdaBackendContract {
}
