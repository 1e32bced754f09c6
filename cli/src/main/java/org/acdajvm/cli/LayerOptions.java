package org.acdajvm.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.Layers;
import org.acdajvm.layer.Settings;

import picocli.CommandLine.Option;

/**
 * The layer of the commands that build one: {@code --layer NAME}, its settings as {@code --set key=value}
 * in the key names of {@code case.json}, and the shared geometry options, which are only spellings of
 * settings keys ({@code -k} is {@code kernel_size}, ...). Every value goes through the layer kind's
 * one parser ({@link LayerKind#random}, {@link LayerKind#load}); nothing here knows a layer's ranges or
 * defaults. A setting not given takes the layer's default. An option whose key the layer does not have
 * is a usage error that names it.
 */
final class LayerOptions {

    /** The source of the settings in the kind's messages; rewritten to the option the user typed. */
    private static final String SOURCE_PREFIX = "layer ";

    @Option(names = "--layer", paramLabel = "NAME",
            description = "the layer, by name (default: acda; 'acda layers' lists them, their inputs and backends)")
    String layer;

    @Option(names = "--set", paramLabel = "KEY=VALUE",
            description = "one of the layer's settings by its case.json key, e.g. --set atoms=4 (repeatable; a setting "
                    + "not given takes the layer's default; 'acda layers NAME' lists them)")
    List<String> set = new ArrayList<>();

    @Option(names = "--in-channels", paramLabel = "C", description = "input channels C (setting in_channels)")
    Integer inChannels;

    @Option(names = "--out-channels", paramLabel = "O", description = "output channels O (setting out_channels)")
    Integer outChannels;

    @Option(names = {"-k", "--kernel-size"}, paramLabel = "K", description = "kernel size K, odd (setting kernel_size)")
    Integer kernelSize;

    @Option(names = "--stride", paramLabel = "S", description = "stride s >= 1 (setting stride)")
    Integer stride;

    @Option(names = "--dilation", paramLabel = "D", description = "dilation d >= 1 (setting dilation)")
    Integer dilation;

    @Option(names = "--padding", paramLabel = "P",
            description = "where the layer's 'padding' is a mode (acda, whose padding is always 'same'): zeros or "
                    + "circular; where it is an integer beside a 'padding_mode' (conv, PAC): an integer sets 'padding', "
                    + "zeros or circular sets 'padding_mode'")
    String padding;

    @Option(names = {"-b", "--per-scale"}, paramLabel = "B",
            description = "acda: Fourier-Bessel bases per scale, 1..6 (setting bases_per_scale)")
    Integer basesPerScale;

    @Option(names = {"-m", "--atoms"}, paramLabel = "M", description = "acda: dynamic atoms per pixel (setting atoms)")
    Integer atoms;

    @Option(names = "--generator-kernel", paramLabel = "G",
            description = "acda: kernel size of the generator's first conv, odd, 1..15 (setting generator_kernel_size)")
    Integer generatorKernel;

    @Option(names = "--no-bias", description = "a layer without output bias (setting bias = false)")
    boolean noBias;

    /** One value given on the command line: the option as the user knows it, the settings key, the value. */
    record Given(String option, String key, String value) {
    }

    /** The option that spells each settings key (the padding is mapped per layer, see {@link #given}). */
    private static final Map<String, String> OPTION_OF_KEY = Map.of(
            "in_channels", "--in-channels", "out_channels", "--out-channels", "kernel_size", "-k/--kernel-size",
            "stride", "--stride", "dilation", "--dilation", "bases_per_scale", "-b/--per-scale", "atoms", "-m/--atoms",
            "generator_kernel_size", "--generator-kernel", "bias", "--no-bias", "padding_mode", "--padding");

    /** The layer kind: {@code --layer}, or acda. */
    LayerKind<?> kind() {
        return kind(layer == null ? AcdaKind.NAME : layer);
    }

    static LayerKind<?> kind(String name) {
        if (!Layers.names().contains(name)) {
            throw new IllegalArgumentException("--layer = '" + name + "' is unknown: expected one of " + Layers.names()
                    + " ('acda layers' describes them)");
        }
        return Layers.get(name);
    }

    /** The option that sets {@code key} of {@code kind}, for listings, or null. */
    static String optionOf(LayerKind<?> kind, String key) {
        if (key.equals("padding")) {
            return keys(kind).contains("padding_mode") ? "--padding N" : "--padding";
        }
        return OPTION_OF_KEY.get(key);
    }

    /** The options given, as the user typed them, before any layer is known (for "cannot be combined" errors). */
    List<String> givenOptions() {
        List<String> o = new ArrayList<>();
        if (layer != null) {
            o.add("--layer");
        }
        for (Given g : raw()) {
            o.add(g.option());
        }
        if (!set.isEmpty()) {
            o.add("--set");
        }
        return o;
    }

    /** The geometry and alias options given, keyed by their settings key (the padding still unmapped). */
    private List<Given> raw() {
        List<Given> g = new ArrayList<>();
        add(g, "--in-channels", "in_channels", inChannels);
        add(g, "--out-channels", "out_channels", outChannels);
        add(g, "-k/--kernel-size", "kernel_size", kernelSize);
        add(g, "--stride", "stride", stride);
        add(g, "--dilation", "dilation", dilation);
        add(g, "--padding", "padding", padding);
        add(g, "-b/--per-scale", "bases_per_scale", basesPerScale);
        add(g, "-m/--atoms", "atoms", atoms);
        add(g, "--generator-kernel", "generator_kernel_size", generatorKernel);
        if (noBias) {
            g.add(new Given("--no-bias", "bias", "false"));
        }
        return g;
    }

    private static void add(List<Given> g, String option, String key, Object value) {
        if (value != null) {
            g.add(new Given(option, key, value.toString()));
        }
    }

    /**
     * The options and {@code --set} values given, as settings keys of {@code kind}.
     *
     * @throws IllegalArgumentException naming an option the layer does not take, a malformed or repeated
     *                                  {@code --set}, or a key given twice
     */
    List<Given> given(LayerKind<?> kind) {
        List<String> keys = keys(kind);
        List<Given> out = new ArrayList<>();
        for (Given g : raw()) {
            String key = g.key();
            if (key.equals("padding") && keys.contains("padding_mode") && !isInteger(g.value())) {
                key = "padding_mode";
            }
            if (!keys.contains(key)) {
                throw new IllegalArgumentException(g.option().replaceAll(".*/", "") + " is not an option of layer "
                        + kind.name() + ": it has no setting '" + key + "' (its settings: " + String.join(", ", keys) + ")");
            }
            out.add(new Given(g.option(), key, g.value()));
        }
        for (String s : set) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("--set '" + s + "' is not KEY=VALUE: expected e.g. --set "
                        + (keys.isEmpty() ? "key" : keys.getLast()) + "=VALUE");
            }
            String key = s.substring(0, eq).trim();
            out.add(new Given("--set " + key, key, s.substring(eq + 1).trim()));
        }
        Map<String, String> seen = new LinkedHashMap<>();
        for (Given g : out) {
            String before = seen.putIfAbsent(g.key(), g.option());
            if (before != null) {
                throw new IllegalArgumentException("the setting '" + g.key() + "' is given twice: by " + before
                        + " and by " + g.option());
            }
        }
        return out;
    }

    /** The settings given for {@code kind}, unknown keys refused; those not given take the layer's defaults. */
    Settings settings(LayerKind<?> kind) {
        Map<String, String> m = new LinkedHashMap<>();
        List<Given> given = given(kind);
        for (Given g : given) {
            m.put(g.key(), g.value());
        }
        Settings s = Settings.of(m, SOURCE_PREFIX + kind.name());
        return apply(kind, given, x -> x.requireKnown(kind.name(), kind.settings()), s);
    }

    /**
     * {@code f} applied to these settings (the kind's parser runs inside it), its message about a key
     * reworded to name the option the user typed for it: {@code --padding = 'reflect' is not ...},
     * {@code --set atoms = 'x' is not an integer ...}.
     */
    <T> T build(LayerKind<?> kind, Function<Settings, T> f) {
        List<Given> given = given(kind);
        return apply(kind, given, f, settings(kind));
    }

    private static <T> T apply(LayerKind<?> kind, List<Given> given, Function<Settings, T> f, Settings s) {
        try {
            return f.apply(s);
        } catch (IllegalArgumentException e) {
            String m = String.valueOf(e.getMessage());
            String source = SOURCE_PREFIX + kind.name() + ": '";
            for (Given g : given) {
                String prefix = source + g.key() + "'";
                if (m.startsWith(prefix)) {
                    throw new IllegalArgumentException(g.option().replaceAll(".*/", "") + m.substring(prefix.length()), e);
                }
            }
            throw e;
        }
    }

    private static List<String> keys(LayerKind<?> kind) {
        List<String> keys = new ArrayList<>();
        kind.settings().forEach(s -> keys.add(s.key()));
        return keys;
    }

    private static boolean isInteger(String v) {
        return v.trim().matches("[+-]?[0-9]+");
    }
}
