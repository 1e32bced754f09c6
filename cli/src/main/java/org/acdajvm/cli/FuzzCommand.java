package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.acdajvm.io.AtomicFiles;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda fuzz}: differential testing of someone else's kernel on random cases, with shrinking. */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
        description = {"Draws random layers and inputs (every hyper-parameter, sizes including 1 and odd ones, both "
                + "padding modes, stride, dilation, magnitudes), writes each as a case folder (case.json, weights/, "
                + "x.npy; with --with-grads dy.npy), runs your command on it, which must write y.npy (and the "
                + "gradients into grads/) into the folder, and judges the result against the oracle.",
                "A failure (wrong values, a crash or non-zero exit, a timeout, a missing or mis-shaped output) is "
                        + "shrunk to a smallest case that fails the same way, re-running the command on each "
                        + "candidate; that case folder, with your output, stdout.txt, stderr.txt and report.txt, is "
                        + "written under --out, with the command that reproduces it.",
                "Exit code 0 when no try failed, 1 when one did, 2 on bad usage. The same --seed and space give "
                        + "the same cases."})
final class FuzzCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--exec", paramLabel = "CMD", required = true,
            description = "the command to test, run by /bin/sh -c; {case} is replaced by the case folder's path (quoted)")
    String exec;

    @Option(names = "--layer", paramLabel = "KIND", description = "layer kind; only acda so far (default: ${DEFAULT-VALUE})")
    String kind = "acda";

    @Option(names = "--tries", paramLabel = "N", description = "random cases to try (default: ${DEFAULT-VALUE})")
    int tries = 100;

    @Option(names = "--seed", description = "seed of the cases drawn (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--time-limit", paramLabel = "DURATION",
            description = "stop drawing (and shrinking) after this long in all, e.g. 90s, 10m, 1h (default: none)")
    String timeLimit;

    @Option(names = "--timeout", paramLabel = "DURATION",
            description = "per-run time limit: a run past it is killed and counts as a timeout (default: ${DEFAULT-VALUE})")
    String timeout = "60s";

    @Option(names = "--with-grads", description = "also give a random upstream gradient dy.npy and check the gradients "
            + "the command writes into grads/ (x.npy and one <state-dict key>.npy per parameter)")
    boolean withGrads;

    @Option(names = "--precision", paramLabel = "P", description = "the precision the kernel computes in: fp32, tf32, "
            + "bf16 or fp16, as for acda verify (default: ${DEFAULT-VALUE})")
    String precision = "fp32";

    @Option(names = "--space", paramLabel = "FILE", description = "JSON that restricts or widens the space, e.g. "
            + "{\"kernel_size\": [3], \"padding\": [\"zeros\"], \"in_channels\": {\"min\": 1, \"max\": 64}}; "
            + "keys: batch, in_channels, out_channels, height, width, kernel_size, atoms, bases_per_scale, stride, "
            + "dilation, generator_kernel_size, padding, bias, magnitude (unit, small, large, mixed)")
    Path spaceFile;

    @Option(names = "--out", paramLabel = "DIR", description = "where failing cases go (a folder of an earlier fuzz run "
            + "is replaced; another existing folder is refused) (default: ${DEFAULT-VALUE})")
    Path out = Path.of("acda-fuzz");

    @Option(names = "--keep-going", description = "go on after the first failure (only the first of each kind is shrunk)")
    boolean keepGoing;

    @Option(names = "--max-shrink-runs", paramLabel = "N",
            description = "at most this many runs to shrink one failure (default: ${DEFAULT-VALUE})")
    int maxShrinkRuns = 500;

    @Option(names = "--json", description = "print the summary as one JSON object (for CI)")
    boolean json;

    /** The name of the summary file in {@code --out}; it also marks the folder as fuzz's own. */
    static final String SUMMARY_FILE = "fuzz.json";

    /** One shrunk failure. */
    record Failure(FailureKind kind, int tryNumber, FuzzRunner.Outcome original, FuzzShrinker.Result shrunk,
                   Path folder, String reproduce) {
    }

    private long startNanos;
    private Duration total;
    private boolean progress;

    @Override
    public Integer call() throws IOException, InterruptedException {
        if (!kind.equals("acda")) {
            throw new IllegalArgumentException("--layer = '" + kind + "' is not supported: expected acda");
        }
        if (tries < 1) {
            throw new IllegalArgumentException("--tries = " + tries + " is not allowed: expected >= 1");
        }
        if (maxShrinkRuns < 0) {
            throw new IllegalArgumentException("--max-shrink-runs = " + maxShrinkRuns + " is not allowed: expected >= 0");
        }
        CaseJudge.checkPrecision(precision);
        Duration perRun = parseDuration(timeout, "--timeout");
        total = timeLimit == null ? null : parseDuration(timeLimit, "--time-limit");
        FuzzSpace space = spaceFile == null ? FuzzSpace.defaults() : FuzzSpace.parse(spaceFile);
        prepareOut();
        Path work = out.resolve("work");
        FuzzRunner runner = new FuzzRunner(exec, work, perRun, withGrads, precision);
        java.io.Console console = System.console();
        progress = !json && console != null && console.isTerminal();

        startNanos = System.nanoTime();
        SplittableRandom rng = new SplittableRandom(seed);
        Map<FailureKind, Integer> counts = new EnumMap<>(FailureKind.class);
        Map<FailureKind, Integer> firstAt = new EnumMap<>(FailureKind.class);
        List<Failure> failures = new ArrayList<>();
        int done = 0;
        String stoppedBy = "tries";
        for (int t = 1; t <= tries; t++) {
            if (outOfTime()) {
                stoppedBy = "time limit";
                break;
            }
            FuzzCase c = space.draw(rng);
            FuzzRunner.Outcome o = runner.run(c);
            done++;
            if (!o.failed()) {
                runner.discard(o);
            } else {
                counts.merge(o.kind(), 1, Integer::sum);
                firstAt.putIfAbsent(o.kind(), t);
                if (failures.stream().noneMatch(f -> f.kind() == o.kind())) {
                    failures.add(shrinkAndKeep(runner, space, t, o, counts));
                } else {
                    runner.discard(o);
                }
            }
            showProgress(String.format(Locale.ROOT, "try %d/%d, %d failed", t, tries, sum(counts)));
            if (!failures.isEmpty() && !keepGoing) {
                stoppedBy = "first failure";
                break;
            }
        }
        showProgress(null);
        AtomicFiles.deleteTree(work);
        double seconds = (System.nanoTime() - startNanos) * 1e-9;
        ObjectNode summary = summaryJson(done, seconds, stoppedBy, counts, firstAt, failures, runner.runs(), space);
        String summaryText = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(summary);
        AtomicFiles.write(out.resolve(SUMMARY_FILE), o -> o.write((summaryText + "\n").getBytes(StandardCharsets.UTF_8)));
        PrintWriter pw = spec.commandLine().getOut();
        if (json) {
            pw.println(summaryText);
        } else {
            text(pw, done, seconds, stoppedBy, counts, firstAt, failures);
        }
        pw.flush();
        return failures.isEmpty() ? AcdaCli.EXIT_OK : AcdaCli.EXIT_FAILED;
    }

    private Failure shrinkAndKeep(FuzzRunner runner, FuzzSpace space, int t, FuzzRunner.Outcome o,
                                  Map<FailureKind, Integer> counts) throws IOException, InterruptedException {
        // The original's folder is discarded once a smaller case fails; keep what the report needs of it.
        FuzzRunner.Outcome original = new FuzzRunner.Outcome(o.fuzzCase(), null, o.kind(), o.summary(), o.report(),
                o.exitCode(), o.seconds());
        int[] shrinkRuns = {0};
        FuzzShrinker shrinker = new FuzzShrinker(runner, space, maxShrinkRuns, () -> {
            shrinkRuns[0]++;
            showProgress(String.format(Locale.ROOT, "try %d/%d, %d failed, shrinking the %s: run %d", t, tries,
                    sum(counts), o.kind().label(), shrinkRuns[0]));
            return outOfTime();
        });
        FuzzShrinker.Result r = shrinker.shrink(o);
        Path folder = out.resolve(o.kind().slug());
        AtomicFiles.deleteTree(folder);
        Files.move(r.minimal().dir(), folder);
        Path caseDir = folder.resolve("case");
        String reproduce = runner.commandFor(caseDir);
        if (o.kind() != FailureKind.CRASH && o.kind() != FailureKind.TIMEOUT) {
            reproduce += " && ./acda verify " + FuzzRunner.shellQuote(caseDir.toString());
        }
        Failure f = new Failure(o.kind(), t, original, r, folder, reproduce);
        AtomicFiles.write(folder.resolve("report.txt"), w -> w.write(report(f).getBytes(StandardCharsets.UTF_8)));
        return f;
    }

    private String report(Failure f) {
        FuzzRunner.Outcome m = f.shrunk().minimal();
        StringBuilder sb = new StringBuilder();
        sb.append("acda fuzz: ").append(f.kind().label()).append(" at try ").append(f.tryNumber()).append(" (seed ")
                .append(seed).append(")\n");
        sb.append("command:  ").append(exec).append('\n');
        sb.append("original: ").append(f.original().fuzzCase().describe()).append('\n');
        sb.append("          ").append(f.original().summary()).append('\n');
        sb.append("minimal:  ").append(m.fuzzCase().describe()).append('\n');
        sb.append("          ").append(m.summary()).append('\n');
        sb.append(String.format(Locale.ROOT, "shrunk in %d run(s)%s: %s%n", f.shrunk().runs(),
                f.shrunk().complete() ? "" : " (stopped early by --max-shrink-runs or --time-limit)",
                f.shrunk().steps().isEmpty() ? "nothing smaller fails" : String.join(", ", f.shrunk().steps())));
        sb.append(String.format(Locale.ROOT, "the minimal run: exit code %d, %.2f s; its stdout and stderr are in "
                + "stdout.txt and stderr.txt, its output in case/%n", m.exitCode(), m.seconds()));
        if (!m.report().isEmpty()) {
            sb.append("\nverdict on the minimal case (every output checked):\n").append(m.report());
        }
        sb.append("\nreproduce:\n  ").append(f.reproduce()).append('\n');
        return sb.toString();
    }

    private void text(PrintWriter pw, int done, double seconds, String stoppedBy, Map<FailureKind, Integer> counts,
                      Map<FailureKind, Integer> firstAt, List<Failure> failures) {
        int failed = sum(counts);
        pw.printf(Locale.ROOT, "acda fuzz: %d tr%s in %.1f s (seed %d, stopped by %s), %d failed%n%n", done,
                done == 1 ? "y" : "ies", seconds, seed, stoppedBy, failed);
        pw.printf("%-22s %8s %13s  %s%n", "kind", "failures", "first at try", "minimal case");
        for (FailureKind k : FailureKind.values()) {
            Failure f = failures.stream().filter(x -> x.kind() == k).findFirst().orElse(null);
            pw.printf(Locale.ROOT, "%-22s %8d %13s  %s%n", k.label(), counts.getOrDefault(k, 0),
                    firstAt.containsKey(k) ? firstAt.get(k).toString() : "-",
                    f == null ? "" : f.shrunk().minimal().fuzzCase().describeShape());
        }
        for (Failure f : failures) {
            FuzzRunner.Outcome m = f.shrunk().minimal();
            pw.printf("%n%s at try %d: %s%n", f.kind().label(), f.tryNumber(), m.summary());
            pw.printf("  original:  %s%n", f.original().fuzzCase().describe());
            pw.printf("  minimal:   %s%n", m.fuzzCase().describe());
            pw.printf("  shrunk in %d run(s)%s: %s%n", f.shrunk().runs(), f.shrunk().complete() ? "" : " (stopped early)",
                    f.shrunk().steps().isEmpty() ? "nothing smaller fails" : String.join(", ", f.shrunk().steps()));
            pw.printf("  folder:    %s (case/ with your output, stdout.txt, stderr.txt, report.txt)%n", f.folder());
            pw.printf("  reproduce: %s%n", f.reproduce());
        }
        pw.println();
        if (failed == 0) {
            pw.printf("PASS: %d tr%s, no failure%n", done, done == 1 ? "y" : "ies");
        } else {
            pw.printf("FAIL: %d of %d tr%s failed%s%n", failed, done, done == 1 ? "y" : "ies",
                    keepGoing ? "" : " (stopped at the first failure; --keep-going tries on)");
        }
    }

    private ObjectNode summaryJson(int done, double seconds, String stoppedBy, Map<FailureKind, Integer> counts,
                                   Map<FailureKind, Integer> firstAt, List<Failure> failures, int runs, FuzzSpace space) {
        ObjectNode root = new ObjectMapper().createObjectNode();
        root.put("passed", failures.isEmpty());
        root.put("command", exec);
        root.put("seed", seed);
        root.put("tries", done);
        root.put("failed", sum(counts));
        root.put("runs", runs);
        root.put("seconds", Math.round(seconds * 1000) / 1000.0);
        root.put("stopped_by", stoppedBy);
        root.put("with_grads", withGrads);
        root.put("precision", precision);
        ObjectNode byKind = root.putObject("by_kind");
        for (FailureKind k : FailureKind.values()) {
            byKind.put(k.slug(), counts.getOrDefault(k, 0));
        }
        ArrayNode fs = root.putArray("failures");
        for (Failure f : failures) {
            ObjectNode o = fs.addObject();
            FuzzRunner.Outcome m = f.shrunk().minimal();
            o.put("kind", f.kind().slug());
            o.put("try", f.tryNumber());
            f.original().fuzzCase().toJson(o.putObject("original"));
            o.put("original_summary", f.original().summary());
            m.fuzzCase().toJson(o.putObject("minimal"));
            o.put("summary", m.summary());
            o.put("shrink_runs", f.shrunk().runs());
            o.put("shrink_complete", f.shrunk().complete());
            ArrayNode st = o.putArray("shrink_steps");
            f.shrunk().steps().forEach(st::add);
            o.put("folder", f.folder().toString());
            o.put("reproduce", f.reproduce());
        }
        space.toJson(root.putObject("space"));
        return root;
    }

    /** Makes {@code --out} an empty folder: new, empty, or the output of an earlier fuzz run. */
    private void prepareOut() throws IOException {
        if (Files.exists(out)) {
            if (!Files.isDirectory(out)) {
                throw new IllegalArgumentException("--out " + out + " is a file: expected a folder");
            }
            boolean empty;
            try (var s = Files.list(out)) {
                empty = s.findAny().isEmpty();
            }
            if (!empty && !Files.isRegularFile(out.resolve(SUMMARY_FILE))) {
                throw new IllegalArgumentException("--out " + out + " exists and is not the output of an earlier "
                        + "acda fuzz (no " + SUMMARY_FILE + "): choose a new folder");
            }
            AtomicFiles.deleteTree(out);
        }
        Files.createDirectories(out);
    }

    private boolean outOfTime() {
        return total != null && System.nanoTime() - startNanos >= total.toNanos();
    }

    private void showProgress(String line) {
        if (!progress) {
            return;
        }
        PrintWriter err = spec.commandLine().getErr();
        if (line == null) {
            err.print("\r\033[K");
        } else {
            err.printf(Locale.ROOT, "\r\033[Kacda fuzz: %s, %.0f s", line, (System.nanoTime() - startNanos) * 1e-9);
        }
        err.flush();
    }

    private static int sum(Map<FailureKind, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    /** {@code 500ms}, {@code 30s}, {@code 1.5m}, {@code 2h}, or a number of seconds. */
    static Duration parseDuration(String s, String option) {
        Matcher m = DURATION.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(option + " = '" + s + "' is not a duration: expected e.g. 500ms, 30s, "
                    + "10m or 1h");
        }
        double v = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = v * switch (unit) {
            case "ms" -> 1;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> 1000;
        };
        if (millis < 1 || millis > 1e12) {
            throw new IllegalArgumentException(option + " = '" + s + "' is out of range: expected 1ms..");
        }
        return Duration.ofMillis(Math.round(millis));
    }

    static String formatDuration(Duration d) {
        long ms = d.toMillis();
        return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
    }
}
