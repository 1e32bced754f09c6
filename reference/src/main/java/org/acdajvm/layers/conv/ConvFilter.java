package org.acdajvm.layers.conv;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.PixelFilterOracle;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.tensor.Tensor;

/**
 * The trivial per-pixel filter, plain convolution: {@code Wpix[n,p][o,c,u] = weight[o,c,u]}, exact (a float32
 * path reads the weight as given, so it carries no error in); {@code dweight[o,c,u] += dWpix[o][c][u]}.
 * The oracle's header rules apply.
 */
public final class ConvFilter implements PixelFilter {

    private static final double[] ZERO = new double[3];

    private final Sampling sampling;
    private final int inC;
    private final int outC;
    private final double[] weight;
    private final double[] bias;

    /**
     * @param weight {@code [O, C, K, K]} row-major (not copied: callers must not modify it during a call)
     * @param bias   {@code [O]}
     */
    public ConvFilter(Sampling sampling, int inChannels, int outChannels, double[] weight, double[] bias) {
        this.sampling = sampling;
        this.inC = inChannels;
        this.outC = outChannels;
        this.weight = weight;
        this.bias = bias;
    }

    /** The filter of {@code layer} over an {@code h x w} input. */
    public static ConvFilter of(ConvLayer layer, int h, int w) {
        ConvConfig c = layer.config();
        return new ConvFilter(c.sampling(h, w), c.inChannels(), c.outChannels(), widen(layer.weight()),
                widen(layer.biasOrZeros()));
    }

    @Override
    public Sampling sampling() {
        return sampling;
    }

    @Override
    public int inChannels() {
        return inC;
    }

    @Override
    public int outChannels() {
        return outC;
    }

    @Override
    public void beginImage(int n, double[][][] x) {
    }

    @Override
    public void filterAt(int ho, int wo, Pixel px) {
        int taps = sampling.taps();
        for (int o = 0; o < outC; o++) {
            px.bias[o] = bias[o];
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    double wv = weight[(o * inC + c) * taps + u];
                    px.w[o][c][u] = wv;
                    px.wAbs[o][c][u] = Math.abs(wv);
                }
            }
        }
    }

    @Override
    public void backward(int ho, int wo, Pixel px, GradientSink sink) {
        int taps = sampling.taps();
        for (int o = 0; o < outC; o++) {
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    double t = px.dW[o][c][u];
                    sink.add(ConvLayer.WEIGHT, (o * inC + c) * taps + u, t, Math.abs(t), 0, ZERO, true);
                }
            }
        }
    }

    /** The exact forward of {@code layer} on {@code x [N, C, H, W]} (checked by {@link ConvKind}). */
    public static OracleResult forward(ConvLayer layer, Tensor x) {
        ConvFilter f = of(layer, x.dim(2), x.dim(3));
        return PixelFilterOracle.forward(f, PixelFilterOracle.images(x),
                ErrorBounds.filterForwardChain(layer.config().inChannels(), layer.config().taps(), 0));
    }

    /** The exact gradients {@code x}, {@code weight}, {@code bias} (when the layer has one). */
    public static AcdaOracleBackward.Gradients backward(ConvLayer layer, Tensor x, Tensor dy, int[] outShape) {
        if (dy == null) {
            throw new IllegalArgumentException("upstream gradient dy is null: expected " + java.util.Arrays.toString(outShape));
        }
        StateDicts.requireInput("dy", dy, outShape, "[N, O, H', W']");
        ConvConfig c = layer.config();
        ConvFilter f = of(layer, x.dim(2), x.dim(3));
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(PixelFilterOracle.X, x.shape());
        shapes.putAll(ConvLayer.expectedShapes(c));
        long pixels = (long) outShape[0] * outShape[2] * outShape[3];
        ErrorBounds.FilterChains n = ErrorBounds.filterGradientChains(c.inChannels(), c.outChannels(), c.taps(), pixels, 0);
        Map<String, Integer> chains = new LinkedHashMap<>();
        chains.put(PixelFilterOracle.X, n.dx());
        chains.put(ConvLayer.WEIGHT, n.weight());
        chains.put(ConvLayer.BIAS, n.bias());
        return PixelFilterOracle.backward(f, PixelFilterOracle.images(x), PixelFilterOracle.images(dy), shapes, chains);
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
