package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda verify}: another implementation's outputs (and gradients) against the oracle. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks an output produced elsewhere (the case's y.npy, or --expected FILE, float32 or float64) "
                + "against the oracle, and the gradients in the case's gradients folder against the oracle's backward, "
                + "or checks one of our backends on the case (--backend).",
                "Per tensor it reports the error ratio |err| / bound (accepted when <= 1, DESIGN section 7), max abs and "
                        + "relative error and the worst element with both values; for the output also one row per "
                        + "output channel. Exit code 0 when everything is accepted, 1 when not, 2 on bad input."})
final class VerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "the case folder (case.json, weights, x.npy, ...)")
    Path dir;

    @Option(names = "--expected", paramLabel = "FILE", description = "the output to check, instead of the case's own")
    Path expected;

    @Option(names = "--backend", paramLabel = "NAME", description = "check this backend's output on the case instead of a file")
    String backend;

    @Option(names = "--evaluation", paramLabel = "ORDER",
            description = "the evaluation order of the implementation checked, which fixes the bound's chain length: "
                    + "two-layer, per-pixel-filter or any (default: ${DEFAULT-VALUE}; a backend's own with --backend)")
    String evaluation = "any";

    @Option(names = "--json", description = "print the report as one JSON object")
    boolean json;

    @Option(names = "--narrow-f64", description = "accept float64 weights and input, rounding them to float32")
    boolean narrowF64;

    record Checked(String name, ErrorReport report, double[][] perChannel) {
    }

    @Override
    public Integer call() throws IOException {
        if (expected != null && backend != null) {
            throw new IllegalArgumentException("--expected and --backend exclude each other: check a file or a backend");
        }
        CaseFolder.Description d = CaseFolder.read(dir);
        AcdaLayer layer = CaseFolder.loadLayer(d, narrowF64);
        Tensor x = Npy.read(d.inputPath(), narrowF64);
        AcdaShapes.checkInput(layer.config(), x);
        ErrorBounds.Evaluation order = parseEvaluation(evaluation);

        List<Checked> checked = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        OracleResult oracle = AcdaOracle.forward(layer, x);
        double[] candidate;
        int[] candidateShape;
        String source;
        Map<String, Tensor> backendGrads = null;
        if (backend != null) {
            try (AcdaBackend b = Backends.require(backend)) {
                Tensor y = b.forward(layer, x);
                candidate = ErrorReport.widen(y);
                candidateShape = y.shape();
                order = b.evaluation();
                source = "backend " + b.description();
                if (d.upstreamPath() != null) {
                    var reason = b.backwardUnavailableReason();
                    if (reason.isPresent()) {
                        notes.add("gradients not checked: " + reason.get());
                    } else {
                        backendGrads = b.backward(layer, x, Npy.read(d.upstreamPath(), narrowF64));
                    }
                }
            }
        } else {
            Path file = expected != null ? expected : d.expectedPath();
            if (file == null) {
                throw new IllegalArgumentException("the case names no expected output: give --expected FILE or --backend NAME");
            }
            Npy.Doubles y = Npy.readDoubles(file);
            candidate = y.data();
            candidateShape = y.shape();
            source = file.toString();
        }
        String label = order.name().toLowerCase(Locale.ROOT).replace('_', '-');
        double[] bound = ErrorReport.bounds(oracle, order);
        checked.add(new Checked("y", ErrorReport.compare(oracle.shape(), oracle.y(), bound, candidate, candidateShape, label),
                ErrorReport.perIndex(oracle.shape(), oracle.y(), bound, candidate, 1)));

        if (d.gradientsPath() != null && (backend == null || backendGrads != null)) {
            Tensor dy = Npy.read(d.upstreamPath(), narrowF64);
            AcdaOracleBackward.Gradients g = AcdaOracleBackward.backward(layer, x, dy);
            int found = 0;
            for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
                Path f = d.gradientsPath().resolve(e.getKey() + ".npy");
                if (backendGrads == null && !Files.exists(f)) {
                    notes.add("no " + f + ": gradient of " + e.getKey() + " not checked");
                    continue;
                }
                found++;
                AcdaOracleBackward.Gradient gr = e.getValue();
                Npy.Doubles actual = backendGrads != null
                        ? new Npy.Doubles(backendGrads.get(e.getKey()).shape(), ErrorReport.widen(backendGrads.get(e.getKey())))
                        : Npy.readDoubles(f);
                double[] gb = new double[gr.value().length];
                for (int i = 0; i < gb.length; i++) {
                    gb[i] = gr.bound(i, g.chainLength());
                }
                checked.add(new Checked("grad " + e.getKey(), ErrorReport.compare(gr.shape(), gr.value(), gb,
                        actual.data(), actual.shape(), "gradient, n = " + g.chainLength()), null));
            }
            if (found == 0) {
                throw new IllegalArgumentException(d.gradientsPath() + " holds none of the expected gradient files "
                        + g.byKey().keySet() + " (as <key>.npy)");
            }
        }

        boolean accepted = checked.stream().allMatch(c -> c.report().accepted());
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(d, source, checked, notes, accepted));
        } else {
            text(out, d, source, checked, notes, accepted);
        }
        out.flush();
        return accepted ? AcdaCli.EXIT_OK : AcdaCli.EXIT_FAILED;
    }

    static ErrorBounds.Evaluation parseEvaluation(String s) {
        for (ErrorBounds.Evaluation e : ErrorBounds.Evaluation.values()) {
            if (e.name().toLowerCase(Locale.ROOT).replace('_', '-').equals(s.toLowerCase(Locale.ROOT))) {
                return e;
            }
        }
        throw new IllegalArgumentException("--evaluation = '" + s + "' is not allowed: expected two-layer, "
                + "per-pixel-filter or any");
    }

    private static void text(PrintWriter out, CaseFolder.Description d, String source, List<Checked> checked,
                             List<String> notes, boolean accepted) {
        out.printf("acda verify %s: %s%nchecking %s%n%n", d.folder(), d.config().summary(), source);
        out.printf("%-28s %-9s %11s %11s %11s  %-18s %16s %16s%n", "tensor", "verdict", "max ratio", "max abs", "max rel",
                "worst at", "expected", "actual");
        for (Checked c : checked) {
            ErrorReport r = c.report();
            out.printf(Locale.ROOT, "%-28s %-9s %11.3g %11.3g %11.3g  %-18s %16.9g %16.9g%n", c.name(),
                    r.accepted() ? "ok" : "REJECTED", r.maxRatio(), r.maxAbs(), r.maxRel(), r.worstIndex(), r.expected(),
                    r.actual());
        }
        Checked y = checked.get(0);
        out.printf("%nper output channel (y):%n%-8s %11s %11s %8s%n", "channel", "max ratio", "max abs", "over");
        for (int o = 0; o < y.perChannel().length; o++) {
            double[] row = y.perChannel()[o];
            out.printf(Locale.ROOT, "%-8d %11.3g %11.3g %8d%n", o, row[0], row[1], (long) row[2]);
        }
        for (String n : notes) {
            out.println("note: " + n);
        }
        out.printf("%n%s: %d tensor(s) checked; error ratio = |err| / (4 u n S + E), accepted when <= 1 (%s)%n",
                accepted ? "ACCEPTED" : "REJECTED", checked.size(), y.report().boundLabel());
    }

    private static String json(CaseFolder.Description d, String source, List<Checked> checked, List<String> notes,
                               boolean accepted) throws IOException {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("accepted", accepted);
        root.put("case", d.folder().toString());
        root.put("layer", d.config().summary());
        root.put("checked", source);
        ArrayNode tensors = root.putArray("tensors");
        for (Checked c : checked) {
            ErrorReport r = c.report();
            ObjectNode t = tensors.addObject();
            t.put("name", c.name());
            t.put("accepted", r.accepted());
            t.put("bound", r.boundLabel());
            putNumber(t, "max_ratio", r.maxRatio());
            putNumber(t, "max_abs", r.maxAbs());
            putNumber(t, "max_rel", r.maxRel());
            ArrayNode idx = t.putArray("worst_index");
            String[] parts = r.worstIndex().replaceAll("[()\\s]", "").split(",");
            for (String part : parts) {
                if (!part.isEmpty()) {
                    idx.add(Integer.parseInt(part));
                }
            }
            putNumber(t, "expected", r.expected());
            putNumber(t, "actual", r.actual());
            putNumber(t, "worst_bound", r.bound());
            t.put("elements", r.elements());
            t.put("rejected", r.rejected());
            if (c.perChannel() != null) {
                ArrayNode pc = t.putArray("per_channel");
                for (int o = 0; o < c.perChannel().length; o++) {
                    ObjectNode row = pc.addObject();
                    row.put("channel", o);
                    putNumber(row, "max_ratio", c.perChannel()[o][0]);
                    putNumber(row, "max_abs", c.perChannel()[o][1]);
                    row.put("rejected", (long) c.perChannel()[o][2]);
                }
            }
        }
        ArrayNode n = root.putArray("notes");
        notes.forEach(n::add);
        return m.writeValueAsString(root);
    }

    /** JSON has no infinity: non-finite numbers are written as strings. */
    private static void putNumber(ObjectNode o, String key, double v) {
        if (Double.isFinite(v)) {
            o.put(key, v);
        } else {
            o.put(key, Double.toString(v));
        }
    }
}
