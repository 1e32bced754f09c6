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
        // All of the space that K, stride, dilation, padding, B, M, g, bias and magnitudes span, sizes up to 10.
        Fuzzed f = fuzz(TestKernel.Bug.CORRECT, """
                {"in_channels": {"min": 1, "max": 10}, "out_channels": {"min": 1, "max": 10},
                 "height": {"min": 1, "max": 10}, "width": {"min": 1, "max": 10}}
                """, "--tries", "150", "--seed", "7");
        assertEquals(0, f.code(), f.err() + f.json());
        assertEquals(150, f.json().get("tries").asInt());
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
}
