package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.backend.VectorBackend;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The verdict's mutation score (DESIGN section 7): plausible bugs and precision shortcuts, one at a
 * time, in a float32 implementation ({@link Float32Acda}) across the generator, BatchNorm, tanh,
 * atoms, atom convolution, coefficient convolution, bias, padding, dilation, a single wrong
 * element, reduced-precision storage of each intermediate, and for the backward each gradient.
 * Every mutant must not be ACCEPTED (judged with {@code --evaluation any}, as {@code acda verify}
 * judges by default); correct implementations in the same runs must be. The score is printed.
 * Mutants whose effect can be genuinely below float32 rounding are listed in {@link #MAY_HIDE} with
 * the reason, and count as caught only when they are.
 */
class MutationSuiteTest {

    /** A layer the suite runs on. */
    record Layer(String name, AcdaConfig config, int batch, int h, int w, boolean positive) {
    }

    static final List<Layer> LAYERS = List.of(
            new Layer("C=64 K=7", AcdaConfig.builder(64, 8, 7).build(), 1, 9, 9, false),
            new Layer("C=12 K=5 d=2 s=2 N=2 relu", AcdaConfig.builder(12, 6, 5).dilation(2).stride(2).build(), 2, 11, 9, true),
            new Layer("C=6 K=3 circular", AcdaConfig.builder(6, 4, 3).padding(PaddingMode.CIRCULAR).build(), 1, 7, 8, false));

    /** A forward mutant: what it sets on the implementation, and where it can show at all. */
    record Mutant(String name, Consumer<Float32Acda> set, Predicate<Layer> applies) {
        Mutant(String name, Consumer<Float32Acda> set) {
            this(name, set, l -> true);
        }
    }

    /** Mutants that may be below float32 rounding on some layer, with the reason. */
    static final Map<String, String> MAY_HIDE = Map.of(
            "BatchNorm eps 0 instead of 1e-5", "with running variances of 0.25 to 2 the scale changes by 2.5e-6 to 2e-5 "
                    + "relative, tens of ulps, which the aggregate test sees on wide layers but may not on narrow ones");

    static List<Mutant> forwardMutants() {
        List<Mutant> m = new ArrayList<>();
        m.add(new Mutant("input x rounded to bfloat16", f -> f.input = Float32Acda.BF16));
        m.add(new Mutant("input x rounded to fp16", f -> f.input = Float32Acda.FP16));
        m.add(new Mutant("coef kept in bfloat16", f -> f.coefR = Float32Acda.BF16));
        m.add(new Mutant("generator weights in bfloat16", f -> f.weightsR = Float32Acda.BF16));
        m.add(new Mutant("bases Psi in fp16", f -> f.basesR = Float32Acda.FP16));
        m.add(new Mutant("TF32 inputs to every product", f -> f.productInputs = Float32Acda.TF32));
        m.add(new Mutant("generator output G stored in fp16", f -> f.storeG = Float32Acda.FP16));
        m.add(new Mutant("atoms D stored in fp16", f -> f.storeD = Float32Acda.FP16));
        m.add(new Mutant("Z stored in fp16", f -> f.storeZ = Float32Acda.FP16));
        m.add(new Mutant("generator activation e1 stored in bfloat16", f -> f.storeE1 = Float32Acda.BF16));
        m.add(new Mutant("output stored in bfloat16", f -> f.storeY = Float32Acda.BF16));
        m.add(new Mutant("accumulation in fp16", f -> f.accumulate = Float32Acda.FP16));
        m.add(new Mutant("tanh computed to fp16 precision", f -> f.tanhR = Float32Acda.FP16));
        m.add(new Mutant("BatchNorm eps 1e-3 (both)", f -> {
            f.bnEps1 = 1e-3;
            f.bnEps2 = 1e-3;
        }));
        m.add(new Mutant("BatchNorm 2 eps 1e-3", f -> f.bnEps2 = 1e-3));
        m.add(new Mutant("BatchNorm eps 0 instead of 1e-5", f -> {
            f.bnEps1 = 0;
            f.bnEps2 = 0;
        }));
        m.add(new Mutant("output bias dropped", f -> f.dropBias = true, l -> l.config().bias()));
        m.add(new Mutant("replicate padding in the atom convolution", f -> f.replicateBorder = true,
                l -> l.config().padding() == PaddingMode.ZEROS));
        m.add(new Mutant("generator conv 2 replicates at the border", f -> f.generatorPaddingReplicate = true,
                l -> l.config().padding() == PaddingMode.ZEROS));
        m.add(new Mutant("dilation ignored in the atom convolution", f -> f.ignoreDilation = true,
                l -> l.config().dilation() > 1));
        m.add(new Mutant("last basis dropped from the atoms", f -> f.dropBasis = 0));
        m.add(new Mutant("channel tile of 4 drops the tail", f -> f.channelTile = 4, l -> l.config().inChannels() % 4 != 0));
        m.add(new Mutant("one output element off by 1e-3 max|y|", f -> f.badDelta = 1e-3));
        m.add(new Mutant("one output element off by 1e-5 max|y|", f -> f.badDelta = 1e-5));
        return m;
    }

    /** A backward mutant: set on the implementation, or applied to its correct gradients afterwards. */
    record BackMutant(String name, Consumer<Float32Acda> set, UnaryOperator<Map<String, Tensor>> after, Predicate<Layer> applies) {
    }

    static List<BackMutant> backwardMutants() {
        List<BackMutant> m = new ArrayList<>();
        m.add(set("dx without the path through the generator", f -> f.noGeneratorPath = true));
        m.add(set("dx without the direct path", f -> f.noDirectPath = true));
        m.add(set("tanh' taken as 1 - G", f -> f.wrongTanhDerivative = true));
        m.add(set("BatchNorm gamma's gradient not divided by sigma", f -> f.gammaUncentred = true));
        m.add(set("conv 2 weight gradient with taps transposed", f -> f.transposeW2Grad = true));
        m.add(set("dx shifted by one column", f -> f.dxShift = true));
        m.add(new BackMutant("bias gradient of the first image only", f -> f.dbiasFirstImageOnly = true, g -> g,
                l -> l.batch() > 1 && l.config().bias()));
        m.add(new BackMutant("conv 2 backward skips the border taps", f -> f.de1SkipBorderTaps = true, g -> g,
                l -> l.config().padding() == PaddingMode.ZEROS));
        m.add(set("dZ stored in bfloat16", f -> f.storeDZ = Float32Acda.BF16));
        m.add(set("dG stored in fp16", f -> f.storeDG = Float32Acda.FP16));
        m.add(set("backward BatchNorm eps 1e-3", f -> f.bnEpsBackward = 1e-3));
        m.add(set("backward with TF32 products", f -> f.productInputs = Float32Acda.TF32));
        m.add(set("backward accumulating in fp16", f -> f.accumulate = Float32Acda.FP16));
        m.add(after("dx all zero", g -> scaled(g, AcdaOracleBackward.INPUT, 0)));
        m.add(after("dx negated", g -> scaled(g, AcdaOracleBackward.INPUT, -1)));
        m.add(after("dx times 3", g -> scaled(g, AcdaOracleBackward.INPUT, 3)));
        m.add(after("coef gradient all zero", g -> scaled(g, AcdaLayer.COEF, 0)));
        m.add(after("generator conv 1 weight gradient all zero", g -> scaled(g, AcdaLayer.CONV1_WEIGHT, 0)));
        m.add(after("BatchNorm 1 gamma gradient off by 1e-3 relative", g -> scaled(g, AcdaLayer.BN1_WEIGHT, 1 + 1e-3)));
        return m;
    }

    private static BackMutant set(String name, Consumer<Float32Acda> s) {
        return new BackMutant(name, s, g -> g, l -> true);
    }

    private static BackMutant after(String name, UnaryOperator<Map<String, Tensor>> a) {
        return new BackMutant(name, f -> { }, a, l -> true);
    }

    private static Map<String, Tensor> scaled(Map<String, Tensor> g, String key, double factor) {
        Map<String, Tensor> out = new LinkedHashMap<>(g);
        Tensor t = g.get(key).copy();
        for (int i = 0; i < t.size(); i++) {
            t.data()[i] = (float) (t.data()[i] * factor);
        }
        out.put(key, t);
        return out;
    }

    static Tensor input(Layer l, long seed) {
        Tensor x = AcdaInit.input(l.config(), l.batch(), l.h(), l.w(), seed);
        if (l.positive()) {
            for (int i = 0; i < x.size(); i++) {
                x.data()[i] = Math.abs(x.data()[i]);
            }
        }
        return x;
    }

    static double maxAbs(OracleResult o) {
        double m = 0;
        for (double v : o.y()) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Test
    void everyForwardMutantIsCaughtAndCorrectCodeIsAccepted() {
        int caught = 0;
        int total = 0;
        double smallestMutant = Double.POSITIVE_INFINITY;
        double largestCorrect = 0;
        List<String> lines = new ArrayList<>();
        for (Layer l : LAYERS) {
            AcdaLayer layer = AcdaInit.randomized(l.config(), 21);
            Tensor x = input(l, 22);
            OracleResult oracle = AcdaOracle.forward(layer, x);
            // Correct implementations first: every order of Float32Acda, and every backend found here.
            for (Float32Acda.Order order : Float32Acda.Order.values()) {
                Float32Acda ok = new Float32Acda();
                ok.order = order;
                ok.fma = order == Float32Acda.Order.LANES;
                ErrorReport r = ErrorReport.compare(oracle, ok.forward(layer, x), ErrorBounds.Evaluation.ANY);
                assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), l.name() + " correct " + order + ": " + r.describe());
                largestCorrect = Math.max(largestCorrect, r.excess());
            }
            for (AcdaBackend b : correctBackends()) {
                try (b) {
                    ErrorReport r = ErrorReport.compare(oracle, b.forward(layer, x), ErrorBounds.Evaluation.ANY);
                    assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), l.name() + " backend " + b.description() + ": " + r.describe());
                    largestCorrect = Math.max(largestCorrect, r.excess());
                }
            }
            ErrorReport own = ErrorReport.compare(oracle, oracle.toTensor(), ErrorBounds.Evaluation.ANY);
            assertEquals(ErrorReport.Verdict.ACCEPTED, own.verdict(), "the oracle rounded to float32");

            for (Mutant mu : forwardMutants()) {
                if (!mu.applies().test(l)) {
                    continue;
                }
                Float32Acda f = new Float32Acda();
                mu.set().accept(f);
                if (f.badDelta != 0) {
                    f.badElement = oracle.size() / 2 + 1;
                    f.badDelta *= maxAbs(oracle);
                }
                ErrorReport r = ErrorReport.compare(oracle, f.forward(layer, x), ErrorBounds.Evaluation.ANY);
                total++;
                boolean isCaught = r.verdict() != ErrorReport.Verdict.ACCEPTED;
                if (isCaught) {
                    caught++;
                    smallestMutant = Math.min(smallestMutant, r.excess());
                } else {
                    assertTrue(MAY_HIDE.containsKey(mu.name()), l.name() + ": mutant '" + mu.name() + "' was ACCEPTED: "
                            + r.describe());
                }
                lines.add(String.format(Locale.ROOT, "  %-26s %-46s %-10s excess %10.3g  worst-case ratio %10.3g", l.name(),
                        mu.name(), r.verdict(), r.excess(), r.maxWorstRatio()));
            }
        }
        System.out.println("mutation suite, forward:");
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "forward mutation score: %d / %d caught; smallest excess of a caught mutant %.3g, "
                + "largest excess of correct code %.3g%n", caught, total, smallestMutant, largestCorrect);
        assertTrue(forwardMutants().size() >= 20);
        assertTrue(caught >= total - LAYERS.size() * MAY_HIDE.size(), "caught " + caught + " of " + total);
    }

    @Test
    void everyBackwardMutantIsCaughtAndCorrectCodeIsAccepted() {
        int caught = 0;
        int total = 0;
        double smallestMutant = Double.POSITIVE_INFINITY;
        double largestCorrect = 0;
        List<String> lines = new ArrayList<>();
        for (Layer l : LAYERS.subList(1, 3)) {
            AcdaLayer layer = AcdaInit.randomized(l.config(), 31);
            Tensor x = input(l, 32);
            OracleResult oracle = AcdaOracle.forward(layer, x);
            Tensor dy = AcdaInit.input(AcdaConfig.builder(oracle.shape()[1], 1, 3).build(), oracle.shape()[0],
                    oracle.shape()[2], oracle.shape()[3], 33);
            AcdaOracleBackward.Gradients grads = AcdaOracleBackward.backward(layer, x, dy);
            Map<String, Tensor> correct = new Float32Acda().backward(layer, x, dy);
            largestCorrect = Math.max(largestCorrect, worstExcess(grads, correct, null));
            Float32Acda pairwise = new Float32Acda();
            pairwise.order = Float32Acda.Order.PAIRWISE;
            pairwise.fma = true;
            largestCorrect = Math.max(largestCorrect, worstExcess(grads, pairwise.backward(layer, x, dy), null));
            Map<String, Tensor> rounded = new LinkedHashMap<>();
            grads.byKey().forEach((k, g) -> rounded.put(k, g.toTensor()));
            largestCorrect = Math.max(largestCorrect, worstExcess(grads, rounded, null));
            for (AcdaBackend b : correctBackends()) {
                try (b) {
                    if (b.backwardUnavailableReason().isEmpty()) {
                        largestCorrect = Math.max(largestCorrect, worstExcess(grads, b.backward(layer, x, dy), null));
                    }
                }
            }
            assertTrue(largestCorrect <= 1, l.name() + ": correct gradients not accepted, excess " + largestCorrect);

            for (BackMutant mu : backwardMutants()) {
                if (!mu.applies().test(l)) {
                    continue;
                }
                Float32Acda f = new Float32Acda();
                mu.set().accept(f);
                Map<String, Tensor> g = mu.after().apply(f.backward(layer, x, dy));
                StringBuilder where = new StringBuilder();
                double excess = worstExcess(grads, g, where);
                total++;
                if (excess > 1) {
                    caught++;
                    smallestMutant = Math.min(smallestMutant, excess);
                } else {
                    throw new AssertionError(l.name() + ": backward mutant '" + mu.name() + "' was ACCEPTED (excess " + excess + ")");
                }
                lines.add(String.format(Locale.ROOT, "  %-26s %-50s excess %10.3g in %s", l.name(), mu.name(), excess, where));
            }
        }
        System.out.println("mutation suite, backward:");
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "backward mutation score: %d / %d caught; smallest excess of a caught mutant %.3g, "
                + "largest excess of correct code %.3g%n", caught, total, smallestMutant, largestCorrect);
        assertTrue(backwardMutants().size() >= 15);
    }

    /** The largest {@link ErrorReport#excess()} over every gradient; names the worst tensor in {@code where}. */
    private static double worstExcess(AcdaOracleBackward.Gradients grads, Map<String, Tensor> actual, StringBuilder where) {
        double worst = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : grads.byKey().entrySet()) {
            Tensor t = actual.get(e.getKey());
            ErrorReport r = ErrorReport.compare(e.getValue().reference(Precision.FP32), ErrorReport.widen(t), t.shape(),
                    ErrorReport.Tier.TIGHT);
            double ex = r.verdict() == ErrorReport.Verdict.ACCEPTED ? Math.min(1, r.excess()) : Math.max(1.0001, r.excess());
            if (ex > worst) {
                worst = ex;
                if (where != null) {
                    where.setLength(0);
                    where.append(e.getKey()).append(" (").append(r.verdict()).append(')');
                }
            }
        }
        return worst;
    }

    /** The float32 backends that can run here, the vector one with 1 and 2 threads. */
    static List<AcdaBackend> correctBackends() {
        List<AcdaBackend> out = new ArrayList<>();
        for (AcdaBackend b : Backends.all()) {
            if (b.unavailableReason().isPresent() || b.name().equals("oracle")) {
                b.close();
                continue;
            }
            out.add(b);
        }
        out.add(new VectorBackend(1));
        return out;
    }

    /**
     * Precision modes: a kernel of a stated precision (TF32 product inputs; bf16 or fp16 product
     * inputs and storage of every intermediate) is ACCEPTED under its own mode, forward and backward,
     * and not under fp32.
     */
    @Test
    void aKernelOfEachPrecisionIsAcceptedUnderItsOwnModeOnly() {
        Map<Precision, Float32Acda.Rounding> modes = new LinkedHashMap<>();
        modes.put(Precision.TF32, Float32Acda.TF32);
        modes.put(Precision.BF16, Float32Acda.BF16);
        modes.put(Precision.FP16, Float32Acda.FP16);
        List<String> lines = new ArrayList<>();
        for (Layer l : List.of(LAYERS.get(0), LAYERS.get(1))) {
            AcdaLayer layer = AcdaInit.randomized(l.config(), 51);
            Tensor x = input(l, 52);
            OracleResult oracle = AcdaOracle.forward(layer, x);
            Tensor dy = AcdaInit.input(AcdaConfig.builder(oracle.shape()[1], 1, 3).build(), oracle.shape()[0],
                    oracle.shape()[2], oracle.shape()[3], 53);
            AcdaOracleBackward.Gradients grads = l.config().inChannels() <= 16 ? AcdaOracleBackward.backward(layer, x, dy) : null;
            for (Map.Entry<Precision, Float32Acda.Rounding> e : modes.entrySet()) {
                Float32Acda f = new Float32Acda();
                f.productInputs = e.getValue();
                if (e.getKey() != Precision.TF32) {
                    f.storeG = f.storeD = f.storeZ = f.storeE1 = f.storeY = e.getValue();
                }
                Tensor y = f.forward(layer, x);
                ErrorReport own = ErrorReport.compare(oracle, y, ErrorBounds.Evaluation.ANY, e.getKey());
                ErrorReport fp32 = ErrorReport.compare(oracle, y, ErrorBounds.Evaluation.ANY, Precision.FP32);
                assertEquals(ErrorReport.Verdict.ACCEPTED, own.verdict(), l.name() + " " + e.getKey() + " kernel: " + own.describe());
                assertTrue(fp32.verdict() != ErrorReport.Verdict.ACCEPTED, l.name() + " " + e.getKey() + " kernel accepted as fp32");
                String line = String.format(Locale.ROOT, "  %-26s %-5s kernel: under its own mode %s (excess %.3g), under fp32 %s (excess %.3g)",
                        l.name(), e.getKey().id(), own.verdict(), own.excess(), fp32.verdict(), fp32.excess());
                if (grads != null) {
                    Map<String, Tensor> g = f.backward(layer, x, dy);
                    double worstOwn = 0;
                    double worstFp32 = 0;
                    for (Map.Entry<String, AcdaOracleBackward.Gradient> ge : grads.byKey().entrySet()) {
                        Tensor t = g.get(ge.getKey());
                        ErrorReport ro = ErrorReport.compare(ge.getValue().reference(e.getKey()), ErrorReport.widen(t), t.shape(),
                                ErrorReport.Tier.TIGHT);
                        assertEquals(ErrorReport.Verdict.ACCEPTED, ro.verdict(), l.name() + " " + e.getKey() + " grad " + ge.getKey()
                                + ": " + ro.describe());
                        ErrorReport rf = ErrorReport.compare(ge.getValue().reference(Precision.FP32), ErrorReport.widen(t), t.shape(),
                                ErrorReport.Tier.TIGHT);
                        worstOwn = Math.max(worstOwn, ro.excess());
                        worstFp32 = Math.max(worstFp32, rf.excess());
                    }
                    assertTrue(worstFp32 > 1, l.name() + " " + e.getKey() + " backward accepted as fp32");
                    line += String.format(Locale.ROOT, "; backward: own mode excess %.3g, fp32 excess %.3g", worstOwn, worstFp32);
                }
                lines.add(line);
            }
        }
        System.out.println("precision modes:");
        lines.forEach(System.out::println);
    }

    /**
     * Correct float32 code over random shapes, magnitudes and inputs (wide layers, long sums, all-positive,
     * constant, tiny and huge inputs) is ACCEPTED, while a precision shortcut on the same case is not, unless the
     * shortcut cannot show: inputs and weights exact in bfloat16, or outputs that are almost all bias
     * ({@link #almostAllBias}).
     */
    @Property(tries = 12)
    void correctCodeIsAcceptedAndBf16IsNotOnRandomShapes(@ForAll @IntRange(min = 1, max = 96) int channels,
                                                          @ForAll @IntRange(min = 0, max = 2) int halfK,
                                                          @ForAll @IntRange(min = 0, max = 3) int inputKind,
                                                          @ForAll @IntRange(min = -12, max = 12) int log2Scale,
                                                          @ForAll @IntRange(min = 1, max = 2) int stride) {
        int k = 2 * halfK + 3;
        AcdaConfig cfg = AcdaConfig.builder(channels, 3, k).stride(stride).build();
        Layer l = new Layer("random", cfg, 1, 6, 5, inputKind == 1);
        AcdaLayer layer = AcdaInit.randomized(cfg, channels * 7L + k);
        Tensor x = input(l, 41 + channels);
        float scale = (float) Math.scalb(1.0, log2Scale);
        for (int i = 0; i < x.size(); i++) {
            x.data()[i] = inputKind == 2 ? scale : x.data()[i] * scale;
        }
        OracleResult oracle = AcdaOracle.forward(layer, x);
        for (AcdaBackend b : correctBackends()) {
            try (b) {
                ErrorReport r = ErrorReport.compare(oracle, b.forward(layer, x), ErrorBounds.Evaluation.ANY);
                assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), b.name() + " on " + cfg.summary() + ": " + r.describe());
            }
        }
        Float32Acda bf = new Float32Acda();
        bf.input = Float32Acda.BF16;
        bf.coefR = Float32Acda.BF16;
        Tensor y = bf.forward(layer, x);
        ErrorReport r = ErrorReport.compare(oracle, y, ErrorBounds.Evaluation.ANY);
        boolean exactInBf16 = inputKind == 2 && Set.of(Float32Acda.bf16(scale)).contains(scale) && bf16Exact(layer);
        if (!exactInBf16 && !almostAllBias(layer, oracle)) {
            assertTrue(r.verdict() != ErrorReport.Verdict.ACCEPTED, "bfloat16 inputs accepted on " + cfg.summary() + ": " + r.describe());
        }
    }

    /** The random try that found {@link #almostAllBias}'s limit, kept as a fixed case. */
    @Test
    void bf16OnOutputsThatAreAlmostAllBias() {
        correctCodeIsAcceptedAndBf16IsNotOnRandomShapes(88, 2, 1, -12, 2);
    }

    /**
     * Whether every output is almost all bias: {@code max |y - b| < max |b| / 32}. Under {@code --evaluation any} a
     * correct kernel may start each sum from the bias and carry it through the whole chain, a rounding of about
     * {@code u |b|} at each of {@code n} steps ({@code sqrt(n) u |b|} in the tight model), whatever the data. With
     * inputs of 2^-12 on a wide layer (C = 88, K = 7: n in the tens of thousands) the data part is 1% of the bias,
     * and the bfloat16 shortcut, which only touches the data part, changes the output by less than that: the verdict
     * cannot tell it from correct code (measured, C = 24 to 96 at K = 7 on 27 outputs, inputs 2^-12 to 2^-6: bf16
     * ACCEPTED at data/bias 0.006 and 0.011, caught 2.6 to 480 times over the tight bound from 0.022 up). A
     * random try drew exactly that case (C = 88, K = 7, stride 2, all-positive inputs of 2^-12) on 2026-12-02.
     */
    private static boolean almostAllBias(AcdaLayer layer, OracleResult oracle) {
        float[] bias = layer.data(AcdaLayer.BIAS);
        if (bias == null) {
            return false;
        }
        int plane = oracle.y().length / bias.length;
        double data = 0;
        double b = 0;
        for (int i = 0; i < oracle.y().length; i++) {
            int o = i / plane % bias.length;
            data = Math.max(data, Math.abs(oracle.y()[i] - bias[o]));
            b = Math.max(b, Math.abs(bias[o]));
        }
        return data < b / 32;
    }

    private static boolean bf16Exact(AcdaLayer layer) {
        for (float c : layer.data(AcdaLayer.COEF)) {
            if (Float32Acda.bf16(c) != c) {
                return false;
            }
        }
        return true;
    }
}
