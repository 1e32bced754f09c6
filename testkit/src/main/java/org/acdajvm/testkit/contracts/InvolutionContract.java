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
import org.acdajvm.layers.involution.InvolutionConfig;
import org.acdajvm.layers.involution.InvolutionKind;
import org.acdajvm.layers.involution.InvolutionLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.PlainConv;

/**
 * The contract of {@code involution}: {@link LayerContract}'s properties on {@link Spec}. It is translation equivariant
 * under circular padding and stride 1 (its kernel is a function of the pixel's own features). Known cases: with
 * {@code G = C}, {@code span.weight = 0} and {@code span.bias} a kernel, every pixel's kernel is that constant kernel
 * and the layer is a depthwise convolution, computed by the independent {@link PlainConv#conv} with a block-diagonal
 * weight ({@code weight[c, c, u] = kernel[c, u]}, zero off the diagonal). A backend joins with
 * {@code @BackendUnderTest("name") public class InvolutionNameContractTest extends InvolutionContract {}}.
 */
public abstract class InvolutionContract extends LayerContract<InvolutionLayer> {

    @Override
    protected LayerSpec<InvolutionLayer> createSpec() {
        return new Spec();
    }

    /** Involution's cases: N 1..2, C 1..8 with every divisor as G, r 1..C, K in {1, 3, 5}, s 1..3, d 1..2, both modes. */
    public static final class Spec implements LayerSpec<InvolutionLayer> {

        private record Geometry(int k, int s, int d, PaddingMode mode) {
        }

        private record Sizes(int batch, int channels, int groupPick, int reductionPick, int h, int w) {
        }

        @Override
        public LayerKind<InvolutionLayer> kind() {
            return InvolutionKind.INSTANCE;
        }

        @Override
        public Arbitrary<LayerCase> cases() {
            Arbitrary<Geometry> geometry = Combinators.combine(Arbitraries.of(1, 3, 5), Arbitraries.integers().between(1, 3),
                    Arbitraries.integers().between(1, 2), Arbitraries.of(PaddingMode.class)).as(Geometry::new);
            return cases(geometry, 10);
        }

        private static Arbitrary<LayerCase> cases(Arbitrary<Geometry> geometry, int maxSize) {
            Arbitrary<Sizes> sizes = Combinators.combine(Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 8),
                    Arbitraries.integers().between(0, 7), Arbitraries.integers().between(1, 8),
                    Arbitraries.integers().between(1, maxSize), Arbitraries.integers().between(1, maxSize)).as(Sizes::new);
            return Combinators.combine(geometry, sizes, Arbitraries.longs()).as((g, z, seed) -> {
                List<Integer> divisors = new ArrayList<>();
                for (int v = 1; v <= z.channels(); v++) {
                    if (z.channels() % v == 0) {
                        divisors.add(v);
                    }
                }
                int groups = divisors.get(z.groupPick() % divisors.size());
                int reduction = 1 + (z.reductionPick() - 1) % z.channels();
                InvolutionConfig cfg = new InvolutionConfig(z.channels(), g.k(), g.s(), g.d(), g.mode(), groups, reduction);
                // A circular wrap of at most one image.
                int least = Math.max(1, cfg.padding());
                int h = Math.max(z.h(), least);
                int w = Math.max(z.w(), least);
                InvolutionLayer layer = InvolutionKind.random(cfg, seed);
                Inputs inputs = InvolutionKind.INSTANCE.randomInputs(layer, z.batch(), h, w, seed ^ 0x9E3779B97F4A7C15L);
                return new LayerCase(layer, inputs, seed, "N=" + z.batch() + " " + h + "x" + w + " " + cfg.summary()
                        + " seed=" + seed);
            });
        }

        @Override
        public Optional<Equivariance> equivariance() {
            Arbitrary<Geometry> same = Combinators.combine(Arbitraries.of(1, 3, 5), Arbitraries.integers().between(1, 2))
                    .as((k, d) -> new Geometry(k, 1, d, PaddingMode.CIRCULAR));
            return Optional.of(new Equivariance(Map.of("padding_mode", PaddingMode.CIRCULAR.id(), "stride", "1"),
                    List.of(Inputs.X), cases(same, 11)));
        }

        /** {@code G = C}, a constant kernel: a depthwise conv ({@link PlainConv#conv} with a block-diagonal weight). */
        @Override
        public List<KnownCase> knownCases() {
            int[][] settings = {{3, 3, 1, 1, 0, 1}, {4, 5, 2, 1, 1, 2}, {2, 3, 1, 2, 1, 2}, {5, 1, 3, 1, 0, 5},
                    {3, 5, 3, 2, 0, 1}, {6, 3, 2, 1, 1, 3}};      // C, K, s, d, circular, r
            List<KnownCase> known = new ArrayList<>();
            long seed = 13;
            for (int[] st : settings) {
                int ch = st[0];
                int k = st[1];
                PaddingMode mode = st[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                InvolutionConfig cfg = new InvolutionConfig(ch, k, st[2], st[3], mode, ch, st[5]);
                InvolutionLayer layer = InvolutionKind.random(cfg, seed).with(InvolutionLayer.SPAN_WEIGHT,
                        Tensor.zeros(cfg.kernelChannels(), cfg.reduced(), 1, 1));
                float[] kernel = layer.data(InvolutionLayer.SPAN_BIAS);
                int taps = k * k;
                double[] weight = new double[ch * ch * taps];
                for (int c = 0; c < ch; c++) {
                    for (int u = 0; u < taps; u++) {
                        weight[(c * ch + c) * taps + u] = kernel[c * taps + u];
                    }
                }
                Tensor x = InvolutionKind.INSTANCE.randomInputs(layer, 2, 9, 8, seed + 40).x();
                double[] expected = PlainConv.conv(x, weight, null, ch, k, st[2], st[3], cfg.padding(), mode, false);
                known.add(new KnownCase("G = C, constant kernel (span.weight = 0) = depthwise conv, " + cfg.summary(), layer,
                        Inputs.of(x), expected));
                seed++;
            }
            return known;
        }
    }
}
