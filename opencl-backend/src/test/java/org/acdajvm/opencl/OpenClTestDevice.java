package org.acdajvm.opencl;

import java.util.Optional;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Tests that need an OpenCL device call {@link #require()} first: without a device they are
 * skipped with the reason printed, except under {@code CI=true}, where a missing device is a
 * failure (a CI machine that lost its OpenCL ICD must not pass by skipping).
 */
final class OpenClTestDevice {

    private OpenClTestDevice() {
    }

    static void require() {
        Optional<String> reason;
        try (OpenClBackend b = new OpenClBackend()) {
            reason = b.unavailableReason();
        }
        if (reason.isEmpty()) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("CI=true needs an OpenCL device, but " + reason.get());
        }
        System.out.println("SKIPPED OpenCL device test: " + reason.get() + " (with CI=true this fails instead)");
        Assumptions.abort("no OpenCL device: " + reason.get());
    }
}
