package org.acdajvm.contract;

import java.util.Optional;

import net.jqwik.api.lifecycle.LifecycleContext;
import net.jqwik.api.lifecycle.SkipExecutionHook;
import net.jqwik.api.lifecycle.SkipExecutionHook.SkipResult;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;

/**
 * Skips a contract class whose backend cannot run here (no OpenCL device, say), printing the
 * reason. Under {@code CI=true} it never skips: the properties then run and fail on the
 * unavailable backend, so a CI machine that lost its device cannot pass silently.
 */
public final class BackendAvailabilityHook implements SkipExecutionHook {

    @Override
    public SkipResult shouldBeSkipped(LifecycleContext context) {
        Optional<BackendUnderTest> annotation = context.findAnnotation(BackendUnderTest.class);
        if (annotation.isEmpty()) {
            return SkipResult.doNotSkip();
        }
        String name = annotation.get().value();
        Optional<String> reason;
        try (AcdaBackend backend = Backends.get(name)) {
            reason = backend.unavailableReason();
        }
        if (reason.isEmpty() || inCi()) {
            return SkipResult.doNotSkip();
        }
        String message = "backend '" + name + "' is not available here, so its contract is skipped: " + reason.get()
                + " (with CI=true this fails instead)";
        System.out.println("SKIPPED " + message);
        return SkipResult.skip(message);
    }

    /** True when the environment says this is a CI run ({@code CI=true}). */
    public static boolean inCi() {
        return "true".equalsIgnoreCase(System.getenv("CI"));
    }
}
