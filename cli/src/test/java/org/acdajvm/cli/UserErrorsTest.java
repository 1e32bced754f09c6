package org.acdajvm.cli;

import static org.acdajvm.cli.AcdaCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.acdajvm.io.Npy;
import org.acdajvm.io.SafeTensors;
import org.acdajvm.io.Weights;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import picocli.CommandLine;

/** What a new user runs into: each mistake is one line naming the argument or file, exit 2, nothing written. */
class UserErrorsTest {

    @TempDir
    Path dir;

    static void assertUsageError(AcdaCliTest.Result r, String... fragments) {
        assertEquals(2, r.code(), "exit code; out: " + r.out() + " err: " + r.err());
        for (String f : fragments) {
            assertTrue(r.err().contains(f), "stderr '" + r.err() + "' should contain '" + f + "'");
        }
        assertEquals(1, r.err().strip().lines().count(), "one line on stderr: " + r.err());
    }

    private Path smallCase(String name) {
        Path c = dir.resolve(name);
        assertEquals(0, run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "2", "--height", "5", "--width",
                "4", "--out", c.toString()).code());
        return c;
    }

    @Test
    void outputsThroughLinksDevicesAndMissingFolders() throws IOException {
        Path c = smallCase("case");
        Path real = Files.createDirectory(dir.resolve("real"));
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), real.resolve("y.npy"));
        AcdaCliTest.Result r = run("forward", "--case", c.toString(), "--output", link.toString(), "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSymbolicLink(link), "the link stays a link");
        assertEquals(2 * 5 * 4, Npy.read(real.resolve("y.npy"), false).size(), "its target is written");

        Path devLink = Files.createSymbolicLink(dir.resolve("dev.npy"), Path.of("/dev/null"));
        assertUsageError(run("forward", "--case", c.toString(), "--output", devLink.toString(), "--backend", "scalar"),
                devLink.toString(), "not a regular file");
        assertUsageError(run("forward", "--case", c.toString(), "--output", real.toString(), "--backend", "scalar"),
                real + " is a folder");

        Path missing = dir.resolve("nonexistent").resolve("dir");
        assertUsageError(run("bases", "-k", "3", "--quiet", "--png", missing.resolve("x.png").toString()),
                "no such file: " + missing + " (the folder does not exist");
        assertUsageError(run("make-case", "-k", "3", "--out", missing.resolve("case").toString()), "--parents");
        assertFalse(Files.exists(dir.resolve("nonexistent")), "no folder is made from a typo");
        AcdaCliTest.Result p = run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "2", "--height", "4",
                "--width", "4", "--parents", "--out", missing.resolve("case").toString());
        assertEquals(0, p.code(), p.err());
        assertTrue(Files.isRegularFile(missing.resolve("case").resolve("case.json")));
    }

    @Test
    void foldersWhereFilesBelongAreNamed() throws IOException {
        Path c = smallCase("case");
        Path folder = Files.createDirectory(dir.resolve("x.npy"));
        assertUsageError(run("forward", "--weights", c.resolve("weights.safetensors").toString(), "--input",
                folder.toString(), "--output", dir.resolve("y.npy").toString()), folder + ": is a folder");
        assertUsageError(run("verify", c.toString(), "--expected", folder.toString()), folder + ": is a folder");
        assertUsageError(run("convert-conv", "--weight", folder.toString(), "-k", "3", "-m", "2", "--out",
                dir.resolve("o.safetensors").toString()), folder + ": is a folder");
        Files.writeString(c.resolve("case.json"), Files.readString(c.resolve("case.json"))
                .replace("\"input\" : \"x.npy\"", "\"input\" : \"grads\""));
        Files.createDirectory(c.resolve("grads"));
        assertUsageError(run("verify", c.toString()), c.resolve("grads") + ": is a folder");
    }

    @Test
    void caseJsonVersionMustBeTheInteger1AndNoLibraryInternals() throws IOException {
        Path c = smallCase("case");
        String json = Files.readString(c.resolve("case.json"));
        for (String v : new String[] {"1.7", "\"1\"", "2"}) {
            Files.writeString(c.resolve("case.json"), json.replace("\"version\" : 1", "\"version\" : " + v));
            assertUsageError(run("verify", c.toString()), "'version' the integer 1, found", v);
        }
        Files.writeString(c.resolve("case.json"), "[".repeat(1200) + "]".repeat(1200));
        AcdaCliTest.Result deep = run("verify", c.toString());
        assertUsageError(deep, "not valid JSON", "nesting depth");
        assertFalse(deep.err().contains("StreamReadConstraints"), deep.err());
    }

    @Test
    void float64InputsNameTheNarrowingOptionEverywhere() throws IOException {
        Path c = smallCase("case");
        Tensor w = Tensor.zeros(2, 2, 3, 3);
        AcdaInit.fill(w, new java.util.SplittableRandom(1), -1, 1);
        Path f8 = dir.resolve("w64.npy");
        writeF8(f8, w);
        assertUsageError(run("convert-conv", "--weight", f8.toString(), "-k", "3", "-m", "2", "--out",
                dir.resolve("o.safetensors").toString()), "dtype '<f8'", "--narrow-f64");
        assertFalse(Files.exists(dir.resolve("o.safetensors")));
        AcdaCliTest.Result ok = run("convert-conv", "--weight", f8.toString(), "-k", "3", "-m", "2", "--narrow-f64", "--out",
                dir.resolve("o.safetensors").toString());
        assertEquals(0, ok.code(), ok.err());
        Path x8 = dir.resolve("x64.npy");
        writeF8(x8, Npy.read(c.resolve("x.npy"), false));
        assertUsageError(run("forward", "--weights", c.resolve("weights.safetensors").toString(), "--input", x8.toString(),
                "--output", dir.resolve("y.npy").toString()), "--narrow-f64");
    }

    private static void writeF8(Path file, Tensor t) throws IOException {
        StringBuilder shape = new StringBuilder();
        for (int d : t.shape()) {
            shape.append(d).append(", ");
        }
        String dict = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + shape.toString().replaceAll(", $", "")
                + "), }";
        int total = 10 + dict.length() + 1;
        String padded = dict + " ".repeat((total + 63) / 64 * 64 - total) + "\n";
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + padded.length() + 8 * t.size())
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) padded.length())
                .put(padded.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        for (float v : t.data()) {
            b.putDouble(v);
        }
        Files.write(file, b.array());
    }

    @Test
    void convertConvRefusesAtomsBeyondTheRankAndNamesANaN() throws IOException {
        Tensor w = Tensor.zeros(2, 2, 3, 3);
        AcdaInit.fill(w, new java.util.SplittableRandom(3), -1, 1);
        Path wf = dir.resolve("conv.npy");
        Npy.write(wf, w);
        Path out = dir.resolve("acda.safetensors");
        // O*C = 4 rows, T = 6 bases for K = 3: rank at most 4.
        assertUsageError(run("convert-conv", "--weight", wf.toString(), "-k", "3", "-m", "500", "--out", out.toString()),
                "--atoms M = 500", "at most 4", "-m 4 or fewer");
        assertFalse(Files.exists(out));
        AcdaCliTest.Result ok = run("convert-conv", "--weight", wf.toString(), "-k", "3", "-m", "4", "--out", out.toString());
        assertEquals(0, ok.code(), ok.err());
        assertTrue(ok.out().lines().findFirst().orElse("").matches(".*KiB\\)$"), "the size is reported: " + ok.out());

        w.set(1, 0, 2, 1, Float.NaN);
        Npy.write(wf, w);
        assertUsageError(run("convert-conv", "--weight", wf.toString(), "-k", "3", "-m", "2", "--out",
                dir.resolve("nan.safetensors").toString()), "element (1, 0, 2, 1) of [2, 2, 3, 3] is NaN");
    }

    @Test
    void usageMistakesAreUsageErrors() throws IOException {
        AcdaCliTest.Result none = run();
        assertUsageError(none, "check, forward, bases, make-case, verify, fuzz, convert-conv, devices, demo");
        assertEquals(1, none.err().split("see 'acda --help'", -1).length - 1, "the hint once: " + none.err());
        assertUsageError(run("check", "--backends", ","), "--backends names no backend");
        assertUsageError(run("check", "--backends", "scalar,,vector"), "has an empty name");
        assertUsageError(run("check", "--backends", "scalar", "--device", "0"), "--device selects an OpenCL device");
        Path c = smallCase("case");
        assertUsageError(run("forward", "--case", c.toString(), "--output", dir.resolve("y.npy").toString(), "--backend",
                "vector", "--device", "0"), "--device selects an OpenCL device", "'vector'");
        assertFalse(Files.exists(dir.resolve("y.npy")));
        AcdaCliTest.Result help = run("make-case", "--help");
        assertTrue(help.out().replaceAll("\\s+", "").contains("generator'sfirstconv,odd,1..15"), help.out());
        assertUsageError(run("check", "--generator-kernel", "17"), "generator kernel size g = 17");
    }

    @Test
    void weightsWithoutBiasSaySoInTheSummary() throws IOException {
        AcdaConfig cfg = AcdaConfig.builder(2, 2, 3).bias(false).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 4);
        Path w = dir.resolve("w.safetensors");
        Weights.writeSafeTensors(w, layer.stateDict());
        Npy.write(dir.resolve("x.npy"), AcdaInit.input(cfg, 1, 4, 4, 1));
        AcdaCliTest.Result r = run("forward", "--weights", w.toString(), "--input", dir.resolve("x.npy").toString(),
                "--output", dir.resolve("y.npy").toString(), "--backend", "scalar");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("without bias: " + w + " has no 'bias'"), r.out());
        Map<String, Tensor> m = SafeTensors.read(w, false);
        assertFalse(m.containsKey("bias"));
    }

    /** Sizes known up front are checked against the heap; an OutOfMemoryError that happens anyway is one line, exit 2. */
    @Test
    void outOfMemoryIsOneLineWithWhatToDo() throws Exception {
        ChildCli.Result check = ChildCli.run(List.of("-Xmx128m"), "check", "-n", "100000");
        assertEquals(2, check.code(), check.err());
        assertTrue(check.err().strip().lines().count() == 1 && check.err().contains("check with input [100000, 16, 32, 32] "
                + "needs about") && check.err().contains("ACDA_JAVA_OPTS=-Xmx"), check.err());
        ChildCli.Result png = ChildCli.run(List.of("-Xmx128m"), "bases", "-k", "51", "--cell", "64", "--png",
                dir.resolve("big.png").toString());
        assertEquals(2, png.code(), png.err());
        assertTrue(png.err().contains("lower --cell (now 64) or -k"), png.err());
        assertEquals("", png.out(), "nothing printed before the error");
        assertFalse(Files.exists(dir.resolve("big.png")));

        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = AcdaCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true));
        cl.addSubcommand("oom", new OomCommand());
        assertEquals(2, AcdaCli.execute(cl, new String[] {"oom"}, new PrintWriter(err, true)));
        assertTrue(err.toString().startsWith("acda: out of memory (Java heap space)"), err.toString());
        assertEquals(1, err.toString().strip().lines().count(), err.toString());
    }

    /** A bug is one line (exit 70) with a pointer to --verbose, which adds the stack trace. */
    @Test
    void anInternalErrorIsOneLineUnlessVerbose() {
        for (boolean verbose : new boolean[] {false, true}) {
            StringWriter err = new StringWriter();
            CommandLine cl = AcdaCli.commandLine(new PrintWriter(new StringWriter(), true), new PrintWriter(err, true));
            cl.addSubcommand("bug", new BugCommand());
            String[] args = verbose ? new String[] {"bug", "--verbose"} : new String[] {"bug"};
            assertEquals(AcdaCli.EXIT_INTERNAL, AcdaCli.execute(cl, args, new PrintWriter(err, true)));
            assertTrue(err.toString().startsWith("acda bug: internal error: java.lang.NullPointerException: simulated"),
                    err.toString());
            if (verbose) {
                assertTrue(err.toString().contains("\tat org.acdajvm.cli.UserErrorsTest$BugCommand.call"), err.toString());
            } else {
                assertEquals(1, err.toString().strip().lines().count(), err.toString());
                assertTrue(err.toString().contains("--verbose shows the stack trace"), err.toString());
            }
        }
    }

    @CommandLine.Command(name = "bug")
    static final class BugCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new NullPointerException("simulated");
        }
    }

    @CommandLine.Command(name = "oom")
    static final class OomCommand implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new OutOfMemoryError("Java heap space");
        }
    }

    @Test
    void checkJsonGivesTheTable() throws IOException {
        AcdaCliTest.Result r = run("check", "--json", "--backends", "scalar,oracle", "-k", "3", "--in-channels", "2",
                "--out-channels", "2", "--height", "5", "--width", "5");
        assertEquals(0, r.code(), r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertTrue(j.get("pass").asBoolean());
        assertEquals("[1,2,5,5]", j.get("input").toString());
        assertEquals(2, j.get("backends").size());
        JsonNode s = j.get("backends").get(0);
        assertEquals("scalar", s.get("name").asText());
        assertTrue(s.get("accepted").asBoolean());
        assertTrue(s.get("max_ratio").asDouble() < 1 && s.get("best_ms").asDouble() > 0);
        AcdaCliTest.Result bad = run("check", "--json", "--backends", "opencl", "--device", "no-such-device", "-k", "3",
                "--in-channels", "2", "--out-channels", "2", "--height", "5", "--width", "5");
        assertEquals(1, bad.code());
        JsonNode b = new ObjectMapper().readTree(bad.out());
        assertFalse(b.get("backends").get(0).get("available").asBoolean());
        assertEquals("[\"opencl\"]", b.get("requested_but_unavailable").toString());
    }

    @Test
    void progressBarShowsStagesAndTheTimeLeftOnlyOnATerminal() {
        AtomicLong now = new AtomicLong();
        StringWriter sw = new StringWriter();
        try (Progress p = Progress.forTest(new PrintWriter(sw, true), List.of(new Progress.Stage("oracle forward", 1),
                new Progress.Stage("oracle backward", 2)), now::get)) {
            p.next();
            now.set(3_000_000_000L);
            assertEquals("[........................]   0%  oracle forward (1/2)  0:03 elapsed, estimating the time left",
                    p.line());
            p.next();
            now.set(5_000_000_000L);
            // 3 s for weight 1: weight 2 takes 6 s, 2 of them spent.
            assertEquals("[########................]  33%  oracle backward (2/2)  0:05 elapsed, about 0:04 left", p.line());
        }
        assertTrue(sw.toString().startsWith("\r[") && sw.toString().endsWith("\r"), "drawn with carriage returns, then erased");

        String old = System.getProperty(Progress.TERMINAL_PROPERTY);
        try {
            System.setProperty(Progress.TERMINAL_PROPERTY, "true");
            AcdaCliTest.Result drawn = run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "2", "--height",
                    "4", "--width", "4", "--with-grads", "--out", dir.resolve("a").toString());
            assertEquals(0, drawn.code(), drawn.err());
            assertTrue(drawn.err().contains("oracle forward (1/2)") && drawn.err().contains("\r"), drawn.err());
            AcdaCliTest.Result quiet = run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "2", "--height",
                    "4", "--width", "4", "--quiet", "--out", dir.resolve("b").toString());
            assertEquals("", quiet.err(), "--quiet draws nothing");
            System.setProperty(Progress.TERMINAL_PROPERTY, "false");
            AcdaCliTest.Result pipe = run("verify", dir.resolve("a").toString());
            assertEquals(0, pipe.code(), pipe.out() + pipe.err());
            assertEquals("", pipe.err(), "nothing when stderr is not a terminal");
        } finally {
            if (old == null) {
                System.clearProperty(Progress.TERMINAL_PROPERTY);
            } else {
                System.setProperty(Progress.TERMINAL_PROPERTY, old);
            }
        }
    }
}
