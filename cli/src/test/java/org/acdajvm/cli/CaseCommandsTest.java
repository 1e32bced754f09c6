package org.acdajvm.cli;

import static org.acdajvm.cli.AcdaCliTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.acdajvm.io.Npy;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** make-case and verify end to end: what another backend's author would run. */
class CaseCommandsTest {

    @TempDir
    Path dir;

    @Test
    void aCaseVerifiesAgainstItselfAndEveryBackend() throws IOException {
        Path c = dir.resolve("case");
        AcdaCliTest.Result made = run("make-case", "-k", "5", "--in-channels", "3", "--out-channels", "2", "--height", "7",
                "--width", "9", "--stride", "2", "--padding", "circular", "--atoms", "4", "--with-grads", "--out",
                c.toString());
        assertEquals(0, made.code(), made.err());
        for (String f : new String[] {"case.json", "weights.safetensors", "x.npy", "y.npy", "dy.npy", "grads/x.npy",
                "grads/coef.npy", "grads/bases_net.0.weight.npy", "grads/bases_net.4.bias.npy", "grads/bias.npy"}) {
            assertTrue(Files.exists(c.resolve(f)), f);
        }
        AcdaCliTest.Result v = run("verify", c.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("grad bases_net.3.weight"), v.out());
        assertTrue(v.out().contains("ACCEPTED: 12 tensor(s) checked"), v.out());
        for (String b : new String[] {"scalar", "vector", "oracle"}) {
            AcdaCliTest.Result vb = run("verify", c.toString(), "--backend", b);
            assertEquals(0, vb.code(), b + ": " + vb.out() + vb.err());
            // The backend's own backward on the case's dy, against the oracle's: the output and 11 gradients.
            assertTrue(vb.out().contains("grad bases_net.0.weight"), vb.out());
            assertTrue(vb.out().contains("ACCEPTED: 12 tensor(s) checked"), vb.out());
        }
    }

    @Test
    void makeCaseWithABackendWritesThatBackendsGradients() throws IOException {
        Path c = dir.resolve("vcase");
        AcdaCliTest.Result made = run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "3", "--height", "6",
                "--width", "5", "--with-grads", "--backend", "vector", "--out", c.toString());
        assertEquals(0, made.code(), made.err());
        assertTrue(made.out().contains("(computed by backend vector)"), made.out());
        AcdaCliTest.Result v = run("verify", c.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        assertTrue(v.out().contains("ACCEPTED: 12 tensor(s) checked"), v.out());
    }

    @Test
    void demoTrainsBothLayersAndWritesThePictures() throws IOException {
        Path out = dir.resolve("demo");
        AcdaCliTest.Result r = run("demo", "--size", "48", "--steps", "4", "--seed", "3", "--out", out.toString());
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("plain conv: 4 steps"), r.out());
        assertTrue(r.out().contains("final MSE"), r.out());
        assertTrue(r.out().contains("equivariance: ACDA(shift x) vs shift(ACDA(x))") && r.out().contains(": OK"), r.out());
        for (String f : new String[] {"index.html", "loss.png", "summary.png", "input.png", "target.png", "conv.png", "acda.png",
                "input-shifted.png", "target-shifted.png", "conv-shifted.png", "acda-shifted.png"}) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        // A fixed seed gives the same numbers.
        AcdaCliTest.Result again = run("demo", "--size", "48", "--steps", "4", "--seed", "3", "--out", out.toString());
        assertEquals(r.out().replaceAll("in [0-9.]+ s", "in X s"), again.out().replaceAll("in [0-9.]+ s", "in X s"));
    }

    @Test
    void aWrongOutputIsRejectedAndLocated() throws IOException {
        Path c = dir.resolve("case");
        assertEquals(0, run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "3", "--out", c.toString()).code());
        Tensor y = Npy.read(c.resolve("y.npy"), false);
        y.set(0, 2, 5, 7, y.get(0, 2, 5, 7) + 0.5f);
        Path bad = dir.resolve("bad.npy");
        Npy.write(bad, y);
        AcdaCliTest.Result r = run("verify", c.toString(), "--expected", bad.toString(), "--json");
        assertEquals(1, r.code(), r.out() + r.err());
        JsonNode j = new ObjectMapper().readTree(r.out());
        assertFalse(j.get("accepted").asBoolean());
        JsonNode t = j.get("tensors").get(0);
        assertEquals("y", t.get("name").asText());
        assertEquals("[0,2,5,7]", t.get("worst_index").toString());
        assertEquals("REJECTED", t.get("verdict").asText());
        assertEquals(1, t.get("over_worst_case").asInt());
        assertEquals(1, t.get("per_channel").get(2).get("over_worst_case").asInt());
        assertEquals(0, t.get("per_channel").get(1).get("over_tight").asInt());

        y.set(0, 0, 0, 0, Float.NaN);
        Npy.write(bad, y);
        AcdaCliTest.Result nan = run("verify", c.toString(), "--expected", bad.toString());
        assertEquals(1, nan.code());
        assertTrue(nan.out().contains("(0, 0, 0, 0)") && nan.out().contains("NaN"), nan.out());
    }

    @Test
    void suspiciousGradientsMissingFilesAndTheTiersAreReported() throws IOException {
        Path c = dir.resolve("case");
        assertEquals(0, run("make-case", "-k", "3", "--in-channels", "4", "--out-channels", "3", "--height", "6", "--width", "7",
                "--with-grads", "--out", c.toString()).code());
        // A bfloat16 output: within the worst-case bound, far beyond what float32 rounding explains.
        Tensor y = Npy.read(c.resolve("y.npy"), false);
        for (int i = 0; i < y.size(); i++) {
            y.data()[i] = Float.intBitsToFloat((Float.floatToRawIntBits(y.data()[i]) + 0x8000) & 0xffff0000);
        }
        Path bf = dir.resolve("bf16.npy");
        Npy.write(bf, y);
        AcdaCliTest.Result s = run("verify", c.toString(), "--expected", bf.toString());
        assertEquals(1, s.code(), s.out());
        assertTrue(s.out().contains("y SUSPICIOUS: the error is") && s.out().contains("times what float32 rounding explains"), s.out());
        assertEquals(0, run("verify", c.toString(), "--expected", bf.toString(), "--bound", "worst-case").code());
        assertEquals(0, run("verify", c.toString(), "--expected", bf.toString(), "--precision", "bf16").code());
        assertEquals(2, run("verify", c.toString(), "--precision", "fp8").code());
        // An all-zero input gradient is not accepted.
        Tensor dx = Npy.read(c.resolve("grads/x.npy"), false);
        Npy.write(c.resolve("grads/x.npy"), Tensor.zeros(dx.shape()));
        AcdaCliTest.Result z = run("verify", c.toString());
        assertEquals(1, z.code(), z.out());
        assertTrue(z.out().contains("grad x SUSPICIOUS") || z.out().contains("grad x REJECTED"), z.out());
        // A missing gradient fails and is named; --allow-missing-gradients relaxes it; a stray file is an error.
        Files.delete(c.resolve("grads/x.npy"));
        AcdaCliTest.Result m = run("verify", c.toString());
        assertEquals(1, m.code(), m.out());
        assertTrue(m.out().contains("missing gradient(s): x") && m.out().contains("INCOMPLETE"), m.out());
        assertEquals(0, run("verify", c.toString(), "--allow-missing-gradients").code());
        Files.writeString(c.resolve("grads/notes.txt"), "hello");
        AcdaCliTest.Result stray = run("verify", c.toString());
        assertEquals(2, stray.code());
        assertTrue(stray.err().contains("unexpected file") && stray.err().contains("notes.txt"), stray.err());
    }

    @Test
    void badCasesAreUsageErrors() throws IOException {
        Path c = dir.resolve("case");
        assertEquals(0, run("make-case", "-k", "3", "--in-channels", "2", "--out-channels", "3", "--out", c.toString()).code());
        AcdaCliTest.Result again = run("make-case", "-k", "3", "--out", c.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
        Npy.write(dir.resolve("small.npy"), Tensor.zeros(1, 3, 2, 2));
        AcdaCliTest.Result shape = run("verify", c.toString(), "--expected", dir.resolve("small.npy").toString());
        assertEquals(2, shape.code());
        assertTrue(shape.err().contains("has shape [1, 3, 2, 2], the oracle's is [1, 3, 32, 32]"), shape.err());
        Files.writeString(c.resolve("case.json"), Files.readString(c.resolve("case.json")).replace("\"stride\"", "\"strides\""));
        AcdaCliTest.Result key = run("verify", c.toString());
        assertEquals(2, key.code());
        assertTrue(key.err().contains("unknown key(s) [strides]"), key.err());
        assertEquals(2, run("verify", dir.resolve("nothing").toString()).code());
        AcdaCliTest.Result both = run("verify", c.toString(), "--backend", "scalar", "--expected", "y.npy");
        assertEquals(2, both.code());
        try (var s = Files.list(dir)) {
            assertEquals(0, s.filter(p -> p.getFileName().toString().startsWith(".")).count(), "no temporary folder left");
        }
    }

    @Test
    void convertConvWritesALayerAndReportsTheError() throws IOException {
        Tensor w = Tensor.zeros(4, 2, 3, 3);
        org.acdajvm.layer.AcdaInit.fill(w, new java.util.SplittableRandom(3), -1, 1);
        Path wf = dir.resolve("conv.npy");
        Npy.write(wf, w);
        Path out = dir.resolve("acda.safetensors");
        AcdaCliTest.Result r = run("convert-conv", "--weight", wf.toString(), "-k", "3", "-m", "6", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("relative approximation error"), r.out());
        var layer = org.acdajvm.layer.AcdaStateDict.load(org.acdajvm.io.Weights.read(out, false),
                org.acdajvm.layer.AcdaStateDict.Hints.defaults());
        assertEquals(6, layer.config().atoms());
        Tensor st = Tensor.zeros(4, 2, 3, 3);
        java.util.Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("conv.weight", st);
        m.put("conv.bias", Tensor.zeros(4));
        org.acdajvm.io.SafeTensors.write(dir.resolve("model.safetensors"), m, java.util.Map.of());
        AcdaCliTest.Result noKey = run("convert-conv", "--weight", dir.resolve("model.safetensors").toString(), "-k", "3",
                "-m", "2", "--out", dir.resolve("o.safetensors").toString());
        assertEquals(2, noKey.code());
        assertTrue(noKey.err().contains("holds 2 tensors"), noKey.err());
        AcdaCliTest.Result withKey = run("convert-conv", "--weight", dir.resolve("model.safetensors") + ":conv.weight",
                "--bias", dir.resolve("model.safetensors") + ":conv.bias", "-k", "3", "-m", "2", "--out",
                dir.resolve("o.safetensors").toString());
        assertEquals(0, withKey.code(), withKey.err());
        AcdaCliTest.Result wrongK = run("convert-conv", "--weight", wf.toString(), "-k", "5", "-m", "2", "--out",
                dir.resolve("p.safetensors").toString());
        assertEquals(2, wrongK.code());
        assertFalse(Files.exists(dir.resolve("p.safetensors")));
    }
}
