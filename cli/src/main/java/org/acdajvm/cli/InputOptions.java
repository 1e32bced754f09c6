package org.acdajvm.cli;

import java.util.Locale;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.Option;

/** The random layer and input of the commands that make their own: size, seed, initialisation. */
final class InputOptions {

    @Option(names = {"-n", "--batch"}, paramLabel = "N", description = "batch size N (default: ${DEFAULT-VALUE})")
    int batch = 1;

    @Option(names = "--height", paramLabel = "H", description = "input height H (default: ${DEFAULT-VALUE})")
    int height = 32;

    @Option(names = "--width", paramLabel = "W", description = "input width W (default: ${DEFAULT-VALUE})")
    int width = 32;

    @Option(names = "--seed", description = "seed of the random layer and input (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--init", paramLabel = "KIND",
            description = "reference (the PyTorch layer's defaults) or randomized (every parameter random, BatchNorm "
                    + "statistics included) (default: ${DEFAULT-VALUE})")
    String init = "randomized";

    /** The seeded random layer. */
    AcdaLayer layer(AcdaConfig cfg) {
        return switch (init.toLowerCase(Locale.ROOT)) {
            case "randomized" -> AcdaInit.randomized(cfg, seed);
            case "reference" -> AcdaInit.reference(cfg, seed);
            default -> throw new IllegalArgumentException("--init = '" + init
                    + "' is not allowed: expected reference or randomized");
        };
    }

    /** The seeded random input, uniform in [-1, 1). */
    Tensor input(AcdaConfig cfg) {
        if (batch < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("--batch, --height and --width must be >= 1, got " + batch + ", " + height
                    + ", " + width);
        }
        return AcdaInit.input(cfg, batch, height, width, seed + 1);
    }
}
