package org.acdajvm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.AtomicFiles;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.opencl.KernelTimes;
import org.acdajvm.opencl.OpenClBackend;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.AcdaForwardVector;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the benchmark suite with JMH and writes {@code bench/RESULTS.md} and the growth plots:
 * time, GFLOP/s (2 x multiply-adds of {@link CostModel} per second), fraction of the measured FMA
 * peak, bytes allocated per call, the reproduction of the paper's Table 6, and the per-stage
 * profile of the vector path. {@code --quick} runs a subset with short iterations (a few minutes).
 *
 * <p>{@code --only-tornado} measures only the TornadoVM backend, beside {@code opencl} and
 * {@code vector}, on the standard configurations, and replaces only the report's TornadoVM section
 * ({@link TornadoSection}); the full run keeps that section as it is. It needs TornadoVM: this JVM
 * and the JMH forks that run {@code tornado} start with {@code @$TORNADOVM_HOME/tornado-argfile}.
 */
public final class BenchReport {

    /** One measured benchmark. */
    record Row(String method, String config, double millis, double error, double allocBytes) {
    }

    private final boolean quick;
    private final Path out;
    private final Path plots;
    private final List<Row> rows = new ArrayList<>();
    private double peak1;
    private double peakAll;

    BenchReport(boolean quick, Path out, Path plots) {
        this.quick = quick;
        this.out = out;
        this.plots = plots;
    }

    public static void main(String[] args) throws Exception {
        boolean quick = false;
        boolean onlyTornado = false;
        Path out = Path.of("bench", "RESULTS.md");
        Path plots = Path.of("bench", "plots");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--only-tornado" -> onlyTornado = true;
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--plots" -> plots = Path.of(value(args, ++i, "--plots"));
                case "-h", "--help" -> {
                    System.out.println("usage: acda bench [--quick] [--only-tornado] [--out FILE.md] [--plots DIR]");
                    System.out.println("  runs the JMH suite and writes the report (default bench/RESULTS.md, plots in bench/plots)");
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
        BenchReport report = new BenchReport(quick, out, plots);
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

    void run() throws RunnerException, IOException {
        long start = System.nanoTime();
        List<String> standard = BenchConfig.standard();
        List<String> growth = new ArrayList<>(BenchConfig.names("hw-"));
        growth.addAll(BenchConfig.names("c-"));
        growth.addAll(BenchConfig.names("k-"));

        measurePeak();
        jmh("AcdaForwardBenchmark.forwardVector$", standard, false);
        jmh("AcdaForwardBenchmark.plainConvVector$", standard, false);
        jmh("AcdaForwardBenchmark.forwardOracle$", List.of("small"), true);
        boolean opencl = openclAvailable();
        if (opencl) {
            jmh("AcdaForwardBenchmark.forwardOpencl$", standard, true);
        }
        jmh("AcdaForwardBenchmark.forwardScalar$", quick ? List.of("small", "resnet-k3") : standard, true);
        // Not "slow": the backward's JIT needs the full warm-up (one warm-up iteration left it half compiled, with
        // error bars three times the score, in the run of 2026-12-02).
        jmh("AcdaBackwardBenchmark.backwardVector$", quick ? List.of("small", "resnet-k3") : standard, false);
        jmh("AcdaForwardBenchmark.forwardVector$", growth, false);
        if (!quick) {
            jmh("AcdaForwardBenchmark.plainConvVector$", growth, false);
            jmh("AcdaForwardBenchmark.forwardScalar$", growth, true);
        }
        Map<String, KernelTimes> openclTimes = new LinkedHashMap<>();
        if (opencl) {
            for (String c : standard) {
                openclTimes.put(c, openclKernelTimes(BenchConfig.of(c)));
            }
        }
        Map<String, long[]> stages = new LinkedHashMap<>();
        for (String c : List.of("table6-k7", "resnet-k3")) {
            stages.put(c, profileStages(BenchConfig.of(c)));
        }
        List<String> plotFiles = GrowthPlots.write(plots, rows);
        String rendered = render(stages, openclTimes, plotFiles, (System.nanoTime() - start) / 1e9);
        // The TornadoVM section comes from a separate run (--only-tornado): keep it.
        Optional<String> tornado = Files.exists(out) ? TornadoSection.extract(Files.readString(out)) : Optional.empty();
        String md = tornado.map(t -> TornadoSection.splice(rendered, t)).orElse(rendered);
        Files.createDirectories(out.toAbsolutePath().getParent());
        AtomicFiles.write(out, o -> o.write(md.getBytes(StandardCharsets.UTF_8)));
        System.out.println("acda bench: wrote " + out + " and " + plotFiles.size() + " plots in " + plots);
    }

    private ChainedOptionsBuilder base(boolean slow) {
        ChainedOptionsBuilder b = new OptionsBuilder().forks(1).shouldFailOnError(true)
                .addProfiler("gc");
        if (quick) {
            b.warmupIterations(slow ? 1 : 2).warmupTime(TimeValue.milliseconds(500))
                    .measurementIterations(3).measurementTime(TimeValue.milliseconds(500));
        } else {
            b.warmupIterations(slow ? 1 : 4).warmupTime(TimeValue.seconds(1))
                    .measurementIterations(slow ? 3 : 5).measurementTime(TimeValue.seconds(1));
        }
        return b;
    }

    private void measurePeak() throws RunnerException {
        ChainedOptionsBuilder b = base(false).include(FmaPeakBenchmark.class.getName() + ".*");
        for (RunResult r : new Runner(b.build()).run()) {
            double gflops = r.getPrimaryResult().getScore() * 2 * FmaPeakBenchmark.lanes() / 1e3;
            if (r.getParams().getBenchmark().endsWith("OneThread")) {
                peak1 = gflops;
            } else {
                peakAll = gflops;
            }
        }
    }

    private void jmh(String method, List<String> configs, boolean slow) throws RunnerException {
        jmh(base(slow), method, configs);
    }

    private void jmh(ChainedOptionsBuilder options, String method, List<String> configs) throws RunnerException {
        ChainedOptionsBuilder b = options.include(method.replace(".", "\\."))
                .param("config", configs.toArray(new String[0]));
        Collection<RunResult> results = new Runner(b.build()).run();
        for (RunResult r : results) {
            String name = r.getParams().getBenchmark();
            String m = name.substring(name.lastIndexOf('.') + 1);
            Result<?> p = r.getPrimaryResult();
            Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
            rows.add(new Row(m, r.getParams().getParam("config"), p.getScore(), p.getScoreError(),
                    alloc == null ? Double.NaN : alloc.getScore()));
        }
    }

    /** Thread-time per stage of the vector path over 10 profiled calls, after warm-up. */
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

    Optional<Row> find(String method, String config) {
        return rows.stream().filter(r -> r.method().equals(method) && r.config().equals(config)).findFirst();
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

    private String render(Map<String, long[]> stages, Map<String, KernelTimes> openclTimes, List<String> plotFiles,
                          double seconds) {
        StringBuilder s = new StringBuilder();
        int threads = Runtime.getRuntime().availableProcessors();
        s.append("# Benchmark results\n\n");
        s.append("Written by `./acda bench").append(quick ? " --quick" : "").append("` on ").append(LocalDate.now())
                .append(" in ").append(String.format(Locale.ROOT, "%.0f", seconds)).append(" s. ");
        s.append("Machine: ").append(Machine.describe()).append(".\n\n");
        s.append("Times are JMH averages per forward call (milliseconds, with JMH's 99.9% error), ");
        s.append("GFLOP/s counts 2 x the multiply-adds of the cost model (DESIGN section 5) per second, and ");
        s.append("\"of peak\" divides by the machine's measured FMA peak with all ").append(threads)
                .append(" threads. Allocation is JMH's `gc.alloc.rate.norm` (bytes per call; the output tensor is ")
                .append("allocated by every call). Every benchmark first checks its backend against the oracle ")
                .append("on a crop of its input (`SelfCheck`).\n\n");
        s.append(String.format(Locale.ROOT, "**FMA peak** (`FmaPeakBenchmark`, %d lanes): %.1f GFLOP/s with one thread, "
                + "%.1f GFLOP/s with %d threads.%n%n", FmaPeakBenchmark.lanes(), peak1, peakAll, threads));

        s.append("## Standard configurations\n\n");
        s.append("| config | shape | backend | time (ms) | GFLOP/s | of peak | MB alloc/call | vs scalar | vs plain conv |\n");
        s.append("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (String c : BenchConfig.standard()) {
            BenchConfig bc = BenchConfig.of(c);
            CostModel cost = bc.cost();
            Optional<Row> scalar = find("forwardScalar", c);
            Optional<Row> plain = find("plainConvVector", c);
            for (String m : List.of("forwardVector", "forwardOpencl", "forwardScalar", "forwardOracle", "plainConvVector")) {
                Optional<Row> r = find(m, c);
                if (r.isEmpty()) {
                    continue;
                }
                Row row = r.get();
                double macs = m.equals("plainConvVector") ? cost.plainConvMacs()
                        : m.equals("forwardOracle") ? cost.naivePerPixel() * (double) cost.pixels() : cost.totalMacs();
                double gflops = 2 * macs / (row.millis() * 1e6);
                String vsScalar = scalar.isPresent() && !m.equals("forwardScalar")
                        ? String.format(Locale.ROOT, "%.1fx", scalar.get().millis() / row.millis()) : "";
                String vsPlain = plain.isPresent() && m.equals("forwardVector")
                        ? String.format(Locale.ROOT, "%.2f", row.millis() / plain.get().millis()) : "";
                s.append(String.format(Locale.ROOT, "| %s | %s | %s | %.2f ± %.2f | %.1f | %.0f%% | %.2f | %s | %s |%n",
                        c, bc.shape(), label(m), row.millis(), row.error(), gflops, 100 * gflops / peakAll,
                        row.allocBytes() / 1e6, vsScalar, vsPlain));
            }
        }
        s.append("\n\"vs plain conv\" is the ACDA time divided by the plain convolution's time on the same shape; ")
                .append("\"vs scalar\" is the speed-up over the scalar path (one thread). The oracle's GFLOP/s counts ")
                .append("the naive per-pixel form's multiply-adds, in double.\n\n");
        s.append(backwardSection());

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
        s.append(pytorchComparison());

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
                .append("(61 MB for table6); the vector path holds one tile of Z per thread. The naive form would hold ")
                .append("O*C*K^2*H'*W' filter values if materialised (12.8 GB for table6-k7); the oracle builds one pixel's ")
                .append("filter at a time.\n\n");

        s.append("## Where the vector path spends its time\n\n");
        s.append("Thread-time per stage over 10 calls after warm-up (`AcdaForwardVector.profile`), and each stage's ")
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
                .append("C (=O, 32x32, K=5) and K (C=O=64, 56x56); N=1.\n\n");
        s.append("| config | shape | vector (ms) | GFLOP/s | plain conv (ms) | scalar (ms) |\n|---|---|---:|---:|---:|---:|\n");
        for (String prefix : List.of("hw-", "c-", "k-")) {
            for (String c : BenchConfig.names(prefix)) {
                Optional<Row> v = find("forwardVector", c);
                if (v.isEmpty()) {
                    continue;
                }
                CostModel cm = BenchConfig.of(c).cost();
                s.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.1f | %s | %s |%n", c, BenchConfig.of(c).shape(),
                        v.get().millis(), 2 * cm.totalMacs() / (v.get().millis() * 1e6),
                        find("plainConvVector", c).map(r -> String.format(Locale.ROOT, "%.3f", r.millis())).orElse("-"),
                        find("forwardScalar", c).map(r -> String.format(Locale.ROOT, "%.1f", r.millis())).orElse("-")));
            }
        }
        s.append('\n');
        for (String f : plotFiles) {
            s.append("![").append(f).append("](plots/").append(f).append(")\n\n");
        }
        s.append(Notes.TEXT);
        return s.toString();
    }

    /**
     * Measures tornado, opencl and vector on the standard configurations and replaces the report's
     * TornadoVM section (or appends it), leaving the rest of the report as it is.
     */
    void runTornadoOnly() throws RunnerException, IOException {
        long start = System.nanoTime();
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
        jmh(base(true).jvmArgs("@" + argfile), "AcdaForwardBenchmark.forwardTornado$", standard);
        boolean opencl = openclAvailable();
        if (opencl) {
            jmh(base(true).jvmArgs(), "AcdaForwardBenchmark.forwardOpencl$", standard);
        }
        jmh(base(false).jvmArgs(), "AcdaForwardBenchmark.forwardVector$", standard);
        Map<String, Long> kernelNanos = new LinkedHashMap<>();
        for (String c : standard) {
            kernelNanos.put(c, tornadoKernelNanos(BenchConfig.of(c)));
        }
        String section = renderTornado(device, kernelNanos, (System.nanoTime() - start) / 1e9);
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
                .append(String.format(Locale.ROOT, "%.0f", seconds)).append(" s (this section only). Machine: ")
                .append(Machine.describe()).append(". Device: ").append(device).append(".\n\n");
        s.append("JMH averages per forward call in milliseconds, end to end (the input and the parameters go to the ")
                .append("device and the output comes back on every call), each backend checked against the oracle in ")
                .append("setup. \"kernels\" is the device time of the tornado kernels alone from TornadoVM's profiler ")
                .append("(median of 3 calls after warm-up). With 3 measured iterations JMH's 99.9% interval is wide; the ")
                .append("calls themselves vary by about 10%. The tornado kernels read global memory only (each work-item ")
                .append("computes 4 or 8 output channels of one pixel, no local-memory tiles); the opencl kernels stage ")
                .append("tiles in local memory.\n\n");
        s.append("| config | shape | tornado (ms) | GFLOP/s | kernels (ms) | opencl (ms) | vector (ms) | tornado / opencl | ")
                .append("tornado / vector |\n|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (String c : BenchConfig.standard()) {
            Optional<Row> t = find("forwardTornado", c);
            if (t.isEmpty()) {
                continue;
            }
            BenchConfig bc = BenchConfig.of(c);
            Optional<Row> o = find("forwardOpencl", c);
            Optional<Row> v = find("forwardVector", c);
            double ms = t.get().millis();
            s.append(String.format(Locale.ROOT, "| %s | %s | %.2f ± %.2f | %.1f | %.2f | %s | %s | %s | %s |%n", c,
                    bc.shape(), ms, t.get().error(), 2 * bc.cost().totalMacs() / (ms * 1e6),
                    kernelNanos.getOrDefault(c, 0L) / 1e6,
                    o.map(r -> String.format(Locale.ROOT, "%.2f", r.millis())).orElse("-"),
                    v.map(r -> String.format(Locale.ROOT, "%.2f", r.millis())).orElse("-"),
                    o.map(r -> String.format(Locale.ROOT, "%.2f", ms / r.millis())).orElse("-"),
                    v.map(r -> String.format(Locale.ROOT, "%.2f", ms / r.millis())).orElse("-")));
        }
        return s.append('\n').append(TornadoSection.END).toString();
    }

    /**
     * Our times beside PyTorch's on the same shapes, from {@code bench/pytorch/pytorch-times.csv}
     * (written by {@code bench/pytorch/acda_torch.py bench} on the same machine kind).
     */
    /** The vector backward beside the vector forward of the same configuration (both JMH, separate forks). */
    private String backwardSection() {
        StringBuilder s = new StringBuilder();
        if (rows.stream().noneMatch(r -> r.method().equals("backwardVector"))) {
            return "";
        }
        s.append("## Backward (vector)\n\n");
        s.append("One backward per call (`AcdaBackwardBenchmark.backwardVector`: dL/dx and every parameter's gradient for a ")
                .append("random upstream gradient, self-checked against the scalar backward in setup) beside the forward above. ")
                .append("GFLOP/s counts 2 x `CostModel.backwardPerPixel` multiply-adds (the forward's intermediates recomputed, ")
                .append("then the gradients of every stage); \"of peak\" divides by the all-thread FMA peak.\n\n");
        s.append("| config | shape | backward (ms) | GFLOP/s | of peak | forward (ms) | backward / forward | MB alloc/call |\n");
        s.append("|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (String c : BenchConfig.standard()) {
            Optional<Row> b = find("backwardVector", c);
            if (b.isEmpty()) {
                continue;
            }
            BenchConfig bc = BenchConfig.of(c);
            Optional<Row> f = find("forwardVector", c);
            double gflops = 2 * bc.cost().backwardMacs() / (b.get().millis() * 1e6);
            s.append(String.format(Locale.ROOT, "| %s | %s | %.2f ± %.2f | %.1f | %.0f%% | %s | %s | %.2f |%n", c, bc.shape(),
                    b.get().millis(), b.get().error(), gflops, 100 * gflops / peakAll,
                    f.map(r -> String.format(Locale.ROOT, "%.2f", r.millis())).orElse(""),
                    f.map(r -> String.format(Locale.ROOT, "%.1fx", b.get().millis() / r.millis())).orElse(""),
                    b.get().allocBytes() / 1e6));
        }
        s.append("\nPyTorch 1.13's autograd through the reference layer on the same CPU: `bench/pytorch/acda_backward_torch.py` ")
                .append("and its CSV.\n\n");
        return s.toString();
    }

    private String pytorchComparison() {
        Path csv = Path.of("bench", "pytorch", "pytorch-times.csv");
        StringBuilder s = new StringBuilder("## Against PyTorch on the same CPU\n\n");
        List<String> lines;
        try {
            lines = Files.readAllLines(csv);
        } catch (IOException e) {
            return s.append("(no ").append(csv).append(": run `python3 bench/pytorch/acda_torch.py bench`)\n\n").toString();
        }
        s.append("PyTorch runs the same layer (same generator, same two-layer algorithm, written the way the reference ")
                .append("layer is: conv2d, batch_norm, tanh, einsum, unfold + einsum, 1x1 conv2d) and oneDNN's plain ")
                .append("convolution of the same shape. ")
                .append(lines.get(0).replace("# ", "")).append(".\n\n");
        s.append("| config | shape | PyTorch ACDA (ms) | our ACDA, vector (ms) | speed-up | oneDNN plain conv (ms) | ")
                .append("our plain conv (ms) | our ACDA / oneDNN conv |\n|---|---|---:|---:|---:|---:|---:|---:|\n");
        for (String line : lines.subList(2, lines.size())) {
            String[] f = line.split(",");
            if (f.length != 4) {
                continue;
            }
            Optional<Row> ours = find("forwardVector", f[0]);
            Optional<Row> plain = find("plainConvVector", f[0]);
            double torchAcda = Double.parseDouble(f[2]);
            double torchConv = Double.parseDouble(f[3]);
            s.append(String.format(Locale.ROOT, "| %s | %s | %.2f | %s | %s | %.2f | %s | %s |%n", f[0], f[1], torchAcda,
                    ours.map(r -> String.format(Locale.ROOT, "%.2f", r.millis())).orElse("-"),
                    ours.map(r -> String.format(Locale.ROOT, "%.1fx", torchAcda / r.millis())).orElse("-"), torchConv,
                    plain.map(r -> String.format(Locale.ROOT, "%.2f", r.millis())).orElse("-"),
                    ours.map(r -> String.format(Locale.ROOT, "%.1f", r.millis() / torchConv)).orElse("-")));
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
            default -> method;
        };
    }
}
