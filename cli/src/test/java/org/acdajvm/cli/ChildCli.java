package org.acdajvm.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The {@code acda} command in a child JVM, as a user runs it: for what an in-process run cannot show
 * (signals, the JVM's own stderr lines, a small heap, dropped capabilities, binary stdout). It runs
 * on this test JVM's class path, since the shaded jar is built after the tests.
 */
final class ChildCli {

    record Result(int code, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }

        /** stderr without the JVM's incubator line, which the launcher drops (tested on its own). */
        String err() {
            return stderr.replace(INCUBATOR_WARNING + "\n", "");
        }
    }

    static final String INCUBATOR_WARNING = "WARNING: Using incubator modules: jdk.incubator.vector";

    private ChildCli() {
    }

    /** The command line for {@code acda args}, with extra JVM options before the main class. */
    static List<String> command(List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.add("--sun-misc-unsafe-memory-access=allow");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(AcdaCli.class.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts {@code command} with stdout and stderr collected in the background. */
    static Started start(List<String> command) throws IOException {
        Process p = new ProcessBuilder(command).start();
        return new Started(p, collect(p.getInputStream()), collect(p.getErrorStream()));
    }

    static Result run(List<String> jvmOptions, String... args) throws Exception {
        return start(command(jvmOptions, args)).await(120);
    }

    record Started(Process process, CompletableFuture<byte[]> out, CompletableFuture<byte[]> err) {
        Result await(int seconds) throws Exception {
            if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the child JVM did not finish within " + seconds + " s: " + process.info());
            }
            return new Result(process.exitValue(), out.get(10, TimeUnit.SECONDS),
                    new String(err.get(10, TimeUnit.SECONDS), StandardCharsets.UTF_8));
        }
    }

    private static CompletableFuture<byte[]> collect(InputStream in) {
        return CompletableFuture.supplyAsync(() -> {
            try (in; ByteArrayOutputStream b = new ByteArrayOutputStream()) {
                in.transferTo(b);
                return b.toByteArray();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, r -> Thread.ofPlatform().daemon().start(r));     // one thread per stream: a full pipe must not block the child
    }

    /** Whether {@code tool args} runs and exits 0 here (for optional helpers such as setpriv). */
    static boolean works(String... command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(20, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
