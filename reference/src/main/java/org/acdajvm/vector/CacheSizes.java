package org.acdajvm.vector;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The cache sizes the vector kernels' guesses go by, as Linux reports them; 0 where unknown. */
final class CacheSizes {

    private CacheSizes() {
    }

    /** Bytes of the level-2 data (or unified) cache of CPU 0, from {@code /sys}; 0 where it cannot be read. */
    static long l2Bytes() {
        Path caches = Path.of("/sys/devices/system/cpu/cpu0/cache");
        for (int i = 0; i < 8; i++) {
            Path dir = caches.resolve("index" + i);
            try {
                if (!Files.isDirectory(dir)) {
                    return 0;
                }
                String level = Files.readString(dir.resolve("level")).trim();
                String type = Files.readString(dir.resolve("type")).trim();
                if (level.equals("2") && !type.equals("Instruction")) {
                    return parseSize(Files.readString(dir.resolve("size")));
                }
            } catch (IOException | RuntimeException e) {
                return 0;
            }
        }
        return 0;
    }

    /** {@code 2048K}, {@code 1M}, {@code 512} (bytes): the size in bytes; 0 for anything else. */
    static long parseSize(String text) {
        String t = text.trim();
        long unit = 1;
        if (t.endsWith("K")) {
            unit = 1L << 10;
        } else if (t.endsWith("M")) {
            unit = 1L << 20;
        } else if (t.endsWith("G")) {
            unit = 1L << 30;
        }
        String digits = unit == 1 ? t : t.substring(0, t.length() - 1);
        if (digits.isEmpty() || !digits.chars().allMatch(Character::isDigit) || digits.length() > 9) {
            return 0;
        }
        return Long.parseLong(digits) * unit;
    }
}
