package org.acdajvm.cli;

import static org.acdajvm.cli.AcdaCliTest.run;
import static org.acdajvm.cli.UserErrorsTest.assertUsageError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.Layers;
import org.acdajvm.layer.Settings;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The family on the command line: {@code acda layers}, {@code --layer}, {@code --set}, named inputs and
 * case.json version 2, end to end on the real layers of {@link Layers}.
 */
class LayerCommandsTest {

    @TempDir
    Path dir;

    private static final ObjectMapper JSON = new ObjectMapper();

    /** A small pac-conv case with gradients; the README's example, smaller. */
    private Path pacCase(String name) {
        Path c = dir.resolve(name);
        AcdaCliTest.Result made = run("make-case", "--layer", "pac-conv", "--in-channels", "3", "--out-channels", "2",
                "--height", "7", "--width", "6", "--with-grads", "--out", c.toString());
        assertEquals(0, made.code(), made.out() + made.err());
        return c;
    }

    @Test
    void layersPrintsTheCapabilityMapOfEveryLayerAndBackend() throws IOException {
        AcdaCliTest.Result r = run("layers");
        assertEquals(0, r.code(), r.out() + r.err());
        List<String> lines = r.out().lines().toList();
        List<String> header = List.of(lines.getFirst().split("\\s+"));
        assertEquals(List.of("layer", "pass"), header.subList(0, 2), lines.getFirst());
        List<AcdaBackend> backends = Backends.all();
        try {
            assertEquals(backends.size(), header.size() - 2, "one column per backend: " + lines.getFirst());
            for (int b = 0; b < backends.size(); b++) {
                boolean available = backends.get(b).unavailableReason().isEmpty();
                assertEquals(backends.get(b).name() + (available ? "" : "*"), header.get(b + 2));
                if (!available) {
                    assertTrue(r.out().contains("* " + backends.get(b).name() + " cannot run here: "
                            + backends.get(b).unavailableReason().get()), r.out());
                }
            }
            for (LayerKind<?> k : Layers.all()) {
                int at = indexOf(lines, k.name() + " ");
                String[] fwd = lines.get(at).trim().split("\\s+");
                String[] bwd = lines.get(at + 1).trim().split("\\s+");
                assertEquals("forward", fwd[1], lines.get(at));
                assertEquals("backward", bwd[0], lines.get(at + 1));
                for (int b = 0; b < backends.size(); b++) {
                    var op = backends.get(b).op(k);
                    assertEquals(op.isPresent() ? "yes" : "-", fwd[b + 2], k.name() + " forward on " + backends.get(b).name());
                    assertEquals(op.isPresent() && op.get().backwardUnavailableReason().isEmpty() ? "yes" : "-",
                            bwd[b + 1], k.name() + " backward on " + backends.get(b).name());
                }
                assertTrue(r.out().contains(k.description()), k.name() + "'s description: " + r.out());
                for (LayerKind.InputSpec in : k.inputs()) {
                    assertTrue(r.out().contains(in.name() + " " + in.layout()), k.name() + "'s input " + in.name());
                }
            }
        } finally {
            backends.forEach(AcdaBackend::close);
        }
        // Facts the map must show whatever else changes: the oracle runs every pass of every layer, opencl has no backward.
        for (LayerKind<?> k : Layers.all()) {
            String[] fwd = lines.get(indexOf(lines, k.name() + " ")).trim().split("\\s+");
            assertEquals("yes", fwd[2 + Backends.names().indexOf("oracle")], k.name());
        }
        if (Backends.names().contains("opencl")) {
            int acda = indexOf(lines, "acda ");
            assertEquals("-", lines.get(acda + 1).trim().split("\\s+")[1 + Backends.names().indexOf("opencl")]);
        }

        JsonNode j = JSON.readTree(run("layers", "--json").out());
        assertEquals(Layers.all().size(), j.get("layers").size());
        JsonNode pac = j.get("layers").get(Layers.names().indexOf("pac-conv"));
        assertEquals("pac-conv", pac.get("name").asText());
        assertEquals("guidance", pac.get("inputs").get(1).get("name").asText());
        assertTrue(pac.get("ops").get("oracle").get("backward").asBoolean());
        assertEquals(Layers.get("pac-conv").settings().size(), pac.get("settings").size());
    }

    @Test
    void layersNameListsTheSettingsWithTheirDefaultsAndOptions() {
        AcdaCliTest.Result r = run("layers", "pac-conv");
        assertEquals(0, r.code(), r.err());
        for (Settings.Setting s : Layers.get("pac-conv").settings()) {
            assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith(s.key() + " ") && l.contains(" " + s.defaultValue() + " ")),
                    s.key() + " with its default " + s.defaultValue() + ": " + r.out());
        }
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("padding ") && l.contains("--padding N")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.trim().startsWith("padding_mode ") && l.contains("--padding")), r.out());
        AcdaCliTest.Result acda = run("layers", "acda");
        assertTrue(acda.out().lines().anyMatch(l -> l.trim().startsWith("atoms ") && l.contains("-m/--atoms")), acda.out());
        assertUsageError(run("layers", "nosuch"), "NAME = 'nosuch' is not a layer", "pac-conv");
    }

    @Test
    void aPacConvCaseWithGradientsVerifiesAndAMutatedOutputFails() throws IOException {
        Path c = pacCase("pac");
        for (String f : new String[] {"case.json", "weights.safetensors", "x.npy", "guidance.npy", "y.npy", "dy.npy",
                "grads/x.npy", "grads/guidance.npy", "grads/weight.npy", "grads/bias.npy"}) {
            assertTrue(Files.exists(c.resolve(f)), f);
        }
        JsonNode cj = JSON.readTree(c.resolve("case.json").toFile());
        assertEquals(2, cj.get("version").asInt());
        assertEquals("pac-conv", cj.get("layer").asText());
        assertEquals("{\"x\":\"x.npy\",\"guidance\":\"guidance.npy\"}", cj.get("inputs").toString());
        // Every setting written out, typed as its default: numbers, booleans, strings.
        assertEquals(Layers.get("pac-conv").settings().size(), cj.get("settings").size());
        assertTrue(cj.get("settings").get("kernel_size").isInt() && cj.get("settings").get("in_channels").asInt() == 3);
        assertTrue(cj.get("settings").get("bias").isBoolean() && cj.get("settings").get("padding_mode").isTextual());

        AcdaCliTest.Result v = run("verify", c.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("grad guidance") && v.out().contains("grad weight"), v.out());
        assertTrue(v.out().contains("ACCEPTED: 5 tensor(s) checked"), v.out());
        for (String b : new String[] {"oracle", "scalar", "vector"}) {
            AcdaCliTest.Result vb = run("verify", c.toString(), "--backend", b);
            assertEquals(0, vb.code(), b + ": " + vb.out() + vb.err());
            assertTrue(vb.out().contains("ACCEPTED: 5 tensor(s) checked"), b + ": " + vb.out());
        }

        Tensor y = Npy.read(c.resolve("y.npy"), false);
        y.set(0, 1, 3, 2, y.get(0, 1, 3, 2) + 1e-3f);
        Npy.write(c.resolve("y.npy"), y);
        AcdaCliTest.Result bad = run("verify", c.toString(), "--json");
        assertEquals(1, bad.code(), bad.out() + bad.err());
        JsonNode t = JSON.readTree(bad.out()).get("tensors").get(0);
        assertEquals("y", t.get("name").asText());
        assertEquals("[0,1,3,2]", t.get("worst_index").toString());
        assertFalse(t.get("accepted").asBoolean());

        Tensor dg = Npy.read(c.resolve("grads/guidance.npy"), false);
        Npy.write(c.resolve("grads/guidance.npy"), Tensor.zeros(dg.shape()));
        AcdaCliTest.Result zero = run("verify", c.toString());
        assertEquals(1, zero.code());
        assertTrue(zero.out().contains("grad guidance SUSPICIOUS") || zero.out().contains("grad guidance REJECTED"),
                zero.out());
    }

    @Test
    void checkOfConvAndPacConvPassesAndAMissingOpIsShown() {
        for (String layer : new String[] {"conv", "pac-conv"}) {
            AcdaCliTest.Result r = run("check", "--layer", layer, "-k", "3", "--in-channels", "3", "--out-channels", "4",
                    "--height", "9", "--width", "7", "--stride", "2");
            assertEquals(0, r.code(), r.out() + r.err());
            assertTrue(r.out().startsWith("acda check: " + layer + " "), r.out());
            for (String b : new String[] {"oracle", "scalar", "vector"}) {
                assertTrue(r.out().lines().anyMatch(l -> l.startsWith(b + " ") && l.endsWith("ok")), layer + " " + b + ": " + r.out());
            }
            assertTrue(r.out().contains("PASS: 3 backend(s) checked") || r.out().contains("PASS: 4 backend(s) checked"), r.out());
        }
        AcdaCliTest.Result pac = run("check", "--layer", "pac-conv", "--backends", "scalar", "--json", "--height", "6",
                "--width", "5");
        assertEquals(0, pac.code(), pac.out() + pac.err());
        assertTrue(pac.out().contains("\"guidance\""), "the guidance's shape is reported: " + pac.out());
        if (Backends.names().contains("opencl")) {
            try (AcdaBackend ocl = Backends.get("opencl")) {
                if (ocl.op(Layers.get("conv")).isEmpty()) {
                    AcdaCliTest.Result none = run("check", "--layer", "conv", "--backends", "scalar,opencl", "--height", "5",
                            "--width", "5");
                    assertEquals(1, none.code(), "a backend named that cannot run the layer fails: " + none.out());
                    assertTrue(none.out().lines().anyMatch(l -> l.startsWith("opencl ") && l.endsWith("no conv")), none.out());
                    assertTrue(none.out().contains("opencl: does not implement layer conv"), none.out());
                    assertTrue(none.out().contains("FAIL: 1 backend(s) checked (requested but without layer conv: opencl)"),
                            none.out());
                }
            }
        }
    }

    /**
     * Every registered layer, as a new one joins: check passes, and a case with gradients verifies against the
     * oracle, and against every backend that claims the layer.
     */
    @Test
    void everyLayerChecksAndItsCaseVerifiesOnEveryBackendThatHasIt() {
        for (LayerKind<?> k : Layers.all()) {
            AcdaCliTest.Result r = run("check", "--layer", k.name(), "--height", "7", "--width", "6", "--repeat", "1");
            assertEquals(0, r.code(), k.name() + ": " + r.out() + r.err());
            Path c = dir.resolve("case-" + k.name());
            AcdaCliTest.Result made = run("make-case", "--layer", k.name(), "--height", "6", "--width", "5", "--with-grads",
                    "--out", c.toString());
            assertEquals(0, made.code(), k.name() + ": " + made.err());
            AcdaCliTest.Result v = run("verify", c.toString());
            assertEquals(0, v.code(), k.name() + ": " + v.out() + v.err());
            for (String b : Backends.names()) {
                try (AcdaBackend backend = Backends.get(b)) {
                    if (backend.unavailableReason().isPresent()) {
                        continue;
                    }
                    AcdaCliTest.Result vb = run("verify", c.toString(), "--backend", b);
                    if (backend.op(k).isEmpty()) {
                        assertUsageError(vb, "backend '" + b + "' does not implement layer " + k.name());
                    } else {
                        assertEquals(0, vb.code(), k.name() + " on " + b + ": " + vb.out() + vb.err());
                    }
                }
            }
        }
    }

    @Test
    void optionsMapOntoTheLayersSettings() throws IOException {
        // --padding: a mode for acda; for conv an integer is the padding and a word the padding mode.
        AcdaCliTest.Result circ = run("check", "--layer", "conv", "--padding", "circular", "--backends", "scalar",
                "--height", "5", "--width", "5");
        assertEquals(0, circ.code(), circ.err());
        assertTrue(circ.out().contains("circular"), circ.out());
        Path c = dir.resolve("conv");
        AcdaCliTest.Result made = run("make-case", "--layer", "conv", "--padding", "0", "-k", "5", "--set", "bias=false",
                "--in-channels", "2", "--out-channels", "3", "--height", "8", "--width", "7", "--out", c.toString());
        assertEquals(0, made.code(), made.err());
        JsonNode s = JSON.readTree(c.resolve("case.json").toFile()).get("settings");
        assertEquals(0, s.get("padding").asInt());
        assertEquals("zeros", s.get("padding_mode").asText());
        assertEquals(5, s.get("kernel_size").asInt());
        assertFalse(s.get("bias").asBoolean());
        assertFalse(Files.exists(c.resolve("grads")));
        assertEquals("[1, 3, 4, 3]", Npy.read(c.resolve("y.npy"), false).shapeString(), "no padding: H - K + 1");
        assertEquals(0, run("verify", c.toString()).code());
        // ACDA's aliases are its settings, and --set reaches the same keys.
        AcdaCliTest.Result acda = run("check", "--set", "atoms=3", "--set", "bases_per_scale=2", "-k", "5", "--in-channels",
                "2", "--out-channels", "2", "--height", "5", "--width", "5", "--backends", "scalar");
        assertEquals(0, acda.code(), acda.err());
        assertTrue(acda.out().contains("K=5") && acda.out().contains("B=2 M=3"), acda.out());
    }

    @Test
    void badSettingsAndOptionsAreOneLineUsageErrors() {
        assertUsageError(run("check", "--set", "foo=1"), "--set foo is not a setting of layer acda", "atoms");
        assertUsageError(run("check", "--set", "atoms=x"), "--set atoms = 'x' is not an integer");
        assertUsageError(run("check", "--layer", "conv", "--set", "padding_mode=reflect"), "padding_mode", "reflect");
        assertUsageError(run("check", "--set", "atoms"), "--set 'atoms' is not KEY=VALUE");
        assertUsageError(run("check", "-m", "3", "--set", "atoms=4"), "'atoms' is given twice", "--set atoms");
        assertUsageError(run("check", "--layer", "conv", "--atoms", "3"), "--atoms is not an option of layer conv",
                "no setting 'atoms'");
        assertUsageError(run("make-case", "--layer", "pac-conv", "--generator-kernel", "3", "--out",
                dir.resolve("x").toString()), "--generator-kernel is not an option of layer pac-conv");
        assertFalse(Files.exists(dir.resolve("x")));
        assertUsageError(run("check", "--layer", "nosuch"), "--layer = 'nosuch' is unknown", "pac-conv");
        assertUsageError(run("check", "--padding", "2"), "--padding = '2' is not a padding mode");
        assertUsageError(run("make-case", "--layer", "conv", "--case-version", "1", "--out", dir.resolve("y").toString()),
                "--case-version 1 is acda's");
        assertUsageError(run("make-case", "--layer", "conv", "--init", "reference", "--out", dir.resolve("y").toString()),
                "--init reference", "only acda");
    }

    @Test
    void forwardTakesNamedInputsAndTheCasesOwn() throws IOException {
        Path c = pacCase("pac");
        Path y = dir.resolve("y.npy");
        AcdaCliTest.Result r = run("forward", "--layer", "pac-conv", "--weights", c.resolve("weights.safetensors").toString(),
                "--in-channels", "3", "--out-channels", "2", "--input", c.resolve("x.npy").toString(), "--input",
                "guidance=" + c.resolve("guidance.npy"), "--output", y.toString(), "--backend", "scalar");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("guidance [1, 2, 7, 6]"), r.out());
        assertEquals(0, run("verify", c.toString(), "--expected", y.toString()).code());
        AcdaCliTest.Result fromCase = run("forward", "--case", c.toString(), "--output", dir.resolve("y2.npy").toString(),
                "--backend", "vector");
        assertEquals(0, fromCase.code(), fromCase.err());
        assertEquals(0, run("verify", c.toString(), "--expected", dir.resolve("y2.npy").toString()).code());

        String w = c.resolve("weights.safetensors").toString();
        String x = c.resolve("x.npy").toString();
        String out = dir.resolve("y3.npy").toString();
        assertUsageError(run("forward", "--layer", "pac-conv", "--weights", w, "--in-channels", "3", "--out-channels", "2",
                "--input", x, "--output", out), "exactly one of the inputs 'guidance' and 'kernel'");
        assertUsageError(run("forward", "--layer", "pac-conv", "--weights", w, "--in-channels", "3", "--out-channels", "2",
                "--input", x, "--input", "guidance=" + x, "--input", "guidance=" + x, "--output", out), "'guidance' twice");
        assertUsageError(run("forward", "--layer", "pac-conv", "--weights", w, "--input", x, "--input", "guidance=" + x,
                "--output", out), "weight", "acda layers pac-conv");
        assertUsageError(run("forward", "--layer", "conv", "--input", x, "--output", out), "Missing required argument",
                "--weights");
        assertUsageError(run("forward", "--case", c.toString(), "--stride", "2", "--output", out),
                "--stride cannot be combined with --case");
        assertUsageError(run("verify", c.toString(), "--layer", "conv"), "is of layer pac-conv");
        assertUsageError(run("verify", c.toString(), "--pixels", "10"), "--pixels", "acda");
        assertFalse(Files.exists(Path.of(out)));
    }

    /** A layer without parameters needs no weights: make-case writes none, forward takes none. */
    @Test
    void aLayerWithoutParametersRunsWithoutWeights() throws IOException {
        Path c = dir.resolve("pool");
        AcdaCliTest.Result made = run("make-case", "--layer", "pac-pool", "--set", "pool_mode=average", "--height", "6",
                "--width", "5", "--with-grads", "--out", c.toString());
        assertEquals(0, made.code(), made.err());
        JsonNode j = JSON.readTree(c.resolve("case.json").toFile());
        assertFalse(j.has("weights"), j.toString());
        assertEquals("average", j.get("settings").get("pool_mode").asText());
        assertEquals(0, run("verify", c.toString()).code());
        Path y = dir.resolve("y.npy");
        AcdaCliTest.Result r = run("forward", "--layer", "pac-pool", "--set", "pool_mode=average", "--input",
                c.resolve("x.npy").toString(), "--input", "guidance=" + c.resolve("guidance.npy"), "--output", y.toString(),
                "--backend", "vector");
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(0, run("verify", c.toString(), "--expected", y.toString()).code());
        // The same inputs as a sum instead of an average are not this case's output.
        Path sum = dir.resolve("sum.npy");
        assertEquals(0, run("forward", "--layer", "pac-pool", "--input", c.resolve("x.npy").toString(), "--input",
                "guidance=" + c.resolve("guidance.npy"), "--output", sum.toString(), "--backend", "vector").code());
        assertEquals(1, run("verify", c.toString(), "--expected", sum.toString()).code());
    }

    @Test
    void theCommandListNamesLayers() {
        assertUsageError(run(), "a command is required", ", layers");
    }

    @Test
    void version1IsStillReadAndAcdaCasesCanBeVersion2() throws IOException {
        // A version-1 file as users and acda fuzz write it (the README's Python example writes this layout).
        AcdaConfig cfg = AcdaConfig.builder(2, 3, 3).atoms(2).build();
        Path v1 = dir.resolve("v1");
        Files.createDirectories(v1);
        var layer = AcdaInit.randomized(cfg, 4);
        org.acdajvm.io.Weights.writeFolder(v1.resolve("weights"), layer.stateDict());
        Tensor x = AcdaInit.input(cfg, 1, 5, 6, 5);
        Npy.write(v1.resolve("x.npy"), x);
        Npy.write(v1.resolve("y.npy"), org.acdajvm.oracle.AcdaOracle.forward(layer, x).toTensor());
        Files.writeString(v1.resolve("case.json"), CaseFolder.toJson(cfg, "weights", "x.npy", "y.npy"));
        assertEquals(1, JSON.readTree(v1.resolve("case.json").toFile()).get("version").asInt());
        AcdaCliTest.Result r = run("verify", v1.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertEquals(0, run("verify", v1.toString(), "--layer", "acda").code());

        Path v2 = dir.resolve("v2");
        assertEquals(0, run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "3", "--atoms", "2", "--height",
                "5", "--width", "6", "--case-version", "2", "--with-grads", "--out", v2.toString()).code());
        JsonNode j = JSON.readTree(v2.resolve("case.json").toFile());
        assertEquals(2, j.get("version").asInt());
        assertEquals(AcdaKind.INSTANCE.settings().size(), j.get("settings").size());
        assertEquals("zeros", j.get("settings").get("padding").asText());
        AcdaCliTest.Result v = run("verify", v2.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("ACCEPTED: 12 tensor(s) checked"), v.out());
        // The ACDA reader (fuzz, golden files) reads both layouts to the same config.
        assertEquals(cfg, CaseFolder.read(v1).config());
        assertEquals(cfg, CaseFolder.read(v2).config());
    }

    @Test
    void version2ErrorsNameTheFileAndTheKey() throws IOException {
        Path c = pacCase("pac");
        Path file = c.resolve("case.json");
        String json = Files.readString(file);
        List<String[]> cases = new ArrayList<>();
        cases.add(new String[] {json.replace("\"kernel_size\" : 3", "\"kernel_size\" : \"3\""),
                "'settings.kernel_size' must be a number"});
        cases.add(new String[] {json.replace("\"kernel_size\" : 3", "\"kernel_size\" : 3.5"),
                "settings: 'kernel_size' = '3.5' is not an integer"});
        cases.add(new String[] {json.replace("\"bias\" : true", "\"bias\" : 1"), "'settings.bias' must be true or false"});
        cases.add(new String[] {json.replace("\"stride\" : 1,", "\"stride\" : 1, \"strides\" : 1,"),
                "'settings' has unknown key(s) [strides]"});
        cases.add(new String[] {json.replace("\"stride\" : 1,", ""), "'settings' lacks 'stride'"});
        cases.add(new String[] {json.replace("\"guidance\" : \"guidance.npy\"", "\"guidance\" : \"../guidance.npy\""),
                "'inputs.guidance' = \"../guidance.npy\" must name a file inside the case folder"});
        cases.add(new String[] {json.replace("\"guidance\" : \"guidance.npy\"", "\"guide\" : \"guidance.npy\""),
                "'inputs' names 'guide', which is not an input of layer pac-conv"});
        cases.add(new String[] {json.replace("\"x\" : \"x.npy\",", ""), "'inputs' lacks \"x\""});
        cases.add(new String[] {json.replace("\"layer\" : \"pac-conv\"", "\"layer\" : \"pac\""),
                "'layer' = \"pac\" is unknown"});
        cases.add(new String[] {json.replace("\"version\" : 2", "\"version\" : 1"), "'version' the integer 2, found"});
        cases.add(new String[] {json.replace("\"expected\"", "\"expect\""), "unknown key(s) [expect]"});
        cases.add(new String[] {json.replaceAll("\"inputs\" : \\{[^}]*\\}", "\"inputs\" : \"x.npy\""),
                "'inputs' must be a JSON object"});
        for (String[] t : cases) {
            assertTrue(!t[0].equals(json), "the mutation applies: " + t[1]);
            Files.writeString(file, t[0]);
            assertUsageError(run("verify", c.toString()), file + ": ", t[1]);
        }
    }

    /** The README's flow in a child JVM, as a user types it: make-case for pac-conv with gradients, then verify. */
    @Test
    void theReadmeFlowInAChildJvm() throws Exception {
        Path c = dir.resolve("case");
        ChildCli.Result made = ChildCli.run(List.of(), "make-case", "--layer", "pac-conv", "--in-channels", "2",
                "--out-channels", "2", "--height", "6", "--width", "6", "--with-grads", "--out", c.toString());
        assertEquals(0, made.code(), made.err());
        ChildCli.Result v = ChildCli.run(List.of(), "verify", c.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        assertEquals("", v.err());
        ChildCli.Result layers = ChildCli.run(List.of(), "layers");
        assertEquals(0, layers.code(), layers.err());
        assertTrue(layers.out().lines().anyMatch(l -> l.startsWith("pac-conv ") && l.contains("forward")), layers.out());
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix) && lines.get(i).contains("forward")) {
                return i;
            }
        }
        throw new AssertionError("no row starts with '" + prefix + "': " + lines);
    }
}
