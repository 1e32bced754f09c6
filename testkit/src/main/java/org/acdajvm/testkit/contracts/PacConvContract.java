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
 * The contract of {@code pac-conv}: {@link LayerContract}'s properties on {@link Spec}. Known cases: with a
 * constant guidance every in-image kernel value is the same constant {@code k0} (1 for gaussian), so PAC conv is
 * the plain conv with weight {@code k0 W}, and with kernel normalisation (zero padding) the plain conv whose sum
 * is divided by the number of in-image taps, both computed by the independent {@link PlainConv#conv}. A backend
 * joins with {@code @BackendUnderTest("name") public class PacConvNameContractTest extends PacConvContract {}}.
 */
public abstract class PacConvContract extends LayerContract<PacLayer> {

    @Override
    protected LayerSpec<PacLayer> createSpec() {
        return new Spec();
    }

    /** PAC conv's cases ({@link PacArbitraries#cases}), equivariant under circular padding and stride 1. */
    public static final class Spec implements LayerSpec<PacLayer> {

        @Override
        public LayerKind<PacLayer> kind() {
            return PacKind.CONV;
        }

        @Override
        public Arbitrary<LayerCase> cases() {
            return PacArbitraries.cases(PacConfig.Variant.CONV);
        }

        @Override
        public Optional<Equivariance> equivariance() {
            return Optional.of(new Equivariance(Map.of("padding_mode", PaddingMode.CIRCULAR.id(), "stride", "1"),
                    List.of(Inputs.X, PacKind.GUIDANCE, PacKind.KERNEL), PacArbitraries.equivariantCases(PacConfig.Variant.CONV)));
        }

        @Override
        public List<KnownCase> knownCases() {
            // K, s, d, p, circular, channel-wise, normalised, inverse; the centre tap stays inside the image (p <= d(K-1)/2).
            int[][] settings = {{3, 1, 1, 1, 0, 0, 0, 0}, {5, 2, 1, 2, 1, 0, 0, 0}, {3, 1, 2, 1, 0, 1, 0, 0},
                    {5, 3, 1, 0, 0, 0, 0, 1}, {3, 1, 1, 1, 0, 0, 1, 0}, {5, 2, 2, 3, 0, 1, 1, 0}, {3, 2, 1, 1, 0, 0, 1, 1},
                    {1, 1, 1, 0, 1, 0, 0, 1}};
            List<KnownCase> known = new ArrayList<>();
            long seed = 1;
            for (int[] st : settings) {
                int k = st[0];
                int s = st[1];
                int d = st[2];
                int p = st[3];
                PaddingMode mode = st[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                boolean channelWise = st[5] == 1;
                boolean normalize = st[6] == 1;
                PacConfig.KernelType type = st[7] == 1 ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN;
                int inC = 3;
                int outC = 2;
                int cf = channelWise ? inC : 2;
                PacConfig cfg = new PacConfig(PacConfig.Variant.CONV, inC, outC, k, s, d, p, mode, 0, type, channelWise,
                        normalize, cf, seed % 2 == 1);
                PacLayer layer = PacKind.random(cfg, seed);
                Tensor x = PacArbitraries.randomImage(seed + 50, 2, inC, 9, 8);
                Tensor guidance = PacArbitraries.constant(0.7f, 2, cf, 9, 8);
                double k0 = PacArbitraries.constantGuidanceKernel(layer);
                double[] weight = PlainConv.toDouble(layer.param(PacLayer.WEIGHT).data());
                for (int i = 0; i < weight.length; i++) {
                    weight[i] *= normalize ? 1 : k0;
                }
                double[] expected = PlainConv.conv(x, weight, cfg.bias() ? PlainConv.toDouble(layer.biasOrZeros()) : null, outC,
                        k, s, d, p, mode, normalize);
                known.add(new KnownCase("constant guidance = plain conv" + (normalize ? " / in-image taps" : " * k0") + ", "
                        + cfg.summary(), layer, Inputs.builder().put(Inputs.X, x).put(PacKind.GUIDANCE, guidance).build(),
                        expected));
                seed++;
            }
            return known;
        }
    }
}
