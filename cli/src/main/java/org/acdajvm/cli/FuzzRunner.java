package org.acdajvm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.acdajvm.io.AtomicFiles;

/**
 * Runs the user's command on one case: writes the case folder, starts {@code /bin/sh -c COMMAND}
 * with {@code {case}} replaced by the folder's quoted path, keeps its stdout and stderr, kills it
 * (and everything it started) past the per-run time limit, and judges what it wrote.
 *
 * <p>Each run gets a fresh folder {@code work/run-NNNNN/} holding {@code case/} (the case folder
 * the command sees), {@code stdout.txt} and {@code stderr.txt}; callers {@link #discard} the runs
 * they do not keep.
 */
final class FuzzRunner {

    /** The placeholder in {@code --exec} that names the case folder. */
    static final String PLACEHOLDER = "{case}";

    /**
     * What one run gave.
     *
     * @param fuzzCase the case
     * @param dir      the run's folder: {@code case/}, {@code stdout.txt}, {@code stderr.txt}
     * @param kind     the failure, or {@code null} when the output was accepted
     * @param summary  one line: why it failed (or the verdict)
     * @param report   the verdict's report (empty when the command did not finish)
     * @param exitCode the command's exit status (-1 when killed)
     * @param seconds  the command's wall time
     */
    record Outcome(FuzzCase fuzzCase, Path dir, FailureKind kind, String summary, String report, int exitCode,
                   double seconds) {
        boolean failed() {
            return kind != null;
        }

        Path caseDir() {
            return dir.resolve("case");
        }
    }

    private final String command;
    private final Path work;
    private final Duration timeout;
    private final boolean withGrads;
    private final String precision;
    private int runs;

    FuzzRunner(String command, Path work, Duration timeout, boolean withGrads, String precision) {
        if (!command.contains(PLACEHOLDER)) {
            throw new IllegalArgumentException("--exec '" + command + "' has no " + PLACEHOLDER
                    + ": write where the case folder goes, e.g. --exec 'python3 my_kernel.py {case}'");
        }
        this.command = command;
        this.work = work;
        this.timeout = timeout;
        this.withGrads = withGrads;
        this.precision = precision;
    }

    /** How many times the command was started. */
    int runs() {
        return runs;
    }

    /** The command line that runs on {@code caseDir}. */
    String commandFor(Path caseDir) {
        return command.replace(PLACEHOLDER, shellQuote(caseDir.toString()));
    }

    Outcome run(FuzzCase c) throws IOException, InterruptedException {
        runs++;
        Path dir = work.resolve(String.format(Locale.ROOT, "run-%05d", runs));
        Files.createDirectories(dir);
        Path caseDir = dir.resolve("case");
        c.write(caseDir, withGrads);
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", commandFor(caseDir.toAbsolutePath()))
                .redirectOutput(dir.resolve("stdout.txt").toFile())
                .redirectError(dir.resolve("stderr.txt").toFile());
        long start = System.nanoTime();
        Process p = pb.start();
        p.getOutputStream().close();
        boolean finished = p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        double seconds = (System.nanoTime() - start) * 1e-9;
        if (!finished) {
            // Collect the children first: once the shell is gone they are re-parented and out of reach.
            List<ProcessHandle> children = p.descendants().toList();
            children.forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            p.waitFor();
            return new Outcome(c, dir, FailureKind.TIMEOUT, String.format(Locale.ROOT,
                    "killed after %s: the per-run time limit (--timeout)", FuzzCommand.formatDuration(timeout)), "", -1,
                    seconds);
        }
        int code = p.exitValue();
        if (code != 0) {
            return new Outcome(c, dir, FailureKind.CRASH, "exit code " + code + lastLine(dir.resolve("stderr.txt")), "",
                    code, seconds);
        }
        CaseJudge.Judgement j;
        try {
            j = CaseJudge.judge(caseDir, withGrads, precision);
        } catch (IOException | IllegalArgumentException e) {
            // The case's own files (case.json, weights, x.npy, dy.npy) no longer read: the command damaged them.
            return new Outcome(c, dir, FailureKind.MISSHAPED_OUTPUT, "the command damaged the case's own files: "
                    + e.getMessage(), "", code, seconds);
        }
        return new Outcome(c, dir, j.kind(), j.summary(), j.report(), code, seconds);
    }

    /** Deletes a run's folder. */
    void discard(Outcome o) throws IOException {
        AtomicFiles.deleteTree(o.dir());
    }

    private static final java.util.regex.Pattern STACK_FRAME =
            java.util.regex.Pattern.compile("^\\s+(at |\\.\\.\\. \\d+ more)|^Caused by: ");

    private static String lastLine(Path file) {
        try {
            // The last line that is not a stack frame: a Python traceback ends with the error, a Java one
            // starts with it and goes on with "at ..." and "... 3 more".
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8).stream()
                    .filter(l -> !l.isBlank() && !STACK_FRAME.matcher(l).find()).toList();
            if (lines.isEmpty()) {
                return " (nothing on stderr)";
            }
            String l = lines.get(lines.size() - 1).strip();
            return "; stderr ends: " + (l.length() > 200 ? l.substring(0, 200) + "..." : l);
        } catch (IOException | java.io.UncheckedIOException e) {
            return " (stderr unreadable: " + e.getMessage() + ")";
        }
    }

    /** {@code s} as one POSIX shell word. */
    static String shellQuote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
