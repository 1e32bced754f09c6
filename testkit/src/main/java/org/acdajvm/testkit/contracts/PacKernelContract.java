package org.acdajvm.testkit.contracts;

import java.util.ArrayList;
import java.util.Arrays;
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
 * The contract of {@code pac-kernel}, PAC's adapting kernel alone ({@code x} is the guidance; the output is
 * {@code K[n, G K^2, H', W']}): {@link LayerContract}'s properties on {@link Spec}. Known cases: where every tap
 * reads the image (circular padding, or no padding) a constant guidance gives the constant {@code k0} at every tap
 * (1 for gaussian, {@code inv_alpha + (1e-4)^(inv_lambda/2)} for inverse), or {@code 1/K^2} normalised; with
 * {@code K = 1} the one tap is the centre, whatever the guidance. A backend joins with
 * {@code @BackendUnderTest("name") public class PacKernelNameContractTest extends PacKernelContract {}}.
 */
public abstract class PacKernelContract extends LayerContract<PacLayer> {

    @Override
    protected LayerSpec<PacLayer> createSpec() {
        return new Spec();
    }

    /** The kernel's cases ({@link PacArbitraries#cases}), equivariant under circular padding and stride 1. */
    public static final class Spec implements LayerSpec<PacLayer> {

        @Override
        public LayerKind<PacLayer> kind() {
            return PacKind.KERNEL_ONLY;
        }

        @Override
        public Arbitrary<LayerCase> cases() {
            return PacArbitraries.cases(PacConfig.Variant.KERNEL);
        }

        @Override
        public Optional<Equivariance> equivariance() {
            return Optional.of(new Equivariance(Map.of("padding_mode", PaddingMode.CIRCULAR.id(), "stride", "1"),
                    List.of(Inputs.X), PacArbitraries.equivariantCases(PacConfig.Variant.KERNEL)));
        }

        @Override
        public List<KnownCase> knownCases() {
            // K, s, d, p, circular, channel-wise, normalised, inverse, random guidance (K = 1 only)
            int[][] settings = {{3, 1, 1, 1, 1, 0, 0, 0, 0}, {5, 2, 1, 0, 0, 1, 0, 1, 0}, {3, 1, 2, 2, 1, 0, 1, 0, 0},
                    {3, 2, 1, 0, 0, 0, 1, 1, 0}, {1, 1, 1, 0, 0, 0, 0, 0, 1}, {1, 2, 1, 0, 1, 1, 1, 1, 1}};
            List<KnownCase> known = new ArrayList<>();
            long seed = 31;
            for (int[] st : settings) {
                int k = st[0];
                int s = st[1];
                int d = st[2];
                int p = st[3];
                PaddingMode mode = st[4] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
                boolean channelWise = st[5] == 1;
                boolean normalize = st[6] == 1;
                PacConfig.KernelType type = st[7] == 1 ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN;
                boolean randomGuidance = st[8] == 1;
                int cf = 2;
                int g = channelWise ? cf : 1;
                PacConfig cfg = new PacConfig(PacConfig.Variant.KERNEL, cf, g * k * k, k, s, d, p, mode, 0, type, channelWise,
                        normalize, cf, false);
                PacLayer layer = PacKind.random(cfg, seed);
                Tensor guidance = randomGuidance ? PacArbitraries.randomImage(seed + 70, 2, cf, 9, 8)
                        : PacArbitraries.constant(0.6f, 2, cf, 9, 8);
                int oh = PlainConv.outSize(9, k, s, d, p);
                int ow = PlainConv.outSize(8, k, s, d, p);
                double[] expected = new double[2 * g * k * k * oh * ow];
                Arrays.fill(expected, normalize ? 1.0 / (k * k) : PacArbitraries.constantGuidanceKernel(layer));
                String what = randomGuidance ? "K = 1: the centre tap's kernel (any guidance)"
                        : "constant guidance, every tap in the image: a constant kernel";
                known.add(new KnownCase(what + ", " + cfg.summary(), layer, Inputs.of(guidance), expected));
                seed++;
            }
            return known;
        }
    }
}
