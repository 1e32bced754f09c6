package org.acdajvm.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import net.jqwik.api.lifecycle.AddLifecycleHook;
import net.jqwik.api.lifecycle.PropagationMode;

/**
 * Names the backend a contract subclass runs against, and attaches the hooks that skip the class (with a
 * printed reason) when that backend cannot run here, except under {@code CI=true}, where an unavailable
 * backend fails instead ({@link DeviceTests}), and that count what every property compared
 * ({@link ContractAccounting}).
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@AddLifecycleHook(DeviceTests.SkipUnavailable.class)
@AddLifecycleHook(value = ContractAccounting.class, propagateTo = PropagationMode.ALL_DESCENDANTS)
public @interface BackendUnderTest {
    /** The backend's name, as {@link org.acdajvm.backend.Backends#get(String)} takes it. */
    String value();
}
