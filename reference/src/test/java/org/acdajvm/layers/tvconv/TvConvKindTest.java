package org.acdajvm.layers.tvconv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layers;
import org.acdajvm.layer.Settings;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** TVConv's kind: registry, settings round trip, state-dict keys as nn.Sequential names them, initialisation, errors. */
class TvConvKindTest {

    @Test
    void registeredAndRoundTripsItsSettings() {
        assertEquals(TvConvKind.INSTANCE, Layers.get("tvconv"));
        Settings s = Settings.empty().with("channels", 5).with("kernel_size", 7).with("dilation", 2)
                .with("padding_mode", "circular").with("height", 9).with("width", 11).with("affinity_channels", 3)
                .with("mid_channels", 6).with("layers", 3).with("bias", true);
        TvConvLayer layer = TvConvKind.INSTANCE.random(s, 1);
        assertEquals(s.asMap(), TvConvKind.INSTANCE.settingsOf(layer).asMap());
        TvConvLayer loaded = TvConvKind.INSTANCE.load(TvConvKind.INSTANCE.settingsOf(layer), layer.stateDict());
        assertArrayEquals(layer.param(TvConvLayer.AFFINITY), loaded.param(TvConvLayer.AFFINITY));
    }

    @Test
    void stateDictKeysAreThoseOfAnNnSequential() {
        TvConvConfig c = new TvConvConfig(2, 3, 1, org.acdajvm.layer.PaddingMode.ZEROS, 4, 5, 3, 6, 2, true);
        Map<String, int[]> shapes = TvConvLayer.expectedShapes(c);
        assertEquals(List.of("affinity", "weight_net.0.weight", "weight_net.0.bias", "weight_net.1.weight",
                "weight_net.1.bias", "weight_net.3.weight", "weight_net.3.bias", "weight_net.4.weight", "weight_net.4.bias",
                "weight_net.6.weight", "weight_net.6.bias", "bias"), List.copyOf(shapes.keySet()));
        assertArrayEquals(new int[] {3, 4, 5}, shapes.get("affinity"));
        assertArrayEquals(new int[] {6, 3, 3, 3}, shapes.get("weight_net.0.weight"));
        assertArrayEquals(new int[] {6, 4, 5}, shapes.get("weight_net.1.weight"));
        assertArrayEquals(new int[] {6, 6, 3, 3}, shapes.get("weight_net.3.weight"));
        assertArrayEquals(new int[] {18, 6, 3, 3}, shapes.get("weight_net.6.weight"));
        assertArrayEquals(new int[] {2}, shapes.get("bias"));
    }

    @Test
    void theDocumentedInitialisationHasOnesWhereTheRandomOneVaries() {
        TvConvConfig c = new TvConvConfig(2, 3, 1, org.acdajvm.layer.PaddingMode.ZEROS, 4, 5, 3, 6, 1, false);
        TvConvLayer init = TvConvKind.initial(c, 3);
        for (float v : init.param(TvConvLayer.AFFINITY)) {
            assertEquals(1f, v);
        }
        for (float v : init.param(TvConvLayer.normWeight(0))) {
            assertEquals(1f, v);
        }
        for (float v : init.param(TvConvLayer.normBias(0))) {
            assertEquals(0f, v);
        }
        TvConvLayer random = TvConvKind.random(c, 3);
        float[] a = random.param(TvConvLayer.AFFINITY);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float v : a) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertTrue(max - min > 0.3f && min >= 0.5f && max <= 1.5f, "randomised map in [0.5, 1.5]: " + min + ".." + max);
    }

    @Test
    void errorsNameTheSettingOrTheSizes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TvConvKind.INSTANCE.random(Settings.of(Map.of("kernel_size", "4"), "--set"), 1));
        assertTrue(e.getMessage().contains("'kernel_size'") && e.getMessage().contains("even"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> TvConvKind.INSTANCE.random(Settings.of(Map.of("stride", "2"), "--set"), 1));
        assertTrue(e.getMessage().contains("'stride'") && e.getMessage().contains("not a setting of layer tvconv"), e.getMessage());
        TvConvLayer layer = TvConvKind.INSTANCE.random(Settings.empty().with("height", 8).with("width", 6).with("channels", 2), 1);
        e = assertThrows(IllegalArgumentException.class,
                () -> TvConvKind.INSTANCE.oracleForward(layer, Inputs.of(Tensor.zeros(1, 2, 8, 7))));
        assertTrue(e.getMessage().contains("8x7") && e.getMessage().contains("8x6") && e.getMessage().contains("'x'"),
                e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new TvConvPaths(org.acdajvm.layers.conv.TapConv.SCALAR).forward(layer, new float[3],
                        Inputs.of(Tensor.zeros(1, 2, 8, 6))));
        assertTrue(e.getMessage().contains("filter has 3 values"), e.getMessage());
    }
}
