package org.acdajvm.testkit;

import java.util.Locale;
import java.util.Optional;

import net.jqwik.api.lifecycle.AroundPropertyHook;
import net.jqwik.api.lifecycle.PropagationMode;
import net.jqwik.api.lifecycle.PropertyExecutionResult;
import net.jqwik.api.lifecycle.PropertyExecutor;
import net.jqwik.api.lifecycle.PropertyLifecycleContext;

/**
 * Wraps every property and example of a contract class: afterwards it closes the backend, prints how many
 * cases and elements the property compared, and turns a "successful" property that compared fewer cases
 * than its {@link MinimumCompared} (or no element at all) into a failure, so a backend cannot drop out of its
 * contract silently. A property that records why it compared nothing on purpose (no backward) passes with
 * zero cases, and says so.
 */
public final class ContractAccounting implements AroundPropertyHook {

    @Override
    public PropagationMode propagateTo() {
        return PropagationMode.ALL_DESCENDANTS;
    }

    @Override
    public PropertyExecutionResult aroundProperty(PropertyLifecycleContext context, PropertyExecutor property) {
        PropertyExecutionResult result = property.execute();
        if (!(context.testInstance() instanceof BackendContract contract)) {
            return result;
        }
        BackendContract.Counts counts = contract.finish();
        String name = context.targetMethod().getName();
        String where = contract.getClass().getSimpleName();
        if (counts.skipped() != null && counts.cases() == 0) {
            System.out.printf("contract %-8s %-55s skipped: %s [%s]%n", contract.backendName(), name, counts.skipped(), where);
            return result;
        }
        Optional<MinimumCompared> minimum = context.findAnnotation(MinimumCompared.class);
        long least = minimum.map(MinimumCompared::cases).orElse(1);
        System.out.printf("contract %-8s %-55s %5d cases %9d elements%s (minimum %d cases) [%s]%n", contract.backendName(),
                name, counts.cases(), counts.elements(), counts.worstGradientRelativeError() > 0
                        ? String.format(Locale.ROOT, " (worst max|err|/max|grad| %.2g)", counts.worstGradientRelativeError())
                        : "", least, where);
        if (result.status() != PropertyExecutionResult.Status.SUCCESSFUL) {
            return result;
        }
        Optional<String> shortfall = shortfall(counts, minimum, name, where, contract.backendName());
        return shortfall.isPresent() ? result.mapToFailed(new AssertionError(shortfall.get())) : result;
    }

    /** Why a property that passed still fails its accounting (no minimum stated, or fewer cases compared), or empty. */
    static Optional<String> shortfall(BackendContract.Counts counts, Optional<MinimumCompared> minimum, String property,
                                      String contractClass, String backend) {
        if (counts.skipped() != null && counts.cases() == 0) {
            return Optional.empty();
        }
        if (minimum.isEmpty()) {
            return Optional.of("property " + property + " of " + contractClass
                    + " states no @MinimumCompared: every contract property says how much it must compare");
        }
        if (counts.cases() < minimum.get().cases() || counts.elements() == 0) {
            return Optional.of("property " + property + " of backend '" + backend + "' compared " + counts.cases()
                    + " cases and " + counts.elements() + " elements, fewer than its minimum of " + minimum.get().cases()
                    + " cases: the backend (or the generator) dropped out of the contract");
        }
        return Optional.empty();
    }
}
