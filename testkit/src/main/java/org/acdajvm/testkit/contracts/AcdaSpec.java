package org.acdajvm.testkit.contracts;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import net.jqwik.api.Arbitrary;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * ACDA's {@link LayerSpec}: the contract's ACDA cases ({@link AcdaArbitraries}), equivariance under circular
 * padding and stride 1, and, as known cases, a delta input through a constant-atom layer ({@code W2 = 0}),
 * which returns the reconstructed filter computed by hand ({@link AcdaContract#constantFilter}).
 */
public final class AcdaSpec implements LayerSpec<AcdaLayer> {

    @Override
    public LayerKind<AcdaLayer> kind() {
        return AcdaKind.INSTANCE;
    }

    @Override
    public Arbitrary<LayerCase> cases() {
        return AcdaArbitraries.cases().map(AcdaSpec::toLayerCase);
    }

    @Override
    public Optional<Equivariance> equivariance() {
        return Optional.of(new Equivariance(Map.of("padding", PaddingMode.CIRCULAR.id(), "stride", "1"), List.of(Inputs.X),
                AcdaArbitraries.strideOneCases(PaddingMode.CIRCULAR, 13).map(AcdaSpec::toLayerCase)));
    }

    @Override
    public double gradientRelativeError() {
        return AcdaContract.GRADIENT_RELATIVE_ERROR;
    }

    /**
     * With {@code W2 = 0} a delta input at channel {@code c0}, pixel {@code (h0, w0)} gives
     * {@code y[o, h', w'] = bias[o] + Wc[o][c0][a, b]} wherever {@code (s h' + d a - pad, s w' + d b - pad) = (h0, w0)},
     * and exactly the bias elsewhere, for several {@code (K, s, d)} and both paddings.
     */
    @Override
    public List<KnownCase> knownCases() {
        int[][] settings = {{3, 1, 1, 0}, {5, 1, 2, 1}, {7, 2, 1, 0}, {5, 3, 2, 1}, {3, 2, 2, 1}};     // K, s, d, circular
        List<KnownCase> known = new ArrayList<>();
        for (int[] kd : settings) {
            int k = kd[0];
            int s = kd[1];
            int d = kd[2];
            PaddingMode padding = kd[3] == 1 ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
            AcdaConfig cfg = AcdaConfig.builder(2, 3, k).stride(s).dilation(d).atoms(3).padding(padding).build();
            AcdaLayer layer = AcdaContract.constantAtoms(AcdaInit.randomized(cfg, 7L * k + d));
            int h = 13;
            int w = 12;
            int c0 = 1;
            int h0 = 6;
            int w0 = 5;
            Tensor x = Tensor.zeros(1, 2, h, w);
            x.set(0, c0, h0, w0, 1f);
            double[][][] wc = AcdaContract.constantFilter(layer);
            float[] bias = layer.biasOrZeros();
            int pad = cfg.pad();
            int outH = cfg.outSize(h);
            int outW = cfg.outSize(w);
            double[] expected = new double[3 * outH * outW];
            for (int o = 0; o < 3; o++) {
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        int idx = (o * outH + i) * outW + j;
                        expected[idx] = bias[o];
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int r = s * i + d * a - pad;
                                int q = s * j + d * b - pad;
                                if (padding == PaddingMode.CIRCULAR) {
                                    r = Math.floorMod(r, h);
                                    q = Math.floorMod(q, w);
                                }
                                if (r == h0 && q == w0) {
                                    expected[idx] += wc[o][c0][a * k + b];
                                }
                            }
                        }
                    }
                }
            }
            known.add(new KnownCase("delta input through constant atoms, K=" + k + " s=" + s + " d=" + d + " " + padding.id(),
                    layer, Inputs.of(x), expected));
        }
        return known;
    }

    private static LayerCase toLayerCase(AcdaCase c) {
        return new LayerCase(c.layer(), Inputs.of(c.input()), c.seed(), c.toString());
    }
}
