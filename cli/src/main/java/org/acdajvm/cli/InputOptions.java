package org.acdajvm.cli;

import java.util.List;
import java.util.Locale;

import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;

import picocli.CommandLine.Option;

/** The random layer and inputs of the commands that make their own: size, seed, initialisation. */
final class InputOptions {

    @Option(names = {"-n", "--batch"}, paramLabel = "N", description = "batch size N (default: ${DEFAULT-VALUE})")
    int batch = 1;

    @Option(names = "--height", paramLabel = "H", description = "input height H (default: ${DEFAULT-VALUE})")
    int height = 32;

    @Option(names = "--width", paramLabel = "W", description = "input width W (default: ${DEFAULT-VALUE})")
    int width = 32;

    @Option(names = "--seed", description = "seed of the random layer and inputs (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--init", paramLabel = "KIND",
            description = "randomized (every parameter random, acda's BatchNorm statistics included) or, for acda, "
                    + "reference (the PyTorch layer's defaults) (default: ${DEFAULT-VALUE})")
    String init = "randomized";

    /** The seeded random layer of {@code kind} with these settings. */
    Layer layer(LayerKind<?> kind, LayerOptions options) {
        return switch (init.toLowerCase(Locale.ROOT)) {
            case "randomized" -> options.build(kind, s -> kind.random(withGrid(kind, s), seed));
            case "reference" -> {
                if (kind != AcdaKind.INSTANCE) {
                    throw new IllegalArgumentException("--init reference is the reference PyTorch layer's initialisation, "
                            + "which only acda has: use --init randomized for layer " + kind.name());
                }
                yield options.build(kind, s -> AcdaInit.reference(AcdaKind.INSTANCE.config(s), seed));
            }
            default -> throw new IllegalArgumentException("--init = '" + init
                    + "' is not allowed: expected reference or randomized");
        };
    }

    /**
     * A layer whose grid is fixed by settings {@code height} and {@code width} (TVConv's position map) takes the
     * input's size, {@code --height} and {@code --width}, unless {@code --set} gives them.
     */
    private org.acdajvm.layer.Settings withGrid(LayerKind<?> kind, org.acdajvm.layer.Settings s) {
        List<String> keys = kind.settings().stream().map(org.acdajvm.layer.Settings.Setting::key).toList();
        org.acdajvm.layer.Settings out = s;
        if (keys.contains("height") && !s.has("height")) {
            out = out.with("height", height);
        }
        if (keys.contains("width") && !s.has("width")) {
            out = out.with("width", width);
        }
        return out;
    }

    /** Checks the sizes, before anything large is made. */
    void checkSizes() {
        if (batch < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("--batch, --height and --width must be >= 1, got " + batch + ", " + height
                    + ", " + width);
        }
    }

    /** The seeded random inputs ({@code x} uniform in [-1, 1), and whatever else the layer takes). */
    Inputs inputs(BoundLayer<?> layer) {
        checkSizes();
        return layer.randomInputs(batch, height, width, seed + 1);
    }
}
