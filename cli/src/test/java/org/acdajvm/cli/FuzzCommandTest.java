package org.acdajvm.cli;

import static org.acdajvm.cli.AcdaCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.acdajvm.cli.fuzzkernels.TestKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code acda fuzz} end to end, the way a kernel author runs it: the kernels under test are real
 * child processes ({@link TestKernel}, a JVM each run) started through {@code --exec}. Each buggy
 * kernel must be found within a bounded number of tries and shrunk to the smallest shape that
 * shows its bug, and the correct one must pass.
 *
 * <p>Every run starts a JVM (about 0.3 to 0.5 s here), so the spaces are small and the try counts
 * limited; the tries-to-find and the shrink runs are printed for the record.
 */
class FuzzCommandTest {

    /**
     * The space of the bug hunts: every hyper-parameter varies, sizes kept small so that a run is
     * quick; C reaches 12, past the channel tile of 8, and W 9, odd.
     */
    static final String SMALL_SPACE = """
            {"batch": {"min": 1, "max": 3}, "in_channels": {"min": 1, "max": 12}, "out_channels": {"min": 1, "max": 6},
             "height": {"min": 1, "max": 7}, "width": {"min": 1, "max": 9}, "atoms": {"min": 1, "max": 3},
             "bases_per_scale": {"min": 1, "max": 3}}
            """;

    /** The smallest value of every parameter in {@link #SMALL_SPACE}, in --json's form. */
    static final Map<String, Object> SMALLEST = new LinkedHashMap<>();

    static {
        for (String k : new String[] {"batch", "in_channels", "out_channels", "height", "width", "atoms",
                "bases_per_scale", "stride", "dilation", "generator_kernel_size"}) {
            SMALLEST.put(k, 1);
        }
        SMALLEST.put("kernel_size", 3);
        SMALLEST.put("padding", "zeros");
        SMALLEST.put("bias", false);
        SMALLEST.put("magnitude", "unit");
    }

    @TempDir
    Path dir;

    /** The --exec command that runs {@link TestKernel} with {@code bug} in a fresh JVM. */
    static String exec(TestKernel.Bug bug) {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        return FuzzRunner.shellQuote(java) + " -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto -cp "
                + FuzzRunner.shellQuote(System.getProperty("java.class.path")) + " " + TestKernel.class.getName() + " "
                + bug.name() + " {case}";
    }

    record Fuzzed(int code, JsonNode json, String err) {
        JsonNode failure() {
            assertEquals(1, json.get("failures").size(), json.toPrettyString());
            return json.get("failures").get(0);
        }
    }

    Fuzzed fuzz(TestKernel.Bug bug, String space, String... more) throws IOException {
        Path spaceFile = dir.resolve("space-" + bug + ".json");
        Files.writeString(spaceFile, space);
        List<String> args = new ArrayList<>(List.of("fuzz", "--exec", exec(bug), "--space", spaceFile.toString(),
                "--out", dir.resolve("out-" + bug).toString(), "--json"));
        args.addAll(List.of(more));
        long t0 = System.nanoTime();
        AcdaCliTest.Result r = run(args.toArray(String[]::new));
        JsonNode j = r.out().isBlank() ? null : new ObjectMapper().readTree(r.out());
        double s = (System.nanoTime() - t0) * 1e-9;
        if (j != null && j.get("failures").size() > 0) {
            JsonNode f = j.get("failures").get(0);
            System.out.printf("fuzz %-22s found %s at try %d, shrunk in %d runs to %s (%.1f s in all)%n", bug,
                    f.get("kind").asText(), f.get("try").asInt(), f.get("shrink_runs").asInt(), f.get("minimal"), s);
        } else if (j != null) {
            System.out.printf("fuzz %-22s %d tries, no failure (%.1f s in all)%n", bug, j.get("tries").asInt(), s);
        }
        return new Fuzzed(r.code(), j, r.err());
    }

    /** Asserts the minimal case: the values named, and the smallest of the space for every other parameter. */
    static void assertMinimal(JsonNode failure, String kind, Object... named) {
        assertEquals(kind, failure.get("kind").asText(), failure.toPrettyString());
        Map<String, Object> want = new LinkedHashMap<>(SMALLEST);
        for (int i = 0; i < named.length; i += 2) {
            want.put((String) named[i], named[i + 1]);
        }
        JsonNode m = failure.get("minimal");
        for (Map.Entry<String, Object> e : want.entrySet()) {
            assertEquals(e.getValue().toString(), m.get(e.getKey()).asText(), e.getKey() + " of the minimal case "
                    + m + "; shrink steps " + failure.get("shrink_steps"));
        }
        assertTrue(failure.get("shrink_complete").asBoolean(), failure.toPrettyString());
    }

    /** The kept folder holds the minimal case with the kernel's output, its stdout/stderr and the report. */
    static void assertKept(JsonNode failure, String... outputs) {
        Path folder = Path.of(failure.get("folder").asText());
        for (String f : new String[] {"case/case.json", "case/x.npy", "case/weights/coef.npy", "stdout.txt",
                "stderr.txt", "report.txt"}) {
            assertTrue(Files.exists(folder.resolve(f)), folder.resolve(f) + " missing");
        }
        for (String f : outputs) {
            assertTrue(Files.exists(folder.resolve("case").resolve(f)), f + " missing in the kept case");
        }
        assertTrue(failure.get("reproduce").asText().contains(folder.resolve("case").toString()), failure.toString());
    }

    @Test
    void aCorrectKernelPassesEveryTry() throws IOException {
        // All that K, stride, dilation, padding, B, g, bias and magnitudes span; sizes up to 8, C, O up to 6, M up to 4.
        Fuzzed f = fuzz(TestKernel.Bug.CORRECT, """
                {"in_channels": {"min": 1, "max": 6}, "out_channels": {"min": 1, "max": 6},
                 "height": {"min": 1, "max": 8}, "width": {"min": 1, "max": 8}, "atoms": {"min": 1, "max": 4}}
                """, "--tries", "100", "--seed", "7");
        assertEquals(0, f.code(), f.err() + f.json());
        assertEquals(100, f.json().get("tries").asInt());
        assertEquals(0, f.json().get("failed").asInt());
        assertTrue(f.json().get("passed").asBoolean());
    }

    @Test
    void findsTheOddWidthStride2BorderBugAndShrinksIt() throws IOException {
        Fuzzed f = fuzz(TestKernel.Bug.ODD_WIDTH_STRIDE2, SMALL_SPACE, "--tries", "60");
        assertEquals(1, f.code(), f.err());
        assertMinimal(f.failure(), "wrong-values", "width", 1, "stride", 2);
        assertKept(f.failure(), "y.npy");
    }

    @Test
    void findsTheDroppedChannelTailAndShrinksToNineChannels() throws IOException {
        Fuzzed f = fuzz(TestKernel.Bug.CHANNEL_TILE_8, SMALL_SPACE, "--tries", "60");
        assertEquals(1, f.code(), f.err());
        assertMinimal(f.failure(), "wrong-values", "in_channels", 9);
    }

    @Test
    void findsTheIgnoredDilationAndShrinksIt() throws IOException {
        Fuzzed f = fuzz(TestKernel.Bug.DILATION_IGNORED, SMALL_SPACE, "--tries", "60");
        assertEquals(1, f.code(), f.err());
        assertMinimal(f.failure(), "wrong-values", "dilation", 2, "width", 2);
    }

    @Test
    void findsTheBatchBugAndShrinksToTwoImages() throws IOException {
        Fuzzed f = fuzz(TestKernel.Bug.BATCH_REUSES_ATOMS, SMALL_SPACE, "--tries", "60");
        assertEquals(1, f.code(), f.err());
        assertMinimal(f.failure(), "wrong-values", "batch", 2);
    }

    @Test
    void findsTheCrashForK7AndShrinksIt() throws IOException {
        Fuzzed f = fuzz(TestKernel.Bug.CRASH_K7, SMALL_SPACE, "--tries", "60");
        assertEquals(1, f.code(), f.err());
        assertMinimal(f.failure(), "crash", "kernel_size", 7);
        assertTrue(f.failure().get("summary").asText().contains("kernel size 7 is not implemented"), f.failure().toString());
        assertKept(f.failure());
    }

    @Test
    void aMisShapedOutputIsItsOwnKind() throws IOException {
        Fuzzed f = fuzz(TestKernel.Bug.FLOOR_OUTPUT_WIDTH, SMALL_SPACE, "--tries", "60");
        assertEquals(1, f.code(), f.err());
        // floor(W / s) differs from ceil(W / s) first at W = 1, s = 2 (an output of width 0).
        assertMinimal(f.failure(), "misshaped-output", "width", 1, "stride", 2);
        assertTrue(f.failure().get("summary").asText().contains("expected [1, 1, 1, 1]"), f.failure().toString());
    }

    @Test
    void aMissingOutputIsItsOwnKind() throws IOException {
        Fuzzed f = fuzz(TestKernel.Bug.MISSING_FOR_WIDE_O, SMALL_SPACE, "--tries", "60");
        assertEquals(1, f.code(), f.err());
        assertMinimal(f.failure(), "missing-output", "out_channels", 5);
        assertTrue(f.failure().get("summary").asText().contains("wrote no y.npy"), f.failure().toString());
        Path folder = Path.of(f.failure().get("folder").asText());
        assertEquals("nothing to do", Files.readString(folder.resolve("stdout.txt")).strip());
    }

    @Test
    void aHangIsKilledAtTheTimeoutAndShrunk() throws IOException {
        // Only C varies, so that the runs that hang (each killed after 2 s) are few; the budget of 6 shrink
        // runs covers C (1, 2, 3 pass, 4 hangs) and stops the value phase early.
        Fuzzed f = fuzz(TestKernel.Bug.HANGS_FOR_C4, """
                {"in_channels": {"min": 1, "max": 6}, "out_channels": [1], "height": [2], "width": [2], "kernel_size": [3],
                 "atoms": [1], "bases_per_scale": [1], "stride": [1], "dilation": [1], "generator_kernel_size": [1],
                 "batch": [1], "padding": ["zeros"], "bias": [false], "magnitude": ["unit"]}
                """, "--tries", "20", "--timeout", "2s", "--max-shrink-runs", "6");
        assertEquals(1, f.code(), f.err());
        JsonNode fail = f.failure();
        assertEquals("timeout", fail.get("kind").asText());
        assertEquals(4, fail.get("minimal").get("in_channels").asInt(), fail.toString());
        assertTrue(fail.get("summary").asText().startsWith("killed after 2 s"), fail.toString());
        assertTrue(fail.get("shrink_runs").asInt() <= 6, fail.toString());
        assertEquals(0, f.json().get("by_kind").get("wrong-values").asInt());
    }

    @Test
    void gradientsAreCheckedWithWithGrads() throws IOException {
        Fuzzed ok = fuzz(TestKernel.Bug.CORRECT, SMALL_SPACE, "--tries", "8", "--with-grads");
        assertEquals(0, ok.code(), ok.err() + ok.json());
        Fuzzed f = fuzz(TestKernel.Bug.BIAS_GRAD_FIRST_IMAGE, SMALL_SPACE, "--tries", "40", "--with-grads");
        assertEquals(1, f.code(), f.err());
        // The bias gradient is wrong for N > 1 only, and needs a bias.
        assertMinimal(f.failure(), "wrong-values", "batch", 2, "bias", true);
        assertTrue(f.failure().get("summary").asText().startsWith("grad bias: REJECTED"), f.failure().toString());
        assertKept(f.failure(), "y.npy", "dy.npy", "grads/bias.npy", "grads/x.npy");
    }

    @Test
    void theTextReportHasTheTableTheMinimalCaseAndTheReproducingCommand() throws IOException {
        Path out = dir.resolve("text-out");
        AcdaCliTest.Result r = run("fuzz", "--exec", exec(TestKernel.Bug.CRASH_K7), "--tries", "30", "--out",
                out.toString(), "--space", writeSpace("""
                        {"in_channels": [1, 2], "out_channels": [1], "height": [1, 3], "width": [2], "atoms": [1],
                         "bases_per_scale": [1]}
                        """).toString());
        assertEquals(1, r.code(), r.err());
        String o = r.out();
        for (String want : new String[] {"kind ", "failures", "first at try", "wrong values", "crash / non-zero exit",
                "timeout", "missing output", "mis-shaped output", "minimal:   N=1 C=1 O=1 H=1 W=2 K=7",
                "reproduce: ", "FAIL: 1 of "}) {
            assertTrue(o.contains(want), want + " not in:\n" + o);
        }
        String report = Files.readString(out.resolve("crash").resolve("report.txt"));
        assertTrue(report.contains("kernel size 7 is not implemented") && report.contains("reproduce:"), report);
        assertTrue(Files.readString(out.resolve("crash").resolve("stderr.txt")).contains("IllegalStateException"));
        assertTrue(Files.isRegularFile(out.resolve(FuzzCommand.SUMMARY_FILE)));
        assertTrue(Files.notExists(out.resolve("work")), "the work folder is removed");
        // The reproducing command is the user's command on the kept case: it fails the same way again.
        String reproduce = o.lines().filter(l -> l.startsWith("  reproduce: ")).findFirst().orElseThrow()
                .substring("  reproduce: ".length());
        assertTrue(reproduce.contains(out.resolve("crash").resolve("case").toString()), reproduce);

        // A second run replaces the output of the first (it is fuzz's own folder); a different folder is refused.
        AcdaCliTest.Result again = run("fuzz", "--exec", "true {case}", "--tries", "1", "--max-shrink-runs", "0",
                "--out", out.toString());
        assertEquals(1, again.code(), again.err());
        assertTrue(again.out().matches("(?s).*\\nmissing output +1 +1 .*"), again.out());
        assertTrue(Files.notExists(out.resolve("crash")) && Files.isDirectory(out.resolve("missing-output")));
        Path foreign = Files.createDirectories(dir.resolve("foreign"));
        Files.writeString(foreign.resolve("keep.txt"), "mine");
        AcdaCliTest.Result refused = run("fuzz", "--exec", "true {case}", "--out", foreign.toString());
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("is not the output of an earlier acda fuzz"), refused.err());
        assertTrue(Files.exists(foreign.resolve("keep.txt")));
    }

    private int spaces;

    /** A space file of its own for each call. */
    Path writeSpace(String json) throws IOException {
        Path p = dir.resolve("space-" + (++spaces) + ".json");
        Files.writeString(p, json);
        return p;
    }

    @Test
    void badUsageExitsWith2AndSaysWhy() throws IOException {
        String[][] cases = {
                {"no {case}", "--exec", "python3 kernel.py"},
                {"not a duration", "--exec", "true {case}", "--timeout", "soon"},
                {"--tries = 0", "--exec", "true {case}", "--tries", "0"},
                {"expected fp32, tf32, bf16 or fp16", "--exec", "true {case}", "--precision", "fp8"},
                {"unknown key 'kernel'", "--exec", "true {case}", "--space", writeSpace("{\"kernel\": [3]}").toString()},
                {"(odd sizes only)", "--exec", "true {case}", "--space", writeSpace("{\"kernel_size\": [4]}").toString()},
                {"is not one of [zeros, circular]", "--exec", "true {case}", "--space",
                        writeSpace("{\"padding\": [\"reflect\"]}").toString()},
                {"not valid JSON", "--exec", "true {case}", "--space", writeSpace("{").toString()},
        };
        for (String[] c : cases) {
            List<String> args = new ArrayList<>(List.of("fuzz", "--out", dir.resolve("usage").toString()));
            args.addAll(List.of(c).subList(1, c.length));
            AcdaCliTest.Result r = run(args.toArray(String[]::new));
            assertEquals(2, r.code(), c[0] + ": " + r.out() + r.err());
            assertTrue(r.err().contains(c[0]), c[0] + " not in: " + r.err());
        }
    }

    /**
     * The same seed gives the same tries, failures and minimal cases. The kernel is a shell line, no
     * JVM, so that both runs are quick: it crashes for K = 7 and writes nothing otherwise.
     */
    @Test
    void theSameSeedGivesTheSameReport() throws IOException {
        String kernel = "grep -q '\"kernel_size\" : 7' {case}/case.json && exit 3; exit 0";
        Path out = dir.resolve("det");
        List<JsonNode> reports = new ArrayList<>();
        for (String seed : new String[] {"5", "5", "6"}) {
            AcdaCliTest.Result r = run("fuzz", "--exec", kernel, "--seed", seed, "--tries", "12", "--keep-going",
                    "--out", out.toString(), "--json", "--space", writeSpace("""
                            {"in_channels": {"min": 1, "max": 4}, "out_channels": {"min": 1, "max": 4},
                             "height": {"min": 1, "max": 4}, "width": {"min": 1, "max": 4}}
                            """).toString());
            assertEquals(1, r.code(), r.err());
            com.fasterxml.jackson.databind.node.ObjectNode j =
                    (com.fasterxml.jackson.databind.node.ObjectNode) new ObjectMapper().readTree(r.out());
            j.remove("seconds");
            j.remove("seed");
            reports.add(j);
        }
        JsonNode first = reports.get(0);
        assertEquals(first, reports.get(1));
        assertTrue(!first.get("failures").equals(reports.get(2).get("failures")), "another seed, other cases");
        assertEquals(12, first.get("tries").asInt());
        assertEquals(12, first.get("by_kind").get("crash").asInt() + first.get("by_kind").get("missing-output").asInt());
        assertEquals(2, first.get("failures").size(), "--keep-going: the first of each kind is shrunk");
        for (JsonNode f : first.get("failures")) {
            assertEquals(f.get("kind").asText().equals("crash") ? 7 : 3, f.get("minimal").get("kernel_size").asInt());
            assertEquals(1, f.get("minimal").get("in_channels").asInt());
        }
    }

    /** --time-limit bounds the whole session, shrinking included; what was found so far is still kept. */
    @Test
    void theTimeLimitStopsShrinking() throws IOException {
        Path out = dir.resolve("limited");
        long t0 = System.nanoTime();
        AcdaCliTest.Result r = run("fuzz", "--exec", "sleep 0.3; true {case}", "--time-limit", "2s", "--out",
                out.toString(), "--json");
        double s = (System.nanoTime() - t0) * 1e-9;
        assertEquals(1, r.code(), r.err());
        JsonNode f = new ObjectMapper().readTree(r.out()).get("failures").get(0);
        assertEquals("missing-output", f.get("kind").asText());
        assertTrue(!f.get("shrink_complete").asBoolean(), f.toString());
        assertTrue(f.get("shrink_runs").asInt() >= 1, f.toString());
        assertTrue(s < 10, "took " + s + " s");
        assertTrue(Files.isRegularFile(out.resolve("missing-output").resolve("report.txt")));
        assertTrue(Files.readString(out.resolve("missing-output").resolve("report.txt")).contains("stopped early"));
    }
}
