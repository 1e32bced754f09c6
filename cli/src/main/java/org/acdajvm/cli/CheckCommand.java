package org.acdajvm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda check}: every available backend against the oracle on one random layer. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Builds a random ACDA layer, runs every backend available here against the oracle, and prints "
                + "one row per backend: time, the tight and worst-case error ratios (DESIGN section 7), the aggregate "
                + "mean z^2, max abs and relative error, verdict (ok = ACCEPTED: within what float32 rounding explains).",
                "Exit code 0 when every backend is ACCEPTED, 1 otherwise."})
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LayerOptions layer;

    @Mixin
    InputOptions input;

    @Option(names = "--backends", split = ",", paramLabel = "NAME",
            description = "backends to check, comma-separated (default: every backend found)")
    List<String> backends;

    @Option(names = "--repeat", paramLabel = "R",
            description = "calls per backend; the fastest is reported, so that JIT warm-up is not (default: ${DEFAULT-VALUE})")
    int repeat = 3;

    @Option(names = "--threads", paramLabel = "T",
            description = "threads of the multi-threaded backends (default: all available processors)")
    Integer threads;

    @Option(names = "--device", paramLabel = "DEVICE", description = DeviceSelection.DESCRIPTION)
    String device;

    @Option(names = "--precision", paramLabel = "P",
            description = "judge as kernels of this precision: fp32, tf32, bf16 or fp16 (default: ${DEFAULT-VALUE})")
    String precision = "fp32";

    @Override
    public Integer call() {
        Threads.apply(threads);
        try (DeviceSelection _ = DeviceSelection.apply(device)) {
            return check();
        }
    }

    private int check() {
        PrintWriter out = spec.commandLine().getOut();
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat = " + repeat + " must be >= 1");
        }
        Precision prec = Precision.parse(precision, "--precision");
        AcdaConfig cfg = layer.config();
        AcdaLayer l = input.layer(cfg);
        List<String> names = backends == null ? Backends.names() : backends;
        for (String name : names) {
            Backends.get(name).close();             // an unknown name is a usage error before any work
        }
        Tensor x = input.input(cfg);
        out.printf(Locale.ROOT, "acda check: %s, input %s, %s init, seed %d%n", cfg.summary(), x.shapeString(),
                input.init, input.seed);
        long t0 = System.nanoTime();
        OracleResult oracle = AcdaOracle.forward(l, x);
        out.printf(Locale.ROOT, "reference: the oracle (naive per-pixel filters, double) took %.1f ms%n%n", (System.nanoTime() - t0) / 1e6);

        out.printf("%-8s %12s %12s %11s %9s %11s %11s  %s%n", "backend", "best of " + repeat, "tight ratio", "worst-case",
                "mean z^2", "max abs", "max rel", "verdict");
        boolean allAccepted = true;
        int ran = 0;
        List<String> notes = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (String name : names) {
            try (AcdaBackend b = Backends.get(name)) {
                Optional<String> reason = b.unavailableReason();
                if (reason.isPresent()) {
                    out.printf("%-8s %12s %12s %11s %9s %11s %11s  %s%n", name, "-", "-", "-", "-", "-", "-", "unavailable");
                    notes.add(name + ": " + reason.get());
                    if (backends != null) {
                        missing.add(name);             // asked for by name: not checking it is a failure
                    }
                    continue;
                }
                Tensor y = null;
                long best = Long.MAX_VALUE;
                for (int r = 0; r < repeat; r++) {
                    long s = System.nanoTime();
                    y = b.forward(l, x);
                    best = Math.min(best, System.nanoTime() - s);
                }
                ErrorReport rep = ErrorReport.compare(oracle, y, b.evaluation(), prec);
                allAccepted &= rep.accepted();
                ran++;
                out.printf(Locale.ROOT, "%-8s %9.1f ms %12.3g %11.3g %9.3g %11.3g %11.3g  %s%n", name, best / 1e6, rep.maxRatio(),
                        rep.maxWorstRatio(), rep.meanSquare(), rep.maxAbs(), rep.maxRel(), rep.accepted() ? "ok" : rep.verdict());
                if (!rep.accepted()) {
                    notes.add(name + ": " + rep.describe());
                } else {
                    notes.add(name + ": " + b.description());
                }
            }
        }
        out.println();
        notes.forEach(n -> out.println("  " + n));
        boolean pass = allAccepted && ran > 0 && missing.isEmpty();
        out.printf(Locale.ROOT, "%n%s: %d backend(s) checked%s; tight ratio = |y - y_oracle| / (%.2f sigma), sigma from "
                        + "the float32 rounding model (%s), ok when <= 1 and mean z^2 within its limit; worst-case = |err| / "
                        + "(4 u n S + E)%n", pass ? "PASS" : "FAIL", ran, missing.isEmpty() ? "" : " (requested but unavailable: "
                        + String.join(", ", missing) + ")", ErrorBounds.LAMBDA, prec.id());
        out.flush();
        return pass ? AcdaCli.EXIT_OK : AcdaCli.EXIT_FAILED;
    }
}
