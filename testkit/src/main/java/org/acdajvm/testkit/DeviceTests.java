package org.acdajvm.testkit;

import java.util.Optional;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The one rule for tests that need a device (an OpenCL platform, TornadoVM): where the backend cannot
 * run, the test is skipped with the reason printed, except under {@code CI=true}, where it fails, so a CI
 * machine that lost its device cannot pass by skipping. JUnit tests call {@link #require(String)} first;
 * jqwik contract classes get the same rule from {@link BackendUnderTest} through {@link SkipUnavailable}.
 */
public final class DeviceTests {

    private DeviceTests() {
    }

    /** True when the environment says this is a CI run ({@code CI=true}). */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }

    /**
     * Why backend {@code name} cannot run here, or empty when it can.
     *
     * @throws IllegalArgumentException naming the known backends when {@code name} is not on the class path
     */
    public static Optional<String> unavailableReason(String name) {
        try (AcdaBackend backend = Backends.get(name)) {
            return backend.unavailableReason();
        }
    }

    /**
     * For a JUnit test that needs backend {@code name}: returns when it can run here; otherwise fails under
     * {@code CI=true}, and elsewhere prints the reason and aborts the test (JUnit reports it as skipped).
     */
    public static void require(String name) {
        Optional<String> reason = unavailableReason(name);
        if (reason.isEmpty()) {
            return;
        }
        if (inCi()) {
            Assertions.fail("CI=true needs backend '" + name + "', but " + reason.get());
        }
        System.out.println("SKIPPED " + name + " device test: " + reason.get() + " (with CI=true this fails instead)");
        Assumptions.abort("backend '" + name + "' cannot run here: " + reason.get());
    }

    /**
     * The jqwik form of the rule, attached by {@link BackendUnderTest}: skips a contract class whose backend
     * cannot run here, printing the reason; under {@code CI=true} it never skips, so the properties run and
     * fail on the unavailable backend.
     */
    public static final class SkipUnavailable implements SkipExecutionHook {

        @Override
        public SkipResult shouldBeSkipped(LifecycleContext context) {
            Optional<BackendUnderTest> annotation = context.findAnnotation(BackendUnderTest.class);
            if (annotation.isEmpty()) {
                return SkipResult.doNotSkip();
            }
            String name = annotation.get().value();
            Optional<String> reason = unavailableReason(name);
            if (reason.isEmpty() || inCi()) {
                return SkipResult.doNotSkip();
            }
            String message = "backend '" + name + "' is not available here, so its contract is skipped: " + reason.get()
                    + " (with CI=true this fails instead)";
            System.out.println("SKIPPED " + message);
            return SkipResult.skip(message);
        }
    }
}
