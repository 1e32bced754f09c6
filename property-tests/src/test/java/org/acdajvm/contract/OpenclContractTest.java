package org.acdajvm.contract;

@BackendUnderTest("opencl")
class OpenclContractTest extends AcdaBackendContract {
}
