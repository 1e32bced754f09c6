package org.acdajvm.testkit.contracts;

import java.util.ArrayList;
import java.util.List;

import net.jqwik.api.Arbitrary;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.PlainConv;

/**
 * The contract of {@code pac-transposed}: {@link LayerContract}'s properties on {@link Spec} (zero padding only, so
 * it declares no translation equivariance). Known cases, against the independent {@link PlainConv#transposed}: with
 * a constant guidance (on the output grid) the kernel is a constant {@code k0}, so the layer is {@code k0} times a
 * plain transposed conv; with {@code K = 1} the one tap's kernel is {@code k0} whatever the guidance. A backend
 * joins with {@code @BackendUnderTest("name") public class PacTransposedNameContractTest extends PacTransposedContract {}}.
 */
public abstract class PacTransposedContract extends LayerContract<PacLayer> {

    @Override
    protected LayerSpec<PacLayer> createSpec() {
        return new Spec();
    }

    /** PAC transposed's cases ({@link PacArbitraries#cases}): stride 1..2 with output padding below it. */
    public static final class Spec implements LayerSpec<PacLayer> {

        @Override
        public LayerKind<PacLayer> kind() {
            return PacKind.TRANSPOSED;
        }

        @Override
        public Arbitrary<LayerCase> cases() {
            return PacArbitraries.cases(PacConfig.Variant.TRANSPOSED);
        }

        @Override
        public List<KnownCase> knownCases() {
            // K, s, d, p, output padding, inverse, random guidance (K = 1 only)
            int[][] settings = {{3, 1, 1, 1, 0, 0, 0}, {3, 2, 1, 1, 1, 0, 0}, {5, 2, 1, 2, 0, 1, 0}, {3, 2, 2, 0, 1, 0, 0},
                    {5, 1, 2, 3, 0, 0, 0}, {1, 2, 1, 0, 1, 0, 1}, {1, 1, 1, 0, 0, 1, 1}};
            List<KnownCase> known = new ArrayList<>();
            long seed = 21;
            for (int[] st : settings) {
                int k = st[0];
                int s = st[1];
                int d = st[2];
                int p = st[3];
                int op = st[4];
                PacConfig.KernelType type = st[5] == 1 ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN;
                boolean randomGuidance = st[6] == 1;
                int inC = 3;
                int outC = 2;
                int cf = 2;
                PacConfig cfg = new PacConfig(PacConfig.Variant.TRANSPOSED, inC, outC, k, s, d, p,
                        org.acdajvm.layer.PaddingMode.ZEROS, op, type, false, false, cf, seed % 2 == 0);
                PacLayer layer = PacKind.random(cfg, seed);
                Tensor x = PacArbitraries.randomImage(seed + 50, 2, inC, 5, 6);
                int oh = cfg.outSize(5);
                int ow = cfg.outSize(6);
                Tensor guidance = randomGuidance ? PacArbitraries.randomImage(seed + 70, 2, cf, oh, ow)
                        : PacArbitraries.constant(0.3f, 2, cf, oh, ow);
                double k0 = PacArbitraries.constantGuidanceKernel(layer);
                double[] weight = PlainConv.toDouble(layer.param(PacLayer.WEIGHT).data());
                for (int i = 0; i < weight.length; i++) {
                    weight[i] *= k0;
                }
                double[] expected = PlainConv.transposed(x, weight, cfg.bias() ? PlainConv.toDouble(layer.biasOrZeros()) : null,
                        outC, k, s, d, p, op);
                String what = randomGuidance ? "K = 1 = k0 * plain transposed conv (any guidance)"
                        : "constant guidance = k0 * plain transposed conv";
                known.add(new KnownCase(what + ", " + cfg.summary(), layer,
                        Inputs.builder().put(Inputs.X, x).put(PacKind.GUIDANCE, guidance).build(), expected));
                seed++;
            }
            return known;
        }
    }
}
