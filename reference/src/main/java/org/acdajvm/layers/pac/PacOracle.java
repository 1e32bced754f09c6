package org.acdajvm.layers.pac;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.PixelFilterOracle;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.tensor.Tensor;

/**
 * The oracle of the PAC layers (DESIGN sections 7, 8): {@link PixelFilterOracle} with {@link PacFilter} for
 * conv and pool, the core's adjoint for the transpose, and {@link PacKernel} alone for {@code pac-kernel}.
 * Everything in double; parameters and inputs widened exactly. The oracle's header rules apply.
 */
public final class PacOracle {

    private PacOracle() {
    }

    /** A layer's parameters and inputs in double (what finite-difference tests perturb). */
    record Parts(PacConfig config, double[] weight, double[] bias, double alpha, double lambda, double[][][][] x,
                 double[][][][] guidance, double[][][][] kernelInput) {

        static Parts of(PacLayer layer, Inputs inputs) {
            PacConfig c = layer.config();
            Tensor w = c.variant() == PacConfig.Variant.CONV || c.variant() == PacConfig.Variant.TRANSPOSED
                    ? layer.param(PacLayer.WEIGHT) : null;
            Tensor g = inputs.get(PacKind.GUIDANCE);
            Tensor k = inputs.get(PacKind.KERNEL);
            return new Parts(c, w == null ? null : widen(w.data()), widen(layer.biasOrZeros()), layer.invAlpha(),
                    layer.invLambda(), PixelFilterOracle.images(inputs.x()), g == null ? null : PixelFilterOracle.images(g),
                    k == null ? null : PixelFilterOracle.images(k));
        }

        int height() {
            return x[0][0].length;
        }

        int width() {
            return x[0][0][0].length;
        }

        /** The filter's sampling: conv, pool and kernel over x; the transpose's adjoint over its output grid. */
        Sampling sampling() {
            return config.sampling(height(), width());
        }

        /** The kernel's sampling: the layer's, or for the transpose stride 1 and padding d(K-1)/2 over its output grid. */
        Sampling kernelSampling() {
            if (config.variant() != PacConfig.Variant.TRANSPOSED) {
                return sampling();
            }
            int oh = config.outSize(height());
            int ow = config.outSize(width());
            int half = config.dilation() * (config.kernelSize() - 1) / 2;
            return new Sampling(config.kernelSize(), 1, config.dilation(), half, half, PaddingMode.ZEROS, oh, ow);
        }

        PacKernel makeKernel() {
            boolean kernelLayer = config.variant() == PacConfig.Variant.KERNEL;
            PacKernel k = new PacKernel(config, kernelSampling(), alpha, lambda, kernelLayer ? x : guidance,
                    kernelLayer ? null : kernelInput, kernelLayer ? PixelFilterOracle.X : PacKind.GUIDANCE);
            if (config.variant() == PacConfig.Variant.TRANSPOSED) {
                k.gridSize(config.outSize(height()), config.outSize(width()));
            } else {
                k.gridSize(height(), width());
            }
            return k;
        }

        PacFilter filter() {
            return new PacFilter(config, sampling(), makeKernel(), weight,
                    config.variant() == PacConfig.Variant.TRANSPOSED ? new double[config.inChannels()] : bias);
        }

        /** Roundings each filter entry goes through before the final sum: {@code weight * K}, the division. */
        int filterSteps() {
            return (weight != null ? 1 : 0) + (config.normalizeKernel() ? 1 : 0);
        }
    }

    /** The exact forward in double with both bounds' ingredients (inputs checked by {@link PacKind}). */
    public static OracleResult forward(PacLayer layer, Inputs inputs) {
        return forward(Parts.of(layer, inputs));
    }

    static OracleResult forward(Parts p) {
        PacConfig c = p.config();
        return switch (c.variant()) {
            case CONV, POOL -> PixelFilterOracle.forward(p.filter(), p.x(),
                    ErrorBounds.filterForwardChain(c.inChannels(), c.taps(), p.filterSteps()));
            case TRANSPOSED -> PixelFilterOracle.adjoint(p.filter(), p.x(), c.outSize(p.height()), c.outSize(p.width()),
                    p.bias(), ErrorBounds.filterGradientChains(c.outChannels(), c.inChannels(), c.taps(), 1,
                            p.filterSteps()).dx());
            case KERNEL -> kernelForward(p);
        };
    }

    /** pac-kernel: {@code Kn [N, G T, H', W']} with {@code S = |Kn|}, {@code E} and the variance of {@link PacKernel}. */
    private static OracleResult kernelForward(Parts p) {
        PacKernel k = p.makeKernel();
        Sampling ks = k.sampling();
        int batch = p.x().length;
        int groups = p.config().kernelChannels();
        int taps = p.config().taps();
        int[] shape = {batch, groups * taps, ks.outHeight(), ks.outWidth()};
        int size = (int) Tensor.elementCount(shape);
        double[] y = new double[size];
        double[] s = new double[size];
        double[] e = new double[size];
        double[][] v = new double[3][size];
        for (int n = 0; n < batch; n++) {
            k.begin(n);
            for (int h = 0; h < ks.outHeight(); h++) {
                for (int w = 0; w < ks.outWidth(); w++) {
                    for (int g = 0; g < groups; g++) {
                        for (int u = 0; u < taps; u++) {
                            int i = ((n * groups * taps + g * taps + u) * ks.outHeight() + h) * ks.outWidth() + w;
                            y[i] = k.kn[h][w][g][u];
                            s[i] = Math.abs(y[i]);
                            e[i] = k.eKn[h][w][g][u];
                            for (int c3 = 0; c3 < 3; c3++) {
                                v[c3][i] = k.varKn[c3][h][w][g][u];
                            }
                        }
                    }
                }
            }
        }
        return PixelFilterOracle.result(shape, y, s, e, v, p.config().normalizeKernel() ? 1 : 0);
    }

    /** The exact gradients: {@code x}, then {@code guidance} or {@code kernel}, then the parameters in state-dict order. */
    public static AcdaOracleBackward.Gradients backward(PacLayer layer, Inputs inputs, Tensor dy, int[] outShape) {
        if (dy == null) {
            throw new IllegalArgumentException("upstream gradient dy is null: expected a tensor of shape " + Arrays.toString(outShape));
        }
        StateDicts.requireInput("dy", dy, outShape, "the output's shape");
        return backward(Parts.of(layer, inputs), PixelFilterOracle.images(dy));
    }

    static AcdaOracleBackward.Gradients backward(Parts p, double[][][][] dy) {
        PacConfig c = p.config();
        int batch = p.x().length;
        int taps = c.taps();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        Map<String, Integer> chains = new LinkedHashMap<>();
        shapes.put(PixelFilterOracle.X, shapeOf(p.x()));
        Sampling ks = p.kernelSampling();
        long kernelPixels = (long) batch * ks.outHeight() * ks.outWidth();
        long oc = switch (c.variant()) {
            case CONV, TRANSPOSED -> (long) c.outChannels() * c.inChannels();
            case POOL -> c.inChannels();
            case KERNEL -> 1;
        };
        ErrorBounds.KernelChains kc = ErrorBounds.pacKernelChains(oc, taps, kernelPixels * c.kernelChannels() * taps);
        if (c.variant() != PacConfig.Variant.KERNEL) {
            if (p.guidance() != null) {
                shapes.put(PacKind.GUIDANCE, shapeOf(p.guidance()));
                chains.put(PacKind.GUIDANCE, kc.guidance());
            } else {
                shapes.put(PacKind.KERNEL, shapeOf(p.kernelInput()));
                chains.put(PacKind.KERNEL, kc.kernelInput());
            }
        }
        PacLayer.expectedShapes(c).forEach(shapes::put);
        if (c.inverse()) {
            chains.put(PacLayer.INV_ALPHA, kc.alpha());
            chains.put(PacLayer.INV_LAMBDA, kc.lambda());
        }
        switch (c.variant()) {
            case CONV, POOL -> {
                Sampling s = p.sampling();
                ErrorBounds.FilterChains fc = ErrorBounds.filterGradientChains(c.inChannels(), c.outChannels(), taps,
                        (long) batch * s.outHeight() * s.outWidth(), p.filterSteps());
                chains.put(PixelFilterOracle.X, fc.dx());
                chains.put(PacLayer.WEIGHT, fc.weight());
                chains.put(PacLayer.BIAS, fc.bias());
                return PixelFilterOracle.backward(p.filter(), p.x(), dy, shapes, chains);
            }
            case TRANSPOSED -> {
                ErrorBounds.FilterChains fc = ErrorBounds.filterGradientChains(c.outChannels(), c.inChannels(), taps,
                        (long) batch * p.height() * p.width(), p.filterSteps());
                chains.put(PixelFilterOracle.X, ErrorBounds.filterForwardChain(c.outChannels(), taps, p.filterSteps()));
                chains.put(PacLayer.WEIGHT, fc.weight());
                chains.put(PacLayer.BIAS, (int) Math.min(Integer.MAX_VALUE, kernelPixels));
                return PixelFilterOracle.adjointBackward(p.filter(), p.x(), dy, shapes, chains);
            }
            default -> {
                chains.put(PixelFilterOracle.X, kc.guidance());
                PacKernel k = p.makeKernel();
                int groups = c.kernelChannels();
                return PixelFilterOracle.collect(shapes, chains, sink -> {
                    for (int n = 0; n < batch; n++) {
                        k.begin(n);
                        for (int h = 0; h < ks.outHeight(); h++) {
                            for (int w = 0; w < ks.outWidth(); w++) {
                                for (int g = 0; g < groups; g++) {
                                    for (int u = 0; u < taps; u++) {
                                        double d = dy[n][g * taps + u][h][w];
                                        k.addGradient(h, w, g, u, d, Math.abs(d), new double[3]);
                                    }
                                }
                            }
                        }
                        k.backward(sink);
                    }
                });
            }
        }
    }

    private static int[] shapeOf(double[][][][] a) {
        return new int[] {a.length, a[0].length, a[0][0].length, a[0][0][0].length};
    }

    static double[] widen(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
