package org.acdajvm.layer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.acdajvm.io.Weights;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AcdaLayerTest {

    @TempDir
    Path dir;

    private final AcdaConfig cfg = AcdaConfig.builder(3, 5, 5).atoms(4).basesPerScale(2).build();

    @Test
    void derivedSizesFollowTheDesign() {
        AcdaConfig c = AcdaConfig.builder(256, 256, 7).build();
        assertEquals(18, c.bases());
        assertEquals(108, c.generatorChannels());
        assertEquals(64, c.interChannels());
        AcdaConfig big = AcdaConfig.builder(8, 8, 7).atoms(16).build();
        assertEquals(144, big.interChannels(), "I = max(64, floor(M*T/2))");
        assertEquals(3, AcdaConfig.builder(1, 1, 7).dilation(1).build().pad());
        assertEquals(6, AcdaConfig.builder(1, 1, 7).dilation(2).build().pad());
        assertEquals(4, AcdaConfig.builder(1, 1, 3).stride(3).build().outSize(10), "ceil(10/3)");
        Map<String, int[]> shapes = AcdaLayer.expectedShapes(cfg);
        assertArrayEquals(new int[] {64, 3, 3, 3}, shapes.get("bases_net.0.weight"));
        assertArrayEquals(new int[] {16, 64, 3, 3}, shapes.get("bases_net.3.weight"));
        assertArrayEquals(new int[] {5, 12, 1, 1}, shapes.get("coef"));
        assertArrayEquals(new int[] {4, 25}, shapes.get("bases"));
    }

    @Test
    void referenceInitFollowsThePyTorchDefaults() {
        AcdaLayer l = AcdaInit.reference(AcdaConfig.builder(4, 32, 3).build(), 1);
        float bound1 = (float) (1 / Math.sqrt(4 * 9));
        for (float v : l.data("bases_net.0.weight")) {
            assertTrue(Math.abs(v) <= bound1);
        }
        for (String k : List.of("bases_net.1.weight", "bases_net.1.running_var", "bases_net.4.weight")) {
            for (float v : l.data(k)) {
                assertEquals(1f, v, k);
            }
        }
        for (float v : l.data("bias")) {
            assertEquals(0f, v);
        }
        double sq = 0;
        float[] coef = l.data("coef");
        for (float v : coef) {
            sq += v * v;
        }
        assertEquals(2.0 / 32, sq / coef.length, 0.2 * 2.0 / 32, "coef variance is 2/O (kaiming normal, fan_out)");
        assertEquals(l.stateDict().keySet(), AcdaInit.reference(AcdaConfig.builder(4, 32, 3).build(), 1).stateDict().keySet());
        assertEquals(l.param("coef"), AcdaInit.reference(AcdaConfig.builder(4, 32, 3).build(), 1).param("coef"), "seeded");
    }

    @Test
    void invalidHyperParametersNameTheArgument() {
        assertMessage(() -> AcdaConfig.builder(0, 1, 3).build(), "in_channels C = 0", "1..65536");
        assertMessage(() -> AcdaConfig.builder(1, -2, 3).build(), "out_channels O = -2");
        assertMessage(() -> AcdaConfig.builder(1, 1, 4).build(), "kernel size K = 4", "odd");
        assertMessage(() -> AcdaConfig.builder(1, 1, 1).build(), "kernel size K = 1");
        assertMessage(() -> AcdaConfig.builder(1, 1, 3).stride(0).build(), "stride s = 0");
        assertMessage(() -> AcdaConfig.builder(1, 1, 3).dilation(0).build(), "dilation d = 0");
        assertMessage(() -> AcdaConfig.builder(1, 1, 3).basesPerScale(7).build(), "B = 7", "1..6");
        assertMessage(() -> AcdaConfig.builder(1, 1, 3).atoms(0).build(), "atoms M = 0");
        assertMessage(() -> AcdaConfig.builder(1, 1, 3).generatorKernel(2).build(), "generator kernel size g = 2");
        assertMessage(() -> PaddingMode.parse("reflect", "--padding"), "--padding = 'reflect'", "zeros or circular");
    }

    @Test
    void parametersAreCheckedByName() {
        Map<String, Tensor> good = AcdaInit.randomized(cfg, 3).stateDict();

        Map<String, Tensor> missing = new LinkedHashMap<>(good);
        missing.remove("bases_net.4.running_mean");
        assertMessage(() -> new AcdaLayer(cfg, missing), "missing key 'bases_net.4.running_mean'", "[16]");

        Map<String, Tensor> wrong = new LinkedHashMap<>(good);
        wrong.put("coef", Tensor.zeros(5, 11, 1, 1));
        assertMessage(() -> new AcdaLayer(cfg, wrong), "key 'coef' has shape [5, 11, 1, 1], expected [5, 12, 1, 1]");

        Map<String, Tensor> extra = new LinkedHashMap<>(good);
        extra.put("foo.weight", Tensor.zeros(1));
        assertMessage(() -> new AcdaLayer(cfg, extra), "unexpected key(s) [foo.weight]");

        Map<String, Tensor> biasWithout = new LinkedHashMap<>(good);
        AcdaConfig noBias = AcdaConfig.builder(3, 5, 5).atoms(4).basesPerScale(2).bias(false).build();
        assertMessage(() -> new AcdaLayer(noBias, biasWithout), "unexpected key(s) [bias]", "config has no bias");

        Map<String, Tensor> nan = new LinkedHashMap<>(good);
        Tensor c = good.get("coef").copy();
        c.data()[7] = Float.NaN;
        nan.put("coef", c);
        assertMessage(() -> new AcdaLayer(cfg, nan), "key 'coef' element 7 is NaN");

        Map<String, Tensor> negVar = new LinkedHashMap<>(good);
        Tensor v = good.get("bases_net.1.running_var").copy();
        v.data()[2] = -0.5f;
        negVar.put("bases_net.1.running_var", v);
        assertMessage(() -> new AcdaLayer(cfg, negVar), "'bases_net.1.running_var' element 2 is -0.5");

        Map<String, Tensor> badBases = new LinkedHashMap<>(good);
        Tensor b = good.get("bases").copy();
        b.data()[13] += 2e-5f;
        badBases.put("bases", b);
        assertMessage(() -> new AcdaLayer(cfg, badBases), "tensor 'bases' differs", "[0, 13]", "another basis convention");

        Map<String, Tensor> closeBases = new LinkedHashMap<>(good);
        Tensor b2 = good.get("bases").copy();
        b2.data()[13] += 5e-6f;
        closeBases.put("bases", b2);
        assertEquals(b2, new AcdaLayer(cfg, closeBases).param("bases"), "loaded bases are used as given");

        Map<String, Tensor> noBases = new LinkedHashMap<>(good);
        noBases.remove("bases");
        assertEquals(AcdaLayer.computedBases(cfg), new AcdaLayer(cfg, noBases).param("bases"));

        Map<String, Tensor> tracked = new LinkedHashMap<>(good);
        tracked.put("bases_net.1.num_batches_tracked", Tensor.zeros());
        assertFalse(new AcdaLayer(cfg, tracked).stateDict().containsKey("bases_net.1.num_batches_tracked"));
    }

    @Test
    void theLayerOwnsCopiesOfItsParameters() {
        Map<String, Tensor> sd = AcdaInit.randomized(cfg, 3).stateDict();
        AcdaLayer l = new AcdaLayer(cfg, sd);
        float before = l.data("coef")[0];
        sd.get("coef").data()[0] = 1234f;
        assertEquals(before, l.data("coef")[0]);
    }

    @Test
    void stateDictRoundTripsThroughFilesAndInference() throws IOException {
        AcdaConfig c = AcdaConfig.builder(3, 4, 7).atoms(5).basesPerScale(3).generatorKernel(1).bias(false)
                .stride(2).dilation(2).padding(PaddingMode.CIRCULAR).build();
        AcdaLayer l = AcdaInit.randomized(c, 9);
        Path st = dir.resolve("w.safetensors");
        Weights.writeSafeTensors(st, l.stateDict());
        Path folder = dir.resolve("w");
        Weights.writeFolder(folder, l.stateDict());
        AcdaStateDict.Hints hints = new AcdaStateDict.Hints(2, 2, PaddingMode.CIRCULAR, 0, 0, 0, 0, 0);
        for (Path p : List.of(st, folder)) {
            AcdaLayer back = AcdaStateDict.load(Weights.read(p, false), hints);
            assertEquals(c, back.config(), "inferred from " + p);
            back.stateDict().forEach((k, t) -> assertEquals(l.param(k), t, k));
        }
        assertThrows(IOException.class, () -> Weights.writeFolder(folder, l.stateDict()), "an existing folder is not replaced");
    }

    @Test
    void inferenceChecksStatedValuesAndPrefixes() {
        Map<String, Tensor> sd = AcdaInit.randomized(cfg, 3).stateDict();
        assertMessage(() -> AcdaStateDict.inferConfig(sd, new AcdaStateDict.Hints(1, 1, PaddingMode.ZEROS, 7, 0, 0, 0, 0)),
                "kernel size K = 7 was given but key 'bases' [4, 25] implies K = 5");
        assertMessage(() -> AcdaStateDict.inferConfig(sd, new AcdaStateDict.Hints(1, 1, PaddingMode.ZEROS, 0, 0, 6, 0, 0)),
                "atoms M = 6 was given but the weights imply 4");
        Map<String, Tensor> noBases = new LinkedHashMap<>(sd);
        noBases.remove("bases");
        assertMessage(() -> AcdaStateDict.inferConfig(noBases, AcdaStateDict.Hints.defaults()), "kernel size K must be given");
        assertEquals(cfg, AcdaStateDict.inferConfig(noBases, new AcdaStateDict.Hints(1, 1, PaddingMode.ZEROS, 5, 0, 0, 0, 0)));
        Map<String, Tensor> prefixed = new LinkedHashMap<>();
        sd.forEach((k, t) -> prefixed.put("layer1.conv." + k, t));
        prefixed.put("fc.weight", Tensor.zeros(2));
        assertEquals(cfg, AcdaStateDict.inferConfig(AcdaStateDict.stripPrefix(prefixed, "layer1.conv."),
                AcdaStateDict.Hints.defaults()));
        assertMessage(() -> AcdaStateDict.stripPrefix(prefixed, "layer2."), "prefix 'layer2.' matches no key");
        Map<String, Tensor> noCoef = new LinkedHashMap<>(sd);
        noCoef.remove("coef");
        assertMessage(() -> AcdaStateDict.inferConfig(noCoef, AcdaStateDict.Hints.defaults()), "missing key 'coef'");
    }

    static void assertMessage(org.junit.jupiter.api.function.Executable e, String... fragments) {
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, e);
        for (String f : fragments) {
            assertTrue(ex.getMessage().contains(f), "'" + ex.getMessage() + "' should contain '" + f + "'");
        }
    }
}
