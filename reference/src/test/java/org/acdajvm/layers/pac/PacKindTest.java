package org.acdajvm.layers.pac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.Layers;
import org.acdajvm.layer.Settings;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.conv.ConvLayer;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The PAC and conv kinds: registry, settings, state dicts, input checks and their messages. */
class PacKindTest {

    @Test
    void everyKindIsRegisteredAndRoundTripsItsSettings() {
        assertTrue(Layers.names().containsAll(List.of("conv", "pac-conv", "pac-transposed", "pac-pool", "pac-kernel")),
                Layers.names().toString());
        for (String name : List.of("conv", "pac-conv", "pac-transposed", "pac-pool", "pac-kernel")) {
            check(Layers.get(name));
        }
    }

    private static <L extends org.acdajvm.layer.Layer> void check(LayerKind<L> kind) {
        L layer = kind.random(Settings.empty(), 3);
        Settings s = kind.settingsOf(layer);
        assertEquals(kind.settings().size(), s.asMap().size(), kind.name());
        L again = kind.load(s, layer.stateDict());
        assertEquals(layer.summary(), again.summary());
        Inputs in = kind.randomInputs(layer, 2, 5, 6, 4);
        int[] out = kind.checkInputs(layer, in);
        assertArrayEquals(out, kind.oracleForward(layer, in).shape(), kind.name());
        assertEquals(Inputs.X, kind.inputs().get(0).name());
    }

    @Test
    void stateDictKeysAndShapesAreThoseOfPyTorch() {
        PacLayer conv = PacKind.CONV.random(Settings.empty().with("in_channels", 3).with("out_channels", 5)
                .with("kernel_type", "inverse"), 1);
        assertEquals(List.of("weight", "bias", "inv_alpha", "inv_lambda"), List.copyOf(conv.stateDict().keySet()));
        assertArrayEquals(new int[] {5, 3, 3, 3}, conv.param("weight").shape());
        PacLayer t = PacKind.TRANSPOSED.random(Settings.empty().with("in_channels", 3).with("out_channels", 5), 1);
        assertArrayEquals(new int[] {3, 5, 3, 3}, t.param("weight").shape());
        assertArrayEquals(new int[] {5}, t.param("bias").shape());
        assertEquals(List.of(), List.copyOf(PacKind.POOL.random(Settings.empty(), 1).stateDict().keySet()));
        ConvLayer c = ConvKind.INSTANCE.random(Settings.empty().with("bias", false), 1);
        assertEquals(List.of("weight"), List.copyOf(c.stateDict().keySet()));
        double bound = 1 / Math.sqrt(16 * 9);
        for (float v : c.weight()) {
            assertTrue(Math.abs(v) <= bound);
        }
    }

    @Test
    void badSettingsAndInputsGetOneClearMessage() {
        assertMessage(() -> PacKind.CONV.random(Settings.of(Map.of("kernel_size", "4"), "--set"), 1), "'kernel_size'");
        assertMessage(() -> PacKind.CONV.random(Settings.of(Map.of("output_padding", "1"), "--set"), 1), "'output_padding'");
        assertMessage(() -> PacKind.TRANSPOSED.random(Settings.of(Map.of("output_padding", "1"), "--set"), 1), "output_padding");
        assertMessage(() -> PacKind.CONV.random(Settings.of(Map.of("channel_wise", "true", "in_channels", "3",
                "guidance_channels", "2"), "case.json"), 1), "guidance_channels");
        assertMessage(() -> PacKind.CONV.random(Settings.of(Map.of("kernel_type", "box"), "--set"), 1), "kernel_type");
        PacLayer layer = PacKind.CONV.random(Settings.empty(), 1);
        Inputs in = PacKind.CONV.randomInputs(layer, 1, 5, 5, 2);
        assertMessage(() -> PacKind.CONV.checkInputs(layer, Inputs.of(in.x())), "exactly one of");
        assertMessage(() -> PacKind.CONV.checkInputs(layer, in.with(PacKind.KERNEL, Tensor.zeros(1, 9, 5, 5))), "both");
        assertMessage(() -> PacKind.CONV.checkInputs(layer, in.with(PacKind.GUIDANCE, Tensor.zeros(1, 2, 5, 4))), "'guidance'");
        assertMessage(() -> PacKind.CONV.checkInputs(layer, Inputs.builder().put("x", in.x())
                .put(PacKind.KERNEL, Tensor.zeros(1, 9, 4, 5)).build()), "'kernel'");
        assertMessage(() -> PacKind.CONV.checkInputs(layer, in.with("filter", in.x())), "'filter'");
        PacLayer t = PacKind.TRANSPOSED.random(Settings.empty().with("stride", 2).with("output_padding", 1), 1);
        Inputs tin = PacKind.TRANSPOSED.randomInputs(t, 1, 4, 3, 2);
        // (4-1)*2 - 2 + 2 + 1 + 1 = 8, (3-1)*2 - 2 + 2 + 1 + 1 = 6
        assertArrayEquals(new int[] {1, 4, 8, 6}, PacKind.TRANSPOSED.checkInputs(t, tin));
        assertArrayEquals(new int[] {1, 2, 8, 6}, tin.get(PacKind.GUIDANCE).shape());
    }

    private static void assertMessage(Runnable r, String part) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
        assertTrue(e.getMessage().contains(part), "message '" + e.getMessage() + "' should name " + part);
    }
}
