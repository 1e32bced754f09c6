package org.acdajvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import org.acdajvm.vector.AcdaForwardVector;

/** A one-line description of the machine and JVM, for reports. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        return String.format(Locale.ROOT, "%s, %d cores, %.0f GiB heap max; %s %s (%s), Vector API %d float lanes; %s %s",
                cpu(), Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / 1073741824.0,
                System.getProperty("java.vm.name"), Runtime.version(), System.getProperty("java.vendor"),
                AcdaForwardVector.lanes(), System.getProperty("os.name"), System.getProperty("os.arch"));
    }

    /** The CPU model from /proc/cpuinfo, or the architecture when that is not readable. */
    static String cpu() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }
}
