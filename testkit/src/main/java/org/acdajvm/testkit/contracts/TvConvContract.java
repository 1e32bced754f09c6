package org.acdajvm.testkit.contracts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.tvconv.TvConvConfig;
import org.acdajvm.layers.tvconv.TvConvKind;
import org.acdajvm.layers.tvconv.TvConvLayer;
import org.acdajvm.layers.tvconv.TvConvPaths;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.MinimumCompared;
import org.acdajvm.testkit.PlainConv;

/**
 * The contract of {@code tvconv} (translation-variant convolution): {@link LayerContract}'s properties on
 * {@link Spec}, and TVConv's own:
 * <ul>
 *   <li>an op that offers a precomputed-filter path ({@link TvConvPaths.Inference}) gives with it exactly the bits
 *       of the on-the-fly forward;</li>
 *   <li>an input whose height or width differs from the layer's is an {@link IllegalArgumentException} naming both
 *       sizes;</li>
 *   <li>the layer is <b>not</b> translation equivariant: shifting only the position map (cyclically) changes the
 *       output beyond the tight bound somewhere.</li>
 * </ul>
 * Known cases: a constant position map with every weight-net conv reduced to its centre tap and LayerNorm's affine
 * at its default (ones, zeros) makes every hidden map constant per channel, so the filter is the same at every
 * position and the layer is a depthwise conv, whose filter the test computes by hand (channel by channel, in
 * double) and applies with the independent {@link PlainConv#forward}. (With only the last conv reduced, the zero
 * padding of the earlier 3x3 convs would still make border positions differ.) A backend joins with
 * {@code @BackendUnderTest("name") public class TvConvNameContractTest extends TvConvContract {}}.
 */
public abstract class TvConvContract extends LayerContract<TvConvLayer> {

    @Override
    protected LayerSpec<TvConvLayer> createSpec() {
        return new Spec();
    }

    /** TVConv's cases: N 1..2, C 1..4, K in {1,3,5}, d 1..2, both modes, h 2..9, w 2..12, ca 1..3, mid 2..6, 1..2 blocks, bias or not. */
    public static final class Spec implements LayerSpec<TvConvLayer> {

        private record Geometry(int k, int d, PaddingMode mode, int h, int w) {
        }

        private record Net(int batch, int c, int ca, int mid, int layers, boolean bias) {
        }

        @Override
        public LayerKind<TvConvLayer> kind() {
            return TvConvKind.INSTANCE;
        }

        @Override
        public Arbitrary<LayerCase> cases() {
            Arbitrary<Geometry> geometry = Combinators.combine(Arbitraries.of(1, 3, 5), Arbitraries.integers().between(1, 2),
                    Arbitraries.of(PaddingMode.class), Arbitraries.integers().between(2, 9), Arbitraries.integers().between(2, 12))
                    .as((k, d, mode, h, w) -> {
                        // A circular read wraps at most once (as PyTorch's circular padding requires).
                        int least = mode == PaddingMode.CIRCULAR ? Math.max(2, d * (k - 1) / 2) : 2;
                        return new Geometry(k, d, mode, Math.max(h, least), Math.max(w, least));
                    });
            Arbitrary<Net> net = Combinators.combine(Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 4),
                    Arbitraries.integers().between(1, 3), Arbitraries.integers().between(2, 6), Arbitraries.integers().between(1, 2),
                    Arbitraries.of(true, false)).as(Net::new);
            return Combinators.combine(geometry, net, Arbitraries.longs()).as((g, n, seed) -> {
                TvConvConfig cfg = new TvConvConfig(n.c(), g.k(), g.d(), g.mode(), g.h(), g.w(), n.ca(), n.mid(), n.layers(),
                        n.bias());
                TvConvLayer layer = TvConvKind.random(cfg, seed);
                Inputs inputs = TvConvKind.INSTANCE.randomInputs(layer, n.batch(), g.h(), g.w(), seed ^ 0x9E3779B97F4A7C15L);
                return new LayerCase(layer, inputs, seed, "N=" + n.batch() + " " + cfg.summary() + " seed=" + seed);
            });
        }

        /** Constant map, centre-tap convs, default LayerNorm affine: a depthwise conv with a hand-computed filter. */
        @Override
        public List<KnownCase> knownCases() {
            int[][] settings = {{3, 1, 0, 0, 1}, {5, 1, 1, 1, 2}, {3, 2, 0, 1, 1}, {1, 1, 1, 0, 2}, {5, 2, 0, 1, 2}};
            List<KnownCase> known = new ArrayList<>();
            long seed = 21;
            for (int[] st : settings) {
                int k = st[0];
                int d = st[1];
                PaddingMode mode = st[2] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                boolean bias = st[3] == 1;
                int layers = st[4];
                TvConvConfig cfg = new TvConvConfig(3, k, d, mode, 7, 9, 2, 4, layers, bias);
                TvConvLayer layer = centreTapsOnly(TvConvKind.initial(cfg, seed), 0.75f);
                double[][][] filter = depthwiseFilter(layer);
                Inputs inputs = TvConvKind.INSTANCE.randomInputs(layer, 2, 7, 9, seed + 100);
                double[] expected = PlainConv.forward(inputs.x(), filter, PlainConv.toDouble(layer.biasOrZeros()), k, 1, d, mode);
                known.add(new KnownCase("constant map, centre-tap weight net = depthwise conv, " + cfg.summary(), layer,
                        inputs, expected));
                seed++;
            }
            return known;
        }

        /** {@code layer} with a constant position map {@code value} and every weight-net conv's off-centre taps zeroed. */
        static TvConvLayer centreTapsOnly(TvConvLayer layer, float value) {
            TvConvConfig c = layer.config();
            Map<String, Tensor> sd = new LinkedHashMap<>(layer.stateDict());
            java.util.Arrays.fill(sd.get(TvConvLayer.AFFINITY).data(), value);
            for (int l = 0; l <= c.layers(); l++) {
                float[] w = sd.get(TvConvLayer.convWeight(l)).data();
                for (int i = 0; i < w.length; i++) {
                    if (i % 9 != 4) {
                        w[i] = 0f;
                    }
                }
            }
            return new TvConvLayer(c, sd);
        }

        /**
         * The filter of a centre-tap, constant-map layer with default LayerNorm affine, channel by channel in double:
         * each hidden map is one number per channel, LayerNorm's statistics over {@code [mid, h, w]} are those of the
         * {@code mid} numbers (each repeated {@code h w} times); as a dense depthwise weight {@code [C][C][K*K]}.
         */
        static double[][][] depthwiseFilter(TvConvLayer layer) {
            TvConvConfig c = layer.config();
            double[] v = new double[c.affinityChannels()];
            java.util.Arrays.fill(v, layer.param(TvConvLayer.AFFINITY)[0]);
            for (int l = 0; l <= c.layers(); l++) {
                float[] w = layer.param(TvConvLayer.convWeight(l));
                float[] b = layer.param(TvConvLayer.convBias(l));
                int in = c.convIn(l);
                double[] g = new double[c.convOut(l)];
                for (int j = 0; j < g.length; j++) {
                    g[j] = b[j];
                    for (int i = 0; i < in; i++) {
                        g[j] += w[(j * in + i) * 9 + 4] * v[i];
                    }
                }
                if (l == c.layers()) {
                    v = g;
                    break;
                }
                double mean = 0;
                for (double x : g) {
                    mean += x / g.length;
                }
                double var = 0;
                for (double x : g) {
                    var += (x - mean) * (x - mean) / g.length;
                }
                v = new double[g.length];
                for (int j = 0; j < g.length; j++) {
                    v[j] = Math.max(0, (g[j] - mean) / Math.sqrt(var + TvConvLayer.LN_EPS));
                }
            }
            int taps = c.taps();
            double[][][] dense = new double[c.channels()][c.channels()][taps];
            for (int ch = 0; ch < c.channels(); ch++) {
                for (int u = 0; u < taps; u++) {
                    dense[ch][ch][u] = v[ch * taps + u];
                }
            }
            return dense;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // TVConv's own properties.

    @Property(tries = 12)
    @MinimumCompared(cases = 6)
    void tvconvPrecomputedFiltersGiveTheOnTheFlyBits(@ForAll("layerCases") LayerCase c) {
        if (!(op() instanceof TvConvPaths.Inference inference)) {
            skipped("backend '" + backendName() + "' has no precomputed-filter path (its op is not a TvConvPaths.Inference)");
            return;
        }
        TvConvLayer layer = kind().cast(c.layer());
        float[] filter = inference.precompute(layer);
        Tensor onTheFly = run(layer, c.inputs());
        Tensor precomputed = inference.forward(layer, filter, c.inputs());
        assertArrayEquals(onTheFly.data(), precomputed.data(), "precomputed filter vs on the fly; case " + c);
        // The same filter serves another input of the same layer.
        Inputs other = TvConvKind.INSTANCE.randomInputs(layer, 1, layer.config().height(), layer.config().width(), c.seed() + 1);
        assertArrayEquals(run(layer, other).data(), inference.forward(layer, filter, other).data(),
                "precomputed filter reused on another input; case " + c);
        counted(onTheFly.size() + other.x().size());
    }

    @Property(tries = 8)
    @MinimumCompared(cases = 4)
    void tvconvNamesBothSizesForAnInputOfAnotherSize(@ForAll("layerCases") LayerCase c,
                                                    @ForAll("sizeChanges") int dh, @ForAll("sizeChanges") int dw) {
        TvConvLayer layer = kind().cast(c.layer());
        TvConvConfig cfg = layer.config();
        int h = Math.max(1, cfg.height() + dh);
        int w = Math.max(1, cfg.width() + (h == cfg.height() && dw == 0 ? 1 : dw));
        Tensor x = Tensor.zeros(1, cfg.channels(), h, w);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> op().forward(layer, Inputs.of(x)), "an input of " + h + "x" + w + " for a layer built for "
                        + cfg.height() + "x" + cfg.width() + " must be refused");
        String m = e.getMessage();
        assertTrue(m != null && m.contains(h + "x" + w) && m.contains(cfg.height() + "x" + cfg.width()) && m.contains("'x'"),
                "the error should name the input 'x', its size " + h + "x" + w + " and the layer's " + cfg.height() + "x"
                        + cfg.width() + ", but says: " + m);
        counted(1);
    }

    @Property(tries = 12)
    @MinimumCompared(cases = 6)
    void tvconvIsNotTranslationEquivariantShiftingThePositionMapChangesTheOutput(@ForAll("layerCases") LayerCase c,
                                                                                @ForAll("layerShifts") int dy,
                                                                                @ForAll("layerShifts") int dx) {
        TvConvLayer layer = kind().cast(c.layer());
        TvConvConfig cfg = layer.config();
        // A shift that moves the map: at least one non-trivial cyclic offset.
        int sy = Math.floorMod(dy, cfg.height());
        int sx = Math.floorMod(dx, cfg.width());
        if (sy == 0 && sx == 0) {
            sx = 1;
        }
        Tensor a = layer.stateDict().get(TvConvLayer.AFFINITY);
        Tensor rolled = roll(a.copy().reshape(1, a.dim(0), a.dim(1), a.dim(2)), sy, sx).reshape(a.dim(0), a.dim(1), a.dim(2));
        TvConvLayer shifted = layer.with(TvConvLayer.AFFINITY, rolled);
        OracleResult oracle = kind().oracleForward(layer, c.inputs());
        Tensor y = run(layer, c.inputs());
        Tensor ys = run(shifted, c.inputs());
        double excess = 0;
        for (int i = 0; i < y.size(); i++) {
            double tol = 2 * oracle.tightBound(i, op().evaluation(), Precision.FP32);
            excess = Math.max(excess, Math.abs(ys.data()[i] - y.data()[i]) / tol);
        }
        assertTrue(excess > 1, "shifting only the position map by (" + sy + ", " + sx + ") left the output within twice the"
                + " tight bound everywhere (largest ratio " + excess + "): TVConv's filters must depend on position; case " + c);
        counted(y.size());
    }

    @Provide
    Arbitrary<Integer> sizeChanges() {
        return Arbitraries.integers().between(-2, 3);
    }
}
