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
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda check}: every available backend against the oracle on one random layer. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Builds a random ACDA layer, runs every backend available here against the oracle, and prints "
                + "one row per backend: time, maximum error ratio (accepted when <= 1), max abs and relative error, verdict.",
                "Exit code 0 when every backend is within its bound, 1 otherwise."})
final class CheckCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LayerOptions layer;

    @Option(names = {"-n", "--batch"}, paramLabel = "N", description = "batch size N (default: ${DEFAULT-VALUE})")
    int batch = 1;

    @Option(names = "--height", paramLabel = "H", description = "input height H (default: ${DEFAULT-VALUE})")
    int height = 32;

    @Option(names = "--width", paramLabel = "W", description = "input width W (default: ${DEFAULT-VALUE})")
    int width = 32;

    @Option(names = "--seed", description = "seed of the random layer and input (default: ${DEFAULT-VALUE})")
    long seed = 42;

    @Option(names = "--backends", split = ",", paramLabel = "NAME",
            description = "backends to check, comma-separated (default: every backend found)")
    List<String> backends;

    @Option(names = "--repeat", paramLabel = "R",
            description = "calls per backend; the fastest is reported (default: ${DEFAULT-VALUE})")
    int repeat = 1;

    @Option(names = "--init", paramLabel = "KIND",
            description = "reference (the PyTorch layer's defaults) or randomized (every parameter random, BatchNorm "
                    + "statistics included) (default: ${DEFAULT-VALUE})")
    String init = "randomized";

    @Option(names = "--device", paramLabel = "DEVICE", description = DeviceSelection.DESCRIPTION)
    String device;

    @Override
    public Integer call() {
        try (DeviceSelection _ = DeviceSelection.apply(device)) {
            return check();
        }
    }

    private int check() {
        PrintWriter out = spec.commandLine().getOut();
        if (batch < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("--batch, --height and --width must be >= 1, got " + batch + ", " + height
                    + ", " + width);
        }
        if (repeat < 1) {
            throw new IllegalArgumentException("--repeat = " + repeat + " must be >= 1");
        }
        AcdaConfig cfg = layer.config();
        AcdaLayer l = switch (init.toLowerCase(Locale.ROOT)) {
            case "randomized" -> AcdaInit.randomized(cfg, seed);
            case "reference" -> AcdaInit.reference(cfg, seed);
            default -> throw new IllegalArgumentException("--init = '" + init + "' is not allowed: expected reference or randomized");
        };
        List<String> names = backends == null ? Backends.names() : backends;
        for (String name : names) {
            Backends.get(name).close();             // an unknown name is a usage error before any work
        }
        Tensor x = AcdaInit.input(cfg, batch, height, width, seed + 1);
        out.printf(Locale.ROOT, "acda check: %s, input [%d, %d, %d, %d], %s init, seed %d%n", cfg.summary(), batch,
                cfg.inChannels(), height, width, init, seed);
        long t0 = System.nanoTime();
        OracleResult oracle = AcdaOracle.forward(l, x);
        out.printf(Locale.ROOT, "reference: the oracle (naive per-pixel filters, double) took %.1f ms%n%n", (System.nanoTime() - t0) / 1e6);

        out.printf("%-8s %12s %12s %11s %11s  %s%n", "backend", "time", "max ratio", "max abs", "max rel", "verdict");
        boolean allAccepted = true;
        int ran = 0;
        List<String> notes = new ArrayList<>();
        for (String name : names) {
            try (AcdaBackend b = Backends.get(name)) {
                Optional<String> reason = b.unavailableReason();
                if (reason.isPresent()) {
                    out.printf("%-8s %12s %12s %11s %11s  %s%n", name, "-", "-", "-", "-", "unavailable");
                    notes.add(name + ": " + reason.get());
                    continue;
                }
                Tensor y = null;
                long best = Long.MAX_VALUE;
                for (int r = 0; r < repeat; r++) {
                    long s = System.nanoTime();
                    y = b.forward(l, x);
                    best = Math.min(best, System.nanoTime() - s);
                }
                ErrorReport rep = ErrorReport.compare(oracle, y, b.evaluation());
                allAccepted &= rep.accepted();
                ran++;
                out.printf(Locale.ROOT, "%-8s %9.1f ms %12.3g %11.3g %11.3g  %s%n", name, best / 1e6, rep.maxRatio(),
                        rep.maxAbs(), rep.maxRel(), rep.accepted() ? "ok" : "FAIL");
                if (!rep.accepted()) {
                    notes.add(name + ": " + rep.describe());
                } else {
                    notes.add(name + ": " + b.description());
                }
            }
        }
        out.println();
        notes.forEach(n -> out.println("  " + n));
        out.printf("%n%s: %d backend(s) checked, error ratio = |y - y_oracle| / (4 u n S + E), accepted when <= 1%n",
                allAccepted ? "PASS" : "FAIL", ran);
        out.flush();
        return allAccepted && ran > 0 ? AcdaCli.EXIT_OK : AcdaCli.EXIT_FAILED;
    }
}
