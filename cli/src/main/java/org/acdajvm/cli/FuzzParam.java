package org.acdajvm.cli;

import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;

/**
 * One axis of the space {@code acda fuzz} draws cases from: a hyper-parameter of the layer, a size
 * of the input, or the magnitude of the input's values. Every value is coded as an int, and a
 * smaller code is a simpler case, which is the direction the shrinker moves in (zeros padding
 * before circular, no bias before bias, unit magnitudes before the others).
 *
 * <p>The declaration order is the shrinking order: sizes first (N, C, O, H, W, K), then atoms and
 * bases, stride and dilation, then the choices that only simplify.
 */
enum FuzzParam {
    BATCH("batch", "N", 1, 3, v -> v >= 1 && v <= 64, null),
    IN_CHANNELS("in_channels", "C", 1, 20, v -> v >= 1 && v <= 1 << 16, null),
    OUT_CHANNELS("out_channels", "O", 1, 20, v -> v >= 1 && v <= 1 << 16, null),
    HEIGHT("height", "H", 1, 16, v -> v >= 1 && v <= 4096, null),
    WIDTH("width", "W", 1, 16, v -> v >= 1 && v <= 4096, null),
    KERNEL_SIZE("kernel_size", "K", 3, 7, v -> v >= 3 && v <= 101 && v % 2 == 1, null),
    ATOMS("atoms", "M", 1, 8, v -> v >= 1 && v <= 1024, null),
    BASES_PER_SCALE("bases_per_scale", "B", 1, 6, v -> v >= 1 && v <= 6, null),
    STRIDE("stride", "s", 1, 3, v -> v >= 1 && v <= 64, null),
    DILATION("dilation", "d", 1, 3, v -> v >= 1 && v <= 64, null),
    GENERATOR_KERNEL("generator_kernel_size", "g", 1, 3, v -> v >= 1 && v <= 15 && v % 2 == 1, null),
    PADDING("padding", "padding", 0, 1, null, List.of("zeros", "circular")),
    BIAS("bias", "bias", 0, 1, null, List.of("false", "true")),
    /**
     * How the input is scaled: {@code unit} (uniform in [-1, 1)), {@code small} (times 2^-12),
     * {@code large} (times 2^12), {@code mixed} (each element times its own power of two in 2^-12..2^12).
     * Powers of two, so that the scaling itself is exact in float32.
     */
    MAGNITUDE("magnitude", "magnitude", 0, 3, null, List.of("unit", "small", "large", "mixed"));

    /** The name in {@code --space} files and JSON reports (the case.json name where there is one). */
    final String key;
    /** The short name in one-line case descriptions. */
    final String symbol;
    /** The default range (every value between, that the check allows), or the codes of the default choices. */
    final int defaultMin;
    final int defaultMax;
    private final IntPredicate allowed;
    /** For a choice: the names, by code; null for an integer. */
    final List<String> choices;

    FuzzParam(String key, String symbol, int defaultMin, int defaultMax, IntPredicate allowed, List<String> choices) {
        this.key = key;
        this.symbol = symbol;
        this.defaultMin = defaultMin;
        this.defaultMax = defaultMax;
        this.allowed = allowed;
        this.choices = choices;
    }

    boolean isChoice() {
        return choices != null;
    }

    /** Whether the layer supports this value (for integers), or the code names a choice. */
    boolean allows(int v) {
        return isChoice() ? v >= 0 && v < choices.size() : allowed.test(v);
    }

    /** The code of a choice's name, or -1. */
    int code(String name) {
        return isChoice() ? choices.indexOf(name.toLowerCase(Locale.ROOT)) : -1;
    }

    /** The value as written in reports: the integer, or the choice's name. */
    String format(int v) {
        return isChoice() ? choices.get(v) : Integer.toString(v);
    }

    static FuzzParam byKey(String key) {
        for (FuzzParam p : values()) {
            if (p.key.equals(key)) {
                return p;
            }
        }
        return null;
    }
}
