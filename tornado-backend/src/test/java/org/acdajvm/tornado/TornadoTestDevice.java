package org.acdajvm.tornado;

import java.util.Optional;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Tests that need a TornadoVM device call {@link #require()} first: without one they are skipped
 * with the reason printed, except under {@code CI=true}, where a missing TornadoVM is a failure.
 */
final class TornadoTestDevice {

    private TornadoTestDevice() {
    }

    static void require() {
        Optional<String> reason;
        try (TornadoBackend b = new TornadoBackend()) {
            reason = b.unavailableReason();
        }
        if (reason.isEmpty()) {
            return;
        }
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            Assertions.fail("CI=true needs a TornadoVM device, but " + reason.get());
        }
        System.out.println("SKIPPED TornadoVM device test: " + reason.get() + " (with CI=true this fails instead)");
        Assumptions.abort("no TornadoVM device: " + reason.get());
    }
}
