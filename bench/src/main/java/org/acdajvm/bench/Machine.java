package org.acdajvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import org.acdajvm.vector.AcdaForwardVector;

/** A one-line description of the machine and JVM, for reports. */
final class Machine {

    private Machine() {
    }

    static String describe() {
        TorchCsv.MachineId id = id();
        return String.format(Locale.ROOT, "%s%s, %d cores, %.0f GiB heap max; %s %s (%s), Vector API %d float lanes, kernels for %d vector registers, wide inputs %s; %s %s",
                id.model(), id.family().isEmpty() ? "" : " (cpu family " + id.family() + ")",
                Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() / 1073741824.0,
                System.getProperty("java.vm.name"), Runtime.version(), System.getProperty("java.vendor"),
                AcdaForwardVector.lanes(), AcdaForwardVector.vectorRegisters(),
                AcdaForwardVector.copiesWideInputs() ? "copied" : "read in place", System.getProperty("os.name"),
                System.getProperty("os.arch"));
    }

    /** The CPU model from /proc/cpuinfo, or the architecture when that is not readable. */
    static String cpu() {
        return id().model();
    }

    /** This machine's model name and cpu family from /proc/cpuinfo (the architecture and "" when not readable). */
    static TorchCsv.MachineId id() {
        List<String> lines;
        try {
            lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
        } catch (IOException | RuntimeException e) {
            lines = List.of();
        }
        return fromCpuinfo(lines, System.getProperty("os.arch"), Runtime.getRuntime().availableProcessors());
    }

    /** The first "model name" and "cpu family" of {@code cpuinfo}; {@code fallbackModel} and "" where absent. */
    static TorchCsv.MachineId fromCpuinfo(List<String> cpuinfo, String fallbackModel, int cores) {
        String model = null;
        String family = null;
        for (String line : cpuinfo) {
            if (model == null && line.startsWith("model name")) {
                model = line.substring(line.indexOf(':') + 1).trim();
            } else if (family == null && line.startsWith("cpu family")) {
                family = line.substring(line.indexOf(':') + 1).trim();
            }
        }
        return new TorchCsv.MachineId(model == null ? fallbackModel : model, family == null ? "" : family, cores);
    }
}
