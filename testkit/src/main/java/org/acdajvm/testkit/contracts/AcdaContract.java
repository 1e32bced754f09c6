package org.acdajvm.testkit.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.Compare;
import org.acdajvm.testkit.GradientCompare;
import org.acdajvm.testkit.MinimumCompared;
import org.acdajvm.testkit.PlainConv;

/**
 * The contract every ACDA backend must meet: the properties every layer shares ({@link LayerContract}, on
 * {@link AcdaSpec}) and ACDA's own, below. A backend joins by a 3-line public subclass annotated
 * {@code @BackendUnderTest("name")}; {@link org.acdajvm.testkit.ContractCoverage} fails if a discovered
 * backend has none. Each property counts the cases and elements it compared and asserts, after it ran, that
 * it compared at least its {@link MinimumCompared}: a backend cannot drop out of its contract silently.
 *
 * <p>Order of the checks, from the most to the least certain reference:
 * <ol>
 *   <li>known cases whose answer is written down by hand (zero coefficients or a zero input give
 *       exactly the bias; a delta input returns the reconstructed filter): these hold even if
 *       the oracle itself were wrong, so they come first;</li>
 *   <li>constant atoms against an independent plain convolution written in this test code: the
 *       oracle is checked too;</li>
 *   <li>random cases against the oracle, within the bound of DESIGN section 7;</li>
 *   <li>translation equivariance, a symmetry no index error survives.</li>
 * </ol>
 * The backward follows the same order: a zero upstream gradient gives exactly zero gradients,
 * then every gradient against the oracle's backward, then the equivariance of {@code dx}. A
 * backend without a backward must say so ({@link AcdaBackend#backwardUnavailableReason}) and refuse
 * the call; its backward properties then record why they compared nothing.
 */
public abstract class AcdaContract extends LayerContract<AcdaLayer> {

    /**
     * The largest {@code max |err| / max |grad|} a float32 backward may show on the contract's cases
     * (see {@link GradientCompare#assertRelativeError}); correct code stays below 1e-5 on them.
     */
    public static final double GRADIENT_RELATIVE_ERROR = 1e-4;

    @Override
    protected LayerSpec<AcdaLayer> createSpec() {
        return new AcdaSpec();
    }

    /** Runs the backend on copies of its inputs, and checks afterwards that the originals are untouched. */
    private Tensor run(AcdaLayer layer, Tensor x) {
        Map<String, Tensor> paramsBefore = layer.stateDict();
        Tensor xCopy = x.copy();
        Tensor y = backend().forward(layer, xCopy);
        Compare.assertUnchanged(x, xCopy, "x");
        paramsBefore.forEach((key, before) -> Compare.assertUnchanged(before, layer.param(key), key));
        return y;
    }

    // ---------------------------------------------------------------------------------------------
    // 1. Known cases.

    @Example
    @MinimumCompared(cases = 3)
    void zeroCoefficientsGiveExactlyTheBias() {
        for (long seed = 1; seed <= 3; seed++) {
            AcdaConfig cfg = AcdaConfig.builder(3, 4, 5).stride((int) seed).padding(
                    seed == 2 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS).build();
            AcdaLayer layer = AcdaInit.randomized(cfg, seed).with(AcdaLayer.COEF, Tensor.zeros(4, 3 * 6, 1, 1));
            Tensor y = run(layer, AcdaInit.input(cfg, 2, 7, 9, seed));
            assertAllEqualBias(layer, y);
            counted(y);
        }
    }

    @Example
    @MinimumCompared(cases = 1)
    void zeroInputGivesExactlyTheBias() {
        AcdaConfig cfg = AcdaConfig.builder(5, 3, 7).dilation(2).atoms(4).basesPerScale(3).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 11);
        Tensor y = run(layer, Tensor.zeros(1, 5, 8, 6));
        assertAllEqualBias(layer, y);
        counted(y);
    }

    private static void assertAllEqualBias(AcdaLayer layer, Tensor y) {
        float[] bias = layer.biasOrZeros();
        int plane = y.dim(2) * y.dim(3);
        for (int i = 0; i < y.size(); i++) {
            int o = (i / plane) % y.dim(1);
            assertEquals(bias[o], y.data()[i], 0.0f, "element " + i + " (channel " + o + ") must be exactly the bias");
        }
    }

    /**
     * With {@code W2 = 0} the atoms are the same at every pixel, so a delta input at channel
     * {@code c0}, pixel {@code (h0, w0)} makes {@code y[o, h', w'] = bias[o] + Wc[o][c0][a, b]}
     * wherever {@code (s h' + d a - pad, s w' + d b - pad) = (h0, w0)}, and exactly the bias
     * elsewhere; {@code Wc} is computed here by hand from the parameters.
     */
    @Example
    @MinimumCompared(cases = 4)
    void deltaInputReturnsTheReconstructedFilter() {
        int[][] settings = {{3, 1, 1}, {5, 1, 2}, {7, 2, 1}, {5, 3, 2}};     // K, s, d
        for (int[] kd : settings) {
            int k = kd[0];
            int s = kd[1];
            int d = kd[2];
            AcdaConfig cfg = AcdaConfig.builder(2, 3, k).stride(s).dilation(d).atoms(3).build();
            AcdaLayer layer = constantAtoms(AcdaInit.randomized(cfg, 7L * k + d));
            int h = 13;
            int w = 12;
            int c0 = 1;
            int h0 = 6;
            int w0 = 5;
            Tensor x = Tensor.zeros(1, 2, h, w);
            x.set(0, c0, h0, w0, 1f);
            Tensor y = run(layer, x);
            OracleResult oracle = AcdaOracle.forward(layer, x);
            double[][][] wc = constantFilter(layer);
            float[] bias = layer.biasOrZeros();
            int pad = cfg.pad();
            double[] expected = new double[y.size()];
            for (int o = 0; o < 3; o++) {
                for (int i = 0; i < y.dim(2); i++) {
                    for (int j = 0; j < y.dim(3); j++) {
                        int idx = (o * y.dim(2) + i) * y.dim(3) + j;
                        expected[idx] = bias[o];
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                if (s * i + d * a - pad == h0 && s * j + d * b - pad == w0) {
                                    expected[idx] += wc[o][c0][a * k + b];
                                }
                            }
                        }
                        // The oracle agrees with the hand computation to double precision ...
                        assertEquals(expected[idx], oracle.y()[idx], 1e-12 * (1 + oracle.sumAbs()[idx]),
                                "oracle, K=" + k + " s=" + s + " d=" + d + " output (" + o + ", " + i + ", " + j + ")");
                    }
                }
            }
            // ... and the backend agrees with it within the bound.
            double[] bound = new double[y.size()];
            for (int i = 0; i < bound.length; i++) {
                bound[i] = oracle.tightBound(i, backend().evaluation(), Precision.FP32);
            }
            Compare.assertClose(expected, y.data(), bound, y.shape(), "delta input, K=" + k + " s=" + s + " d=" + d);
            counted(y);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // 2. Constant atoms against an independent plain convolution.

    @Property(tries = 60)
    @MinimumCompared(cases = 30)
    void constantAtomsEqualAPlainConvolution(@ForAll("cases") AcdaCase c) {
        AcdaLayer layer = constantAtoms(c.layer());
        Tensor x = c.input();
        AcdaConfig cfg = c.config();
        double[] plain = PlainConv.forward(x, constantFilter(layer), toDouble(layer.biasOrZeros()),
                cfg.kernelSize(), cfg.stride(), cfg.dilation(), cfg.padding());
        OracleResult oracle = AcdaOracle.forward(layer, x);
        double[] bound = new double[plain.length];
        double[] doubleTol = new double[plain.length];
        for (int i = 0; i < plain.length; i++) {
            bound[i] = oracle.tightBound(i, backend().evaluation(), Precision.FP32);
            doubleTol[i] = 1e-12 * (oracle.sumAbs()[i] + 1);
            // The oracle itself must agree with the plain convolution to double precision.
            assertTrue(Math.abs(oracle.y()[i] - plain[i]) <= doubleTol[i], "oracle vs plain conv at " + i + ": "
                    + oracle.y()[i] + " vs " + plain[i] + "; case " + c);
        }
        Tensor y = run(layer, x);
        Compare.assertClose(plain, y.data(), bound, y.shape(), c);
        counted(y);
    }

    /** The layer with {@code W2 = 0}: the generator output, hence every atom, is the same at every pixel. */
    static AcdaLayer constantAtoms(AcdaLayer layer) {
        return layer.with(AcdaLayer.CONV2_WEIGHT, Tensor.zeros(layer.param(AcdaLayer.CONV2_WEIGHT).shape()));
    }

    /**
     * The plain-convolution weight {@code Wc[o][c][u] = sum_m coef[o, c*M + m] * D[m][u]} of a
     * constant-atom layer, with {@code D[m][u] = sum_t G[m*T + t] * Psi[t][u]} and
     * {@code G[j] = tanh(bn2(b2[j]))}, written out here independently of the library.
     */
    static double[][][] constantFilter(AcdaLayer layer) {
        AcdaConfig cfg = layer.config();
        int bases = cfg.bases();
        int taps = cfg.taps();
        float[] b2 = layer.data("bases_net.3.bias");
        float[] gamma = layer.data("bases_net.4.weight");
        float[] beta = layer.data("bases_net.4.bias");
        float[] mean = layer.data("bases_net.4.running_mean");
        float[] var = layer.data("bases_net.4.running_var");
        float[] psi = layer.data("bases");
        float[] coef = layer.data("coef");
        double[][] atom = new double[cfg.atoms()][taps];
        for (int m = 0; m < cfg.atoms(); m++) {
            for (int t = 0; t < bases; t++) {
                int j = m * bases + t;
                double g = Math.tanh(((double) b2[j] - mean[j]) / Math.sqrt((double) var[j] + 1e-5) * gamma[j] + beta[j]);
                for (int u = 0; u < taps; u++) {
                    atom[m][u] += g * psi[t * taps + u];
                }
            }
        }
        double[][][] wc = new double[cfg.outChannels()][cfg.inChannels()][taps];
        for (int o = 0; o < cfg.outChannels(); o++) {
            for (int c = 0; c < cfg.inChannels(); c++) {
                for (int m = 0; m < cfg.atoms(); m++) {
                    double cf = coef[(o * cfg.inChannels() + c) * cfg.atoms() + m];
                    for (int u = 0; u < taps; u++) {
                        wc[o][c][u] += cf * atom[m][u];
                    }
                }
            }
        }
        return wc;
    }

    // ---------------------------------------------------------------------------------------------
    // 3. Random cases against the oracle.

    @Property(tries = 120)
    @MinimumCompared(cases = 60)
    void matchesTheOracleWithinTheBound(@ForAll("cases") AcdaCase c) {
        AcdaLayer layer = c.layer();
        Tensor x = c.input();
        OracleResult oracle = AcdaOracle.forward(layer, x);
        Tensor y = run(layer, x);
        ErrorReport r = Compare.assertAccepted(oracle, y, backend().evaluation(), c);
        assertTrue(r.elements() == y.size());
        counted(y);
    }

    // ---------------------------------------------------------------------------------------------
    // 4. Translation equivariance (s = 1).

    @Property(tries = 36)
    @MinimumCompared(cases = 18)
    void circularPaddingIsTranslationEquivariantEverywhere(@ForAll("circularCases") AcdaCase c,
                                                           @ForAll("shifts") int dy, @ForAll("shifts") int dx) {
        checkEquivariance(c, dy, dx, 0);
    }

    @Property(tries = 36)
    @MinimumCompared(cases = 18)
    void zeroPaddingIsTranslationEquivariantAwayFromBorders(@ForAll("zeroCases") AcdaCase c,
                                                            @ForAll("smallShifts") int dy, @ForAll("smallShifts") int dx) {
        checkEquivariance(c, dy, dx, Math.max(2, c.config().pad()));
    }

    /**
     * Shifts the input cyclically by {@code (dy, dx)} and checks that the output moves with it:
     * {@code y'(p) = y(p - shift)} within the sum of both elements' bounds, at every pixel
     * {@code p} whose distance to every border is at least {@code margin}, in both images.
     */
    private void checkEquivariance(AcdaCase c, int dy, int dx, int margin) {
        AcdaLayer layer = c.layer();
        Tensor x = c.input();
        Tensor shifted = roll(x, dy, dx);
        OracleResult oracle = AcdaOracle.forward(layer, x);
        Tensor y = run(layer, x);
        Tensor ys = run(layer, shifted);
        int h = y.dim(2);
        int w = y.dim(3);
        long compared = 0;
        for (int n = 0; n < y.dim(0); n++) {
            for (int o = 0; o < y.dim(1); o++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        int si = Math.floorMod(i - dy, h);
                        int sj = Math.floorMod(j - dx, w);
                        if (margin > 0 && !(inside(i, h, margin) && inside(j, w, margin) && inside(si, h, margin)
                                && inside(sj, w, margin) && si == i - dy && sj == j - dx)) {
                            continue;
                        }
                        int idx = ((n * y.dim(1) + o) * h + si) * w + sj;
                        double tol = 2 * oracle.tightBound(idx, backend().evaluation(), Precision.FP32);
                        float expected = y.data()[idx];
                        float actual = ys.get(n, o, i, j);
                        assertTrue(Math.abs(actual - expected) <= tol, "shift (" + dy + ", " + dx + "): output (" + n + ", "
                                + o + ", " + i + ", " + j + ") = " + actual + " but the unshifted output at (" + si + ", "
                                + sj + ") is " + expected + ", tolerance " + tol + "; case " + c);
                        compared++;
                    }
                }
            }
        }
        if (compared > 0) {
            counted(compared);
        }
    }

    private static boolean inside(int i, int size, int margin) {
        return i >= margin && i < size - margin;
    }

    // ---------------------------------------------------------------------------------------------
    // 5. Errors for bad input.

    @Example
    @MinimumCompared(cases = 1)
    void badInputsAreClearErrorsNamingTheArgument() {
        AcdaConfig cfg = AcdaConfig.builder(3, 2, 3).build();
        AcdaLayer layer = AcdaInit.reference(cfg, 5);
        assertMessage(() -> backend().forward(layer, null), "input x is null");
        assertMessage(() -> backend().forward(layer, Tensor.zeros(3, 4, 4)), "input x must have rank 4");
        assertMessage(() -> backend().forward(layer, Tensor.zeros(1, 2, 4, 4)), "expected C = 3");
        assertMessage(() -> backend().forward(layer, Tensor.zeros(0, 3, 4, 4)), "N, H and W must all be >= 1");
        assertMessage(() -> backend().forward(layer, Tensor.zeros(1, 3, 0, 4)), "N, H and W must all be >= 1");
        Tensor nan = Tensor.zeros(1, 3, 4, 4);
        nan.set(0, 2, 1, 3, Float.NaN);
        assertMessage(() -> backend().forward(layer, nan), "non-finite value NaN at [0, 2, 1, 3]");
        Tensor inf = Tensor.zeros(1, 3, 4, 4);
        inf.set(0, 0, 3, 0, Float.NEGATIVE_INFINITY);
        assertMessage(() -> backend().forward(layer, inf), "non-finite value -Infinity at [0, 0, 3, 0]");
        // A good call afterwards still works: errors leave the backend usable.
        Tensor y = backend().forward(layer, AcdaInit.input(cfg, 1, 4, 4, 1));
        assertTrue(y.hasShape(1, 2, 4, 4));
        counted(y);
    }

    private static void assertMessage(org.junit.jupiter.api.function.Executable call, String fragment) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' should contain '" + fragment + "'");
    }

    // ---------------------------------------------------------------------------------------------
    // 6. Backward.

    /** True when the backend has a backward; otherwise records why, and checks that the backend refuses the call. */
    private boolean hasBackward() {
        var reason = backend().backwardUnavailableReason();
        if (reason.isEmpty()) {
            return true;
        }
        AcdaConfig cfg = AcdaConfig.builder(1, 1, 3).build();
        AcdaLayer layer = AcdaInit.reference(cfg, 1);
        Tensor x = Tensor.zeros(1, 1, 2, 2);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend().backward(layer, x, x.copy()));
        assertTrue(e.getMessage().contains(reason.get()), "the refusal '" + e.getMessage() + "' should give the reason '"
                + reason.get() + "'");
        skipped("the backend has no backward: " + reason.get());
        return false;
    }

    /** Runs the backward on copies of its inputs, and checks afterwards that the originals are untouched. */
    private Map<String, Tensor> runBackward(AcdaLayer layer, Tensor x, Tensor dy) {
        Map<String, Tensor> paramsBefore = layer.stateDict();
        Tensor xCopy = x.copy();
        Tensor dyCopy = dy.copy();
        Map<String, Tensor> g = backend().backward(layer, xCopy, dyCopy);
        Compare.assertUnchanged(x, xCopy, "x");
        Compare.assertUnchanged(dy, dyCopy, "dy");
        paramsBefore.forEach((key, before) -> Compare.assertUnchanged(before, layer.param(key), key));
        return g;
    }

    /** A random upstream gradient for the output of {@code c}, uniform in {@code [-1, 1)}. */
    public static Tensor upstream(AcdaCase c) {
        AcdaConfig cfg = c.config();
        Tensor dy = Tensor.zeros(c.batch(), cfg.outChannels(), cfg.outSize(c.height()), cfg.outSize(c.width()));
        AcdaInit.fill(dy, new java.util.SplittableRandom(c.seed() + 0x5DEECE66DL), -1, 1);
        return dy;
    }

    @Example
    @MinimumCompared(cases = 2)
    void zeroUpstreamGradientGivesExactlyZeroGradients() {
        if (!hasBackward()) {
            return;
        }
        for (long seed = 1; seed <= 2; seed++) {
            AcdaConfig cfg = AcdaConfig.builder(3, 2, 5).stride((int) seed).padding(
                    seed == 2 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS).build();
            AcdaLayer layer = AcdaInit.randomized(cfg, seed);
            Tensor x = AcdaInit.input(cfg, 2, 7, 9, seed);
            Map<String, Tensor> g = runBackward(layer, x, Tensor.zeros(2, 2, cfg.outSize(7), cfg.outSize(9)));
            g.forEach((key, t) -> {
                for (int i = 0; i < t.size(); i++) {
                    assertEquals(0f, t.data()[i], 0f, "gradient " + key + " element " + i + " with dy = 0");
                }
                countElements(t.size());
            });
            counted(0);
        }
    }

    @Property(tries = 60)
    @MinimumCompared(cases = 30)
    void backwardMatchesTheOracleWithinTheBound(@ForAll("cases") AcdaCase c) {
        if (!hasBackward()) {
            return;
        }
        AcdaLayer layer = c.layer();
        Tensor x = c.input();
        Tensor dy = upstream(c);
        AcdaOracleBackward.Gradients oracle = AcdaOracleBackward.backward(layer, x, dy);
        Map<String, Tensor> g = runBackward(layer, x, dy);
        long compared = GradientCompare.assertAccepted(oracle, g, c);
        gradientRelativeError(GradientCompare.assertRelativeError(oracle, g, GRADIENT_RELATIVE_ERROR, c));
        counted(compared);
    }

    /**
     * With circular padding and stride 1 the layer commutes with cyclic shifts, so its backward does
     * too: shifting {@code x} and {@code dy} together shifts {@code dx} by the same amount (and leaves
     * every parameter gradient, a sum over all pixels, unchanged), within both elements' bounds.
     */
    @Property(tries = 24)
    @MinimumCompared(cases = 12)
    void backwardDxIsTranslationEquivariantWithCircularPadding(@ForAll("circularCases") AcdaCase c,
                                                               @ForAll("shifts") int sy, @ForAll("shifts") int sx) {
        if (!hasBackward()) {
            return;
        }
        AcdaLayer layer = c.layer();
        Tensor x = c.input();
        Tensor dy = upstream(c);
        AcdaOracleBackward.Gradients oracle = AcdaOracleBackward.backward(layer, x, dy);
        Map<String, Tensor> g = runBackward(layer, x, dy);
        Map<String, Tensor> gs = runBackward(layer, roll(x, sy, sx), roll(dy, sy, sx));
        Tensor dx = g.get(AcdaOracleBackward.INPUT);
        Tensor dxs = gs.get(AcdaOracleBackward.INPUT);
        AcdaOracleBackward.Gradient odx = oracle.byKey().get(AcdaOracleBackward.INPUT);
        int h = dx.dim(2);
        int w = dx.dim(3);
        for (int n = 0; n < dx.dim(0); n++) {
            for (int ch = 0; ch < dx.dim(1); ch++) {
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        int si = Math.floorMod(i - sy, h);
                        int sj = Math.floorMod(j - sx, w);
                        int idx = ((n * dx.dim(1) + ch) * h + si) * w + sj;
                        double tol = 2 * odx.tightBound(idx, Precision.FP32);
                        float expected = dx.data()[idx];
                        float actual = dxs.get(n, ch, i, j);
                        assertTrue(Math.abs(actual - expected) <= tol, "shift (" + sy + ", " + sx + "): dx (" + n + ", " + ch
                                + ", " + i + ", " + j + ") = " + actual + " but the unshifted dx at (" + si + ", " + sj
                                + ") is " + expected + ", tolerance " + tol + "; case " + c);
                    }
                }
            }
        }
        countElements(dx.size());
        oracle.byKey().forEach((key, og) -> {
            if (key.equals(AcdaOracleBackward.INPUT)) {
                return;
            }
            float[] a = g.get(key).data();
            float[] b = gs.get(key).data();
            for (int i = 0; i < a.length; i++) {
                double tol = 2 * og.tightBound(i, Precision.FP32);
                assertTrue(Math.abs(a[i] - b[i]) <= tol, "shift (" + sy + ", " + sx + "): gradient " + key + "[" + i + "] = "
                        + b[i] + " but unshifted " + a[i] + ", tolerance " + tol + "; case " + c);
            }
            countElements(a.length);
        });
        counted(0);
    }

    // ---------------------------------------------------------------------------------------------

    @Provide
    Arbitrary<AcdaCase> cases() {
        return AcdaArbitraries.cases();
    }

    @Provide
    Arbitrary<AcdaCase> circularCases() {
        return AcdaArbitraries.strideOneCases(PaddingMode.CIRCULAR, 13);
    }

    @Provide
    Arbitrary<AcdaCase> zeroCases() {
        return AcdaArbitraries.strideOneCases(PaddingMode.ZEROS, 13).filter(c -> c.height() >= 5 && c.width() >= 5)
                .map(c -> new AcdaCase(c.config(), c.batch(), c.height() + 2 * c.config().pad(),
                        c.width() + 2 * c.config().pad(), c.seed()));
    }

    @Provide
    Arbitrary<Integer> shifts() {
        return Arbitraries.integers().between(-15, 15);
    }

    @Provide
    Arbitrary<Integer> smallShifts() {
        return Arbitraries.integers().between(-3, 3);
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
