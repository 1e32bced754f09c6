package org.acdajvm.layer;

import java.util.Locale;

/** How a convolution reads outside the image (DESIGN section 3): zeros, or wrap around. */
public enum PaddingMode {
    /** Out-of-range reads give 0 (the default, and the reference PyTorch layer's only mode). */
    ZEROS,
    /** Out-of-range reads wrap around: index {@code i} reads {@code floorMod(i, size)}. */
    CIRCULAR;

    /**
     * The in-range index that an access at {@code i} reads along an axis of length {@code size},
     * or {@code -1} when it reads a padding zero.
     */
    public int index(int i, int size) {
        if (i >= 0 && i < size) {
            return i;
        }
        return this == CIRCULAR ? Math.floorMod(i, size) : -1;
    }

    /** The name used in files and on the command line: {@code zeros} or {@code circular}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses {@code zeros} or {@code circular} (case-insensitive); the error names the argument. */
    public static PaddingMode parse(String name, String argument) {
        for (PaddingMode m : values()) {
            if (m.id().equalsIgnoreCase(name == null ? "" : name.trim())) {
                return m;
            }
        }
        throw new IllegalArgumentException(argument + " = '" + name + "' is not a padding mode: expected zeros or circular");
    }
}
