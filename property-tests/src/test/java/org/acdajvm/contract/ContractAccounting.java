package org.acdajvm.contract;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Wraps every property and example of a contract class: afterwards it closes the backend, prints
 * how many cases and elements the property compared, and turns a "successful" property that
 * compared nothing into a failure, so a backend cannot drop out of its contract silently.
 */
public final class ContractAccounting implements AroundPropertyHook {

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        PropertyExecutionResult result = property.execute();
        if (!(context.testInstance() instanceof AcdaBackendContract contract)) {
            return result;
        }
        AcdaBackendContract.Counts counts = contract.finish();
        String name = context.targetMethod().getName();
        if (counts.skipped() != null && counts.cases() == 0) {
            System.out.printf("contract %-8s %-55s skipped: %s%n", contract.backendName(), name, counts.skipped());
            return result;
        }
        System.out.printf("contract %-8s %-55s %5d cases %9d elements%s%n", contract.backendName(), name, counts.cases(),
                counts.elements(), counts.worstGradientRelativeError() > 0
                        ? String.format(java.util.Locale.ROOT, " (worst max|err|/max|grad| %.2g)", counts.worstGradientRelativeError()) : "");
        if (result.status() == PropertyExecutionResult.Status.SUCCESSFUL && (counts.cases() == 0 || counts.elements() == 0)) {
            return result.mapToFailed(new AssertionError("property " + name + " of backend '" + contract.backendName()
                    + "' compared no element: the backend dropped out of its contract"));
        }
        return result;
    }
}
