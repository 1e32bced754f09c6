package org.acdajvm.cli;

import java.io.Console;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * A progress bar on stderr for long work, with the elapsed time and an estimate of the time left:
 * {@code [##########..........]  50%  oracle backward (2/3)  0:12 elapsed, about 0:12 left}.
 *
 * <p>Drawn only when stderr is a terminal and {@code --quiet} is not given; otherwise every method
 * does nothing, so that logs and pipes get no control characters. The work is a list of stages with
 * relative weights (estimated costs); the oracle is one stage, since its progress inside is not
 * visible from outside it. The estimate of the time left comes from the measured time per unit of
 * weight of the finished stages, so it appears once the first stage is done. The line is redrawn
 * every half second, and erased when the work ends.
 */
final class Progress implements AutoCloseable {

    /** System property the launcher sets to {@code true} or {@code false}: whether its stderr is a terminal. */
    static final String TERMINAL_PROPERTY = "acda.stderr.terminal";

    /** One stage of the work. */
    record Stage(String label, double weight) {
        Stage {
            if (!(weight > 0)) {
                throw new IllegalArgumentException("stage weight must be > 0, got " + weight);
            }
        }
    }

    private static final int BAR = 24;

    /** The bar being drawn, so that an error message can erase it first ({@link #closeActive()}). */
    private static volatile Progress active;

    /**
     * The backward oracle's time over the forward oracle's on the same layer and input (it runs the
     * forward again and then each gradient): measured on this project's 2-core Xeon for the default
     * shape of {@code make-case}, used only to weight the stages.
     */
    static final double BACKWARD_PER_FORWARD = 2.0;

    private final PrintWriter err;
    private final List<Stage> stages;
    private final LongSupplier clock;
    private final double total;
    private final long start;
    private final ScheduledExecutorService ticker;
    private int current = -1;
    private double doneWeight;
    private long stageStart;
    private long doneNanos;
    private int lastLength;

    private Progress(PrintWriter err, List<Stage> stages, LongSupplier clock, boolean tick) {
        this.err = err;
        this.stages = List.copyOf(stages);
        this.clock = clock;
        this.total = stages.stream().mapToDouble(Stage::weight).sum();
        this.start = clock.getAsLong();
        if (tick) {
            ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "acda-progress");
                t.setDaemon(true);
                return t;
            });
            ticker.scheduleAtFixedRate(this::draw, 500, 500, TimeUnit.MILLISECONDS);
        } else {
            ticker = null;
        }
    }

    /**
     * A progress bar for {@code stages} on {@code err}, or a silent one when {@code quiet} or when
     * stderr is not a terminal.
     */
    static Progress start(PrintWriter err, boolean quiet, List<Stage> stages) {
        if (quiet || !stderrIsTerminal()) {
            return new Progress(null, stages, System::nanoTime, false);
        }
        Progress p = new Progress(err, stages, System::nanoTime, true);
        active = p;
        return p;
    }

    /** Erases the bar being drawn, if any: called before an error message, so that it starts on a clean line. */
    static void closeActive() {
        Progress p = active;
        if (p != null) {
            p.close();
        }
    }

    /** For tests: always drawn, on {@code err}, with a given clock (nanoseconds) and no timer thread. */
    static Progress forTest(PrintWriter err, List<Stage> stages, LongSupplier clock) {
        return new Progress(err, stages, clock, false);
    }

    /**
     * Whether stderr is a terminal: the launcher's answer ({@value #TERMINAL_PROPERTY}, since its
     * filter puts a pipe between the JVM and the terminal), else on Linux what fd 2 is, else the
     * console's (which looks at stdin and stdout).
     */
    static boolean stderrIsTerminal() {
        String told = System.getProperty(TERMINAL_PROPERTY);
        if (told != null) {
            return Boolean.parseBoolean(told);
        }
        Path fd2 = Path.of("/proc/self/fd/2");
        try {
            if (Files.exists(Path.of("/proc/self/fd"))) {
                String target = Files.readSymbolicLink(fd2).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            }
        } catch (Exception e) {
            // not Linux, or no /proc: fall back to the console
        }
        Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** Starts the next stage (the previous one, if any, is finished). */
    synchronized void next() {
        long now = clock.getAsLong();
        if (current >= 0) {
            doneWeight += stages.get(current).weight();
            doneNanos = now - start;
        }
        current++;
        stageStart = now;
        draw();
    }

    /** The current line, or null when nothing is drawn. */
    synchronized String line() {
        if (current < 0 || current >= stages.size()) {
            return null;
        }
        long now = clock.getAsLong();
        Stage s = stages.get(current);
        double fraction = doneWeight / total;
        String left;
        if (doneWeight > 0) {
            double perWeight = doneNanos / doneWeight;
            double remaining = (total - doneWeight) * perWeight - (now - stageStart);
            // Within a stage the estimate only counts down; when a stage takes longer than estimated it says so.
            left = remaining > 0 ? "about " + time(remaining) + " left" : "taking longer than estimated";
        } else {
            left = "estimating the time left";
        }
        int filled = (int) Math.round(fraction * BAR);
        return String.format(Locale.ROOT, "[%s%s] %3d%%  %s (%d/%d)  %s elapsed, %s", "#".repeat(filled),
                ".".repeat(BAR - filled), Math.round(fraction * 100), s.label(), current + 1, stages.size(),
                time(now - start), left);
    }

    private synchronized void draw() {
        if (err == null) {
            return;
        }
        String l = line();
        if (l == null) {
            return;
        }
        err.print("\r" + l + " ".repeat(Math.max(0, lastLength - l.length())));
        err.flush();
        lastLength = l.length();
    }

    /** Ends the work: erases the line, so that what follows starts on a clean line. */
    @Override
    public synchronized void close() {
        if (ticker != null) {
            ticker.shutdownNow();
        }
        current = stages.size();
        if (active == this) {
            active = null;
        }
        if (err != null && lastLength > 0) {
            err.print("\r" + " ".repeat(lastLength) + "\r");
            err.flush();
            lastLength = 0;
        }
    }

    static String time(double nanos) {
        long s = Math.round(nanos / 1e9);
        return s >= 3600 ? String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60)
                : String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }

    /**
     * Relative cost of the oracle's forward on a layer and input: per output pixel it rebuilds every
     * output channel's filter from the atoms, {@code O C M K^2}, and applies it, {@code O C K^2}; the
     * generator is smaller. Only ratios matter.
     */
    static double forwardWeight(org.acdajvm.layer.AcdaConfig c, long n, long h, long w) {
        long pixels = n * ((h + c.stride() - 1) / c.stride()) * ((w + c.stride() - 1) / c.stride());
        double k2 = (double) c.kernelSize() * c.kernelSize();
        return pixels * (c.outChannels() * c.inChannels() * k2 * (c.atoms() + 1)
                + (double) c.atoms() * c.bases() * k2 + (double) c.interChannels() * c.inChannels()
                * c.generatorKernel() * c.generatorKernel()) + 1;
    }
}
