package org.acdajvm.testkit.contracts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.ConvConfig;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.conv.ConvLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.PlainConv;

/**
 * The contract of the plain convolution layer {@code conv} ({@code nn.Conv2d}): {@link LayerContract}'s
 * properties on {@link Spec}, whose known cases are a delta input, which returns the weight (written out here
 * by hand), and random inputs against the independent {@link PlainConv#conv}. A backend joins with
 * {@code @BackendUnderTest("name") public class ConvNameContractTest extends ConvContract {}}.
 */
public abstract class ConvContract extends LayerContract<ConvLayer> {

    @Override
    protected LayerSpec<ConvLayer> createSpec() {
        return new Spec();
    }

    /** Plain conv's cases: N 1..2, C and O 1..6, K in {1,3,5}, s 1..3, d 1..2, padding 0..d(K-1)/2+1, both modes, bias or not. */
    public static final class Spec implements LayerSpec<ConvLayer> {

        private record Geometry(int k, int s, int d, int p, PaddingMode mode) {
        }

        private record Sizes(int batch, int inC, int outC, int h, int w, boolean bias) {
        }

        @Override
        public LayerKind<ConvLayer> kind() {
            return ConvKind.INSTANCE;
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
                    Arbitraries.integers().between(1, 6), Arbitraries.integers().between(1, maxSize),
                    Arbitraries.integers().between(1, maxSize), Arbitraries.of(true, false)).as(Sizes::new);
            return Combinators.combine(geometry, sizes, Arbitraries.longs()).as((g, z, seed) -> {
                ConvConfig cfg = new ConvConfig(z.inC(), z.outC(), g.k(), g.s(), g.d(), g.p(), g.mode(), z.bias());
                // The smallest image the geometry reads sensibly: a non-empty output, and a circular wrap of at most one image.
                int least = Math.max(Math.max(1, g.p()), g.d() * (g.k() - 1) + 1 - 2 * g.p());
                int h = Math.max(z.h(), least);
                int w = Math.max(z.w(), least);
                ConvLayer layer = ConvKind.random(cfg, seed);
                Inputs inputs = ConvKind.INSTANCE.randomInputs(layer, z.batch(), h, w, seed ^ 0x9E3779B97F4A7C15L);
                return new LayerCase(layer, inputs, seed, "N=" + z.batch() + " " + h + "x" + w + " " + cfg.summary()
                        + " seed=" + seed);
            });
        }

        @Override
        public Optional<Equivariance> equivariance() {
            Arbitrary<Geometry> same = Combinators.combine(Arbitraries.of(1, 3, 5), Arbitraries.integers().between(1, 2))
                    .as((k, d) -> new Geometry(k, 1, d, d * (k - 1) / 2, PaddingMode.CIRCULAR));
            return Optional.of(new Equivariance(Map.of("padding_mode", PaddingMode.CIRCULAR.id(), "stride", "1"),
                    List.of(Inputs.X), cases(same, 12)));
        }

        /**
         * A delta input at channel {@code c0}, pixel {@code (h0, w0)} gives {@code y[o, i, j] = bias[o] + weight[o, c0, a, b]}
         * summed over the taps {@code (a, b)} that read {@code (h0, w0)}, and exactly the bias elsewhere; and random inputs
         * give {@link PlainConv#conv}'s answer.
         */
        @Override
        public List<KnownCase> knownCases() {
            int[][] geometries = {{3, 1, 1, 1, 0}, {5, 2, 1, 2, 0}, {3, 1, 2, 2, 1}, {5, 3, 2, 1, 0}, {1, 2, 1, 0, 0},
                    {3, 2, 1, 0, 1}};      // K, s, d, p, circular
            List<KnownCase> known = new ArrayList<>();
            int h = 11;
            int w = 10;
            int c0 = 1;
            int h0 = 5;
            int w0 = 4;
            for (int[] g : geometries) {
                int k = g[0];
                int s = g[1];
                int d = g[2];
                int p = g[3];
                PaddingMode mode = g[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                ConvConfig cfg = new ConvConfig(2, 3, k, s, d, p, mode, true);
                ConvLayer layer = ConvKind.random(cfg, 31L * k + 7L * s + d);
                Tensor x = Tensor.zeros(1, 2, h, w);
                x.set(0, c0, h0, w0, 1f);
                int outH = PlainConv.outSize(h, k, s, d, p);
                int outW = PlainConv.outSize(w, k, s, d, p);
                float[] weight = layer.weight();
                float[] bias = layer.biasOrZeros();
                double[] expected = new double[3 * outH * outW];
                for (int o = 0; o < 3; o++) {
                    for (int i = 0; i < outH; i++) {
                        for (int j = 0; j < outW; j++) {
                            double v = bias[o];
                            for (int a = 0; a < k; a++) {
                                for (int b = 0; b < k; b++) {
                                    int r = s * i + d * a - p;
                                    int q = s * j + d * b - p;
                                    if (mode == PaddingMode.CIRCULAR) {
                                        r = Math.floorMod(r, h);
                                        q = Math.floorMod(q, w);
                                    }
                                    if (r == h0 && q == w0) {
                                        v += weight[((o * 2 + c0) * k + a) * k + b];
                                    }
                                }
                            }
                            expected[(o * outH + i) * outW + j] = v;
                        }
                    }
                }
                known.add(new KnownCase("delta input returns the weight, K=" + k + " s=" + s + " d=" + d + " p=" + p + " "
                        + mode.id(), layer, Inputs.of(x), expected));
            }
            for (long seed = 1; seed <= 2; seed++) {
                ConvConfig cfg = new ConvConfig(3, 2, 3, (int) seed, 1, 1, seed == 1 ? PaddingMode.ZEROS : PaddingMode.CIRCULAR,
                        seed == 1);
                ConvLayer layer = ConvKind.random(cfg, seed);
                Inputs inputs = ConvKind.INSTANCE.randomInputs(layer, 2, 7, 9, seed + 100);
                double[] expected = PlainConv.conv(inputs.x(), PlainConv.toDouble(layer.weight()),
                        cfg.bias() ? PlainConv.toDouble(layer.biasOrZeros()) : null, 2, 3, cfg.stride(), 1, 1,
                        cfg.paddingMode(), false);
                known.add(new KnownCase("random input = the independent plain conv, " + cfg.summary(), layer, inputs, expected));
            }
            return known;
        }
    }
}
