package org.acdajvm.layer;

import java.util.List;
import java.util.Map;

import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/**
 * What the library knows of one layer of the family, by name: its settings, its named inputs, how to build
 * it (random or from a state dict), how to check its inputs, and its oracle (forward and backward, in
 * double, with the bounds of DESIGN section 7). The command line, case folders, the contract kit and the
 * backends' capability maps all go through this one object, so nothing outside the layer's package spells
 * its keys or hyper-parameters. Instances are stateless singletons, listed in {@link Layers}.
 *
 * @param <L> the layer class
 */
public interface LayerKind<L extends Layer> {

    /** One named input: its name ({@code "x"} first), its layout letters and one line of help. */
    record InputSpec(String name, String layout, String help) {
    }

    /** The name users select it by: {@code acda}, {@code conv}, {@code pac-conv}, ... */
    String name();

    /** One line for {@code acda layers}. */
    String description();

    /** The layer class, for {@link #cast}. */
    Class<L> layerClass();

    /** Every setting the layer takes (geometry first), with defaults, in the key names of {@code case.json}. */
    List<Settings.Setting> settings();

    /** The named inputs, {@code "x"} ({@code [N, C, H, W]}) first. */
    List<InputSpec> inputs();

    /**
     * A layer with these settings and seeded random parameters (as {@code make-case} and {@code check} use).
     *
     * @throws IllegalArgumentException naming the setting that is wrong
     */
    L random(Settings settings, long seed);

    /**
     * A layer with these settings and the parameters of {@code stateDict} (keys as the reference PyTorch
     * module's), every key and shape checked.
     *
     * @throws IllegalArgumentException naming the missing, unknown or mis-shaped key
     */
    L load(Settings settings, Map<String, Tensor> stateDict);

    /** The complete settings that rebuild {@code layer} (every default written out), for {@code case.json}. */
    Settings settingsOf(L layer);

    /**
     * Checks the named inputs against the layer (names, ranks, shapes, finite values).
     *
     * @return the output shape
     * @throws IllegalArgumentException naming the input and the expected shape
     */
    int[] checkInputs(L layer, Inputs inputs);

    /** Seeded random inputs with {@code x} of shape {@code [batch, C, height, width]} (and whatever else the layer takes). */
    Inputs randomInputs(L layer, int batch, int height, int width, long seed);

    /** The oracle's forward: the exact output in double with both bounds' ingredients. */
    OracleResult oracleForward(L layer, Inputs inputs);

    /**
     * The oracle's backward for upstream gradient {@code dy}: the gradients of the inputs that take one
     * ({@code "x"} first, then e.g. {@code "guidance"}), then of every parameter in state-dict order.
     */
    AcdaOracleBackward.Gradients oracleBackward(L layer, Inputs inputs, Tensor dy);

    /**
     * Checks that every input given is one this layer takes ({@link #inputs()}); for {@link #checkInputs}.
     *
     * @throws IllegalArgumentException naming the input and the layer's inputs
     */
    default void requireKnownInputs(Inputs given) {
        java.util.List<String> names = new java.util.ArrayList<>();
        for (InputSpec spec : inputs()) {
            names.add(spec.name());
        }
        for (String name : given.all().keySet()) {
            if (!names.contains(name)) {
                throw new IllegalArgumentException("input '" + name + "' is not an input of layer " + name() + ": expected "
                        + names);
            }
        }
    }

    /** {@code layer} as this kind's layer class; the error names both kinds. */
    default L cast(Layer layer) {
        if (!layerClass().isInstance(layer)) {
            throw new IllegalArgumentException("expected a " + name() + " layer, found " + layer.kind().name());
        }
        return layerClass().cast(layer);
    }
}
