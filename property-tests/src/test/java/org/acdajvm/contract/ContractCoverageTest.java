package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.List;
import java.util.Locale;

import org.acdajvm.backend.Backends;
import org.junit.jupiter.api.Test;

/**
 * Every backend found on the class path has a contract subclass {@code <Name>ContractTest}
 * annotated with its name, so adding a backend without running the contract against it fails.
 */
class ContractCoverageTest {

    @Test
    void everyDiscoveredBackendHasAContractSubclass() {
        List<String> names = Backends.names();
        assertTrue(names.containsAll(List.of("oracle", "scalar")), "backends found: " + names);
        for (String name : names) {
            String className = ContractCoverageTest.class.getPackageName() + "."
                    + name.substring(0, 1).toUpperCase(Locale.ROOT) + name.substring(1) + "ContractTest";
            try {
                Class<?> c = Class.forName(className);
                assertTrue(AcdaBackendContract.class.isAssignableFrom(c), className + " must extend AcdaBackendContract");
                BackendUnderTest a = c.getAnnotation(BackendUnderTest.class);
                assertEquals(name, a == null ? null : a.value(), className + " must be annotated @BackendUnderTest(\"" + name + "\")");
            } catch (ClassNotFoundException e) {
                fail("backend '" + name + "' has no contract subclass " + className);
            }
        }
        System.out.println("contract coverage: " + names.size() + " backends " + names);
    }
}
