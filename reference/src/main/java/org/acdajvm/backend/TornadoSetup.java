package org.acdajvm.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What is wrong with a TornadoVM setup, in words a user can act on: what was looked for, where,
 * and what to do. Here rather than in the optional {@code tornado-backend} module because the
 * messages are needed exactly where that module is missing (and so are testable without TornadoVM).
 *
 * <p>The project needs {@code TORNADOVM_HOME} to name a TornadoVM SDK: the folder holding
 * {@code tornado-argfile} (TornadoVM's JVM flags), {@code bin/tornado} and
 * {@code share/java/tornado}. A TornadoVM built from source puts its SDK two levels below the
 * source folder ({@code dist/tornadovm-VERSION-BACKEND-linux-amd64/tornadovm-VERSION-BACKEND}).
 */
public final class TornadoSetup {

    /** The environment variable naming the SDK. */
    public static final String HOME_VARIABLE = "TORNADOVM_HOME";
    static final String ARGFILE = "tornado-argfile";

    private TornadoSetup() {
    }

    /**
     * Why the tornado backend is not on this JVM's class path, for {@code tornadovmHome} (the value
     * of {@code TORNADOVM_HOME}, or {@code null} when unset).
     */
    public static String whyMissing(String tornadovmHome) {
        String sdk = sdkProblem(tornadovmHome);
        if (sdk != null) {
            return sdk;
        }
        return HOME_VARIABLE + "=" + tornadovmHome + " holds " + ARGFILE + ", but this JVM has no tornado backend: build "
                + "it and run through ./acda, which then adds tornado-backend/target/acda-tornado-backend.jar and "
                + "TornadoVM's flags (java @" + Path.of(tornadovmHome, ARGFILE) + " ...)";
    }

    /**
     * What is wrong with {@code tornadovmHome} as a TornadoVM SDK, or {@code null} when it holds a
     * {@code tornado-argfile}. Says what was looked for and where; when the argfile is up to three
     * folders further down (a source build's {@code dist/...}), names that folder.
     */
    public static String sdkProblem(String tornadovmHome) {
        if (tornadovmHome == null || tornadovmHome.isBlank()) {
            return HOME_VARIABLE + " is not set: install TornadoVM (see the README, section 'TornadoVM backend "
                    + "(optional)') and set " + HOME_VARIABLE + " to its SDK, the folder that holds " + ARGFILE;
        }
        Path home = Path.of(tornadovmHome);
        if (!Files.isDirectory(home)) {
            return HOME_VARIABLE + "=" + tornadovmHome + " is not a folder: set it to the TornadoVM SDK, the folder that "
                    + "holds " + ARGFILE;
        }
        Path argfile = home.resolve(ARGFILE);
        if (Files.isRegularFile(argfile)) {
            return null;
        }
        List<Path> below = argfilesBelow(home);
        if (!below.isEmpty()) {
            return "there is no " + argfile + ", but " + join(below) + " exists: set " + HOME_VARIABLE + "="
                    + below.getFirst().getParent() + " (the SDK folder, not the one above it)";
        }
        if (Files.isRegularFile(home.resolve("bin").resolve("tornado"))) {
            return "there is no " + argfile + ": this TornadoVM SDK has its launcher bin/tornado but no argfile; with "
                    + "JAVA_HOME set to the JDK TornadoVM was built for, '" + home.resolve("bin").resolve("tornado")
                    + " --printJavaFlags' prints the flags, which go into " + argfile + " (the java command itself left out)";
        }
        return "there is no " + argfile + " (nor up to three folders below " + home + "): set " + HOME_VARIABLE
                + " to the TornadoVM SDK, the folder that holds " + ARGFILE + ", bin/tornado and share/java/tornado";
    }

    private static List<Path> argfilesBelow(Path home) {
        try (Stream<Path> s = Files.find(home, 4, (p, a) -> a.isRegularFile() && p.getFileName().toString().equals(ARGFILE))) {
            return s.sorted().limit(3).toList();
        } catch (IOException | RuntimeException e) {
            return List.of();
        }
    }

    private static String join(List<Path> paths) {
        List<String> s = new ArrayList<>();
        paths.forEach(p -> s.add(p.toString()));
        return String.join(" and ", s);
    }

    /** Whether this JVM was started with TornadoVM's flags (they put its runtime module in the boot layer). */
    public static boolean flagsPresent() {
        return ModuleLayer.boot().findModule("tornado.runtime").isPresent();
    }

    /**
     * Why TornadoVM's runtime did not start, from what it threw: every distinct message of the cause
     * chain (TornadoVM wraps its own cause, e.g. "No OpenCL platforms found", several levels down),
     * and what to do.
     *
     * @param flagsPresent whether the JVM had TornadoVM's flags: if it had, telling the user to add them is wrong
     */
    public static String startFailure(Throwable e, boolean flagsPresent) {
        Set<String> messages = new LinkedHashSet<>();
        Throwable t = e;
        for (int depth = 0; t != null && depth < 12; depth++) {
            String m = t.getMessage();
            messages.add(t.getClass().getSimpleName() + (m == null || m.isBlank() ? "" : ": " + m.strip().lines()
                    .findFirst().orElse("")));
            if (t.getCause() == t) {
                break;
            }
            t = t.getCause();
        }
        String what = flagsPresent
                ? "the JVM has TornadoVM's flags, so TornadoVM itself found no usable device: check that "
                        + "'$TORNADOVM_HOME/bin/tornado --devices' (with JAVA_HOME set) lists one; without an OpenCL "
                        + "driver, install one (a CPU works through PoCL: apt-get install pocl-opencl-icd)"
                : "run the JVM with TornadoVM's flags: java @$TORNADOVM_HOME/" + ARGFILE + " ... (./acda does this when "
                        + HOME_VARIABLE + " names the SDK)";
        return "TornadoVM's runtime did not start: " + String.join(" <- ", messages) + "; " + what;
    }
}
