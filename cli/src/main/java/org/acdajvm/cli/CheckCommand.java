package org.acdajvm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda check}: every available backend against the oracle on one random layer. */
@Command(name = "check", mixinStandardHelpOptions = true,
        description = {"Builds a random layer (acda unless --layer), runs every backend available here that implements "
                + "it against the layer's oracle, and prints one row per backend: time, maximum error ratio (accepted "
                + "when <= 1), max abs and relative error, verdict. A backend without the layer is listed as such.",
                "Exit code 0 when every backend is within its bound, 1 otherwise."})
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

    @Option(names = "--json", description = "print the table as one JSON object instead")
    boolean json;

    @Option(names = "--precision", paramLabel = "P",
            description = "judge as kernels of this precision: fp32, tf32, bf16 or fp16 (default: ${DEFAULT-VALUE})")
    String precision = "fp32";

    /** One row of the table. */
    private record Row(String name, String reason, double bestMs, ErrorReport report, String description) {
    }

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
        if (backends != null && (backends.isEmpty() || backends.stream().anyMatch(String::isBlank))) {
            throw new CommandLine.ParameterException(spec.commandLine(), (backends.isEmpty() ? "--backends names no backend"
                    : "--backends = '" + String.join(",", backends) + "' has an empty name")
                    + ": expected a comma-separated list of " + Backends.names());
        }
        if (device != null && backends != null && !backends.contains("opencl")) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--device selects an OpenCL device, for the "
                    + "opencl backend only, which --backends " + String.join(",", backends) + " does not include");
        }
        Precision prec = Precision.parse(precision, "--precision");
        LayerKind<?> kind = layer.kind();
        BoundLayer<?> l = BoundLayer.of(input.layer(kind, layer));
        List<String> names = backends == null ? Backends.names() : backends;
        for (String name : names) {
            Backends.get(name).close();             // an unknown name is a usage error before any work
        }
        if (l.layer() instanceof AcdaLayer acda) {
            AcdaConfig cfg = acda.config();
            Memory.require(Memory.layerBytes(cfg, input.batch, input.height, input.width, false), "check with input ["
                    + input.batch + ", " + cfg.inChannels() + ", " + input.height + ", " + input.width + "]",
                    "-n/--batch, --height, --width or the channels");
        }
        Inputs in = input.inputs(l);
        if (!json) {
            out.printf(Locale.ROOT, "acda check: %s, input %s, %s init, seed %d%n", l.title(), shapes(in), input.init,
                    input.seed);
        }
        long t0 = System.nanoTime();
        OracleResult oracle = l.oracleForward(in);
        double oracleMs = (System.nanoTime() - t0) / 1e6;
        if (!json) {
            out.printf(Locale.ROOT, "reference: the oracle (naive per-pixel filters, double) took %.1f ms%n%n", oracleMs);
            out.printf("%-8s %12s %12s %11s %9s %11s %11s  %s%n", "backend", "best of " + repeat, "tight ratio",
                    "worst-case", "mean z^2", "max abs", "max rel", "verdict");
            out.flush();
        }
        boolean allAccepted = true;
        int ran = 0;
        List<Row> rows = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> withoutLayer = new ArrayList<>();
        for (String name : names) {
            try (AcdaBackend b = Backends.get(name)) {
                Optional<BoundLayer.Op> op = l.op(b);
                Optional<String> reason = op.isEmpty() ? Optional.of("does not implement layer " + kind.name())
                        : b.unavailableReason();
                if (reason.isPresent()) {
                    rows.add(new Row(name, reason.get(), Double.NaN, null, null));
                    if (!json) {
                        out.printf("%-8s %12s %12s %11s %9s %11s %11s  %s%n", name, "-", "-", "-", "-", "-", "-",
                                op.isEmpty() ? "no " + kind.name() : "unavailable");
                    }
                    if (backends != null) {
                        // asked for by name: not checking it is a failure
                        (op.isEmpty() ? withoutLayer : missing).add(name);
                    }
                    continue;
                }
                Tensor y = null;
                long best = Long.MAX_VALUE;
                for (int r = 0; r < repeat; r++) {
                    long s = System.nanoTime();
                    y = op.get().forward(in);
                    best = Math.min(best, System.nanoTime() - s);
                }
                ErrorReport rep = ErrorReport.compare(oracle, y, op.get().evaluation(), prec);
                allAccepted &= rep.accepted();
                ran++;
                rows.add(new Row(name, null, best / 1e6, rep, b.description()));
                if (!json) {
                    out.printf(Locale.ROOT, "%-8s %9.1f ms %12.3g %11.3g %9.3g %11.3g %11.3g  %s%n", name, best / 1e6,
                            rep.maxRatio(), rep.maxWorstRatio(), rep.meanSquare(), rep.maxAbs(), rep.maxRel(),
                            rep.accepted() ? "ok" : rep.verdict());
                    out.flush();
                }
            }
        }
        boolean pass = allAccepted && ran > 0 && missing.isEmpty() && withoutLayer.isEmpty();
        if (json) {
            out.println(json(l, in, oracleMs, rows, missing, withoutLayer, pass));
        } else {
            out.println();
            for (Row r : rows) {
                out.println("  " + r.name() + ": " + (r.reason() != null ? r.reason()
                        : r.report().accepted() ? r.description() : r.report().describe()));
            }
            out.printf(Locale.ROOT, "%n%s: %d backend(s) checked%s; tight ratio = |y - y_oracle| / (%.2f sigma), sigma "
                            + "from the float32 rounding model (%s), ok when <= 1 and mean z^2 within its limit; worst-case = "
                            + "|err| / (4 u n S + E)%n", pass ? "PASS" : "FAIL", ran, (missing.isEmpty() ? ""
                            : " (requested but unavailable: " + String.join(", ", missing) + ")") + (withoutLayer.isEmpty()
                            ? "" : " (requested but without layer " + kind.name() + ": " + String.join(", ", withoutLayer)
                            + ")"), ErrorBounds.LAMBDA, prec.id());
        }
        out.flush();
        return pass ? AcdaCli.EXIT_OK : AcdaCli.EXIT_FAILED;
    }

    /** The input's shape, or with several inputs each one's, for the header line. */
    static String shapes(Inputs in) {
        return in.all().size() == 1 ? in.x().shapeString() : in.toString();
    }

    private String json(BoundLayer<?> l, Inputs in, double oracleMs, List<Row> rows, List<String> missing,
                        List<String> withoutLayer, boolean pass) {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("pass", pass);
        root.put("layer", l.summary());
        root.put("layer_name", l.name());
        ArrayNode shape = root.putArray("input");
        for (int d : in.x().shape()) {
            shape.add(d);
        }
        if (in.all().size() > 1) {
            ObjectNode inputs = root.putObject("inputs");
            in.all().forEach((name, t) -> {
                ArrayNode a = inputs.putArray(name);
                for (int d : t.shape()) {
                    a.add(d);
                }
            });
        }
        root.put("init", input.init);
        root.put("seed", input.seed);
        root.put("repeat", repeat);
        root.put("oracle_ms", oracleMs);
        ArrayNode list = root.putArray("backends");
        for (Row r : rows) {
            ObjectNode b = list.addObject();
            b.put("name", r.name());
            b.put("available", r.reason() == null);
            if (r.reason() != null) {
                b.put("reason", r.reason());
                continue;
            }
            b.put("description", r.description());
            b.put("best_ms", r.bestMs());
            b.put("verdict", r.report().verdict().name());
            putNumber(b, "max_ratio", r.report().maxRatio());
            putNumber(b, "max_worst_case_ratio", r.report().maxWorstRatio());
            putNumber(b, "mean_square", r.report().meanSquare());
            putNumber(b, "mean_square_threshold", r.report().threshold());
            putNumber(b, "max_abs", r.report().maxAbs());
            putNumber(b, "max_rel", r.report().maxRel());
            b.put("accepted", r.report().accepted());
            if (!r.report().accepted()) {
                b.put("report", r.report().describe());
            }
        }
        ArrayNode miss = root.putArray("requested_but_unavailable");
        missing.forEach(miss::add);
        ArrayNode lacking = root.putArray("requested_without_layer");
        withoutLayer.forEach(lacking::add);
        root.put("bound", "error ratio = |y - y_oracle| / (4 u n S + E), accepted when <= 1");
        try {
            return m.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** JSON has no infinity or NaN: non-finite numbers are written as strings. */
    private static void putNumber(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.put(key, Double.toString(v));
        }
    }
}
