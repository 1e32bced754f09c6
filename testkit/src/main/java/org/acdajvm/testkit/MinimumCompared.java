package org.acdajvm.testkit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The least a contract property must compare for its run to count: {@link #cases()} cases (and at least one
 * element). {@link ContractAccounting} fails a property that passed with fewer, so a backend (or a generator
 * whose cases all fall outside what a property can check) cannot drop out of the contract while its
 * properties stay green. The stated numbers are deliberately well below what the property compares on
 * correct code (for a {@code @Property}, about half its tries or more), so they fail only when most cases
 * went unchecked. Every property and example of a contract class states one; {@link ContractCoverage}
 * checks that.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface MinimumCompared {
    /** The fewest cases the property must compare. */
    int cases();
}
