package org.acdajvm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.acdajvm.io.Npy;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The files a user gets from a real {@code acda} process: nothing left behind after SIGINT or SIGTERM,
 * "permission denied" where that is the problem, {@code -} as standard output, normal permissions.
 */
class FilesAndSignalsTest {

    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    /**
     * {@code make-case --with-grads} of a 40x40 input runs the backward oracle for several
     * seconds while its temporary folder exists: the signal arrives then. The child's SIGINT is reset
     * to the default action first (a process started in the background inherits SIGINT ignored, and
     * the JVM then keeps ignoring it).
     */
    private void interruptMakeCase(String signal) throws Exception {
        Path out = dir.resolve("case-" + signal);
        List<String> cmd = new ArrayList<>();
        if (ChildCli.works("env", "--default-signal=INT", "true")) {
            cmd.add("env");
            cmd.add("--default-signal=INT");
        }
        // 40x40: the backward runs for seconds even on a fast machine, so the signal comes while it does.
        cmd.addAll(ChildCli.command(List.of(), "make-case", "--with-grads", "--height", "40", "--width", "40", "--out",
                out.toString()));
        ChildCli.Started child = ChildCli.start(cmd);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String tmpPrefix = "." + out.getFileName() + ".";
        // Wait until the temporary folder holds y.npy: the forward is done and the backward running.
        while (names().stream().filter(n -> n.startsWith(tmpPrefix))
                .noneMatch(n -> Files.exists(dir.resolve(n).resolve("y.npy")))) {
            if (!child.process().isAlive()) {
                throw new AssertionError("make-case ended before the signal: " + child.await(10));
            }
            assertTrue(System.nanoTime() < deadline, "no temporary folder appeared: " + names());
            Thread.sleep(20);
        }
        if (signal.equals("TERM")) {
            // SIGTERM; through the handle, since Process.destroy() also closes our ends of the child's pipes
            assertTrue(child.process().toHandle().destroy());
        } else {
            Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(child.process().pid())).start();
            assertEquals(0, kill.waitFor());
        }
        ChildCli.Result r = child.await(60);
        assertEquals(signal.equals("TERM") ? 143 : 130, r.code(), "killed by SIG" + signal + ": " + r.stderr());
        assertEquals(List.of(), names(), "nothing is left behind after SIG" + signal);
        assertTrue(r.stderr().contains("interrupted: nothing written to " + out), r.stderr());
    }

    @Test
    void sigintOfMakeCaseLeavesNothingBehind() throws Exception {
        interruptMakeCase("INT");
    }

    @Test
    void sigtermOfMakeCaseLeavesNothingBehind() throws Exception {
        interruptMakeCase("TERM");
    }

    @Test
    void forwardWritesToStandardOutputWithDash() throws Exception {
        Path c = dir.resolve("case");
        assertEquals(0, AcdaCliTest.run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "3", "--height", "5",
                "--width", "4", "--out", c.toString()).code());
        ChildCli.Result r = ChildCli.run(List.of(), "forward", "--case", c.toString(), "--output", "-", "--backend",
                "scalar");
        assertEquals(0, r.code(), r.stderr());
        Path copy = Files.write(dir.resolve("from-stdout.npy"), r.stdout());
        Npy.write(dir.resolve("direct.npy"), Npy.read(copy, false));
        assertArrayEquals(Files.readAllBytes(dir.resolve("direct.npy")), r.stdout(), "stdout is exactly the .npy file");
        assertTrue(r.stderr().contains("-> stdout [1, 3, 5, 4]"), "the summary goes to stderr: " + r.stderr());
        assertFalse(Files.exists(dir.resolve("-")));
    }

    /**
     * A case folder another user cannot read: "permission denied" naming the file, not "no such file".
     * As root, permissions are not checked, so the child runs without the capabilities that bypass
     * them (setpriv); otherwise a plain chmod does.
     */
    @Test
    void anUnreadableCaseIsPermissionDeniedNotNoSuchFile() throws Exception {
        Path c = dir.resolve("case");
        assertEquals(0, AcdaCliTest.run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "2", "--height", "4",
                "--width", "4", "--out", c.toString()).code());
        Files.setPosixFilePermissions(c.resolve("case.json"), PosixFilePermissions.fromString("---------"));
        Files.setPosixFilePermissions(c.resolve("x.npy"), PosixFilePermissions.fromString("---------"));
        List<String> prefix = new ArrayList<>();
        boolean root = "root".equals(System.getProperty("user.name"));
        if (root) {
            if (!ChildCli.works("setpriv", "--bounding-set=-dac_override,-dac_read_search", "true")) {
                System.out.println("skipped: running as root without setpriv, permissions cannot be tested");
                return;
            }
            prefix = List.of("setpriv", "--bounding-set=-dac_override,-dac_read_search");
        }
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(ChildCli.command(List.of(), "verify", c.toString()));
        ChildCli.Result r = ChildCli.start(cmd).await(60);
        assertEquals(2, r.code(), r.stderr());
        assertEquals("acda verify: permission denied: " + c.resolve("case.json"), r.err().strip());

        Files.setPosixFilePermissions(c.resolve("case.json"), PosixFilePermissions.fromString("rw-r--r--"));
        cmd = new ArrayList<>(prefix);
        cmd.addAll(ChildCli.command(List.of(), "forward", "--case", c.toString(), "--output", dir.resolve("y.npy").toString()));
        r = ChildCli.start(cmd).await(60);
        assertEquals(2, r.code(), r.stderr());
        assertEquals("acda forward: permission denied: " + c.resolve("x.npy") + " (cannot be read)", r.err().strip());

        // Writing into a folder we may not write names the output, not our temporary file.
        Path locked = Files.createDirectory(dir.resolve("locked"));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("r-xr-xr-x"));
        Files.setPosixFilePermissions(c.resolve("x.npy"), PosixFilePermissions.fromString("rw-r--r--"));
        cmd = new ArrayList<>(prefix);
        cmd.addAll(ChildCli.command(List.of(), "forward", "--case", c.toString(), "--output",
                locked.resolve("y.npy").toString()));
        r = ChildCli.start(cmd).await(60);
        assertEquals(2, r.code(), r.stderr());
        assertEquals("acda forward: permission denied: " + locked.resolve("y.npy") + " (cannot create a file in " + locked
                + ")", r.err().strip());
    }

    /** The JVM's own and LWJGL's lines never reach the user; ours are one line. */
    @Test
    void noLibraryNoiseOnStderr() throws Exception {
        ChildCli.Result r = ChildCli.run(List.of("-Dorg.lwjgl.opencl.libname=libNoSuchOpenCL.so"), "check", "--backends",
                "scalar,opencl", "-k", "3", "--in-channels", "2", "--out-channels", "2", "--height", "4", "--width", "4");
        assertEquals(1, r.code(), "opencl asked for but unavailable: " + r.out() + r.stderr());
        assertEquals("", r.err(), "LWJGL's 'Failed to load a library' block is not shown");
        assertTrue(r.out().contains("libNoSuchOpenCL.so could not be loaded"), "the reason is in the report: " + r.out());

        ChildCli.Result verbose = ChildCli.run(List.of("-Dorg.lwjgl.opencl.libname=libNoSuchOpenCL.so"), "--verbose", "devices");
        assertTrue(verbose.stderr().contains("[LWJGL] Failed to load a library"), "--verbose shows it: " + verbose.stderr());
        ChildCli.Result after = ChildCli.run(List.of("-Dorg.lwjgl.opencl.libname=libNoSuchOpenCL.so"), "devices", "--verbose");
        assertTrue(after.stderr().contains("[LWJGL] Failed to load a library"), "also after the command: " + after.stderr());

        ChildCli.Result fallback = ChildCli.run(List.of("-Dacda.vector.implementation=scalar"),
                "check", "--backends", "vector", "-k", "3", "--in-channels", "2", "--out-channels", "2", "--height", "4",
                "--width", "4");
        assertEquals(0, fallback.code(), fallback.stderr());
        String only = fallback.err();
        assertEquals(1, only.lines().count(), "the scalar fallback is said once, in one line: " + only);
        assertTrue(only.startsWith("acda: warning: vector backend falls back to the scalar path"), only);
    }

    /** The exact line the launcher drops is the one this JDK prints. */
    @Test
    void theLauncherDropsExactlyTheIncubatorWarning() throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "--add-modules",
                "jdk.incubator.vector", "-version").start();
        String first = new String(p.getErrorStream().readAllBytes()).lines().findFirst().orElse("");
        p.waitFor();
        String launcher = Files.readString(Path.of("..", "acda"));
        assertTrue(launcher.contains("INCUBATOR_WARNING=\"" + first + "\""), "the JVM prints: " + first);

        String function = launcher.substring(launcher.indexOf("filter_stderr() {"), launcher.indexOf("\n}\n",
                launcher.indexOf("filter_stderr() {")) + 3);
        String script = "INCUBATOR_WARNING='" + first + "'\n" + function
                + "printf 'Picked up X\\n" + first + "\\nacda: one line\\n\\r[###] 50%%' | filter_stderr\n";
        Process b = new ProcessBuilder("bash", "-c", script).start();
        String out = new String(b.getInputStream().readAllBytes());
        assertEquals(0, b.waitFor());
        assertEquals("Picked up X\nacda: one line\n\r[###] 50%", out, "only the warning is dropped, nothing is buffered away");
    }
}
