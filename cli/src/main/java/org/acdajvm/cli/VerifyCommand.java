package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
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
import org.acdajvm.layer.Inputs;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.OracleRunner;
import org.acdajvm.oracle.PixelSelection;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda verify}: another implementation's outputs (and gradients) against the oracle. */
@Command(name = "verify", mixinStandardHelpOptions = true,
        description = {"Checks an output produced elsewhere (the case's y.npy, or --expected FILE, float32 or float64) "
                + "against the oracle of the case's layer (case.json version 1 or 2), and every gradient in the case's gradients folder against the oracle's backward, "
                + "or checks one of our backends on the case (--backend).",
                "Verdict per tensor (DESIGN section 7): ACCEPTED within the tight bound (what float32 rounding explains, "
                        + "a correct kernel fails an element with probability below 1e-12) and its aggregate test; "
                        + "SUSPICIOUS within the rigorous worst-case bound but beyond the tight one; REJECTED beyond the "
                        + "worst-case bound. Reports give both ratios per tensor and per output channel.",
                "Exit code 0 when everything is ACCEPTED, 1 when anything is SUSPICIOUS, REJECTED or a gradient is "
                        + "missing, 2 on bad input."})
final class VerifyCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "DIR", description = "the case folder (case.json, weights, x.npy, ...)")
    Path dir;

    @Option(names = "--layer", paramLabel = "NAME",
            description = "the layer the case must be of (default: whichever its case.json names)")
    String layerName;

    @Option(names = "--expected", paramLabel = "FILE", description = "the output to check, instead of the case's own")
    Path expected;

    @Option(names = "--backend", paramLabel = "NAME", description = "check this backend's output on the case instead of a file")
    String backend;

    @Option(names = "--evaluation", paramLabel = "ORDER",
            description = "the evaluation order of the implementation checked: two-layer, per-pixel-filter or any "
                    + "(default: ${DEFAULT-VALUE}; a backend's own with --backend)")
    String evaluation = "any";

    @Option(names = "--precision", paramLabel = "P",
            description = "what the checked kernel rounded besides float32 accumulation: fp32, tf32 (product inputs), "
                    + "bf16 or fp16 (product inputs and stored intermediates) (default: ${DEFAULT-VALUE})")
    String precision = "fp32";

    @Option(names = "--bound", paramLabel = "TIER",
            description = "the tier that decides: tight (default) or worst-case (the rigorous bound alone)")
    String bound = "tight";

    @Option(names = "--allow-missing-gradients",
            description = "a gradient file missing from the gradients folder is a note, not a failure")
    boolean allowMissing;

    @Option(names = "--pixels", paramLabel = "N",
            description = "compute the oracle only at a random sample of N output pixels plus every pixel whose receptive "
                    + "field reaches a border, and judge the output there (for layers too large to compute whole; "
                    + "gradients are still computed whole; acda only)")
    Integer pixels;

    @Option(names = "--seed", paramLabel = "S", description = "seed of the --pixels sample (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--threads", paramLabel = "T",
            description = "threads for the acda oracle's forward (default: all available processors; results are "
                    + "bit-identical)")
    Integer threads;

    @Option(names = "--quiet", description = "no progress bar (it is drawn only on a terminal anyway)")
    boolean quiet;

    @Option(names = "--json", description = "print the report as one JSON object")
    boolean json;

    @Option(names = "--narrow-f64", description = "accept float64 weights and input, rounding them to float32")
    boolean narrowF64;

    record Checked(String name, ErrorReport report) {
    }

    /** Everything one verification found: the tensors checked, the gradients missing, notes. */
    record Outcome(List<Checked> checked, List<String> missing, List<String> notes, ErrorReport.Tier tier) {
        /** The overall verdict: the worst tensor's, REJECTED before SUSPICIOUS. */
        ErrorReport.Verdict verdict() {
            ErrorReport.Verdict v = ErrorReport.Verdict.ACCEPTED;
            for (Checked c : checked) {
                if (c.report().verdict().compareTo(v) > 0) {
                    v = c.report().verdict();
                }
            }
            return v;
        }

        boolean passed(boolean allowMissing) {
            return verdict() == ErrorReport.Verdict.ACCEPTED && (allowMissing || missing.isEmpty());
        }
    }

    @Override
    public Integer call() throws IOException {
        if (expected != null && backend != null) {
            throw new IllegalArgumentException("--expected and --backend exclude each other: check a file or a backend");
        }
        ErrorBounds.Evaluation order = parseEvaluation(evaluation);
        Precision prec = Precision.parse(precision, "--precision");
        ErrorReport.Tier tier = ErrorReport.Tier.parse(bound, "--bound");
        CaseFolder.Case d = CaseFolder.readCase(dir);
        if (layerName != null && !layerName.equals(d.kind().name())) {
            LayerOptions.kind(layerName);             // an unknown name says so first
            throw new IllegalArgumentException("--layer " + layerName + ": the case " + dir + " is of layer "
                    + d.kind().name());
        }
        BoundLayer<?> layer = BoundLayer.of(d.loadLayer(narrowF64));
        Inputs in = d.readInputs(narrowF64);
        layer.checkInputs(in);
        Tensor x = in.x();
        AcdaLayer acda = layer.layer() instanceof AcdaLayer a ? a : null;

        double[] candidate;
        int[] candidateShape;
        String source;
        Map<String, Tensor> backendGrads = null;
        String noBackward = null;
        if (backend != null) {
            try (AcdaBackend b = Backends.require(backend)) {
                BoundLayer.Op op = layer.requireOp(b, "--backend");
                Tensor y = op.forward(in);
                candidate = ErrorReport.widen(y);
                candidateShape = y.shape();
                order = op.evaluation();
                source = "backend " + b.description();
                if (d.upstreamPath() != null) {
                    var reason = op.backwardUnavailableReason();
                    if (reason.isPresent()) {
                        noBackward = "gradients not checked: " + reason.get();
                    } else {
                        backendGrads = op.backward(in, Npy.read(d.upstreamPath(), narrowF64));
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
        if (pixels != null && acda == null) {
            throw new IllegalArgumentException("--pixels samples the acda oracle only; the oracle of layer "
                    + layer.name() + " computes every pixel");
        }
        PixelSelection selection = pixels == null ? null
                : PixelSelection.sample(acda.config(), x.dim(0), x.dim(2), x.dim(3), pixels, seed);
        int t = threads != null ? threads : Runtime.getRuntime().availableProcessors();
        if (t < 1 || t > 1024) {
            throw new IllegalArgumentException("--threads = " + t + " is not allowed: expected 1..1024");
        }
        double fw = (acda == null ? 1 : Progress.forwardWeight(acda.config(), x.dim(0), x.dim(2), x.dim(3)))
                * (selection == null ? 1.0 : (double) selection.count() / selection.total());
        Progress progress = Progress.start(spec.commandLine().getErr(), quiet, d.gradientsPath() != null && backend == null
                ? List.of(new Progress.Stage("oracle forward", fw), new Progress.Stage("oracle backward",
                        fw * Progress.BACKWARD_PER_FORWARD)) : List.of(new Progress.Stage("oracle forward", fw)));
        Outcome outcome;
        try {
            outcome = verify(d, layer, in, candidate, candidateShape, backend == null || backendGrads != null, backendGrads,
                    order, prec, tier, narrowF64, selection, t, progress);
        } finally {
            progress.close();
        }
        if (selection != null) {
            outcome.notes().add(String.format(Locale.ROOT, "output judged at %d of %d pixels: every pixel within reach of a "
                    + "border and a random sample of %d interior ones (seed %d)", selection.count(), selection.total(),
                    pixels, seed));
        }
        if (noBackward != null) {
            outcome.notes().add(noBackward);
        }
        if (threads != null && acda == null) {
            outcome.notes().add("--threads applies to the acda oracle; that of layer " + layer.name()
                    + " ran on one thread");
        }
        boolean passed = outcome.passed(allowMissing);
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(d, layer, source, outcome, passed, prec));
        } else {
            text(out, d, layer, source, outcome, passed, prec);
        }
        out.flush();
        return passed ? AcdaCli.EXIT_OK : AcdaCli.EXIT_FAILED;
    }

    /**
     * Judges one case: the output {@code candidate} against the oracle, and, when the case has
     * gradients and {@code withGradients}, every gradient file against the oracle's backward.
     * A gradient the backward produces but the folder lacks is listed in {@link Outcome#missing};
     * a file in the folder that is no gradient of this layer is an error.
     *
     * @param gradients the gradients to check (a backend's), or {@code null} to read them from the case's folder
     * @param progress told as each stage (oracle forward, oracle backward) starts; may be null
     * @throws IllegalArgumentException for a shape mismatch or an unexpected gradient file (naming it)
     */
    static Outcome verify(CaseFolder.Case d, BoundLayer<?> layer, Inputs in, double[] candidate, int[] candidateShape,
                          boolean withGradients, Map<String, Tensor> gradients, ErrorBounds.Evaluation order, Precision prec, ErrorReport.Tier tier,
                          boolean narrowF64, PixelSelection selection, int threads, Progress progress) throws IOException {
        List<Checked> checked = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        if (progress != null) {
            progress.next();
        }
        // ACDA's oracle runs on threads and can sample pixels; every other layer's is its kind's, whole.
        OracleResult oracle = layer.layer() instanceof AcdaLayer acda
                ? OracleRunner.forward(acda, in.x(), threads, selection, null) : layer.oracleForward(in);
        checked.add(new Checked("y", ErrorReport.compare(ErrorReport.Reference.of(oracle, order, prec), candidate,
                candidateShape, tier)));
        if (d.gradientsPath() != null && withGradients) {
            Tensor dy = Npy.read(d.upstreamPath(), narrowF64);
            if (progress != null) {
                progress.next();
            }
            AcdaOracleBackward.Gradients g = layer.oracleBackward(in, dy);
            Path folder = d.gradientsPath();
            if (gradients != null) {
                for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
                    Tensor actual = gradients.get(e.getKey());
                    checked.add(new Checked("grad " + e.getKey(), ErrorReport.compare(e.getValue().reference(prec),
                            ErrorReport.widen(actual), actual.shape(), tier)));
                }
                return new Outcome(checked, missing, notes, tier);
            }
            if (!Files.isDirectory(folder)) {
                throw new IllegalArgumentException("the gradients folder " + folder + " is not a folder");
            }
            Set<String> expectedFiles = new LinkedHashSet<>();
            g.byKey().keySet().forEach(k -> expectedFiles.add(k + ".npy"));
            try (Stream<Path> s = Files.list(folder)) {
                for (Path f : s.sorted().toList()) {
                    String name = f.getFileName().toString();
                    if (!expectedFiles.contains(name)) {
                        throw new IllegalArgumentException("unexpected file " + f + " in the gradients folder: expected only "
                                + String.join(", ", expectedFiles));
                    }
                }
            }
            for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
                Path f = folder.resolve(e.getKey() + ".npy");
                if (!Files.exists(f)) {
                    missing.add(e.getKey());
                    continue;
                }
                Npy.Doubles actual = Npy.readDoubles(f);
                checked.add(new Checked("grad " + e.getKey(), ErrorReport.compare(e.getValue().reference(prec), actual.data(),
                        actual.shape(), tier)));
            }
        }
        return new Outcome(checked, missing, notes, tier);
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

    private static void text(PrintWriter out, CaseFolder.Case d, BoundLayer<?> layer, String source, Outcome o,
                             boolean passed, Precision prec) {
        out.printf("acda verify %s: %s%nchecking %s%n%n", d.folder(), layer.title(), source);
        out.printf("%-26s %-10s %11s %11s %9s %17s %10s  %-16s %15s %15s%n", "tensor", "verdict", "tight ratio",
                "worst-case", "over", "mean z^2 (limit)", "max abs", "worst at", "expected", "actual");
        for (Checked c : o.checked()) {
            ErrorReport r = c.report();
            out.printf(Locale.ROOT, "%-26s %-10s %11.3g %11.3g %9d %8.3g (%6.3g) %10.3g  %-16s %15.9g %15.9g%n", c.name(),
                    r.verdict(), r.maxRatio(), r.maxWorstRatio(), r.overTight(), r.meanSquare(), r.threshold(), r.maxAbs(),
                    r.worstIndex(), r.expected(), r.actual());
        }
        for (Checked c : o.checked()) {
            ErrorReport r = c.report();
            boolean output = c.name().equals("y");
            if (!output && r.accepted()) {
                continue;
            }
            out.printf("%nper %s (%s):%n%-8s %11s %11s %6s %9s %9s %10s%n", output ? "output channel" : "channel",
                    c.name(), "channel", "tight ratio", "worst-case", "over", "mean z^2", "limit", "max abs");
            for (int i = 0; i < r.channels().length; i++) {
                ErrorReport.Channel ch = r.channels()[i];
                out.printf(Locale.ROOT, "%-8d %11.3g %11.3g %6d %9.3g %9.3g %10.3g%s%n", i, ch.maxRatio(), ch.maxWorstRatio(),
                        ch.overTight(), ch.meanSquare(), ch.threshold(), ch.maxAbs(), ch.tightOk() ? "" : "  <-");
            }
        }
        out.println();
        for (Checked c : o.checked()) {
            if (!c.report().accepted()) {
                ErrorReport r = c.report();
                out.printf(Locale.ROOT, "%s %s: %s; worst at %s: expected %.9g, actual %.9g, tight bound %.3g, worst-case bound %.3g%n",
                        c.name(), r.verdict(), r.reason(), r.worstIndex(), r.expected(), r.actual(), r.bound(), r.worstCaseBound());
            }
        }
        if (!o.missing().isEmpty()) {
            out.println("missing gradient(s): " + String.join(", ", o.missing()) + " (expected as <key>.npy in "
                    + d.gradientsPath() + ")");
        }
        for (String n : o.notes()) {
            out.println("note: " + n);
        }
        String verdict = !o.missing().isEmpty() && o.verdict() == ErrorReport.Verdict.ACCEPTED && !passed ? "INCOMPLETE"
                : o.verdict().name();
        out.printf(Locale.ROOT, "%s: %d tensor(s) checked; %s bound (%s), tight = %.2f sigma of the float32 rounding model, "
                        + "P(correct code fails an element) < %.0e%n", verdict, o.checked().size(), o.tier().id(),
                o.checked().get(0).report().boundLabel(), ErrorBounds.LAMBDA, ErrorBounds.FAILURE_PROBABILITY);
    }

    private static String json(CaseFolder.Case d, BoundLayer<?> layer, String source, Outcome o, boolean passed,
                               Precision prec) throws IOException {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        root.put("accepted", passed);
        root.put("verdict", o.verdict().name());
        root.put("case", d.folder().toString());
        root.put("layer", layer.summary());
        root.put("layer_name", layer.name());
        root.put("checked", source);
        root.put("bound", o.tier().id());
        root.put("precision", prec.id());
        ArrayNode tensors = root.putArray("tensors");
        for (Checked c : o.checked()) {
            ErrorReport r = c.report();
            ObjectNode t = tensors.addObject();
            t.put("name", c.name());
            t.put("verdict", r.verdict().name());
            t.put("accepted", r.accepted());
            t.put("reason", r.reason());
            t.put("bound", r.boundLabel());
            putNumber(t, "max_ratio", r.maxRatio());
            putNumber(t, "max_worst_case_ratio", r.maxWorstRatio());
            putNumber(t, "excess", r.excess());
            t.put("over_tight", r.overTight());
            t.put("over_worst_case", r.overWorst());
            putNumber(t, "mean_square", r.meanSquare());
            putNumber(t, "mean_square_threshold", r.threshold());
            putNumber(t, "max_abs", r.maxAbs());
            putNumber(t, "max_rel", r.maxRel());
            ArrayNode idx = t.putArray("worst_index");
            for (String part : r.worstIndex().replaceAll("[()\\s]", "").split(",")) {
                if (!part.isEmpty()) {
                    idx.add(Integer.parseInt(part));
                }
            }
            putNumber(t, "expected", r.expected());
            putNumber(t, "actual", r.actual());
            putNumber(t, "tight_bound", r.bound());
            putNumber(t, "worst_case_bound", r.worstCaseBound());
            t.put("elements", r.elements());
            ArrayNode pc = t.putArray("per_channel");
            for (int i = 0; i < r.channels().length; i++) {
                ErrorReport.Channel ch = r.channels()[i];
                ObjectNode row = pc.addObject();
                row.put("channel", i);
                putNumber(row, "max_ratio", ch.maxRatio());
                putNumber(row, "max_worst_case_ratio", ch.maxWorstRatio());
                putNumber(row, "max_abs", ch.maxAbs());
                row.put("over_tight", ch.overTight());
                row.put("over_worst_case", ch.overWorst());
                putNumber(row, "mean_square", ch.meanSquare());
                putNumber(row, "mean_square_threshold", ch.threshold());
            }
        }
        ArrayNode miss = root.putArray("missing_gradients");
        o.missing().forEach(miss::add);
        ArrayNode n = root.putArray("notes");
        o.notes().forEach(n::add);
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
