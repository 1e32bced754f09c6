package org.acdajvm.backend;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Discovery of {@link AcdaBackend}s by name through {@link ServiceLoader}. Every call returns new
 * instances, which the caller owns and closes.
 */
public final class Backends {

    /** Preferred listing order; backends not named here follow alphabetically. */
    private static final List<String> ORDER = List.of("oracle", "scalar", "vector", "opencl", "cuda", "tornado");

    private Backends() {
    }

    /** Every backend on the class path, available here or not, in listing order. */
    public static List<AcdaBackend> all() {
        List<AcdaBackend> list = new ArrayList<>();
        for (AcdaBackend b : ServiceLoader.load(AcdaBackend.class, Backends.class.getClassLoader())) {
            list.add(b);
        }
        list.sort(Comparator.comparingInt((AcdaBackend b) -> rank(b.name())).thenComparing(AcdaBackend::name));
        return list;
    }

    /** The names of every backend on the class path, in listing order. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        for (AcdaBackend b : all()) {
            names.add(b.name());
            b.close();
        }
        return names;
    }

    /**
     * The backend called {@code name}, available or not.
     *
     * @throws IllegalArgumentException naming the known backends if there is none of that name
     */
    public static AcdaBackend get(String name) {
        AcdaBackend found = null;
        for (AcdaBackend b : all()) {
            if (found == null && b.name().equals(name)) {
                found = b;
            } else {
                b.close();
            }
        }
        if (found == null) {
            String hint = name.equals("tornado") ? " (the tornado backend is an optional module that needs TornadoVM: "
                    + TornadoSetup.whyMissing(System.getenv(TornadoSetup.HOME_VARIABLE)) + ")" : "";
            throw new IllegalArgumentException("backend = '" + name + "' is unknown: expected one of " + names() + hint);
        }
        return found;
    }

    /**
     * The backend called {@code name}, which must be able to run here.
     *
     * @throws IllegalArgumentException if unknown
     * @throws IllegalStateException    with the backend's reason if it cannot run here
     */
    public static AcdaBackend require(String name) {
        AcdaBackend b = get(name);
        var reason = b.unavailableReason();
        if (reason.isPresent()) {
            b.close();
            throw new IllegalStateException("backend '" + name + "' cannot run here: " + reason.get());
        }
        return b;
    }

    private static int rank(String name) {
        int i = ORDER.indexOf(name);
        return i < 0 ? ORDER.size() : i;
    }
}
