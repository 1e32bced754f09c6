package org.acdajvm.mutation;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.backend.VectorBackend;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The verdict's backward mutants injected into the fast paths themselves (the {@code scalar} and
 * {@code vector} backends, the latter with 1 and 2 threads), where the contract suite judges them: a
 * fault is put at the boundary of the backend's backward, into what it is given (inputs, parameters or the
 * upstream gradient in a lower precision, a wrong BatchNorm epsilon folded into the statistics, one image of
 * the batch) or into what it returns (gradients stored in bfloat16, a gradient zeroed, negated, scaled,
 * shifted or off by 1e-3 relative), and every such run must not be ACCEPTED against the oracle's backward,
 * while the unmutated run of the same backend is. Faults inside the kernels' loops (a dropped path, a wrong
 * tanh derivative, transposed taps) are shown caught on {@code Float32Acda} by
 * {@code MutationSuiteTest}; the fast paths have no mutation hooks, on purpose.
 */
class FastPathBackwardMutationTest {

    record Case(String name, AcdaConfig config, int batch, int h, int w) {
    }

    static final List<Case> CASES = List.of(
            new Case("C=12 K=5 d=2 s=2 N=2", AcdaConfig.builder(12, 6, 5).dilation(2).stride(2).build(), 2, 11, 9),
            new Case("C=6 K=3 circular N=2", AcdaConfig.builder(6, 4, 3).padding(PaddingMode.CIRCULAR).build(), 2, 7, 8),
            new Case("C=32 K=7", AcdaConfig.builder(32, 8, 7).build(), 1, 9, 9));

    /** What a mutant changes: the backend's inputs before the call, or its gradients after. */
    record Run(AcdaLayer layer, Tensor x, Tensor dy) {
    }

    /** A mutant: how it runs the backend, and where it can show at all. */
    record Mutant(String name, Function<Context, Map<String, Tensor>> run, Predicate<Case> applies) {
    }

    /** One backend and one case, for a mutant to run. */
    record Context(AcdaBackend backend, Case c, AcdaLayer layer, Tensor x, Tensor dy) {
        Map<String, Tensor> backward(Run r) {
            return backend.backward(r.layer(), r.x(), r.dy());
        }

        Map<String, Tensor> correct() {
            return backend.backward(layer, x, dy);
        }
    }

    static float bf16(float v) {
        int bits = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat((bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000);
    }

    static float tf32(float v) {
        int bits = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat((bits + 0xFFF + ((bits >>> 13) & 1)) & 0xFFFFE000);
    }

    static Tensor map(Tensor t, java.util.function.DoubleUnaryOperator f) {
        Tensor out = t.copy();
        for (int i = 0; i < out.size(); i++) {
            out.data()[i] = (float) f.applyAsDouble(out.data()[i]);
        }
        return out;
    }

    static AcdaLayer mapParams(AcdaLayer layer, Predicate<String> which, java.util.function.DoubleUnaryOperator f) {
        AcdaLayer out = layer;
        for (Map.Entry<String, Tensor> e : layer.stateDict().entrySet()) {
            if (!e.getKey().equals(AcdaLayer.BASES) && which.test(e.getKey())) {
                out = out.with(e.getKey(), map(e.getValue(), f));
            }
        }
        return out;
    }

    static Map<String, Tensor> mapGradient(Map<String, Tensor> g, String key, java.util.function.DoubleUnaryOperator f) {
        Map<String, Tensor> out = new LinkedHashMap<>(g);
        out.put(key, map(g.get(key), f));
        return out;
    }

    /** The first image of a batch. */
    static Tensor first(Tensor t) {
        int per = t.size() / t.dim(0);
        float[] d = java.util.Arrays.copyOf(t.data(), per);
        return Tensor.wrap(d, 1, t.dim(1), t.dim(2), t.dim(3));
    }

    static List<Mutant> mutants() {
        List<Mutant> m = new ArrayList<>();
        Predicate<Case> all = c -> true;
        m.add(new Mutant("input x rounded to bfloat16", k -> k.backward(new Run(k.layer(), map(k.x(), v -> bf16((float) v)), k.dy())), all));
        m.add(new Mutant("every parameter rounded to bfloat16",
                k -> k.backward(new Run(mapParams(k.layer(), key -> true, v -> bf16((float) v)), k.x(), k.dy())), all));
        m.add(new Mutant("coef rounded to bfloat16",
                k -> k.backward(new Run(mapParams(k.layer(), AcdaLayer.COEF::equals, v -> bf16((float) v)), k.x(), k.dy())), all));
        m.add(new Mutant("TF32 x and parameters", k -> k.backward(new Run(mapParams(k.layer(), key -> true, v -> tf32((float) v)),
                map(k.x(), v -> tf32((float) v)), k.dy())), all));
        m.add(new Mutant("upstream dy rounded to bfloat16", k -> k.backward(new Run(k.layer(), k.x(), map(k.dy(), v -> bf16((float) v)))), all));
        m.add(new Mutant("BatchNorm eps 1e-3 (both)", k -> k.backward(new Run(mapParams(k.layer(),
                key -> key.endsWith("running_var"), v -> v + 1e-3 - AcdaLayer.BN_EPS), k.x(), k.dy())), all));
        m.add(new Mutant("gradients stored in bfloat16", k -> {
            Map<String, Tensor> g = new LinkedHashMap<>(k.correct());
            g.replaceAll((key, t) -> map(t, v -> bf16((float) v)));
            return g;
        }, all));
        m.add(new Mutant("dx all zero", k -> mapGradient(k.correct(), AcdaOracleBackward.INPUT, v -> 0), all));
        m.add(new Mutant("dx negated", k -> mapGradient(k.correct(), AcdaOracleBackward.INPUT, v -> -v), all));
        m.add(new Mutant("dx times 3", k -> mapGradient(k.correct(), AcdaOracleBackward.INPUT, v -> 3 * v), all));
        m.add(new Mutant("dx shifted by one column", k -> {
            Map<String, Tensor> g = new LinkedHashMap<>(k.correct());
            Tensor dx = g.get(AcdaOracleBackward.INPUT).copy();
            int w = dx.dim(3);
            float[] d = dx.data();
            for (int row = 0; row < d.length / w; row++) {
                for (int col = w - 1; col > 0; col--) {
                    d[row * w + col] = d[row * w + col - 1];
                }
                d[row * w] = 0;
            }
            g.put(AcdaOracleBackward.INPUT, dx);
            return g;
        }, all));
        m.add(new Mutant("coef gradient all zero", k -> mapGradient(k.correct(), AcdaLayer.COEF, v -> 0), all));
        m.add(new Mutant("generator conv 1 weight gradient all zero", k -> mapGradient(k.correct(), AcdaLayer.CONV1_WEIGHT, v -> 0), all));
        m.add(new Mutant("BatchNorm 1 gamma gradient off by 1e-3 relative",
                k -> mapGradient(k.correct(), AcdaLayer.BN1_WEIGHT, v -> v * (1 + 1e-3)), all));
        m.add(new Mutant("bias gradient of the first image only", k -> {
            Map<String, Tensor> g = new LinkedHashMap<>(k.correct());
            g.put(AcdaLayer.BIAS, k.backward(new Run(k.layer(), first(k.x()), first(k.dy()))).get(AcdaLayer.BIAS));
            return g;
        }, c -> c.batch() > 1 && c.config().bias()));
        m.add(new Mutant("conv 1 weight gradient of the first image only", k -> {
            Map<String, Tensor> g = new LinkedHashMap<>(k.correct());
            g.put(AcdaLayer.CONV1_WEIGHT, k.backward(new Run(k.layer(), first(k.x()), first(k.dy()))).get(AcdaLayer.CONV1_WEIGHT));
            return g;
        }, c -> c.batch() > 1));
        return m;
    }

    /** The largest excess over every gradient ({@code <= 1} when all are ACCEPTED); names the worst in {@code where}. */
    static double worstExcess(AcdaOracleBackward.Gradients oracle, Map<String, Tensor> actual, StringBuilder where) {
        double worst = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : oracle.byKey().entrySet()) {
            Tensor t = actual.get(e.getKey());
            ErrorReport r = ErrorReport.compare(e.getValue().reference(Precision.FP32), ErrorReport.widen(t), t.shape(),
                    ErrorReport.Tier.TIGHT);
            double ex = r.verdict() == ErrorReport.Verdict.ACCEPTED ? Math.min(1, r.excess()) : Math.max(1.0001, r.excess());
            if (ex > worst) {
                worst = ex;
                where.setLength(0);
                where.append(e.getKey()).append(" ").append(r.verdict());
            }
        }
        return worst;
    }

    /** The fast paths, each with a short label. */
    static Map<String, AcdaBackend> fastPaths() {
        Map<String, AcdaBackend> m = new LinkedHashMap<>();
        m.put("scalar", Backends.require("scalar"));
        m.put("vector/2t", new VectorBackend(2));
        m.put("vector/1t", new VectorBackend(1));
        return m;
    }

    @Test
    void everyInjectedBackwardMutantIsCaughtOnEveryFastPath() {
        List<String> lines = new ArrayList<>();
        int caught = 0;
        int total = 0;
        double smallest = Double.POSITIVE_INFINITY;
        double largestCorrect = 0;
        for (Case c : CASES) {
            AcdaLayer layer = AcdaInit.randomized(c.config(), 41);
            Tensor x = AcdaInit.input(c.config(), c.batch(), c.h(), c.w(), 42);
            Tensor dy = AcdaInit.input(AcdaConfig.builder(c.config().outChannels(), 1, 3).build(), c.batch(),
                    c.config().outSize(c.h()), c.config().outSize(c.w()), 43);
            AcdaOracleBackward.Gradients oracle = AcdaOracleBackward.backward(layer, x, dy);
            for (Map.Entry<String, AcdaBackend> path : fastPaths().entrySet()) {
                try (AcdaBackend b = path.getValue()) {
                    String label = path.getKey();
                    Context k = new Context(b, c, layer, x, dy);
                    StringBuilder where = new StringBuilder();
                    double correct = worstExcess(oracle, k.correct(), where);
                    largestCorrect = Math.max(largestCorrect, correct);
                    assertTrue(correct <= 1, c.name() + " on " + label + ": the unmutated backward is not ACCEPTED: " + where);
                    for (Mutant mu : mutants()) {
                        if (!mu.applies().test(c)) {
                            continue;
                        }
                        double ex = worstExcess(oracle, mu.run().apply(k), where);
                        total++;
                        assertTrue(ex > 1, c.name() + " on " + label + ": mutant '" + mu.name() + "' was ACCEPTED (excess " + ex + ")");
                        caught++;
                        smallest = Math.min(smallest, ex);
                        lines.add(String.format(Locale.ROOT, "  %-22s %-9s %-48s excess %10.3g in %s", c.name(), label, mu.name(),
                                ex, where));
                    }
                }
            }
        }
        System.out.println("backward mutants injected into the fast paths:");
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "fast-path backward mutation score: %d / %d caught; smallest excess %.3g; "
                + "largest excess of the unmutated fast paths %.3g%n", caught, total, smallest, largestCorrect);
        assertTrue(total >= CASES.size() * 3 * 14, "mutant runs: " + total);
    }
}
