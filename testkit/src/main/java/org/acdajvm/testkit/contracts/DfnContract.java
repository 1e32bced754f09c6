package org.acdajvm.testkit.contracts;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.dfn.DfnConfig;
import org.acdajvm.layers.dfn.DfnKind;
import org.acdajvm.layers.dfn.DfnLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.MinimumCompared;

/**
 * The contract of dynamic local filtering ({@code dynamic-filter}): {@link LayerContract}'s properties on
 * {@link Spec} (translation equivariant when {@code x} and the filter shift together, circular padding, stride 1),
 * whose known cases are written with an independent loop here ({@link #boxSum}): a raw delta filter (1 at the centre
 * tap) is the identity, the softmax of a constant filter is the mean over the {@code K^2} taps (the box filter, a
 * padding zero counting as a tap), a raw constant filter {@code k} is {@code k} times the box sum, and {@code K = 1}
 * with softmax is the (strided) input whatever the filter. Its own property: on every generated geometry, a raw delta
 * filter returns the input exactly (bit for bit: {@code 1 * x} and {@code 0 * x} are exact). A backend joins with
 * {@code @BackendUnderTest("name") public class DfnNameContractTest extends DfnContract {}}.
 */
public abstract class DfnContract extends LayerContract<DfnLayer> {

    @Override
    protected LayerSpec<DfnLayer> createSpec() {
        return new Spec();
    }

    /**
     * Cases: N 1..2, C 1..6, K in {1,3,5}, s 1..3, d 1..2, padding up to {@code d(K-1)/2 + 1}, both modes, softmax or
     * not; the filter uniform in {@code [-2, 2)}, in one case in four scaled by 10 (a softmax with dominant taps,
     * weights near 0 and 1).
     */
    public static final class Spec implements LayerSpec<DfnLayer> {

        private record Geometry(int k, int s, int d, int p, PaddingMode mode) {
        }

        private record Sizes(int batch, int channels, int h, int w, boolean softmax, boolean sharp) {
        }

        @Override
        public LayerKind<DfnLayer> kind() {
            return DfnKind.INSTANCE;
        }

        @Override
        public Arbitrary<LayerCase> cases() {
            Arbitrary<Geometry> geometry = Combinators.combine(Arbitraries.of(1, 3, 5), Arbitraries.integers().between(1, 3),
                    Arbitraries.integers().between(1, 2), Arbitraries.integers().between(0, 3), Arbitraries.of(PaddingMode.class))
                    .as((k, s, d, p, mode) -> new Geometry(k, s, d,
                            Math.min(p, mode == PaddingMode.CIRCULAR ? d * (k - 1) / 2 : d * (k - 1) / 2 + 1), mode));
            return cases(geometry, 11);
        }

        private static Arbitrary<LayerCase> cases(Arbitrary<Geometry> geometry, int maxSize) {
            Arbitrary<Sizes> sizes = Combinators.combine(Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 6),
                    Arbitraries.integers().between(1, maxSize), Arbitraries.integers().between(1, maxSize),
                    Arbitraries.of(true, false), Arbitraries.integers().between(0, 3).map(i -> i == 0)).as(Sizes::new);
            return Combinators.combine(geometry, sizes, Arbitraries.longs()).as((g, z, seed) -> {
                DfnConfig cfg = new DfnConfig(z.channels(), g.k(), g.s(), g.d(), g.p(), g.mode(), z.softmax());
                int least = Math.max(Math.max(1, g.p()), g.d() * (g.k() - 1) + 1 - 2 * g.p());
                int h = Math.max(z.h(), least);
                int w = Math.max(z.w(), least);
                DfnLayer layer = new DfnLayer(cfg);
                Inputs inputs = DfnKind.INSTANCE.randomInputs(layer, z.batch(), h, w, seed ^ 0x9E3779B97F4A7C15L);
                if (z.sharp()) {
                    Tensor f = inputs.require(DfnKind.FILTER).copy();
                    float[] d = f.data();
                    for (int i = 0; i < d.length; i++) {
                        d[i] *= 10;
                    }
                    inputs = inputs.with(DfnKind.FILTER, f);
                }
                return new LayerCase(layer, inputs, seed, "N=" + z.batch() + " " + h + "x" + w + " " + cfg.summary()
                        + (z.sharp() ? " (filter x10)" : "") + " seed=" + seed);
            });
        }

        @Override
        public Optional<Equivariance> equivariance() {
            Arbitrary<Geometry> same = Combinators.combine(Arbitraries.of(1, 3, 5), Arbitraries.integers().between(1, 2))
                    .as((k, d) -> new Geometry(k, 1, d, d * (k - 1) / 2, PaddingMode.CIRCULAR));
            return Optional.of(new Equivariance(Map.of("padding_mode", PaddingMode.CIRCULAR.id(), "stride", "1"),
                    List.of(Inputs.X, DfnKind.FILTER), cases(same, 12)));
        }

        @Override
        public List<KnownCase> knownCases() {
            // K, s, d, p, circular, softmax, filter: 0 delta, 1 constant 0.7, 2 random (K = 1 only)
            int[][] settings = {{3, 1, 1, 1, 0, 0, 0}, {5, 1, 2, 4, 1, 0, 0}, {3, 2, 1, 1, 0, 1, 1}, {5, 1, 1, 2, 1, 1, 1},
                    {3, 1, 2, 2, 0, 0, 1}, {1, 2, 1, 0, 0, 1, 2}, {3, 3, 1, 0, 1, 1, 1}};
            List<KnownCase> known = new ArrayList<>();
            long seed = 21;
            for (int[] st : settings) {
                int k = st[0];
                int s = st[1];
                int d = st[2];
                int p = st[3];
                PaddingMode mode = st[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                boolean softmax = st[5] == 1;
                DfnConfig cfg = new DfnConfig(3, k, s, d, p, mode, softmax);
                DfnLayer layer = new DfnLayer(cfg);
                Inputs random = DfnKind.INSTANCE.randomInputs(layer, 2, 9, 8, seed++);
                Tensor x = random.x();
                Tensor f = random.require(DfnKind.FILTER);
                int[] fs = f.shape();
                int taps = k * k;
                double[] expected;
                String what;
                switch (st[6]) {
                    case 0 -> {
                        f = Tensor.zeros(fs);
                        for (int n = 0; n < fs[0]; n++) {
                            for (int i = 0; i < fs[2] * fs[3]; i++) {
                                f.data()[(n * taps + taps / 2) * fs[2] * fs[3] + i] = 1f;
                            }
                        }
                        expected = widen(x);
                        what = "raw delta filter = the identity";
                    }
                    case 1 -> {
                        f = Tensor.zeros(fs);
                        Arrays.fill(f.data(), 0.7f);
                        expected = boxSum(x, k, s, d, p, mode);
                        double scale = softmax ? 1.0 / taps : 0.7f;
                        for (int i = 0; i < expected.length; i++) {
                            expected[i] *= scale;
                        }
                        what = softmax ? "softmax of a constant filter = the box mean over the K^2 taps"
                                : "raw constant filter 0.7 = 0.7 * the box sum";
                    }
                    default -> {
                        expected = boxSum(x, k, s, d, p, mode);
                        what = "K = 1 with softmax = the strided input, whatever the filter";
                    }
                }
                known.add(new KnownCase(what + ", " + cfg.summary(), layer,
                        Inputs.builder().put(Inputs.X, x).put(DfnKind.FILTER, f).build(), expected));
            }
            return known;
        }
    }

    /**
     * The independent box sum: {@code out[n,c,h',w'] = sum_{a,b < K} xp[n, c, s h' + d a - p, s w' + d b - p]} with
     * {@code xp} zero outside the image or wrapped ({@code circular}), output {@code floor((H + 2p - d(K-1) - 1)/s) + 1}.
     */
    public static double[] boxSum(Tensor x, int k, int s, int d, int p, PaddingMode mode) {
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        int oh = (h + 2 * p - d * (k - 1) - 1) / s + 1;
        int ow = (w + 2 * p - d * (k - 1) - 1) / s + 1;
        double[] out = new double[n * c * oh * ow];
        for (int i0 = 0; i0 < n; i0++) {
            for (int i1 = 0; i1 < c; i1++) {
                for (int i2 = 0; i2 < oh; i2++) {
                    for (int i3 = 0; i3 < ow; i3++) {
                        double sum = 0;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int r = s * i2 + d * a - p;
                                int q = s * i3 + d * b - p;
                                if (mode == PaddingMode.CIRCULAR) {
                                    r = Math.floorMod(r, h);
                                    q = Math.floorMod(q, w);
                                } else if (r < 0 || r >= h || q < 0 || q >= w) {
                                    continue;
                                }
                                sum += x.get(i0, i1, r, q);
                            }
                        }
                        out[((i0 * c + i1) * oh + i2) * ow + i3] = sum;
                    }
                }
            }
        }
        return out;
    }

    private static double[] widen(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.data()[i];
        }
        return d;
    }

    /** A raw delta filter (1 at the centre tap) with stride 1 and padding {@code d(K-1)/2} returns {@code x} bit for bit. */
    @Property(tries = 16)
    @MinimumCompared(cases = 8)
    void dynamicFilterWithARawDeltaFilterIsTheIdentity(@ForAll("equivariantCases") LayerCase c) {
        DfnLayer layer = kind().cast(c.layer());
        DfnConfig cfg = layer.config();
        DfnLayer raw = new DfnLayer(new DfnConfig(cfg.inChannels(), cfg.kernelSize(), 1, cfg.dilation(),
                cfg.dilation() * (cfg.kernelSize() - 1) / 2, cfg.paddingMode(), false));
        Tensor f = Tensor.zeros(c.inputs().require(DfnKind.FILTER).shape());
        int taps = cfg.taps();
        int plane = f.dim(2) * f.dim(3);
        for (int n = 0; n < f.dim(0); n++) {
            for (int i = 0; i < plane; i++) {
                f.data()[(n * taps + taps / 2) * plane + i] = 1f;
            }
        }
        Tensor x = c.inputs().x();
        Tensor y = run(raw, c.inputs().with(DfnKind.FILTER, f));
        assertTrue(y.hasShape(x.shape()), "shape " + y.shapeString() + " vs x " + x.shapeString());
        for (int i = 0; i < y.size(); i++) {
            if (y.data()[i] != x.data()[i]) {
                throw new AssertionError("delta filter: y[" + i + "] = " + y.data()[i] + ", x = " + x.data()[i] + "; case " + c);
            }
        }
        counted(y);
    }
}
