package org.acdajvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One of the CSVs that the scripts in {@code bench/pytorch/} write (PyTorch and oneDNN timed on
 * some machine): comment lines first ({@code # ...}; one of them, {@code # machine: MODEL; cpu family
 * F; N cores}, names the machine), then a header row and one row per measurement. Columns are
 * found by name, so a script may add columns without breaking the report.
 *
 * <p>The report puts these times beside its own only when both come from the same machine (the same
 * model name and cpu family as in {@code /proc/cpuinfo}); otherwise it says which machines they are.
 */
record TorchCsv(List<String> comments, Optional<MachineId> machine, List<String> columns, List<Map<String, String>> rows) {

    /** A CPU as {@code /proc/cpuinfo} names it: the model name and the cpu family (empty where unknown). */
    record MachineId(String model, String family, int cores) {

        /** Same model name and cpu family (the core count of a VM may differ without changing the CPU). */
        boolean sameCpu(MachineId other) {
            return model.equals(other.model) && family.equals(other.family);
        }

        @Override
        public String toString() {
            return model + (family.isEmpty() ? "" : " (cpu family " + family + ")") + (cores > 0 ? ", " + cores + " cores" : "");
        }
    }

    private static final Pattern MACHINE = Pattern.compile("^#\\s*machine:\\s*([^;]*);\\s*cpu family\\s*([^;]*);\\s*(\\d+)\\s*cores");

    TorchCsv {
        comments = List.copyOf(comments);
        columns = List.copyOf(columns);
        rows = List.copyOf(rows);
    }

    /** Reads {@code file}; empty when it does not exist or cannot be read. */
    static Optional<TorchCsv> read(Path file) {
        try {
            return Optional.of(parse(Files.readAllLines(file)));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * Parses the lines of such a CSV.
     *
     * @throws IllegalArgumentException if it has no header row, or a row has another number of fields than the header
     */
    static TorchCsv parse(List<String> lines) {
        List<String> comments = new ArrayList<>();
        Optional<MachineId> machine = Optional.empty();
        List<String> columns = null;
        List<Map<String, String>> rows = new ArrayList<>();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                comments.add(line.replaceFirst("^#\\s*", ""));
                Matcher m = MACHINE.matcher(line);
                if (m.find()) {
                    machine = Optional.of(new MachineId(m.group(1).trim(), m.group(2).trim(), Integer.parseInt(m.group(3))));
                }
                continue;
            }
            String[] f = line.split(",", -1);
            if (columns == null) {
                columns = Arrays.stream(f).map(String::trim).toList();
                continue;
            }
            if (f.length != columns.size()) {
                throw new IllegalArgumentException("line " + n + " has " + f.length + " fields, the header " + columns.size()
                        + ": " + line);
            }
            Map<String, String> row = new LinkedHashMap<>();
            for (int i = 0; i < f.length; i++) {
                row.put(columns.get(i), f[i].trim());
            }
            rows.add(row);
        }
        if (columns == null) {
            throw new IllegalArgumentException("no header row");
        }
        return new TorchCsv(comments, machine, columns, rows);
    }

    /** The first comment line: what was measured, how and when. */
    String what() {
        return comments.isEmpty() ? "" : comments.get(0);
    }

    /** The comment line that starts with {@code prefix} (e.g. "load average"), if any. */
    Optional<String> comment(String prefix) {
        return comments.stream().filter(c -> c.startsWith(prefix)).findFirst();
    }

    /** The row of {@code config} (and {@code threads}, where the CSV has that column). */
    Optional<Map<String, String>> row(String config, int threads) {
        return rows.stream().filter(r -> config.equals(r.get("config"))
                && (!r.containsKey("threads") || String.valueOf(threads).equals(r.get("threads")))).findFirst();
    }

    /** The thread counts the CSV has rows for (empty when it has no threads column). */
    List<Integer> threadCounts() {
        return rows.stream().map(r -> r.get("threads")).filter(t -> t != null).map(Integer::parseInt).distinct().sorted().toList();
    }

    /** A numeric field of a row. */
    static double number(Map<String, String> row, String column) {
        String v = row.get(column);
        if (v == null) {
            throw new IllegalArgumentException("no column '" + column + "' in " + row.keySet());
        }
        return Double.parseDouble(v);
    }

    /** Whether this CSV was measured on {@code here} (false when it names no machine). */
    boolean sameMachine(MachineId here) {
        return machine.map(m -> m.sameCpu(here)).orElse(false);
    }

    /**
     * A sentence for the report saying where the CSV's times come from: empty when from {@code here};
     * otherwise which machine (or that none is named) and that its times are not put beside ours.
     */
    String machineNote(Path file, MachineId here) {
        if (sameMachine(here)) {
            return "";
        }
        String there = machine.map(m -> "was measured on " + m).orElse("names no machine (an old format)");
        return String.format(Locale.ROOT, "**Another machine:** `%s` %s, not on this report's %s; its times are shown "
                + "for reference only and no ratio to ours is computed. Re-run the script on this machine to compare.", file,
                there, here);
    }
}
