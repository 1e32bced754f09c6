package org.acdajvm.testkit.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Pattern;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.acdajvm.backend.LayerOp;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.BackendContract;
import org.acdajvm.testkit.Compare;
import org.acdajvm.testkit.GradientCompare;
import org.acdajvm.testkit.MinimumCompared;

/**
 * The properties every layer's op must have on every backend, driven by the layer's {@link LayerSpec}:
 * <ol>
 *   <li>the known cases (answers written without the oracle): the oracle agrees with them to double
 *       precision, the backend within the tight bound;</li>
 *   <li>the forward matches the layer kind's oracle under the tight verdict (ErrorReport ACCEPTED, with the
 *       op's evaluation order);</li>
 *   <li>the inputs and parameters are untouched by the forward and the backward (compared with copies);</li>
 *   <li>a missing, mis-ranked or unknown input is an {@link IllegalArgumentException} naming it;</li>
 *   <li>two calls on the same inputs give the same bits;</li>
 *   <li>the backward, when the op has one, matches the oracle's backward with every gradient ACCEPTED, and a
 *       zero upstream gradient gives exactly zero gradients; an op without one refuses the call with its
 *       reason;</li>
 *   <li>translation equivariance, when the spec declares it.</li>
 * </ol>
 * Every property counts what it compared; {@link org.acdajvm.testkit.ContractAccounting} fails it below its
 * {@link MinimumCompared}, which is half its tries. A layer's abstract contract returns its spec from
 * {@link #spec()} and adds its own relations; a backend joins with a 3-line subclass annotated
 * {@link org.acdajvm.testkit.BackendUnderTest}.
 *
 * @param <L> the layer class
 */
public abstract class LayerContract<L extends Layer> extends BackendContract {

    /** The fewest known cases a spec must list. */
    public static final int MINIMUM_KNOWN_CASES = 4;

    private LayerSpec<L> spec;

    /** The layer's spec (built once per property instance). */
    protected abstract LayerSpec<L> createSpec();

    /** The spec of this contract's layer. */
    public final LayerSpec<L> spec() {
        if (spec == null) {
            spec = createSpec();
        }
        return spec;
    }

    /** The layer kind under test. */
    protected final LayerKind<L> kind() {
        return spec().kind();
    }

    /** The backend's op for this layer; a contract subclass for a backend without one fails here, by name. */
    protected final LayerOp<L> op() {
        return backend().op(kind()).orElseThrow(() -> new AssertionError("backend '" + backendName()
                + "' has no op for layer '" + kind().name() + "', yet " + getClass().getName()
                + " runs its contract: remove the subclass or implement the op"));
    }

    /** Runs the op's forward on copies of the inputs, and checks afterwards that the originals and the parameters are untouched. */
    protected final Tensor run(L layer, Inputs inputs) {
        Map<String, Tensor> paramsBefore = copyOf(layer.stateDict());
        Inputs copy = inputs.copy();
        Tensor y = op().forward(layer, copy);
        assertUnchanged(inputs, copy, layer, paramsBefore);
        return y;
    }

    /** Runs the op's backward on copies of the inputs and of {@code dy}, and checks afterwards that nothing was written into them. */
    protected final Map<String, Tensor> runBackward(L layer, Inputs inputs, Tensor dy) {
        Map<String, Tensor> paramsBefore = copyOf(layer.stateDict());
        Inputs copy = inputs.copy();
        Tensor dyCopy = dy.copy();
        Map<String, Tensor> g = op().backward(layer, copy, dyCopy);
        assertUnchanged(inputs, copy, layer, paramsBefore);
        Compare.assertUnchanged(dy, dyCopy, "dy");
        return g;
    }

    private static long assertUnchanged(Inputs before, Inputs after, Layer layer, Map<String, Tensor> paramsBefore) {
        long compared = 0;
        for (Map.Entry<String, Tensor> e : before.all().entrySet()) {
            Compare.assertUnchanged(e.getValue(), after.get(e.getKey()), "input " + e.getKey());
            compared += e.getValue().size();
        }
        Map<String, Tensor> params = layer.stateDict();
        for (Map.Entry<String, Tensor> e : paramsBefore.entrySet()) {
            Compare.assertUnchanged(e.getValue(), params.get(e.getKey()), "parameter " + e.getKey());
            compared += e.getValue().size();
        }
        return compared;
    }

    private static Map<String, Tensor> copyOf(Map<String, Tensor> m) {
        Map<String, Tensor> copy = new java.util.LinkedHashMap<>();
        m.forEach((k, v) -> copy.put(k, v.copy()));
        return copy;
    }

    // ---------------------------------------------------------------------------------------------
    // 1. Known cases.

    @Example
    @MinimumCompared(cases = MINIMUM_KNOWN_CASES)
    void layerKnownCasesGiveTheirWrittenAnswer() {
        List<KnownCase> known = spec().knownCases();
        assertTrue(known.size() >= MINIMUM_KNOWN_CASES, "the spec of layer '" + kind().name() + "' lists "
                + known.size() + " known cases, fewer than " + MINIMUM_KNOWN_CASES);
        for (KnownCase k : known) {
            L layer = kind().cast(k.layer());
            OracleResult oracle = kind().oracleForward(layer, k.inputs());
            assertEquals(k.expected().length, oracle.size(), "known case " + k + ": expected length vs the oracle's output");
            for (int i = 0; i < oracle.size(); i++) {
                if (!oracle.isComputed(i)) {
                    continue;
                }
                double tol = 1e-12 * (1 + oracle.sumAbs()[i]);
                // The oracle must agree with the written answer to double precision ...
                assertTrue(Math.abs(oracle.y()[i] - k.expected()[i]) <= tol, "oracle vs the written answer at "
                        + Arrays.toString(indexOf(oracle.shape(), i)) + ": " + oracle.y()[i] + " vs " + k.expected()[i]
                        + ", tolerance " + tol + "; known case " + k);
            }
            // ... and the backend with it within the tight bound.
            Tensor y = run(layer, k.inputs());
            assertTrue(y.hasShape(oracle.shape()), "output shape " + y.shapeString() + ", expected "
                    + Arrays.toString(oracle.shape()) + "; known case " + k);
            double[] bound = new double[y.size()];
            for (int i = 0; i < bound.length; i++) {
                bound[i] = oracle.tightBound(i, op().evaluation(), Precision.FP32);
            }
            Compare.assertClose(k.expected(), y.data(), bound, y.shape(), k);
            counted(y);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 2. Random cases against the oracle.

    @Property(tries = 40)
    @MinimumCompared(cases = 20)
    void layerMatchesTheOracleUnderTheTightVerdict(@ForAll("layerCases") LayerCase c) {
        L layer = kind().cast(c.layer());
        OracleResult oracle = kind().oracleForward(layer, c.inputs());
        Tensor y = run(layer, c.inputs());
        ErrorReport r = Compare.assertAccepted(oracle, y, op().evaluation(), c);
        assertTrue(r.elements() > 0, "the verdict compared no element; case " + c);
        counted(r.elements());
    }

    // ---------------------------------------------------------------------------------------------
    // 3. Inputs untouched.

    @Property(tries = 16)
    @MinimumCompared(cases = 8)
    void layerLeavesItsInputsAndParametersUntouched(@ForAll("layerCases") LayerCase c) {
        L layer = kind().cast(c.layer());
        Map<String, Tensor> paramsBefore = copyOf(layer.stateDict());
        Inputs originals = c.inputs().copy();
        Inputs given = c.inputs();
        Tensor y = op().forward(layer, given);
        long compared = assertUnchanged(originals, given, layer, paramsBefore);
        if (op().backwardUnavailableReason().isEmpty()) {
            Tensor dy = upstream(y.shape(), c.seed());
            Tensor dyGiven = dy.copy();
            op().backward(layer, given, dyGiven);
            compared += assertUnchanged(originals, given, layer, paramsBefore);
            Compare.assertUnchanged(dy, dyGiven, "dy");
            compared += dy.size();
        }
        counted(compared);
    }

    // ---------------------------------------------------------------------------------------------
    // 4. Bad inputs are named.

    @Property(tries = 8)
    @MinimumCompared(cases = 4)
    void layerNamesAMissingMisshapedOrUnknownInput(@ForAll("layerCases") LayerCase c) {
        L layer = kind().cast(c.layer());
        long checked = 0;
        for (Map.Entry<String, Tensor> e : c.inputs().all().entrySet()) {
            String name = e.getKey();
            Inputs.Builder without = Inputs.builder();
            c.inputs().all().forEach((k, v) -> {
                if (!k.equals(name)) {
                    without.put(k, v);
                }
            });
            assertNamed(() -> op().forward(layer, without.build()), name, "missing");
            int[] s = e.getValue().shape();
            Tensor lowerRank = e.getValue().copy().reshape(s[0] * s[1], s[2], s[3]);
            assertNamed(() -> op().forward(layer, c.inputs().with(name, lowerRank)), name, "of rank 3");
            checked += 2;
        }
        Tensor stray = c.inputs().x().copy();
        assertNamed(() -> op().forward(layer, c.inputs().with("bogus", stray)), "bogus", "unknown");
        checked++;
        // The errors leave the backend usable: a good call afterwards still works.
        Tensor y = run(layer, c.inputs());
        assertTrue(y.size() > 0, "empty output after the bad calls; case " + c);
        counted(checked);
    }

    private static void assertNamed(org.junit.jupiter.api.function.Executable call, String name, String what) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call,
                "a " + what + " input '" + name + "' must be an IllegalArgumentException naming it");
        // Named means quoted ('guidance') or as "input x"; a bare letter elsewhere in the message does not count.
        Pattern named = Pattern.compile("'" + Pattern.quote(name) + "'|\\binput " + Pattern.quote(name) + "(?![A-Za-z0-9_])");
        assertTrue(e.getMessage() != null && named.matcher(e.getMessage()).find(), "the error for a " + what
                + " input '" + name + "' should name it ('" + name + "' or \"input " + name + "\"), but says: "
                + e.getMessage());
    }

    // ---------------------------------------------------------------------------------------------
    // 5. Deterministic.

    @Property(tries = 16)
    @MinimumCompared(cases = 8)
    void layerGivesTheSameBitsOnTwoCalls(@ForAll("layerCases") LayerCase c) {
        L layer = kind().cast(c.layer());
        Tensor first = run(layer, c.inputs());
        Tensor second = run(layer, c.inputs());
        Compare.assertUnchanged(first, second, "output of a second identical call (nondeterministic)");
        long compared = first.size();
        if (op().backwardUnavailableReason().isEmpty()) {
            Tensor dy = upstream(first.shape(), c.seed());
            Map<String, Tensor> g1 = runBackward(layer, c.inputs(), dy);
            Map<String, Tensor> g2 = runBackward(layer, c.inputs(), dy);
            assertEquals(List.copyOf(g1.keySet()), List.copyOf(g2.keySet()), "gradient keys of two identical calls");
            for (Map.Entry<String, Tensor> e : g1.entrySet()) {
                Compare.assertUnchanged(e.getValue(), g2.get(e.getKey()),
                        "gradient " + e.getKey() + " of a second identical call (nondeterministic)");
                compared += e.getValue().size();
            }
        }
        counted(compared);
    }

    // ---------------------------------------------------------------------------------------------
    // 6. Backward.

    /** True when the op has a backward; otherwise records why, and checks that the op refuses the call with that reason. */
    protected final boolean hasBackward(LayerCase c) {
        var reason = op().backwardUnavailableReason();
        if (reason.isEmpty()) {
            return true;
        }
        L layer = kind().cast(c.layer());
        Tensor dy = upstream(kind().checkInputs(layer, c.inputs()), c.seed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> op().backward(layer, c.inputs(), dy),
                "an op without a backward must refuse the call");
        assertTrue(e.getMessage().contains(reason.get()), "the refusal '" + e.getMessage() + "' should give the reason '"
                + reason.get() + "'");
        skipped("the op has no backward: " + reason.get());
        return false;
    }

    @Property(tries = 24)
    @MinimumCompared(cases = 12)
    void layerBackwardMatchesTheOracleUnderTheTightVerdict(@ForAll("layerCases") LayerCase c) {
        if (!hasBackward(c)) {
            return;
        }
        L layer = kind().cast(c.layer());
        Tensor dy = upstream(kind().checkInputs(layer, c.inputs()), c.seed());
        AcdaOracleBackward.Gradients oracle = kind().oracleBackward(layer, c.inputs(), dy);
        Map<String, Tensor> g = runBackward(layer, c.inputs(), dy);
        long compared = GradientCompare.assertAccepted(oracle, g, c);
        gradientRelativeError(GradientCompare.assertRelativeError(oracle, g, spec().gradientRelativeError(), c));
        counted(compared);
    }

    @Property(tries = 8)
    @MinimumCompared(cases = 4)
    void layerZeroUpstreamGradientGivesExactlyZeroGradients(@ForAll("layerCases") LayerCase c) {
        if (!hasBackward(c)) {
            return;
        }
        L layer = kind().cast(c.layer());
        Tensor dy = Tensor.zeros(kind().checkInputs(layer, c.inputs()));
        Map<String, Tensor> g = runBackward(layer, c.inputs(), dy);
        assertTrue(!g.isEmpty(), "the backward returned no gradient; case " + c);
        long compared = 0;
        for (Map.Entry<String, Tensor> e : g.entrySet()) {
            float[] d = e.getValue().data();
            for (int i = 0; i < d.length; i++) {
                if (d[i] != 0f) {
                    throw new AssertionError("gradient " + e.getKey() + " element "
                            + Arrays.toString(indexOf(e.getValue().shape(), i)) + " is " + d[i] + " with dy = 0; case " + c);
                }
            }
            compared += d.length;
        }
        counted(compared);
    }

    /** A seeded upstream gradient of the given shape, uniform in {@code [-1, 1)}. */
    protected static Tensor upstream(int[] shape, long seed) {
        Tensor dy = Tensor.zeros(shape);
        SplittableRandom r = new SplittableRandom(seed + 0x5DEECE66DL);
        float[] d = dy.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (2 * r.nextDouble() - 1);
        }
        return dy;
    }

    // ---------------------------------------------------------------------------------------------
    // 7. Translation equivariance.

    /**
     * Under the spec's settings, shifting the grid inputs cyclically by {@code (dy, dx)} shifts the output by
     * the same amount: {@code y'(p) = y(p - shift)} within the sum of both elements' tight bounds, everywhere.
     */
    @Property(tries = 20)
    @MinimumCompared(cases = 10)
    void layerIsTranslationEquivariantWhenTheSpecSaysSo(@ForAll("equivariantCases") LayerCase c,
                                                        @ForAll("layerShifts") int dy, @ForAll("layerShifts") int dx) {
        if (spec().equivariance().isEmpty()) {
            skipped("the spec of layer '" + kind().name() + "' declares no translation equivariance");
            return;
        }
        LayerSpec.Equivariance eq = spec().equivariance().get();
        L layer = kind().cast(c.layer());
        Map<String, String> settings = kind().settingsOf(layer).asMap();
        eq.settings().forEach((key, value) -> assertEquals(value, settings.get(key), "an equivariant case must have "
                + key + " = " + value + "; case " + c));
        Inputs shifted = c.inputs();
        for (String name : eq.shifted()) {
            if (c.inputs().has(name)) {
                shifted = shifted.with(name, roll(c.inputs().require(name), dy, dx));
            }
        }
        OracleResult oracle = kind().oracleForward(layer, c.inputs());
        Tensor y = run(layer, c.inputs());
        Tensor ys = run(layer, shifted);
        Tensor x = c.inputs().x();
        assertTrue(y.dim(2) == x.dim(2) && y.dim(3) == x.dim(3), "an equivariant case must keep the grid: output "
                + y.shapeString() + ", input x " + x.shapeString() + "; case " + c);
        int h = y.dim(2);
        int w = y.dim(3);
        for (int n = 0; n < y.dim(0); n++) {
            for (int o = 0; o < y.dim(1); o++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        int si = Math.floorMod(i - dy, h);
                        int sj = Math.floorMod(j - dx, w);
                        int idx = ((n * y.dim(1) + o) * h + si) * w + sj;
                        double tol = 2 * oracle.tightBound(idx, op().evaluation(), Precision.FP32);
                        float expected = y.data()[idx];
                        float actual = ys.get(n, o, i, j);
                        assertTrue(Math.abs(actual - expected) <= tol, "shift (" + dy + ", " + dx + "): output (" + n
                                + ", " + o + ", " + i + ", " + j + ") = " + actual + " but the unshifted output at (" + si
                                + ", " + sj + ") is " + expected + ", tolerance " + tol + "; case " + c);
                    }
                }
            }
        }
        counted(y.size());
    }

    /** {@code out[n, c, i, j] = t[n, c, (i - dy) mod H, (j - dx) mod W]} for a tensor {@code [N, C, H, W]}. */
    public static Tensor roll(Tensor t, int dy, int dx) {
        Tensor out = Tensor.zeros(t.shape());
        for (int n = 0; n < t.dim(0); n++) {
            for (int c = 0; c < t.dim(1); c++) {
                for (int i = 0; i < t.dim(2); i++) {
                    for (int j = 0; j < t.dim(3); j++) {
                        out.set(n, c, i, j, t.get(n, c, Math.floorMod(i - dy, t.dim(2)), Math.floorMod(j - dx, t.dim(3))));
                    }
                }
            }
        }
        return out;
    }

    /** The multi-index of flat index {@code flat} in a row-major tensor of {@code shape}. */
    protected static int[] indexOf(int[] shape, int flat) {
        int[] idx = new int[shape.length];
        for (int a = shape.length - 1; a >= 0; a--) {
            idx[a] = flat % shape[a];
            flat /= shape[a];
        }
        return idx;
    }

    // ---------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<LayerCase> layerCases() {
        return spec().cases();
    }

    @Provide
    Arbitrary<LayerCase> equivariantCases() {
        // A layer without the symmetry still needs a generator here; its property records why it compares nothing.
        return spec().equivariance().map(LayerSpec.Equivariance::cases).orElseGet(() -> spec().cases());
    }

    @Provide
    Arbitrary<Integer> layerShifts() {
        return Arbitraries.integers().between(-15, 15);
    }
}
