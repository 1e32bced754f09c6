package org.acdajvm.pac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The verdict on PAC (DESIGN section 7): a correct float32 PAC ({@link Float32Pac}) in several summation orders
 * is ACCEPTED, forward and every gradient; mutants (precision shortcuts and plausible bugs in the new steps:
 * guidance and kernel precision, the normaliser's taps, the inverse kernel's epsilon, the gaussian's 0.5, a
 * dropped tap, one wrong element, the guidance gradient's sign) are not. Each mutant's excess (how many times
 * more error than float32 rounding explains) is printed, forward and gradients.
 */
class PacMutationTest {

    /** A layer the suite runs on. */
    record Case(String name, PacConfig config, int batch, int h, int w) {
    }

    private static PacConfig conv(int c, int o, int s, int d, int pad, PaddingMode m, PacConfig.KernelType t, boolean cw,
                                  boolean norm, int cf) {
        return new PacConfig(PacConfig.Variant.CONV, c, o, 3, s, d, pad, m, 0, t, cw, norm, cf, true);
    }

    static final List<Case> CASES = List.of(
            new Case("conv gaussian norm zeros p=1", conv(8, 8, 1, 1, 1, PaddingMode.ZEROS, PacConfig.KernelType.GAUSSIAN, false, true, 3), 2, 8, 8),
            new Case("conv gaussian zeros p=2 d=2", conv(6, 5, 1, 2, 2, PaddingMode.ZEROS, PacConfig.KernelType.GAUSSIAN, false, false, 2), 1, 9, 8),
            new Case("conv inverse norm circular s=2", conv(6, 4, 2, 1, 1, PaddingMode.CIRCULAR, PacConfig.KernelType.INVERSE, true, true, 6), 1, 9, 9),
            new Case("conv inverse zeros p=1", conv(5, 6, 1, 1, 1, PaddingMode.ZEROS, PacConfig.KernelType.INVERSE, false, false, 2), 2, 7, 7),
            new Case("pool average zeros p=1", new PacConfig(PacConfig.Variant.POOL, 6, 6, 3, 1, 1, 1, PaddingMode.ZEROS, 0,
                    PacConfig.KernelType.GAUSSIAN, false, true, 2, false), 2, 8, 8),
            new Case("transposed gaussian norm s=2", new PacConfig(PacConfig.Variant.TRANSPOSED, 6, 5, 3, 2, 1, 1, PaddingMode.ZEROS, 1,
                    PacConfig.KernelType.GAUSSIAN, false, true, 2, true), 1, 5, 5),
            new Case("transposed inverse s=1", new PacConfig(PacConfig.Variant.TRANSPOSED, 5, 6, 3, 1, 1, 1, PaddingMode.ZEROS, 0,
                    PacConfig.KernelType.INVERSE, false, false, 2, true), 1, 6, 6),
            new Case("kernel gaussian norm", new PacConfig(PacConfig.Variant.KERNEL, 3, 9, 3, 1, 1, 1, PaddingMode.ZEROS, 0,
                    PacConfig.KernelType.GAUSSIAN, false, true, 3, false), 2, 7, 7));

    /** A mutant: what it sets, and where it can show at all. */
    record Mutant(String name, Consumer<Float32Pac> set, Predicate<PacConfig> applies, boolean forward) {
    }

    static List<Mutant> mutants() {
        List<Mutant> m = new ArrayList<>();
        m.add(new Mutant("guidance rounded to bfloat16", f -> f.guidanceR = Float32Pac.BF16, c -> true, true));
        m.add(new Mutant("kernel stored in fp16", f -> f.kernelR = Float32Pac.FP16, c -> true, true));
        m.add(new Mutant("normaliser sums every tap (padded guidance)", f -> f.normalizeOverAllTaps = true,
                c -> c.normalizeKernel() && c.paddingMode() == PaddingMode.ZEROS && c.padding() > 0, true));
        m.add(new Mutant("inverse kernel epsilon dropped", f -> f.eps = 0, PacConfig::inverse, true));
        m.add(new Mutant("inverse kernel epsilon 1e-3", f -> f.eps = 1e-3f, PacConfig::inverse, true));
        m.add(new Mutant("gaussian exp(-|d|^2) without the 0.5", f -> f.gaussianScale = 1f,
                c -> c.kernelType() == PacConfig.KernelType.GAUSSIAN, true));
        m.add(new Mutant("one output element off by 1e-5 max|y|", f -> f.badDelta = 1e-5, c -> true, true));
        m.add(new Mutant("one tap dropped (the last)", f -> f.dropTap = 8, c -> c.variant() != PacConfig.Variant.KERNEL, true));
        m.add(new Mutant("guidance gradient negated", f -> f.guidanceGradNegated = true, c -> true, false));
        return m;
    }

    private static Inputs inputs(PacLayer layer, Case c, long seed) {
        return layer.kind().randomInputs(layer, c.batch(), c.h(), c.w(), seed);
    }

    private static double maxAbs(double[] v) {
        double m = 0;
        for (double d : v) {
            m = Math.max(m, Math.abs(d));
        }
        return m;
    }

    /** The largest excess over every gradient (1.0001 at least when one is not ACCEPTED); names the worst in {@code where}. */
    private static double worstExcess(AcdaOracleBackward.Gradients grads, Map<String, Tensor> actual, StringBuilder where) {
        double worst = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : grads.byKey().entrySet()) {
            Tensor t = actual.get(e.getKey());
            assertTrue(t != null, "no gradient " + e.getKey() + " among " + actual.keySet());
            ErrorReport r = ErrorReport.compare(e.getValue().reference(Precision.FP32), ErrorReport.widen(t), t.shape(),
                    ErrorReport.Tier.TIGHT);
            double ex = r.verdict() == ErrorReport.Verdict.ACCEPTED ? Math.min(1, r.excess()) : Math.max(1.0001, r.excess());
            if (ex > worst) {
                worst = ex;
                if (where != null) {
                    where.setLength(0);
                    where.append(e.getKey()).append(' ').append(r.verdict());
                }
            }
        }
        return worst;
    }

    @Test
    void correctFloat32PacIsAcceptedAndEveryMutantIsNot() {
        List<String> lines = new ArrayList<>();
        double largestCorrect = 0;
        double largestCorrectGrad = 0;
        int caught = 0;
        int total = 0;
        long seed = 40;
        for (Case c : CASES) {
            PacLayer layer = PacKind.random(c.config(), seed++);
            Inputs in = inputs(layer, c, seed++);
            PacKind kind = layer.kind();
            OracleResult oracle = kind.oracleForward(layer, in);
            int[] out = kind.checkInputs(layer, in);
            Tensor dy = Tensor.zeros(out);
            StateDicts.uniform(dy, new SplittableRandom(seed++), -1, 1);
            AcdaOracleBackward.Gradients grads = kind.oracleBackward(layer, in, dy);
            for (Float32Pac.Order order : Float32Pac.Order.values()) {
                for (boolean fma : List.of(false, true)) {
                    Float32Pac ok = new Float32Pac();
                    ok.order = order;
                    ok.fma = fma;
                    ErrorReport r = ErrorReport.compare(oracle, ok.forward(layer, in), ErrorBounds.Evaluation.ANY);
                    assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), c.name() + " correct " + order + ": " + r.describe());
                    largestCorrect = Math.max(largestCorrect, r.excess());
                    StringBuilder where = new StringBuilder();
                    double ge = worstExcess(grads, ok.backward(layer, in, dy), where);
                    assertTrue(ge <= 1, c.name() + " correct " + order + " gradients: excess " + ge + " in " + where);
                    largestCorrectGrad = Math.max(largestCorrectGrad, ge);
                }
            }
            ErrorReport own = ErrorReport.compare(oracle, oracle.toTensor(), ErrorBounds.Evaluation.ANY);
            assertEquals(ErrorReport.Verdict.ACCEPTED, own.verdict(), "the oracle rounded to float32: " + own.describe());

            for (Mutant mu : mutants()) {
                if (!mu.applies().test(c.config())) {
                    continue;
                }
                Float32Pac f = new Float32Pac();
                mu.set().accept(f);
                if (f.badDelta != 0) {
                    f.badElement = oracle.size() / 2 + 1;
                    f.badDelta *= maxAbs(oracle.y());
                }
                ErrorReport r = ErrorReport.compare(oracle, f.forward(layer, in), ErrorBounds.Evaluation.ANY);
                Float32Pac fb = new Float32Pac();
                mu.set().accept(fb);
                fb.badElement = -1;
                StringBuilder where = new StringBuilder();
                double ge = worstExcess(grads, fb.backward(layer, in, dy), where);
                boolean forwardCaught = r.verdict() != ErrorReport.Verdict.ACCEPTED;
                boolean gradCaught = ge > 1;
                boolean isCaught = mu.forward() ? forwardCaught : gradCaught;
                total++;
                caught += isCaught ? 1 : 0;
                assertTrue(isCaught, c.name() + ": mutant '" + mu.name() + "' was accepted: forward " + r.describe()
                        + "; gradient excess " + ge);
                lines.add(String.format(Locale.ROOT, "  %-32s %-44s forward %-10s excess %10.3g | gradients excess %10.3g (%s)",
                        c.name(), mu.name(), r.verdict(), r.excess(), ge, where));
            }
        }
        System.out.println("PAC mutation suite:");
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "PAC mutation score: %d / %d caught; largest excess of correct code: forward %.3g, "
                + "gradients %.3g%n", caught, total, largestCorrect, largestCorrectGrad);
        assertTrue(total >= 40, "mutants run " + total);
    }
}
