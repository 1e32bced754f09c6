package org.acdajvm.testkit.contracts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import net.jqwik.api.Arbitrary;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.PlainConv;

/**
 * The contract of {@code pac-pool}: {@link LayerContract}'s properties on {@link Spec}. Known cases, against the
 * independent {@link PlainConv#pool}: with a constant guidance the kernel is a constant {@code k0} (1 for
 * gaussian), so the weighted sum is {@code k0} times sum pooling and the normalised pool ({@code pool_mode =
 * average}) is average pooling over the in-image taps; with {@code K = 1} the normalised pool returns the input
 * (strided) whatever the guidance. A backend joins with
 * {@code @BackendUnderTest("name") public class PacPoolNameContractTest extends PacPoolContract {}}.
 */
public abstract class PacPoolContract extends LayerContract<PacLayer> {

    @Override
    protected LayerSpec<PacLayer> createSpec() {
        return new Spec();
    }

    /** PAC pool's cases ({@link PacArbitraries#cases}), equivariant under circular padding and stride 1. */
    public static final class Spec implements LayerSpec<PacLayer> {

        @Override
        public LayerKind<PacLayer> kind() {
            return PacKind.POOL;
        }

        @Override
        public Arbitrary<LayerCase> cases() {
            return PacArbitraries.cases(PacConfig.Variant.POOL);
        }

        @Override
        public Optional<Equivariance> equivariance() {
            return Optional.of(new Equivariance(Map.of("padding_mode", PaddingMode.CIRCULAR.id(), "stride", "1"),
                    List.of(Inputs.X, PacKind.GUIDANCE, PacKind.KERNEL), PacArbitraries.equivariantCases(PacConfig.Variant.POOL)));
        }

        @Override
        public List<KnownCase> knownCases() {
            // K, s, d, p, circular, channel-wise, average, inverse, random guidance
            int[][] settings = {{3, 1, 1, 1, 0, 0, 0, 0, 0}, {3, 2, 1, 1, 1, 0, 0, 1, 0}, {5, 1, 2, 4, 0, 1, 0, 0, 0},
                    {3, 1, 1, 1, 0, 0, 1, 0, 0}, {5, 2, 1, 2, 0, 1, 1, 1, 0}, {3, 2, 2, 0, 0, 0, 1, 0, 0},
                    {1, 1, 1, 0, 0, 0, 1, 0, 1}, {1, 2, 1, 0, 1, 1, 1, 1, 1}};
            List<KnownCase> known = new ArrayList<>();
            long seed = 11;
            for (int[] st : settings) {
                int k = st[0];
                int s = st[1];
                int d = st[2];
                int p = st[3];
                PaddingMode mode = st[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                boolean channelWise = st[5] == 1;
                boolean average = st[6] == 1;
                PacConfig.KernelType type = st[7] == 1 ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN;
                boolean randomGuidance = st[8] == 1;
                int chans = 3;
                int cf = channelWise ? chans : 2;
                PacConfig cfg = new PacConfig(PacConfig.Variant.POOL, chans, chans, k, s, d, p, mode, 0, type, channelWise,
                        average, cf, false);
                PacLayer layer = PacKind.random(cfg, seed);
                Tensor x = PacArbitraries.randomImage(seed + 50, 2, chans, 9, 8);
                Tensor guidance = randomGuidance ? PacArbitraries.randomImage(seed + 70, 2, cf, 9, 8)
                        : PacArbitraries.constant(-0.4f, 2, cf, 9, 8);
                double[] expected = PlainConv.pool(x, k, s, d, p, mode, average);
                double k0 = average ? 1 : PacArbitraries.constantGuidanceKernel(layer);
                for (int i = 0; i < expected.length; i++) {
                    expected[i] *= k0;
                }
                String what = randomGuidance ? "K = 1 normalised pool = the input (any guidance)"
                        : average ? "constant guidance, normalised = average pool over in-image taps"
                        : "constant guidance = k0 * sum pool";
                known.add(new KnownCase(what + ", " + cfg.summary(), layer,
                        Inputs.builder().put(Inputs.X, x).put(PacKind.GUIDANCE, guidance).build(), expected));
                seed++;
            }
            return known;
        }
    }
}
