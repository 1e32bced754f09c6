package org.acdajvm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.AtomicFiles;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.opencl.KernelTimes;
import org.acdajvm.opencl.OpenClBackend;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.AcdaForwardVector;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs the benchmark suite with JMH and writes {@code bench/RESULTS.md} and the growth plots:
 * time, GFLOP/s (2 x multiply-adds of {@link CostModel} per second), fraction of the measured FMA
 * peak, bytes allocated per call, GFLOP/s against oneDNN's plain convolution of the same shape, the
 * reproduction of the paper's Table 6, and the per-stage profile of the vector path. {@code --quick}
 * runs a subset with short iterations (a few minutes).
 *
 * <p>The compared variants run <em>interleaved, in rounds</em>: in round r, for each configuration,
 * one JMH fork of each variant in turn (the FMA peak probe, vector ACDA, the plain convolution, the
 * backward; the slow scalar, opencl and oracle paths in the first rounds only), so that a slow
 * stretch of the shared machine hits every variant of a round alike. The report gives medians over
 * forks and iterations with the spread of the per-fork medians, and every ratio (ACDA / plain conv,
 * fraction of peak, speed-up over scalar, backward / forward) computed per round and then medianed
 * ({@link ForkResults}).
 *
 * <p>{@code --only-tornado} measures only the TornadoVM backend, beside {@code opencl} and
 * {@code vector}, on the standard configurations, and replaces only the report's TornadoVM section
 * ({@link TornadoSection}); the full run keeps that section as it is. It needs TornadoVM: this JVM
 * and the JMH forks that run {@code tornado} start with {@code @$TORNADOVM_HOME/tornado-argfile}.
 */
public final class BenchReport {

    /** How long a variant's forks run: the iteration counts and times of {@link #settings}. */
    enum Kind {
        /** The FMA peak probe, one short fork beside every configuration's variants in every round. */
        PROBE,
        /** The fast variants of the standard configurations, in every round. */
        FAST,
        /** The vector backward: as FAST, with a longer warm-up (its JIT needs it). */
        BACKWARD,
        /** Variants whose calls take seconds (scalar, opencl, oracle, tornado): fewer iterations, first rounds only. */
        SLOW,
        /** The fast variants of the growth series (one round). */
        GROWTH,
        /** The scalar path on the growth series (one round, fewest iterations). */
        GROWTH_SLOW;

        boolean slow() {
            return this == SLOW || this == GROWTH_SLOW;
        }
    }

    /**
     * A benchmark method ({@code Class.method}) the report runs on {@code configs}; {@code jvmArgs}
     * replaces JMH's fork flags when not null (the @Fork annotation's {@code jvmArgsAppend} still apply).
     */
    record Variant(String benchmark, Kind kind, List<String> configs, List<String> jvmArgs) {
        Variant(String benchmark, Kind kind, List<String> configs) {
            this(benchmark, kind, configs, null);
        }

        String method() {
            return benchmark.substring(benchmark.lastIndexOf('.') + 1);
        }
    }

    /** One JMH fork to run: a variant on a configuration in a round. */
    record Step(int round, Variant variant, String config) {
    }

    static final String PEAK_ALL = "fmaPeakAllThreads";
    static final String PEAK_ONE = "fmaPeakOneThread";

    private final boolean quick;
    private final Path out;
    private final Path plots;
    /** Where the CSVs of bench/pytorch/ are read from. */
    private final Path pytorchDir;
    private final ForkResults results = new ForkResults();
    /** Rounds of the fast variants, and of the slow ones (which run in rounds 1..slowRounds). */
    private final int rounds;
    private final int slowRounds;
    /** "method config" of the variants whose first fork (the one that runs the setup check) has run. */
    private final Set<String> checked = new HashSet<>();
    private long started;
    private int forksRun;
    private int forksPlanned;

    BenchReport(boolean quick, Path out, Path plots) {
        this(quick, out, plots, Path.of("bench", "pytorch"), quick ? 2 : 3);
    }

    /** With the folder of the PyTorch and oneDNN CSVs and the number of rounds given. */
    BenchReport(boolean quick, Path out, Path plots, Path pytorchDir, int rounds) {
        if (rounds < 1) {
            throw new IllegalArgumentException("rounds must be at least 1, not " + rounds);
        }
        this.quick = quick;
        this.out = out;
        this.plots = plots;
        this.pytorchDir = pytorchDir;
        this.rounds = rounds;
        this.slowRounds = 1;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean onlyTornado = false;
        Path out = Path.of("bench", "RESULTS.md");
        Path plots = Path.of("bench", "plots");
        int rounds = 0;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--rounds" -> {
                    String v = value(args, ++i, "--rounds");
                    try {
                        rounds = Integer.parseInt(v);
                    } catch (NumberFormatException e) {
                        rounds = -1;
                    }
                    if (rounds < 1) {
                        System.err.println("acda bench: --rounds needs a whole number of at least 1, not '" + v + "'");
                        System.exit(2);
                    }
                }
                case "--only-tornado" -> onlyTornado = true;
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--plots" -> plots = Path.of(value(args, ++i, "--plots"));
                case "-h", "--help" -> {
                    System.out.println("usage: acda bench [--quick] [--rounds N] [--only-tornado] [--out FILE.md] [--plots DIR]");
                    System.out.println("  runs the JMH suite and writes the report (default bench/RESULTS.md, plots in bench/plots)");
                    System.out.println("  the compared variants run interleaved, one fork each per round (--rounds, default 3;");
                    System.out.println("  --quick: 2); the slow ones (scalar, opencl, oracle) in the first round only;");
                    System.out.println("  a full run takes about 40 minutes on 2 cores, --quick a few minutes; where a Python with");
                    System.out.println("  torch is found (python3, /usr/bin/python3, or $ACDA_PYTHON), oneDNN's conv2d runs once");
                    System.out.println("  before each round (bench/pytorch/onednn_plain_conv.py --worker) for the oneDNN ratios");
                    System.out.println("  --only-tornado: only tornado, opencl and vector on the standard configs, into the report's");
                    System.out.println("                  TornadoVM section (needs TORNADOVM_HOME; the rest of the report is kept)");
                    return;
                }
                default -> {
                    System.err.println("acda bench: unknown argument '" + args[i] + "' (see 'acda bench --help')");
                    System.exit(2);
                }
            }
        }
        BenchReport report = new BenchReport(quick, out, plots, Path.of("bench", "pytorch"),
                rounds > 0 ? rounds : quick ? 2 : 3);
        if (onlyTornado) {
            report.runTornadoOnly();
        } else {
            report.run();
        }
    }

    private static String value(String[] args, int i, String name) {
        if (i >= args.length) {
            System.err.println("acda bench: " + name + " needs a value");
            System.exit(2);
        }
        return args[i];
    }

    /**
     * The forks to run, in order: for each round, for each configuration, each variant that runs on
     * it (slow ones only in rounds {@code 1..slowRounds}) in the order given.
     */
    static List<Step> plan(List<Variant> variants, List<String> configs, int rounds, int slowRounds) {
        List<Step> steps = new ArrayList<>();
        for (int r = 1; r <= rounds; r++) {
            for (String c : configs) {
                for (Variant v : variants) {
                    if (v.configs().contains(c) && (!v.kind().slow() || r <= slowRounds)) {
                        steps.add(new Step(r, v, c));
                    }
                }
            }
        }
        return steps;
    }

    void run() throws RunnerException, IOException {
        started = System.nanoTime();
        List<String> standard = BenchConfig.standard();
        List<String> growth = new ArrayList<>();
        for (String prefix : List.of("hw-", "c-", "k-")) {
            List<String> series = BenchConfig.names(prefix);
            for (int i = 0; i < series.size(); i++) {
                if (!quick || i % 2 == 0) {     // --quick: every other point of each series (still a plot)
                    growth.add(series.get(i));
                }
            }
        }
        boolean opencl = openclAvailable();
        List<String> openclConfigs = quick ? List.of("small", "resnet-k3") : standard;

        List<Variant> compared = new ArrayList<>();
        // The one-thread probe once per round (for the stage profile), the all-thread probe beside every configuration.
        compared.add(new Variant("FmaPeakBenchmark." + PEAK_ONE, Kind.PROBE, standard.subList(0, 1)));
        compared.add(new Variant("FmaPeakBenchmark." + PEAK_ALL, Kind.PROBE, standard));
        compared.add(new Variant("AcdaForwardBenchmark.forwardVector", Kind.FAST, standard));
        compared.add(new Variant("AcdaForwardBenchmark.plainConvVector", Kind.FAST, standard));
        // The same two into an output allocated once: the difference is the new output's allocation and zeroing.
        compared.add(new Variant("AcdaForwardBenchmark.forwardVectorInto", Kind.FAST, standard));
        compared.add(new Variant("AcdaForwardBenchmark.plainConvVectorInto", Kind.FAST, standard));
        // Not "slow": the backward's JIT needs the full warm-up (one warm-up iteration left it half compiled, with
        // error bars three times the score, in the run of 2026-12-02).
        compared.add(new Variant("AcdaBackwardBenchmark.backwardVector", Kind.BACKWARD,
                quick ? List.of("small", "resnet-k3") : standard));
        compared.add(new Variant("AcdaForwardBenchmark.forwardScalar", Kind.SLOW,
                quick ? List.of("small", "resnet-k3") : standard));
        if (opencl) {
            compared.add(new Variant("AcdaForwardBenchmark.forwardOpencl", Kind.SLOW, openclConfigs));
        }
        compared.add(new Variant("AcdaForwardBenchmark.forwardOracle", Kind.SLOW, List.of("small")));

        List<Variant> growthVariants = new ArrayList<>();
        growthVariants.add(new Variant("AcdaForwardBenchmark.forwardVector", Kind.GROWTH, growth));
        if (!quick) {
            growthVariants.add(new Variant("AcdaForwardBenchmark.plainConvVector", Kind.GROWTH, growth));
            growthVariants.add(new Variant("AcdaForwardBenchmark.forwardScalar", Kind.GROWTH_SLOW, growth));
        }
        List<Step> steps = new ArrayList<>(plan(compared, standard, rounds, slowRounds));
        // The growth series is not compared figure by figure: one round, its variants interleaved per configuration.
        steps.addAll(plan(growthVariants, growth, 1, 1));
        forksPlanned = steps.size();
        System.out.printf(Locale.ROOT, "acda bench: %d JMH forks: %d rounds of the standard configurations (the slow "
                + "variants in round 1 only), then the growth series%n", steps.size(), rounds);
        // oneDNN's conv2d once before each round's forks, where python3 has torch: its figures then share the round.
        Path onednnScript = pytorchDir.resolve("onednn_plain_conv.py");
        OnednnRounds.Python python = OnednnRounds.python(onednnScript);
        if (python.command() == null) {
            System.out.println("acda bench: oneDNN does not run between the forks (" + python.reason()
                    + "); the report divides by " + pytorchDir.resolve("onednn-plain-conv.csv") + " instead");
        }
        int onednnRound = 0;
        for (Step s : steps) {
            if (python.command() != null && s.round() > onednnRound) {
                onednnRound = s.round();
                runOnednn(python.command(), onednnScript, onednnRound, standard);
            }
            runFork(s);
        }

        Map<String, KernelTimes> openclTimes = new LinkedHashMap<>();
        if (opencl) {
            for (String c : openclConfigs) {
                openclTimes.put(c, openclKernelTimes(BenchConfig.of(c)));
            }
        }
        Map<String, long[]> stages = new LinkedHashMap<>();
        for (String c : List.of("table6-k7", "resnet-k3")) {
            stages.put(c, profileStages(BenchConfig.of(c)));
        }
        List<String> plotFiles = GrowthPlots.write(plots, results);
        String rendered = render(stages, openclTimes, plotFiles, (System.nanoTime() - started) / 1e9);
        // The TornadoVM section comes from a separate run (--only-tornado): keep it.
        Optional<String> tornado = Files.exists(out) ? TornadoSection.extract(Files.readString(out)) : Optional.empty();
        String md = tornado.map(t -> TornadoSection.splice(rendered, t)).orElse(rendered);
        Files.createDirectories(out.toAbsolutePath().getParent());
        AtomicFiles.write(out, o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        System.out.println("acda bench: wrote " + out + " and " + plotFiles.size() + " plots in " + plots);
    }

    /** What the oneDNN rounds ran (PyTorch's version), for the report; null when none ran. */
    private String onednnWhat;

    /** One oneDNN worker before round {@code round}'s forks; a failure is printed and the bench goes on without it. */
    private void runOnednn(String python, Path script, int round, List<String> configs) {
        long t0 = System.nanoTime();
        int threads = Runtime.getRuntime().availableProcessors();
        try {
            OnednnRounds.Measured m = OnednnRounds.run(python, script, threads);
            List<String> added = OnednnRounds.record(m, round, configs, results);
            onednnWhat = "PyTorch " + m.torch() + " (mkldnn " + m.mkldnn() + "), " + threads + " threads";
            StringBuilder line = new StringBuilder();
            for (String c : added) {
                line.append(line.isEmpty() ? "" : ", ").append(c).append(' ')
                        .append(f("%.2f", ForkResults.median(m.millis().get(c)))).append(" ms");
            }
            System.out.printf(Locale.ROOT, "acda bench: [%.1f min] round %d, oneDNN conv2d (%.0f s): %s%n",
                    (System.nanoTime() - started) / 6e10, round, (System.nanoTime() - t0) / 1e9, line);
        } catch (IOException e) {
            System.out.println("acda bench: round " + round + ", oneDNN conv2d failed, left out of this round: "
                    + e.getMessage());
        }
    }

    /** Warm-up and measurement per fork (iterations x seconds) for each kind of variant. */
    private ChainedOptionsBuilder settings(Kind kind) {
        It it = iterations(kind, quick);
        return new OptionsBuilder().forks(1).shouldFailOnError(true).verbosity(VerboseMode.SILENT)
                .warmupIterations(it.warmup()).warmupTime(TimeValue.milliseconds(Math.round(it.warmupSeconds() * 1000)))
                .measurementIterations(it.measure())
                .measurementTime(TimeValue.milliseconds(Math.round(it.measureSeconds() * 1000)));
    }

    /**
     * Runs one JMH fork of {@code step} and records its per-iteration scores (the FMA probe's in
     * GFLOP/s, the others in ms per call) and its allocation per call.
     */
    private void runFork(Step step) throws RunnerException {
        Variant v = step.variant();
        boolean probe = v.kind() == Kind.PROBE;
        ChainedOptionsBuilder b = settings(v.kind()).include(v.benchmark().replace(".", "\\.") + "$");
        if (!probe) {
            b.addProfiler("gc").param("config", step.config());
        }
        if (v.jvmArgs() != null) {
            b.jvmArgs(v.jvmArgs().toArray(new String[0]));
        }
        // The first fork of a variant on a configuration checks it (SelfCheck); the later ones run the same code on the
        // same inputs. Prepended, so that the @Fork annotation's jvmArgsAppend still apply.
        if (!checked.add(v.method() + " " + step.config())) {
            b.jvmArgsPrepend("-D" + SelfCheck.PROPERTY + "=false");
        }
        forksRun++;
        // One line per fork, printed when it is done (the fork's own stderr lines come before it).
        String what = String.format(Locale.ROOT, "acda bench: [%d/%d, %.1f min] round %d, %s, %s", forksRun,
                Math.max(forksPlanned, forksRun), (System.nanoTime() - started) / 6e10, step.round(), step.config(),
                probe ? v.method() : label(v.method()));
        Collection<RunResult> run;
        try {
            run = new Runner(b.build()).run();
        } catch (RunnerException e) {
            System.out.println(what + ": failed");
            throw e;
        }
        if (run.size() != 1) {
            throw new IllegalStateException("expected one JMH result for " + v.benchmark() + " on " + step.config()
                    + ", got " + run.size() + " (does the include pattern match several methods?)");
        }
        RunResult r = run.iterator().next();
        List<Double> scores = new ArrayList<>();
        for (BenchmarkResult br : r.getBenchmarkResults()) {
            for (IterationResult it : br.getIterationResults()) {
                scores.add(it.getPrimaryResult().getScore());
            }
        }
        double scale = probe ? 2.0 * FmaPeakBenchmark.lanes() / 1e3 : 1;   // ops/us -> GFLOP/s
        Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
        ForkResults.Fork fork = new ForkResults.Fork(v.method(), step.config(), step.round(),
                scores.stream().mapToDouble(x -> x * scale).toArray(), alloc == null ? Double.NaN : alloc.getScore());
        results.add(fork);
        System.out.printf(Locale.ROOT, "%s: %.3f %s (median of %d iterations)%n", what, fork.median(),
                probe ? "GFLOP/s" : "ms", fork.scores().length);
    }

    /** Time per stage of the vector path (summed over threads) over 10 profiled calls, after warm-up. */
    private static long[] profileStages(BenchConfig bc) {
        AcdaLayer layer = AcdaInit.randomized(bc.layer(), 42);
        Tensor x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
        try (AcdaForwardVector v = new AcdaForwardVector(Runtime.getRuntime().availableProcessors())) {
            Tensor y = v.forward(layer, x);
            for (int i = 0; i < 30; i++) {
                v.forwardInto(layer, x, y);
            }
            v.profile(true);
            for (int i = 0; i < 10; i++) {
                v.forwardInto(layer, x, y);
            }
            return v.stageNanos();
        }
    }

    private static boolean openclAvailable() {
        try (OpenClBackend b = new OpenClBackend()) {
            b.unavailableReason().ifPresent(reason -> System.out.println("acda bench: opencl skipped: " + reason));
            return b.unavailableReason().isEmpty();
        }
    }

    /**
     * The OpenCL backend's own timing of one call after warm-up: device time per stage from profiling
     * events, transfers, and end-to-end host time (the median call of 5 by end-to-end time).
     */
    private static KernelTimes openclKernelTimes(BenchConfig bc) {
        AcdaLayer layer = AcdaInit.randomized(bc.layer(), 42);
        Tensor x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
        try (OpenClBackend b = new OpenClBackend()) {
            for (int i = 0; i < 2; i++) {
                b.forward(layer, x);
            }
            List<KernelTimes> runs = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                b.forward(layer, x);
                runs.add(b.lastTimes());
            }
            runs.sort(java.util.Comparator.comparingLong(KernelTimes::wallNanos));
            return runs.get(2);
        }
    }


    private static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** "low–high" of a spread. */
    private static String range(ForkResults.Spread s, String format) {
        return f(format, s.low()) + "–" + f(format, s.high());
    }

    /** A per-round ratio: "median (low–high)" over several rounds, the value alone for one round, "" for none. */
    private static String ratioCell(Optional<ForkResults.Spread> r, String format, String suffix) {
        if (r.isEmpty()) {
            return "";
        }
        ForkResults.Spread s = r.get();
        String m = f(format, s.median()) + suffix;
        return s.forks() > 1 ? m + " (" + range(s, format) + ")" : m;
    }

    /** Multiply-adds of one call of {@code method} on {@code cost}'s shape. */
    private static double macs(String method, CostModel cost) {
        return switch (method) {
            case "plainConvVector", "plainConvVectorInto", OnednnRounds.METHOD -> cost.plainConvMacs();
            case "forwardOracle" -> cost.naivePerPixel() * (double) cost.pixels();
            case "backwardVector" -> cost.backwardMacs();
            default -> cost.totalMacs();
        };
    }

    /** GFLOP/s of {@code macs} multiply-adds in {@code millis}. */
    private static double gflops(double macs, double millis) {
        return 2 * macs / (millis * 1e6);
    }

    /**
     * Per round: the variant's GFLOP/s over the GFLOP/s of the all-thread FMA probe that ran beside it (same
     * configuration, same round), then the median over rounds.
     */
    private Optional<ForkResults.Spread> ofPeak(String method, String config, double macs) {
        return ForkResults.perRound(ForkResults.mapValues(results.roundMedians(method, config), ms -> gflops(macs, ms)),
                results.roundMedians(PEAK_ALL, config));
    }

    /** Records a fork measured elsewhere (tests). */
    void add(ForkResults.Fork fork) {
        results.add(fork);
    }

    String render(Map<String, long[]> stages, Map<String, KernelTimes> openclTimes, List<String> plotFiles,
                          double seconds) {
        StringBuilder s = new StringBuilder();
        int threads = Runtime.getRuntime().availableProcessors();
        TorchCsv.MachineId here = Machine.id();
        s.append("# Benchmark results\n\n");
        s.append("Written by `./acda bench").append(quick ? " --quick" : "").append("` on ").append(LocalDate.now())
                .append(f(" in %.0f s (%.0f min, %d JMH forks). ", seconds, seconds / 60, results.all().size()));
        s.append("Machine: ").append(Machine.describe()).append(".\n\n");
        s.append("**How it was measured.** The compared variants ran interleaved, in ").append(rounds)
                .append(" rounds: in each round, for each configuration, one JMH fork of each variant in turn (the FMA ")
                .append("peak probe, vector ACDA, the plain convolution on the Vector API, both again into a reused output, ")
                .append("the vector backward; the ")
                .append("scalar, opencl and oracle paths, whose calls take seconds, in round 1 only), so that a slow ")
                .append("stretch of this shared machine hits every variant of a round alike. A fork runs ")
                .append(iterations(Kind.FAST, quick).text()).append(" (the backward ").append(iterations(Kind.BACKWARD, quick)
                .text()).append("; slow variants ").append(iterations(Kind.SLOW, quick).text()).append("; the probe ")
                .append(iterations(Kind.PROBE, quick).text()).append(").\n\n");
        s.append("- **median**: over every measured iteration of every fork, in milliseconds per call.\n")
                .append("- **spread**: the smallest and the largest of the per-fork medians (with a single fork, of its ")
                .append("iterations); it shows how far one fork can land from another on this machine, which JMH's ")
                .append("error of a single fork does not.\n")
                .append("- **ratios** (of peak, vs scalar, ACDA / plain conv, backward / forward) are computed within each ")
                .append("round from the two forks' medians, then medianed over the rounds (the range of the per-round ")
                .append("ratios in brackets): these are the figures that stay meaningful across machines.\n")
                .append("- **GFLOP/s** counts 2 x the multiply-adds of the cost model (DESIGN section 5) per second of the ")
                .append("median time; **of peak** divides, round by round, by the all-thread FMA probe that ran beside it ")
                .append("(").append(threads).append(" threads).\n")
                .append("- **MB alloc/call** is JMH's `gc.alloc.rate.norm`, the median over forks (the output tensor is ")
                .append("allocated by every call, except in the forwardInto rows, which write into one output allocated ")
                .append("before the fork's iterations: the difference between the two rows is what allocating and zeroing ")
                .append("a new output costs; PyTorch's allocator hands out memory without zeroing it).\n\n")
                .append("The first fork of every variant on every configuration checks its backend against the oracle on a ")
                .append("crop of its input (`SelfCheck`; the backward against the scalar backward); the later rounds' forks ")
                .append("run the same code on the same inputs and skip that check.\n\n");
        Optional<ForkResults.Spread> p1 = results.summary(PEAK_ONE);
        Optional<ForkResults.Spread> pAll = results.summary(PEAK_ALL);
        double peak1 = p1.map(ForkResults.Spread::median).orElse(Double.NaN);
        double peakAll = pAll.map(ForkResults.Spread::median).orElse(Double.NaN);
        s.append(f("**FMA peak** (`FmaPeakBenchmark`, %d lanes, the median of its probes): %.1f GFLOP/s with one thread "
                + "(probes %s, %d probes), %.1f GFLOP/s with %d threads (probes %s, %d probes).%n%n", FmaPeakBenchmark.lanes(),
                peak1, p1.map(x -> range(x, "%.0f")).orElse("-"), p1.map(ForkResults.Spread::forks).orElse(0), peakAll,
                threads, pAll.map(x -> range(x, "%.0f")).orElse("-"), pAll.map(ForkResults.Spread::forks).orElse(0)));

        s.append("## Standard configurations\n\n");
        s.append("| config | shape | backend | median (ms) | spread (ms) | forks × iterations | GFLOP/s | of peak | ")
                .append("MB alloc/call | vs scalar | ACDA / plain conv |\n");
        s.append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : BenchConfig.standard()) {
            BenchConfig bc = BenchConfig.of(c);
            CostModel cost = bc.cost();
            for (String m : List.of("forwardVector", "forwardVectorInto", "forwardOpencl", "forwardScalar", "forwardOracle",
                    "plainConvVector", "plainConvVectorInto", OnednnRounds.METHOD)) {
                Optional<ForkResults.Spread> r = results.summary(m, c);
                if (r.isEmpty()) {
                    continue;
                }
                ForkResults.Spread t = r.get();
                double macs = macs(m, cost);
                String vsScalar = m.equals("forwardScalar") || m.equals(OnednnRounds.METHOD) ? ""
                        : ratioCell(results.ratio("forwardScalar", c, m, c), "%.1f", "x");
                double alloc = results.allocBytes(m, c);
                String vsPlain = switch (m) {
                    case "forwardVector" -> ratioCell(results.ratio(m, c, "plainConvVector", c), "%.2f", "");
                    case "forwardVectorInto" -> ratioCell(results.ratio(m, c, "plainConvVectorInto", c), "%.2f", "");
                    default -> "";
                };
                s.append(f("| %s | %s | %s | %.2f | %s | %d × %d | %.1f | %s | %s | %s | %s |%n", c, bc.shape(), label(m),
                        t.median(), range(t, "%.2f"), t.forks(), t.iterations() / t.forks(), gflops(macs, t.median()),
                        ratioCell(ofPeak(m, c, macs).map(x -> x.map(v -> 100 * v)), "%.0f", "%"),
                        Double.isNaN(alloc) ? "-" : f("%.2f", alloc / 1e6), vsScalar, vsPlain));
            }
        }
        s.append("\n\"ACDA / plain conv\" is the ACDA time divided by the plain convolution's time on the same shape, per ")
                .append("round (the rows \"forwardInto\" divide by the plain conv's forwardInto); \"vs scalar\" is the ")
                .append("speed-up over the scalar path (one thread), from the rounds the scalar ")
                .append("path ran in. The oracle's GFLOP/s counts the naive per-pixel form's multiply-adds, in double.\n\n");
        s.append(onednnSection(here, threads, peakAll));
        s.append(backwardSection(here));

        if (!openclTimes.isEmpty()) {
            s.append("## OpenCL: kernel time and end-to-end time\n\n");
            String device;
            try (OpenClBackend b = new OpenClBackend()) {
                device = b.description();
            }
            s.append("Device: ").append(device).append(". Device time per stage from OpenCL profiling events ")
                    .append("(`CL_QUEUE_PROFILING_ENABLE`), the median of 5 calls after warm-up; the end-to-end time ")
                    .append("includes uploading the parameters and the input and downloading the output. The JMH row above ")
                    .append("is end-to-end.\n\n");
            s.append("| config | kernels (ms) | GFLOP/s in kernels | conv1 | conv2 | atoms | atom conv | coef conv | ")
                    .append("transfers (ms) | end to end (ms) |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
            for (Map.Entry<String, KernelTimes> e : openclTimes.entrySet()) {
                KernelTimes t = e.getValue();
                CostModel cm = BenchConfig.of(e.getKey()).cost();
                s.append(String.format(Locale.ROOT, "| %s | %.2f | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |%n",
                        e.getKey(), t.kernelNanos() / 1e6, 2 * cm.totalMacs() / t.kernelNanos(), t.conv1() / 1e6,
                        t.conv2() / 1e6, t.atoms() / 1e6, t.atomConv() / 1e6, t.coefConv() / 1e6,
                        t.transferNanos() / 1e6, t.wallNanos() / 1e6));
            }
            s.append('\n');
        }
        s.append(pytorchComparison(here, threads));

        s.append("## The paper's Table 6 (N=1, C=O=256, 100x100 output, M=6)\n\n");
        s.append("Multiply-adds in millions (MMAC), from `CostModel`; the paper's values are its Table 6.\n\n");
        s.append("| K | plain conv | paper | ACDA conv-only | paper | our generator | ACDA total | params plain | params ACDA |\n");
        s.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        double[][] paper = {{5900.8, 4073.0}, {16386.6, 4318.7}, {32115.2, 4687.4}};
        int i = 0;
        for (int k : new int[] {3, 5, 7}) {
            CostModel cm = BenchConfig.of("table6-k" + k).cost();
            s.append(String.format(Locale.ROOT, "| %d | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %,d | %,d |%n", k,
                    cm.mmac(cm.plainConvPerPixel()), paper[i][0], cm.mmac(cm.convOnlyPerPixel()), paper[i][1],
                    cm.mmac(cm.generatorPerPixel()), cm.mmac(cm.totalPerPixel()), cm.plainConvParameters(),
                    cm.acdaParameters()));
            i++;
        }
        s.append("\nThe paper's generator row was computed for a lighter generator than the reference PyTorch code's ")
                .append("(conv 3x3 C->I, BN, tanh, conv 3x3 I->M*T, BN, tanh with I = max(64, M*T/2)); the column above is ")
                .append("ours, which this library implements. Memory: the two-layer form would hold C*M*H'*W' floats of Z ")
                .append("(61 MB for table6); the vector forward holds one tile of Z per thread; for dcoef's sum over the pixels ")
                .append("the vector backward holds one image's atoms where Z is more than twice their size (paddedAtoms*K^2 ")
                .append("floats a pixel: 2.8 MB for table6-k3, 15 MB for table6-k7) and makes Z again a block of pixels at a ")
                .append("time, and one image's Z otherwise (4.8 MB for resnet-k7). The naive form would hold ")
                .append("O*C*K^2*H'*W' filter values if materialised (12.8 GB for table6-k7); the oracle builds one pixel's ")
                .append("filter at a time.\n\n");

        s.append("## Where the vector path spends its time\n\n");
        s.append("Time per stage, summed over the threads, over 10 calls after warm-up (`AcdaForwardVector.profile`: ")
                .append("wall time between 25 ns clock reads, less one read per lap), and each stage's ")
                .append("rate per thread against the one-thread FMA peak.\n\n");
        for (Map.Entry<String, long[]> e : stages.entrySet()) {
            CostModel cm = BenchConfig.of(e.getKey()).cost();
            long[] ns = e.getValue();
            long total = 0;
            for (long v : ns) {
                total += v;
            }
            double[] macs = {0, cm.generatorConv1PerPixel(), cm.generatorConv2PerPixel(), cm.atomsPerPixel(),
                    cm.atomConvPerPixel(), cm.coefficientConvPerPixel()};
            s.append("**").append(e.getKey()).append("** (").append(BenchConfig.of(e.getKey()).shape()).append(")\n\n");
            s.append("| stage | share of time | GFLOP/s per thread | of 1-thread peak |\n|---|---:|---:|---:|\n");
            for (AcdaForwardVector.Stage st : AcdaForwardVector.Stage.values()) {
                double t = ns[st.ordinal()] / 10.0;
                double rate = macs[st.ordinal()] == 0 ? 0 : 2 * macs[st.ordinal()] * cm.pixels() / t;
                s.append(String.format(Locale.ROOT, "| %s | %.1f%% | %s | %s |%n", st.name().toLowerCase(Locale.ROOT)
                        .replace('_', ' '), 100.0 * ns[st.ordinal()] / total,
                        rate == 0 ? "-" : String.format(Locale.ROOT, "%.1f", rate),
                        rate == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * rate / peak1)));
            }
            s.append('\n');
        }

        s.append("## How the cost grows\n\n");
        s.append("Vector path (and, in a full run, the plain convolution and the scalar path) against H*W (C=O=32, K=5), ")
                .append("C (=O, 32x32, K=5) and K (C=O=64, 56x56); N=1. One round, the variants interleaved per ")
                .append("configuration; medians of one fork's iterations (").append(iterations(Kind.GROWTH, quick).text())
                .append("; scalar ").append(iterations(Kind.GROWTH_SLOW, quick).text()).append(").\n\n");
        s.append("| config | shape | vector (ms) | GFLOP/s | plain conv (ms) | scalar (ms) |\n|---|---|---:|---:|---:|---:|\n");
        for (String prefix : List.of("hw-", "c-", "k-")) {
            for (String c : BenchConfig.names(prefix)) {
                Optional<ForkResults.Spread> v = results.summary("forwardVector", c);
                if (v.isEmpty()) {
                    continue;
                }
                CostModel cm = BenchConfig.of(c).cost();
                s.append(f("| %s | %s | %.3f | %.1f | %s | %s |%n", c, BenchConfig.of(c).shape(),
                        v.get().median(), gflops(cm.totalMacs(), v.get().median()),
                        results.summary("plainConvVector", c).map(r -> f("%.3f", r.median())).orElse("-"),
                        results.summary("forwardScalar", c).map(r -> f("%.1f", r.median())).orElse("-")));
            }
        }
        s.append('\n');
        for (String file : plotFiles) {
            s.append("![").append(file).append("](plots/").append(file).append(")\n\n");
        }
        s.append(Notes.TEXT);
        return s.toString();
    }

    /** Warm-up and measured iterations of a fork, and their length in seconds. */
    record It(int warmup, double warmupSeconds, int measure, double measureSeconds) {
        String text() {
            return warmupSeconds == measureSeconds
                    ? f("%d warm-up and %d measured iterations of %s s", warmup, measure, seconds(measureSeconds))
                    : f("%d warm-up iterations of %s s and %d measured of %s s", warmup, seconds(warmupSeconds), measure,
                            seconds(measureSeconds));
        }

        private static String seconds(double s) {
            return s == Math.rint(s) ? f("%.0f", s) : f("%.1f", s);
        }
    }

    /** How long each kind of variant runs per fork. */
    static It iterations(Kind kind, boolean quick) {
        // Sized so that a full run stays well under an hour on the 2-core VM (43 minutes on 2026-12-03: three rounds of
        // the fast variants, one of the slow ones, one of the growth series); more forks beat more iterations per fork on
        // a noisy machine.
        return switch (kind) {
            // The probe's Vector API loop is hopeless until C2 has compiled it: with 0.3 s of warm-up on a loaded machine a
            // probe read 0.1 GFLOP/s (2026-12-02), hence a warm-up longer than its measurement.
            case PROBE -> quick ? new It(2, 0.6, 2, 0.3) : new It(2, 1, 3, 0.5);
            case FAST -> quick ? new It(2, 0.5, 3, 0.5) : new It(3, 1, 4, 1);
            case BACKWARD -> quick ? new It(2, 0.5, 3, 0.5) : new It(4, 1, 4, 1);
            case SLOW -> quick ? new It(1, 0.5, 3, 0.5) : new It(1, 1, 2, 1);
            case GROWTH -> quick ? new It(2, 0.5, 3, 0.5) : new It(2, 1, 3, 1);
            case GROWTH_SLOW -> quick ? new It(1, 0.5, 2, 0.5) : new It(1, 1, 2, 1);
        };
    }

    /**
     * Measures tornado, opencl and vector on the standard configurations and replaces the report's
     * TornadoVM section (or appends it), leaving the rest of the report as it is. One round: per
     * configuration one fork of each, in turn.
     */
    void runTornadoOnly() throws RunnerException, IOException {
        started = System.nanoTime();
        String home = System.getenv("TORNADOVM_HOME");
        Path argfile = home == null ? null : Path.of(home, "tornado-argfile");
        if (argfile == null || !Files.isRegularFile(argfile)) {
            fail("--only-tornado needs TornadoVM: set TORNADOVM_HOME to a TornadoVM SDK (the folder with tornado-argfile)");
        }
        String device;
        try (AcdaBackend b = Backends.get("tornado")) {
            Optional<String> reason = b.unavailableReason();
            if (reason.isPresent()) {
                fail("the tornado backend cannot run here: " + reason.get());
            }
            device = b.description();
        } catch (IllegalArgumentException e) {
            fail("the tornado backend is not on the class path (build tornado-backend with TORNADOVM_HOME set): "
                    + e.getMessage());
            return;
        }
        List<String> standard = BenchConfig.standard();
        // Explicit JVM flags for every fork: without them JMH would copy this JVM's, TornadoVM's included, into
        // the vector and opencl forks. The @Fork annotation's flags (Vector API, native access, heap) are appended.
        List<Variant> variants = new ArrayList<>();
        variants.add(new Variant("AcdaForwardBenchmark.forwardTornado", Kind.SLOW, standard, List.of("@" + argfile)));
        if (openclAvailable()) {
            variants.add(new Variant("AcdaForwardBenchmark.forwardOpencl", Kind.SLOW, standard, List.of()));
        }
        variants.add(new Variant("AcdaForwardBenchmark.forwardVector", Kind.FAST, standard, List.of()));
        List<Step> steps = plan(variants, standard, 1, 1);
        forksPlanned = steps.size();
        for (Step st : steps) {
            runFork(st);
        }
        Map<String, Long> kernelNanos = new LinkedHashMap<>();
        for (String c : standard) {
            kernelNanos.put(c, tornadoKernelNanos(BenchConfig.of(c)));
        }
        String section = renderTornado(device, kernelNanos, (System.nanoTime() - started) / 1e9);
        String existing = Files.exists(out) ? Files.readString(out) : "";
        String md = TornadoSection.splice(existing, section);
        AtomicFiles.write(out, o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        System.out.println("acda bench: wrote the TornadoVM section of " + out);
    }

    private static void fail(String message) {
        System.err.println("acda bench: " + message);
        System.exit(2);
    }

    /**
     * Device time of the tornado backend's kernels for one call after warm-up, from TornadoVM's
     * profiler (the median of 3). The backend is made by reflection: this module compiles without TornadoVM.
     */
    private static long tornadoKernelNanos(BenchConfig bc) {
        AcdaLayer layer = AcdaInit.randomized(bc.layer(), 42);
        Tensor x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
        try {
            Class<?> c = Class.forName("org.acdajvm.tornado.TornadoBackend");
            try (AcdaBackend b = (AcdaBackend) c.getConstructor(String.class, boolean.class)
                    .newInstance(System.getProperty("acda.tornado.device"), true)) {
                var lastKernelNanos = c.getMethod("lastKernelNanos");
                long[] runs = new long[3];
                for (int i = 0; i < 1 + runs.length; i++) {
                    b.forward(layer, x);
                    if (i >= 1) {
                        runs[i - 1] = (long) lastKernelNanos.invoke(b);
                    }
                }
                java.util.Arrays.sort(runs);
                return runs[runs.length / 2];
            }
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot profile the tornado backend: " + e, e);
        }
    }

    private String renderTornado(String device, Map<String, Long> kernelNanos, double seconds) {
        StringBuilder s = new StringBuilder(TornadoSection.BEGIN).append('\n');
        s.append("## TornadoVM backend\n\n");
        s.append("Written by `./acda bench --only-tornado` on ").append(LocalDate.now()).append(" in ")
                .append(f("%.0f", seconds)).append(" s (this section only). Machine: ")
                .append(Machine.describe()).append(". Device: ").append(device).append(".\n\n");
        s.append("Milliseconds per forward call, end to end (the input and the parameters go to the device and the ")
                .append("output comes back on every call), each backend checked against the oracle in setup. Per ")
                .append("configuration one JMH fork of each backend in turn (tornado, opencl, vector); the median of the ")
                .append("fork's iterations with their range (tornado and opencl ").append(iterations(Kind.SLOW, quick).text())
                .append(", vector ").append(iterations(Kind.FAST, quick).text()).append("). \"kernels\" is the device time ")
                .append("of the tornado kernels alone from TornadoVM's profiler (median of 3 calls after warm-up). The ")
                .append("tornado kernels read global memory only (each work-item computes 4 or 8 output channels of one ")
                .append("pixel, no local-memory tiles); the opencl kernels stage tiles in local memory.\n\n");
        s.append("| config | shape | tornado (ms) | range (ms) | GFLOP/s | kernels (ms) | opencl (ms) | vector (ms) | ")
                .append("tornado / opencl | tornado / vector |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : BenchConfig.standard()) {
            Optional<ForkResults.Spread> t = results.summary("forwardTornado", c);
            if (t.isEmpty()) {
                continue;
            }
            BenchConfig bc = BenchConfig.of(c);
            Optional<ForkResults.Spread> o = results.summary("forwardOpencl", c);
            Optional<ForkResults.Spread> v = results.summary("forwardVector", c);
            double ms = t.get().median();
            s.append(f("| %s | %s | %.2f | %s | %.1f | %.2f | %s | %s | %s | %s |%n", c, bc.shape(), ms,
                    range(t.get(), "%.2f"), gflops(bc.cost().totalMacs(), ms), kernelNanos.getOrDefault(c, 0L) / 1e6,
                    o.map(r -> f("%.2f", r.median())).orElse("-"), v.map(r -> f("%.2f", r.median())).orElse("-"),
                    o.map(r -> f("%.2f", ms / r.median())).orElse("-"), v.map(r -> f("%.2f", ms / r.median())).orElse("-")));
        }
        return s.append('\n').append(TornadoSection.END).toString();
    }

    /** The vector backward beside the vector forward of the same configuration, interleaved in the same rounds. */
    private String backwardSection(TorchCsv.MachineId here) {
        StringBuilder s = new StringBuilder();
        if (!results.has("backwardVector")) {
            return "";
        }
        s.append("## Backward (vector)\n\n");
        s.append("One backward per call (`AcdaBackwardBenchmark.backwardVector`: dL/dx and every parameter's gradient for a ")
                .append("random upstream gradient, self-checked against the scalar backward in setup), one fork per round ")
                .append("beside the forward above. GFLOP/s counts 2 x `CostModel.backwardPerPixel` multiply-adds (the ")
                .append("forward's intermediates recomputed, then the gradients of every stage); \"of peak\" and ")
                .append("\"backward / forward\" are per-round ratios, medianed.\n\n");
        s.append("| config | shape | backward median (ms) | spread (ms) | forks × iterations | GFLOP/s | of peak | ")
                .append("forward (ms) | backward / forward | MB alloc/call |\n");
        s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : BenchConfig.standard()) {
            Optional<ForkResults.Spread> b = results.summary("backwardVector", c);
            if (b.isEmpty()) {
                continue;
            }
            BenchConfig bc = BenchConfig.of(c);
            ForkResults.Spread t = b.get();
            double macs = bc.cost().backwardMacs();
            s.append(f("| %s | %s | %.2f | %s | %d × %d | %.1f | %s | %s | %s | %.2f |%n", c, bc.shape(), t.median(),
                    range(t, "%.2f"), t.forks(), t.iterations() / t.forks(), gflops(macs, t.median()),
                    ratioCell(ofPeak("backwardVector", c, macs).map(x -> x.map(v -> 100 * v)), "%.0f", "%"),
                    results.summary("forwardVector", c).map(r -> f("%.2f", r.median())).orElse(""),
                    ratioCell(results.ratio("backwardVector", c, "forwardVector", c), "%.1f", "x"),
                    results.allocBytes("backwardVector", c) / 1e6));
        }
        Path csv = pytorchDir.resolve("pytorch-backward-times.csv");
        s.append("\nPyTorch 1.13's autograd through the reference layer: `bench/pytorch/acda_backward_torch.py` and its CSV");
        Optional<TorchCsv> t = readCsv(csv);
        if (t.isPresent() && t.get().sameMachine(here)) {
            s.append(" (measured on this machine: ").append(t.get().what()).append(").\n\n");
        } else {
            s.append(t.map(x -> ". " + x.machineNote(csv, here)).orElse(" (not found)")).append("\n\n");
        }
        return s.toString();
    }

    /** The CSV, or empty (with a message) when it is absent or malformed. */
    private static Optional<TorchCsv> readCsv(Path csv) {
        try {
            return TorchCsv.read(csv);
        } catch (IllegalArgumentException e) {
            System.out.println("acda bench: " + csv + " is not readable as a CSV: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Issue 16's ratios from the oneDNN runs between the forks ({@link OnednnRounds}): per round, our GFLOP/s over
     * oneDNN's of the same round, then the median over rounds (the range in brackets). Empty when none ran.
     */
    private String onednnInterleaved(int threads) {
        if (results.summary(OnednnRounds.METHOD).isEmpty()) {
            return "";
        }
        StringBuilder s = new StringBuilder("**Interleaved with the forks** (the figures of record): oneDNN's conv2d (")
                .append(onednnWhat == null ? "PyTorch, " + threads + " threads" : onednnWhat)
                .append(") ran in its own process before each round's JMH forks (`bench/pytorch/onednn_plain_conv.py ")
                .append("--worker`, 3 warm-up and 3 or 7 timed calls per configuration), so that each ratio divides two ")
                .append("figures of the same minutes; per round, GFLOP/s over GFLOP/s, then the median over the rounds ")
                .append("(their range in brackets). Its times are the \"oneDNN conv2d\" rows of the first table.\n\n");
        s.append("| config | shape | oneDNN (ms) | oneDNN of peak | ACDA / oneDNN | ACDA forwardInto / oneDNN | ")
                .append("our plain conv / oneDNN | plain conv forwardInto / oneDNN |\n");
        s.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (String c : BenchConfig.standard()) {
            Optional<ForkResults.Spread> dnn = results.summary(OnednnRounds.METHOD, c);
            if (dnn.isEmpty()) {
                continue;
            }
            CostModel cost = BenchConfig.of(c).cost();
            double plainMacs = cost.plainConvMacs();
            s.append(f("| %s | %s | %.2f | %s | %s | %s | %s | %s |%n", c, BenchConfig.of(c).shape(), dnn.get().median(),
                    ratioCell(ofPeak(OnednnRounds.METHOD, c, plainMacs).map(x -> x.map(v -> 100 * v)), "%.0f", "%"),
                    bold(ratioCell(gflopsRatio("forwardVector", cost.totalMacs(), c, plainMacs), "%.2f", "")),
                    ratioCell(gflopsRatio("forwardVectorInto", cost.totalMacs(), c, plainMacs), "%.2f", ""),
                    ratioCell(gflopsRatio("plainConvVector", plainMacs, c, plainMacs), "%.2f", ""),
                    ratioCell(gflopsRatio("plainConvVectorInto", plainMacs, c, plainMacs), "%.2f", "")));
        }
        return s.append("\nFrom the CSV of a separate run (`").append(pytorchDir.resolve("onednn-plain-conv.csv"))
                .append("`, not interleaved), for reference:\n\n").toString();
    }

    private static String bold(String cell) {
        return cell.isEmpty() ? cell : "**" + cell + "**";
    }

    /** Per round: {@code method}'s GFLOP/s ({@code macs} a call) over oneDNN's ({@code dnnMacs}); median and range. */
    private Optional<ForkResults.Spread> gflopsRatio(String method, double macs, String config, double dnnMacs) {
        return ForkResults.perRound(ForkResults.mapValues(results.roundMedians(method, config), ms -> gflops(macs, ms)),
                ForkResults.mapValues(results.roundMedians(OnednnRounds.METHOD, config), ms -> gflops(dnnMacs, ms)));
    }

    /** The CSV's header line about the load average, as a sentence (empty when it has none). */
    private static String loadNote(TorchCsv t) {
        return t.comment("load average").map(l -> " Load average (1, 5, 15 min) during that run: "
                + l.replaceFirst("^load average \\(1, 5, 15 min\\):\\s*", "") + ".").orElse("");
    }

    /**
     * Issue 16's figure: ACDA's GFLOP/s (vector, cost model) over oneDNN's plain conv2d GFLOP/s on the same
     * shape and thread count, from {@code bench/pytorch/onednn-plain-conv.csv}; ratios only when that CSV was
     * measured on this machine.
     */
    String onednnSection(TorchCsv.MachineId here, int threads, double peakAll) {
        Path csv = pytorchDir.resolve("onednn-plain-conv.csv");
        StringBuilder s = new StringBuilder("## GFLOP/s against oneDNN on the same shape\n\n");
        s.append("Issue 16's goal: ACDA's GFLOP/s at least 0.8x the GFLOP/s of oneDNN's plain conv2d (PyTorch's CPU ")
                .append("convolution) on the same shape and the same number of threads (").append(threads).append("), so ")
                .append("that where the work is equal (table6-k3: 5.8 vs 5.9 GMAC) the time is within 1.25x. ACDA's GFLOP/s ")
                .append("counts the cost model's multiply-adds of the layer, oneDNN's and our plain conv's 2 x O*C*K^2 per ")
                .append("output pixel, so the ratios compare rates, not times.\n\n");
        s.append(onednnInterleaved(threads));
        Optional<TorchCsv> read = readCsv(csv);
        if (read.isEmpty()) {
            return s.append("(no readable `").append(csv).append("`: run `python3 bench/pytorch/onednn_plain_conv.py` with ")
                    .append("Debian's python3-torch installed)\n\n").toString();
        }
        TorchCsv t = read.get();
        boolean same = t.sameMachine(here);
        s.append("Ours are the medians above; oneDNN's are the ")
                .append("median and the best of its timed calls in `").append(csv).append("` (").append(t.what())
                .append("), a separate process, not interleaved with the JMH forks.").append(loadNote(t)).append("\n\n");
        if (!same) {
            s.append(t.machineNote(csv, here)).append("\n\n");
        }
        if (!t.threadCounts().contains(threads)) {
            s.append(f("The CSV has no rows for %d threads (it has %s): no ratio is computed.%n%n", threads, t.threadCounts()));
        }
        s.append("| config | shape | ACDA vector GFLOP/s | our plain conv GFLOP/s | oneDNN GFLOP/s median (best) | ")
                .append("ACDA / oneDNN | ACDA / oneDNN's best | our plain conv / oneDNN | ACDA forwardInto / oneDNN | ")
                .append("plain conv forwardInto / oneDNN | oneDNN of peak |\n");
        s.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
        boolean compare = same && t.threadCounts().contains(threads);
        try {
            for (String c : BenchConfig.standard()) {
                Optional<Map<String, String>> row = t.row(c, threads);
                if (row.isEmpty()) {
                    continue;
                }
                BenchConfig bc = BenchConfig.of(c);
                double dnn = TorchCsv.number(row.get(), "gflops_median");
                double dnnBest = TorchCsv.number(row.get(), "gflops_best");
                Optional<Double> acda = results.summary("forwardVector", c).map(r -> gflops(bc.cost().totalMacs(), r.median()));
                Optional<Double> plain = results.summary("plainConvVector", c)
                        .map(r -> gflops(bc.cost().plainConvMacs(), r.median()));
                Optional<Double> acdaInto = results.summary("forwardVectorInto", c)
                        .map(r -> gflops(bc.cost().totalMacs(), r.median()));
                Optional<Double> plainInto = results.summary("plainConvVectorInto", c)
                        .map(r -> gflops(bc.cost().plainConvMacs(), r.median()));
                s.append(f("| %s | %s | %s | %s | %.1f (%.1f) | %s | %s | %s | %s | %s | %s |%n", c, bc.shape(),
                        acda.map(v -> f("%.1f", v)).orElse("-"), plain.map(v -> f("%.1f", v)).orElse("-"), dnn, dnnBest,
                        compare ? acda.map(v -> f("**%.2f**", v / dnn)).orElse("-") : "-",
                        compare ? acda.map(v -> f("%.2f", v / dnnBest)).orElse("-") : "-",
                        compare ? plain.map(v -> f("%.2f", v / dnn)).orElse("-") : "-",
                        compare ? acdaInto.map(v -> f("%.2f", v / dnn)).orElse("-") : "-",
                        compare ? plainInto.map(v -> f("%.2f", v / dnn)).orElse("-") : "-",
                        compare && !Double.isNaN(peakAll) ? f("%.0f%%", 100 * dnn / peakAll) : "-"));
            }
        } catch (IllegalArgumentException e) {
            s.append("\n(`").append(csv).append("` has an unexpected format: ").append(e.getMessage())
                    .append("; re-run the script)\n");
        }
        return s.append('\n').toString();
    }

    /**
     * Our times beside PyTorch's on the same shapes, from {@code bench/pytorch/pytorch-times.csv}
     * (written by {@code bench/pytorch/acda_torch.py bench}); ratios only when measured on this machine
     * with our thread count.
     */
    private String pytorchComparison(TorchCsv.MachineId here, int threads) {
        Path csv = pytorchDir.resolve("pytorch-times.csv");
        StringBuilder s = new StringBuilder("## Against PyTorch on the same CPU\n\n");
        Optional<TorchCsv> read = readCsv(csv);
        if (read.isEmpty()) {
            return s.append("(no readable `").append(csv).append("`: run `python3 bench/pytorch/acda_torch.py bench`)\n\n")
                    .toString();
        }
        TorchCsv t = read.get();
        boolean same = t.sameMachine(here);
        s.append("PyTorch runs the same layer (same generator, same two-layer algorithm, written the way the reference ")
                .append("layer is: conv2d, batch_norm, tanh, einsum, unfold + einsum, 1x1 conv2d) and oneDNN's plain ")
                .append("convolution of the same shape, interleaved call by call: ").append(t.what())
                .append(". PyTorch's times are the medians of its timed calls (the CSV has the best too); ours are the ")
                .append("medians above (the k-* rows: the growth series).").append(loadNote(t)).append("\n\n");
        if (!same) {
            s.append(t.machineNote(csv, here)).append("\n\n");
        }
        boolean threadsDiffer = !t.threadCounts().isEmpty() && !t.threadCounts().contains(threads);
        if (threadsDiffer) {
            s.append(f("PyTorch ran with %s threads, ours with %d: no ratio is computed.%n%n", t.threadCounts(), threads));
        }
        boolean compare = same && !threadsDiffer;
        s.append("| config | shape | PyTorch ACDA (ms) | our ACDA, vector (ms) | speed-up | oneDNN plain conv (ms) | ")
                .append("our plain conv (ms) | our ACDA / oneDNN conv (time) |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        try {
            for (Map<String, String> row : t.rows()) {
                String c = row.get("config");
                double torchAcda = TorchCsv.number(row, "acda_median_ms");
                double torchConv = TorchCsv.number(row, "plain_conv_median_ms");
                Optional<Double> ours = results.summary("forwardVector", c).map(ForkResults.Spread::median);
                Optional<Double> plain = results.summary("plainConvVector", c).map(ForkResults.Spread::median);
                s.append(f("| %s | %s | %.2f | %s | %s | %.2f | %s | %s |%n", c, row.getOrDefault("shape", ""), torchAcda,
                        ours.map(v -> f("%.2f", v)).orElse("-"),
                        compare ? ours.map(v -> f("%.1fx", torchAcda / v)).orElse("-") : "-", torchConv,
                        plain.map(v -> f("%.2f", v)).orElse("-"),
                        compare ? ours.map(v -> f("%.2f", v / torchConv)).orElse("-") : "-"));
            }
        } catch (IllegalArgumentException e) {
            s.append("\n(`").append(csv).append("` has an unexpected format: ").append(e.getMessage())
                    .append("; re-run the script)\n");
        }
        return s.append('\n').toString();
    }

    private static String label(String method) {
        return switch (method) {
            case "forwardVector" -> "vector";
            case "forwardScalar" -> "scalar";
            case "forwardOracle" -> "oracle";
            case "forwardOpencl" -> "opencl";
            case "forwardTornado" -> "tornado";
            case "plainConvVector" -> "plain conv (vector)";
            case "forwardVectorInto" -> "vector, forwardInto";
            case "plainConvVectorInto" -> "plain conv (vector), forwardInto";
            case OnednnRounds.METHOD -> "oneDNN conv2d (PyTorch)";
            case "backwardVector" -> "backward (vector)";
            default -> method;
        };
    }
}
