package org.acdajvm.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

import net.jqwik.api.Example;
import net.jqwik.api.Property;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.Layers;
import org.acdajvm.testkit.contracts.LayerContract;

/**
 * The coverage matrix of the contract, asserted by each backend module's {@code ContractCoverageTest}: for
 * every backend it is asked to cover and every registered layer kind for which that backend's
 * {@code op(kind)} is present, a concrete contract subclass for that (layer, backend) pair must be on the test
 * class path; every contract subclass found must name a backend that is there and that has the op; and every
 * property and example of every contract class must state a {@link MinimumCompared} of at least one case and,
 * for a {@code @Property}, at least half its tries (not merely more than zero). That each property then
 * reaches its minimum is checked where the count is known, after the property ran, by
 * {@link ContractAccounting}.
 */
public final class ContractCoverage {

    private ContractCoverage() {
    }

    /** One contract subclass found: its class, the backend it names and the layer kind its spec tests. */
    public record Entry(Class<?> type, String backend, LayerKind<?> kind) {
    }

    /**
     * Asserts the matrix for {@code backends} (names as {@link Backends#get} takes them), with the contract
     * subclasses found under {@code packages} on the class path.
     *
     * @return the subclasses found, one per (layer, backend) pair covered, for the caller to print
     */
    public static List<Entry> assertMatrix(Collection<String> backends, String... packages) {
        List<Entry> found = contractSubclasses(packages);
        List<String> problems = new ArrayList<>();
        List<String> present = Backends.names();
        Map<String, Entry> byPair = new LinkedHashMap<>();
        for (Entry e : found) {
            String pair = e.kind().name() + " x " + e.backend();
            Entry before = byPair.put(pair, e);
            if (before != null) {
                problems.add("two contract subclasses for " + pair + ": " + before.type().getName() + " and " + e.type().getName());
            }
            if (!present.contains(e.backend())) {
                problems.add(e.type().getName() + " names backend '" + e.backend() + "', which is not on the class path "
                        + present);
                continue;
            }
            try (AcdaBackend b = Backends.get(e.backend())) {
                if (b.op(e.kind()).isEmpty()) {
                    problems.add(e.type().getName() + " runs the " + e.kind().name() + " contract on backend '" + e.backend()
                            + "', which has no op for that layer");
                }
            }
        }
        for (String name : backends) {
            try (AcdaBackend b = Backends.get(name)) {
                for (LayerKind<?> kind : Layers.all()) {
                    if (b.op(kind).isPresent() && !byPair.containsKey(kind.name() + " x " + name)) {
                        problems.add("backend '" + name + "' has an op for layer '" + kind.name() + "' but no contract"
                                + " subclass runs it: add @BackendUnderTest(\"" + name + "\") public class ... extends "
                                + "the " + kind.name() + " layer's contract");
                    }
                }
            }
        }
        for (Entry e : found) {
            problems.addAll(minimumProblems(e.type()));
        }
        if (!problems.isEmpty()) {
            throw new AssertionError("the contract matrix has " + problems.size() + " gap(s):\n  " + String.join("\n  ",
                    new TreeSet<>(problems)));
        }
        return found;
    }

    /** The concrete {@link LayerContract} subclasses annotated {@link BackendUnderTest} under {@code packages}. */
    public static List<Entry> contractSubclasses(String... packages) {
        List<Entry> found = new ArrayList<>();
        for (String className : classNames(packages)) {
            Class<?> c;
            try {
                c = Class.forName(className, false, ContractCoverage.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                continue;
            }
            BackendUnderTest a = c.getAnnotation(BackendUnderTest.class);
            if (a == null || Modifier.isAbstract(c.getModifiers())) {
                continue;
            }
            if (!LayerContract.class.isAssignableFrom(c)) {
                throw new AssertionError(c.getName() + " is annotated @BackendUnderTest but does not extend a layer contract");
            }
            LayerContract<?> contract;
            try {
                contract = (LayerContract<?>) c.getDeclaredConstructor().newInstance();
            } catch (ReflectiveOperationException e) {
                throw new AssertionError(c.getName() + " needs a no-argument constructor: " + e, e);
            }
            found.add(new Entry(c, a.value(), contract.spec().kind()));
        }
        found.sort(java.util.Comparator.comparingInt((Entry e) -> Layers.all().indexOf(e.kind()))
                .thenComparingInt(e -> rank(e.backend())).thenComparing(e -> e.backend()));
        return found;
    }

    private static int rank(String backend) {
        int i = Backends.names().indexOf(backend);
        return i < 0 ? Integer.MAX_VALUE : i;
    }

    /** Every property and example of {@code type} and its superclasses that states no minimum, or one too low. */
    static List<String> minimumProblems(Class<?> type) {
        List<String> problems = new ArrayList<>();
        for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Method m : c.getDeclaredMethods()) {
                Property p = m.getAnnotation(Property.class);
                boolean example = m.isAnnotationPresent(Example.class);
                if (p == null && !example) {
                    continue;
                }
                String where = c.getSimpleName() + "." + m.getName();
                MinimumCompared min = m.getAnnotation(MinimumCompared.class);
                if (min == null) {
                    problems.add(where + " states no @MinimumCompared");
                } else if (min.cases() < 1) {
                    problems.add(where + " states a minimum of " + min.cases() + " cases: at least 1");
                } else if (p != null && p.tries() > 0 && 2L * min.cases() < p.tries()) {
                    problems.add(where + " states a minimum of " + min.cases() + " cases for " + p.tries()
                            + " tries: at least half its tries (" + (p.tries() + 1) / 2 + ")");
                } else if (p != null && p.tries() > 0 && min.cases() > p.tries()) {
                    problems.add(where + " states a minimum of " + min.cases() + " cases for only " + p.tries() + " tries");
                }
            }
        }
        return problems;
    }

    /** The names of the classes under {@code packages}, from every class-path folder or jar that holds them. */
    private static List<String> classNames(String... packages) {
        TreeSet<String> names = new TreeSet<>();
        ClassLoader loader = ContractCoverage.class.getClassLoader();
        for (String pkg : packages) {
            String path = pkg.replace('.', '/');
            try {
                Enumeration<URL> roots = loader.getResources(path);
                while (roots.hasMoreElements()) {
                    URL url = roots.nextElement();
                    if (url.getProtocol().equals("file")) {
                        Path dir = Path.of(url.toURI());
                        try (Stream<Path> files = Files.walk(dir)) {
                            files.filter(f -> f.toString().endsWith(".class")).forEach(f -> names.add(pkg + "."
                                    + dir.relativize(f).toString().replace(java.io.File.separatorChar, '.').replaceAll("\\.class$", "")));
                        }
                    } else if (url.getProtocol().equals("jar")) {
                        JarURLConnection connection = (JarURLConnection) url.openConnection();
                        connection.setUseCaches(false);
                        try (JarFile jar = connection.getJarFile()) {
                            for (Enumeration<JarEntry> e = jar.entries(); e.hasMoreElements(); ) {
                                String entry = e.nextElement().getName();
                                if (entry.startsWith(path + "/") && entry.endsWith(".class")) {
                                    names.add(entry.substring(0, entry.length() - ".class".length()).replace('/', '.'));
                                }
                            }
                        }
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (URISyntaxException e) {
                throw new IllegalStateException(e);
            }
        }
        names.removeIf(n -> n.contains("$") || n.endsWith("package-info") || n.endsWith("module-info"));
        return new ArrayList<>(names);
    }
}
