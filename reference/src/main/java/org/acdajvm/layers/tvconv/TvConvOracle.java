package org.acdajvm.layers.tvconv;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.PixelFilterOracle;
import org.acdajvm.tensor.Tensor;

/**
 * The oracle of TVConv (DESIGN sections 7, 8): {@link TvConvWeightNet} makes the filter, {@link PixelFilterOracle}
 * applies it through {@link TvConvFilter}. Everything in double; parameters and inputs widened exactly. The
 * oracle's header rules apply.
 */
public final class TvConvOracle {

    private TvConvOracle() {
    }

    /**
     * A layer's parameters and input in double (what finite-difference tests perturb). Layouts as the state dict:
     * {@code affinity [ca*h*w]}, {@code convWeight[l] [out*in*3*3]} ({@code l = L} the last conv), {@code convBias[l]},
     * {@code normWeight[l], normBias[l] [mid*h*w]}, {@code bias [C]} (zeros for none), {@code x [N][C][h][w]}.
     */
    public record Parts(TvConvConfig config, double[] affinity, double[][] convWeight, double[][] convBias,
                        double[][] normWeight, double[][] normBias, double[] bias, double[][][][] x) {

        public static Parts of(TvConvLayer layer, Tensor x) {
            TvConvConfig c = layer.config();
            int layers = c.layers();
            double[][] cw = new double[layers + 1][];
            double[][] cb = new double[layers + 1][];
            double[][] nw = new double[layers][];
            double[][] nb = new double[layers][];
            for (int l = 0; l <= layers; l++) {
                cw[l] = widen(layer.param(TvConvLayer.convWeight(l)));
                cb[l] = widen(layer.param(TvConvLayer.convBias(l)));
                if (l < layers) {
                    nw[l] = widen(layer.param(TvConvLayer.normWeight(l)));
                    nb[l] = widen(layer.param(TvConvLayer.normBias(l)));
                }
            }
            return new Parts(c, widen(layer.param(TvConvLayer.AFFINITY)), cw, cb, nw, nb, widen(layer.biasOrZeros()),
                    PixelFilterOracle.images(x));
        }

        /** The same parts with another input. */
        public Parts withX(double[][][][] other) {
            return new Parts(config, affinity, convWeight, convBias, normWeight, normBias, bias, other);
        }
    }

    /** The exact forward {@code y [N, C, h, w]} with its bounds' ingredients. */
    public static OracleResult forward(Parts p) {
        TvConvWeightNet net = new TvConvWeightNet(p);
        return PixelFilterOracle.forward(new TvConvFilter(p.config(), net, p.bias(), p.x().length), p.x(),
                ErrorBounds.tvconvForwardChain(p.config().taps()));
    }

    /** The exact filter {@code F [C, K*K, h, w]} (row-major), as the weight net makes it. */
    public static double[] filter(Parts p) {
        return new TvConvWeightNet(p).filter().v.clone();
    }

    /**
     * The exact gradients for upstream {@code dy [N][C][h][w]}: {@code x}, then every parameter in state-dict order
     * ({@code affinity}, the weight net's, {@code bias}).
     */
    public static AcdaOracleBackward.Gradients backward(Parts p, double[][][][] dy) {
        TvConvConfig c = p.config();
        int batch = p.x().length;
        TvConvWeightNet net = new TvConvWeightNet(p);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(PixelFilterOracle.X, new int[] {batch, c.channels(), c.height(), c.width()});
        shapes.putAll(TvConvLayer.expectedShapes(c));
        ErrorBounds.TvConvChains n = ErrorBounds.tvconvGradientChains(batch, c.channels(), c.taps(), c.midChannels(),
                c.layers(), c.positions());
        Map<String, Integer> chains = new LinkedHashMap<>();
        chains.put(PixelFilterOracle.X, n.x());
        chains.put(TvConvLayer.AFFINITY, n.affinity());
        for (int l = 0; l <= c.layers(); l++) {
            chains.put(TvConvLayer.convWeight(l), n.convWeight()[l]);
            chains.put(TvConvLayer.convBias(l), n.convBias()[l]);
            if (l < c.layers()) {
                chains.put(TvConvLayer.normWeight(l), n.normWeight()[l]);
                chains.put(TvConvLayer.normBias(l), n.normBias()[l]);
            }
        }
        chains.put(TvConvLayer.BIAS, n.bias());
        return PixelFilterOracle.backward(new TvConvFilter(c, net, p.bias(), batch), p.x(), dy, shapes, chains);
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
