package org.acdajvm.layers.dfn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.ScalarBackend;
import org.acdajvm.backend.VectorBackend;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The verdict's mutants for dynamic local filtering (DESIGN section 7): a small float32 implementation
 * ({@link Impl}, written here, independent of the fast paths) with switches for plausible bugs and precision
 * shortcuts, judged against the oracle with the tight verdict ({@code --evaluation any}). Correct code (this
 * implementation in two summation orders, with and without FMA, and the scalar and vector backends) must be
 * ACCEPTED, every mutant not; the excess table is printed. A softmax without the max subtraction is numerically as
 * good (same relative errors) and is checked as correct, not as a mutant.
 */
class DfnMutationTest {

    /** A layer the mutants run on (N = 2 everywhere, so that a batch mix-up can show). */
    record Case(String name, DfnConfig config, int h, int w) {
    }

    static final List<Case> CASES = List.of(
            new Case("C=64 K=3 softmax", new DfnConfig(64, 3, 1, 1, 1, PaddingMode.ZEROS, true), 12, 11),
            new Case("C=16 K=7 s=2 d=2 circ softmax", new DfnConfig(16, 7, 2, 2, 6, PaddingMode.CIRCULAR, true), 13, 14),
            new Case("C=8 K=5 raw", new DfnConfig(8, 5, 1, 1, 2, PaddingMode.ZEROS, false), 10, 9));

    static float bf16(float v) {
        int b = Float.floatToRawIntBits(v);
        return Float.intBitsToFloat((b + 0x7FFF + ((b >>> 16) & 1)) & 0xFFFF0000);
    }

    static float fp16(float v) {
        return Float.float16ToFloat(Float.floatToFloat16(v));
    }

    /** The float32 layer, with switches (all off: correct). Layouts as the layer's. */
    static final class Impl {
        boolean reversed;           // taps summed last to first
        boolean fma;
        boolean noMaxSubtraction;   // exp(F) / sum exp(F): correct, not a mutant
        boolean qBf16;              // mutant: the normalised filter stored in bfloat16
        boolean expFp16;            // mutant: exp to fp16 precision
        boolean accFp16;            // mutant: every accumulation rounded to fp16
        boolean transposeTaps;      // mutant: tap (a, b) read as (b, a)
        boolean firstImageNormaliser;   // mutant: the softmax sum of image 0's taps used for every image
        boolean overPixels;         // mutant: softmax over the pixels of a row instead of over the taps
        int badElement = -1;        // mutant: one output element off by badDelta
        double badDelta;
        boolean noMeanTerm;         // backward mutant: dF = q g (the softmax's mean term dropped)
        boolean dFilterBf16;        // backward mutant: dF stored in bfloat16
        boolean dxShift;            // backward mutant: dx scattered one column to the right

        float acc(float s, float a, float b) {
            float r = fma ? Math.fma(a, b, s) : s + a * b;
            return accFp16 ? fp16(r) : r;
        }

        float[] softmax(DfnConfig c, float[] f, int batch, int oh, int ow) {
            int taps = c.taps();
            int plane = oh * ow;
            float[] q = new float[f.length];
            if (!c.softmax()) {
                for (int i = 0; i < q.length; i++) {
                    q[i] = qBf16 ? bf16(f[i]) : f[i];
                }
                return q;
            }
            float[] z0 = new float[plane];
            for (int n = 0; n < batch; n++) {
                for (int p = 0; p < plane; p++) {
                    float m = Float.NEGATIVE_INFINITY;
                    for (int u = 0; u < taps; u++) {
                        m = Math.max(m, f[(n * taps + u) * plane + p]);
                    }
                    float z = 0f;
                    float[] e = new float[taps];
                    for (int u = 0; u < taps; u++) {
                        float d = noMaxSubtraction ? f[(n * taps + u) * plane + p] : f[(n * taps + u) * plane + p] - m;
                        e[u] = (float) Math.exp(d);
                        if (expFp16) {
                            e[u] = fp16(e[u]);
                        }
                        z += e[u];
                    }
                    if (overPixels) {
                        // The sum over the row's pixels of tap u's exp, one per tap (the wrong axis).
                        for (int u = 0; u < taps; u++) {
                            float zr = 0f;
                            int row = p / ow;
                            for (int j = 0; j < ow; j++) {
                                zr += (float) Math.exp(f[(n * taps + u) * plane + row * ow + j] - m);
                            }
                            q[(n * taps + u) * plane + p] = e[u] / zr;
                        }
                        continue;
                    }
                    if (n == 0) {
                        z0[p] = z;
                    }
                    float zz = firstImageNormaliser ? z0[p] : z;
                    for (int u = 0; u < taps; u++) {
                        q[(n * taps + u) * plane + p] = e[u] / zz;
                    }
                }
            }
            if (qBf16) {
                for (int i = 0; i < q.length; i++) {
                    q[i] = bf16(q[i]);
                }
            }
            return q;
        }

        int tapIndex(DfnConfig c, int a, int b) {
            return transposeTaps ? b * c.kernelSize() + a : a * c.kernelSize() + b;
        }

        Tensor forward(DfnConfig c, Tensor x, Tensor f) {
            int batch = x.dim(0);
            int ch = c.inChannels();
            int h = x.dim(2);
            int w = x.dim(3);
            int oh = f.dim(2);
            int ow = f.dim(3);
            int k = c.kernelSize();
            float[] q = softmax(c, f.data(), batch, oh, ow);
            Tensor y = Tensor.zeros(batch, ch, oh, ow);
            for (int n = 0; n < batch; n++) {
                for (int cc = 0; cc < ch; cc++) {
                    for (int i = 0; i < oh; i++) {
                        for (int j = 0; j < ow; j++) {
                            float s = 0f;
                            for (int t = 0; t < k * k; t++) {
                                int tt = reversed ? k * k - 1 - t : t;
                                int a = tt / k;
                                int b = tt % k;
                                int r = c.paddingMode().index(c.stride() * i + c.dilation() * a - c.padding(), h);
                                int col = c.paddingMode().index(c.stride() * j + c.dilation() * b - c.padding(), w);
                                if (r < 0 || col < 0) {
                                    continue;
                                }
                                s = acc(s, q[((n * k * k + tapIndex(c, a, b)) * oh + i) * ow + j], x.get(n, cc, r, col));
                            }
                            y.set(n, cc, i, j, s);
                        }
                    }
                }
            }
            if (badElement >= 0) {
                y.data()[badElement] += (float) badDelta;
            }
            return y;
        }

        Map<String, Tensor> backward(DfnConfig c, Tensor x, Tensor f, Tensor dy) {
            int batch = x.dim(0);
            int ch = c.inChannels();
            int h = x.dim(2);
            int w = x.dim(3);
            int oh = f.dim(2);
            int ow = f.dim(3);
            int k = c.kernelSize();
            int taps = k * k;
            float[] q = softmax(c, f.data(), batch, oh, ow);
            Tensor dx = Tensor.zeros(x.shape());
            float[] g = new float[q.length];
            for (int n = 0; n < batch; n++) {
                for (int i = 0; i < oh; i++) {
                    for (int j = 0; j < ow; j++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int r = c.paddingMode().index(c.stride() * i + c.dilation() * a - c.padding(), h);
                                int col = c.paddingMode().index(c.stride() * j + c.dilation() * b - c.padding(), w);
                                if (r < 0 || col < 0) {
                                    continue;
                                }
                                int qi = ((n * taps + a * k + b) * oh + i) * ow + j;
                                float s = 0f;
                                for (int cc = 0; cc < ch; cc++) {
                                    float d = dy.get(n, cc, i, j);
                                    s = acc(s, d, x.get(n, cc, r, col));
                                    int cx = dxShift ? Math.min(col + 1, w - 1) : col;
                                    dx.set(n, cc, r, cx, accFp16 ? fp16(dx.get(n, cc, r, cx) + q[qi] * d)
                                            : fma ? Math.fma(q[qi], d, dx.get(n, cc, r, cx)) : dx.get(n, cc, r, cx) + q[qi] * d);
                                }
                                g[qi] = s;
                            }
                        }
                    }
                }
            }
            float[] df = new float[q.length];
            int plane = oh * ow;
            for (int n = 0; n < batch; n++) {
                for (int p = 0; p < plane; p++) {
                    float m = 0f;
                    for (int u = 0; u < taps; u++) {
                        int i = (n * taps + u) * plane + p;
                        m += q[i] * g[i];
                    }
                    for (int u = 0; u < taps; u++) {
                        int i = (n * taps + u) * plane + p;
                        df[i] = !c.softmax() ? g[i] : noMeanTerm ? q[i] * g[i] : q[i] * (g[i] - m);
                        if (dFilterBf16) {
                            df[i] = bf16(df[i]);
                        }
                    }
                }
            }
            Map<String, Tensor> out = new LinkedHashMap<>();
            out.put("x", dx);
            out.put(DfnKind.FILTER, Tensor.wrap(df, f.shape()));
            return out;
        }
    }

    record Mutant(String name, Consumer<Impl> set, Predicate<Case> applies) {
    }

    static List<Mutant> forwardMutants() {
        Predicate<Case> softmax = c -> c.config().softmax();
        return List.of(
                new Mutant("filter stored in bfloat16", i -> i.qBf16 = true, c -> true),
                new Mutant("softmax normaliser of the first image", i -> i.firstImageNormaliser = true, softmax),
                new Mutant("softmax over the pixels of a row", i -> i.overPixels = true, softmax),
                new Mutant("filter taps transposed (b*K + a)", i -> i.transposeTaps = true, c -> c.config().kernelSize() > 1),
                new Mutant("one element off by 1e-5 max|y|", i -> i.badDelta = 1e-5, c -> true),
                new Mutant("fp16 accumulation", i -> i.accFp16 = true, c -> true),
                new Mutant("exp to fp16 precision", i -> i.expFp16 = true, softmax));
    }

    static List<Mutant> backwardMutants() {
        return List.of(
                new Mutant("dfilter without the softmax's mean term", i -> i.noMeanTerm = true, c -> c.config().softmax()),
                new Mutant("dfilter stored in bfloat16", i -> i.dFilterBf16 = true, c -> true),
                new Mutant("backward accumulating in fp16", i -> i.accFp16 = true, c -> true),
                new Mutant("dx scattered one column right", i -> i.dxShift = true, c -> true));
    }

    private static Inputs inputs(Case c, long seed) {
        DfnLayer layer = new DfnLayer(c.config());
        return DfnKind.INSTANCE.randomInputs(layer, 2, c.h(), c.w(), seed);
    }

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

    private static List<Impl> correctImpls() {
        List<Impl> list = new ArrayList<>();
        for (int v = 0; v < 4; v++) {
            Impl i = new Impl();
            i.reversed = (v & 1) != 0;
            i.fma = (v & 2) != 0;
            i.noMaxSubtraction = v == 3;
            list.add(i);
        }
        return list;
    }

    @Test
    void everyMutantIsCaughtAndCorrectCodeIsAccepted() {
        List<String> lines = new ArrayList<>();
        int caught = 0;
        int total = 0;
        double largestCorrect = 0;
        double smallestMutant = Double.POSITIVE_INFINITY;
        long seed = 70;
        for (Case c : CASES) {
            DfnLayer layer = new DfnLayer(c.config());
            Inputs in = inputs(c, seed++);
            Tensor x = in.x();
            Tensor f = in.require(DfnKind.FILTER);
            OracleResult oracle = DfnKind.INSTANCE.oracleForward(layer, in);
            Tensor dy = DfnKind.INSTANCE.randomInputs(new DfnLayer(new DfnConfig(c.config().inChannels(), 1, 1, 1, 0,
                    PaddingMode.ZEROS, false)), 2, oracle.shape()[2], oracle.shape()[3], seed++).x();
            AcdaOracleBackward.Gradients grads = DfnKind.INSTANCE.oracleBackward(layer, in, dy);
            double orders = 0;
            double ordersBackward = 0;
            for (Impl ok : correctImpls()) {
                ErrorReport r = ErrorReport.compare(oracle, ok.forward(c.config(), x, f), ErrorBounds.Evaluation.ANY);
                assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), c.name() + " correct: " + r.describe());
                orders = Math.max(orders, r.excess());
                double ge = worstExcess(grads, ok.backward(c.config(), x, f, dy), null);
                assertTrue(ge <= 1, c.name() + " correct backward: excess " + ge);
                ordersBackward = Math.max(ordersBackward, ge);
            }
            largestCorrect = Math.max(largestCorrect, Math.max(orders, ordersBackward));
            lines.add(String.format(Locale.ROOT, "  %-30s %-46s %-10s excess %10.3g  backward excess %8.3g", c.name(),
                    "correct: 4 orders (fwd/rev, fma, no max-sub)", "ACCEPTED", orders, ordersBackward));
            for (AcdaBackend b : List.of(new ScalarBackend(), new VectorBackend(1), new VectorBackend(2))) {
                try (b) {
                    var op = b.op(DfnKind.INSTANCE).orElseThrow();
                    ErrorReport r = ErrorReport.compare(oracle, op.forward(layer, in), ErrorBounds.Evaluation.ANY);
                    assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), c.name() + " " + b.description() + ": " + r.describe());
                    double ge = worstExcess(grads, op.backward(layer, in, dy), null);
                    assertTrue(ge <= 1, c.name() + " " + b.description() + " backward: excess " + ge);
                    largestCorrect = Math.max(largestCorrect, Math.max(r.excess(), ge));
                    lines.add(String.format(Locale.ROOT, "  %-30s %-46s %-10s excess %10.3g  backward excess %8.3g", c.name(),
                            "correct: " + b.description().replace("Vector API, ", "").replace("float32, ", ""), r.verdict(), r.excess(), ge));
                }
            }
            for (Mutant mu : forwardMutants()) {
                if (!mu.applies().test(c)) {
                    continue;
                }
                Impl m = new Impl();
                mu.set().accept(m);
                if (m.badDelta != 0) {
                    double max = 0;
                    for (double v : oracle.y()) {
                        max = Math.max(max, Math.abs(v));
                    }
                    m.badElement = oracle.size() / 2 + 1;
                    m.badDelta *= max;
                }
                ErrorReport r = ErrorReport.compare(oracle, m.forward(c.config(), x, f), ErrorBounds.Evaluation.ANY);
                total++;
                if (r.verdict() == ErrorReport.Verdict.ACCEPTED) {
                    throw new AssertionError(c.name() + ": mutant '" + mu.name() + "' was ACCEPTED: " + r.describe());
                }
                caught++;
                smallestMutant = Math.min(smallestMutant, r.excess());
                lines.add(String.format(Locale.ROOT, "  %-30s %-46s %-10s excess %10.3g  worst-case ratio %10.3g", c.name(),
                        mu.name(), r.verdict(), r.excess(), r.maxWorstRatio()));
            }
            for (Mutant mu : backwardMutants()) {
                if (!mu.applies().test(c)) {
                    continue;
                }
                Impl m = new Impl();
                mu.set().accept(m);
                StringBuilder where = new StringBuilder();
                double ex = worstExcess(grads, m.backward(c.config(), x, f, dy), where);
                total++;
                if (ex <= 1) {
                    throw new AssertionError(c.name() + ": backward mutant '" + mu.name() + "' was ACCEPTED (excess " + ex + ")");
                }
                caught++;
                smallestMutant = Math.min(smallestMutant, ex);
                lines.add(String.format(Locale.ROOT, "  %-30s %-46s %-10s excess %10.3g  in %s", c.name(), "backward: " + mu.name(),
                        "caught", ex, where));
            }
        }
        System.out.println("dynamic-filter mutation suite:");
        lines.forEach(System.out::println);
        System.out.printf(Locale.ROOT, "dynamic-filter mutation score: %d / %d caught; smallest excess of a caught mutant %.3g, "
                + "largest excess of correct code %.3g%n", caught, total, smallestMutant, largestCorrect);
        assertEquals(total, caught);
        assertTrue(total >= 25, "mutants run: " + total);
    }
}
