package org.acdajvm.oracle;

import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.PaddingMode;

/**
 * THE ORACLE of every per-pixel convolution (DESIGN sections 3, 7, 8; ARCHITECTURE "The oracle core"):
 * <pre>   y[n,o,p] = bias[o] + sum_{c,u} Wpix[n,p][o,c,u] * xp[n, c, s*p + d*u - pad]</pre>
 * A layer supplies {@code Wpix} as a {@link PixelFilter}; this file reads the patches, applies the
 * filter, computes {@code S} and the tight variance of the final sum, scatters into {@code dx}, and
 * computes the adjoint (a transposed convolution is the adjoint of a convolution for a fixed filter:
 * its forward is this file's {@code dx} with {@code dy} its input, its backward is this file's forward
 * and {@code dWpix} with the roles swapped, as oneDNN's benchdnn {@code ref_deconv} swaps fwd and bwd_d).
 *
 * <p>Bounds. Forward element {@code y[o]}: {@code S = |bias| + sum_{c,u} |Wpix| |patch|} (with
 * {@code |Wpix|} the filter's own magnitude {@link PixelFilter.Pixel#wAbs}), {@code E} the filter's carried
 * error, tight variance {@code A = sum's roundings + filter's}, {@code B = 2 sum t^2 + filter's},
 * {@code C = y^2 + filter's} ({@link SumModel}, index order with the bias first). {@code dx} (and the
 * adjoint's output) sums over pixels, taps and output channels: its partial sums are modelled both as
 * the scatter order (per tap {@code dpatch = sum_o dy Wpix}, then the taps added into {@code dx}) and as
 * one flat sum over every product (a gather order), and the larger {@code A} is kept.
 *
 * <p><b>What this file must never contain:</b> {@code jdk.incubator.vector}; threads or parallel streams;
 * float accumulation; loop reordering, blocking or fusion for speed; caching between calls; calls into
 * any fast path. Arrays are jagged doubles: {@code x[n][c][h][w]}, {@code y[n][o][h'][w']}.
 */
public final class PixelFilterOracle {

    /** The gradient key of the input the filter is applied to. */
    public static final String X = "x";
    /** The gradient key of the output bias, handled by the core when the caller lists it. */
    public static final String BIAS = "bias";

    private static final double[] ZERO = new double[3];

    private PixelFilterOracle() {
    }

    /**
     * The exact forward.
     *
     * @param f           the filter (its sampling's output size fixes {@code H', W'})
     * @param x           input {@code [N][C][H][W]} (not modified)
     * @param chainLength the chain length {@code n} of every output element (ErrorBounds, per layer)
     * @return {@code y [N, O, H', W']} with {@code S}, {@code E}, the same chain length for every
     *         {@link ErrorBounds.Evaluation} and the same variance for both orders
     */
    public static OracleResult forward(PixelFilter f, double[][][][] x, int chainLength) {
        return forward(f, x, sameChain(chainLength));
    }

    /**
     * The exact forward with a chain length per evaluation order (ACDA's two-layer and per-pixel orders differ).
     * When the filter fills {@link PixelFilter.Pixel#orderVariance}, the tight variance of each order is taken
     * from it whole; otherwise both orders get the core's model.
     */
    public static OracleResult forward(PixelFilter f, double[][][][] x, Map<ErrorBounds.Evaluation, Integer> chains) {
        Sampling s = f.sampling();
        int batch = x.length;
        int outC = f.outChannels();
        int size = batch * outC * s.outHeight() * s.outWidth();
        double[] y = new double[size];
        double[] sumAbs = new double[size];
        double[] carried = new double[size];
        double[][][] variance = new double[2][3][size];
        PixelFilter.Pixel px = new PixelFilter.Pixel(outC, f.inChannels(), s.taps());
        SumModel sum = new SumModel();
        for (int n = 0; n < batch; n++) {
            f.beginImage(n, x[n]);
            for (int ho = 0; ho < s.outHeight(); ho++) {
                for (int wo = 0; wo < s.outWidth(); wo++) {
                    readPatch(s, f.inChannels(), x[n], ho, wo, px.patch);
                    px.dy = null;
                    px.orderVariance = null;
                    f.filterAt(ho, wo, px);
                    for (int o = 0; o < outC; o++) {
                        int i = ((n * outC + o) * s.outHeight() + ho) * s.outWidth() + wo;
                        y[i] = value(px, o);
                        sumAbs[i] = magnitude(px, o);
                        carried[i] = px.carried[o];
                        if (px.orderVariance == null) {
                            apply(px, o, sum);
                        }
                        for (int order = 0; order < 2; order++) {
                            if (px.orderVariance != null) {
                                for (int c3 = 0; c3 < 3; c3++) {
                                    variance[order][c3][i] = px.orderVariance[order][c3][o];
                                }
                            } else {
                                variance[order][0][i] = sum.roundings() + px.variance[0][o];
                                variance[order][1][i] = 2 * sum.squares() + px.variance[1][o];
                                variance[order][2][i] = sq(y[i]) + px.variance[2][o];
                            }
                        }
                    }
                }
            }
        }
        return new OracleResult(new int[] {batch, outC, s.outHeight(), s.outWidth()}, y, sumAbs, carried, chains, variance);
    }

    private static Map<ErrorBounds.Evaluation, Integer> sameChain(int chainLength) {
        Map<ErrorBounds.Evaluation, Integer> chain = new EnumMap<>(ErrorBounds.Evaluation.class);
        for (ErrorBounds.Evaluation e : ErrorBounds.Evaluation.values()) {
            chain.put(e, chainLength);
        }
        return chain;
    }

    /** {@code y[o] = bias[o] + sum_{c,u} Wpix[o][c][u] patch[c][u]}, accumulated in that order (c outer, u inner). */
    private static double value(PixelFilter.Pixel px, int o) {
        double acc = px.bias[o];
        double[][] w = px.w[o];
        for (int c = 0; c < w.length; c++) {
            for (int u = 0; u < w[c].length; u++) {
                acc += w[c][u] * px.patch[c][u];
            }
        }
        return acc;
    }

    /**
     * The exact gradients for upstream {@code dy}: {@code dx} through the padding ({@code dpatch[c][u] =
     * sum_o dy[o] Wpix[o][c][u]}), {@code dbias} when {@code shapes} lists {@link #BIAS}, and every other key
     * through {@link PixelFilter#backward} with {@code dWpix[o][c][u] = dy[o] patch[c][u]}.
     *
     * @param x      input {@code [N][C][H][W]}
     * @param dy     upstream gradient {@code [N][O][H'][W']}
     * @param shapes the gradients to return, in order ({@link #X} first, with {@code x}'s shape)
     * @param chains each gradient's chain length, same keys
     */
    public static AcdaOracleBackward.Gradients backward(PixelFilter f, double[][][][] x, double[][][][] dy,
                                                        Map<String, int[]> shapes, Map<String, Integer> chains) {
        Sampling s = f.sampling();
        int inC = f.inChannels();
        int outC = f.outChannels();
        Map<String, GradientAccumulator> acc = accumulators(shapes);
        Scatter dx = new Scatter(acc.get(X), inC, x[0][0].length, x[0][0][0].length);
        PixelFilter.Pixel px = new PixelFilter.Pixel(outC, inC, s.taps());
        PixelFilter.GradientSink sink = sinkOf(acc);
        for (int n = 0; n < x.length; n++) {
            f.beginImage(n, x[n]);
            for (int ho = 0; ho < s.outHeight(); ho++) {
                for (int wo = 0; wo < s.outWidth(); wo++) {
                    readPatch(s, inC, x[n], ho, wo, px.patch);
                    px.dy = pixelOf(dy[n], outC, ho, wo, px.dy);
                    f.filterAt(ho, wo, px);
                    dx.pixel(s, px, n, ho, wo);
                    if (acc.containsKey(BIAS)) {
                        for (int o = 0; o < outC; o++) {
                            acc.get(BIAS).addExact(o, px.dy[o]);
                        }
                    }
                    outerProduct(px);
                    f.backward(ho, wo, px, sink);
                }
            }
            f.endImage(n, sink);
        }
        return gradients(acc, chains, dx);
    }

    /**
     * The adjoint (a transposed convolution's forward): {@code out[n,c,q] = bias[c] + sum_{p,u,o: tap(p,u) = q}
     * Wpix[n,p][o,c,u] y[n,o,p]}, over the filter's input grid.
     *
     * @param y           the transposed layer's input {@code [N][O][H'][W']}, {@code H', W'} the sampling's output size
     * @param height      H of the result (the filter's input grid)
     * @param width       W
     * @param bias        {@code bias[c]}, length {@code C} (zeros for none)
     * @param chainLength chain length of every element
     * @return {@code [N, C, H, W]} with S, E and the tight variance (the larger of the scatter and gather models)
     */
    public static OracleResult adjoint(PixelFilter f, double[][][][] y, int height, int width, double[] bias,
                                       int chainLength) {
        Sampling s = f.sampling();
        int inC = f.inChannels();
        int outC = f.outChannels();
        int batch = y.length;
        GradientAccumulator out = new GradientAccumulator(new int[] {batch, inC, height, width});
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < inC; c++) {
                for (int h = 0; h < height; h++) {
                    for (int w = 0; w < width; w++) {
                        out.addExact(((n * inC + c) * height + h) * width + w, bias[c]);
                    }
                }
            }
        }
        Scatter sc = new Scatter(out, inC, height, width);
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < inC; c++) {
                for (int h = 0; h < height; h++) {
                    for (int w = 0; w < width; w++) {
                        sc.flat.addExact(((n * inC + c) * height + h) * width + w, bias[c]);
                    }
                }
            }
        }
        PixelFilter.Pixel px = new PixelFilter.Pixel(outC, inC, s.taps());
        for (int n = 0; n < batch; n++) {
            f.beginImage(n, null);
            for (int ho = 0; ho < s.outHeight(); ho++) {
                for (int wo = 0; wo < s.outWidth(); wo++) {
                    for (double[] row : px.patch) {
                        java.util.Arrays.fill(row, 0);
                    }
                    px.dy = pixelOf(y[n], outC, ho, wo, px.dy);
                    f.filterAt(ho, wo, px);
                    sc.pixel(s, px, n, ho, wo);
                }
            }
        }
        AcdaOracleBackward.Gradient g = sc.gradient(chainLength);
        double[][] v = g.variance();
        return result(g.shape(), g.value(), g.sumAbs(), g.carried(), v, chainLength);
    }

    /**
     * The adjoint's backward (a transposed convolution's backward): the gradient of its input {@code y} is the
     * forward of {@code dOut} ({@code dy[o,p] = sum_{c,u} Wpix[o,c,u] dOutp[c, tap(p,u)]}); {@code dWpix[o][c][u]
     * = y[o,p] dOutp[c, tap(p,u)]} goes to {@link PixelFilter#backward}; {@code dbias[c] = sum dOut[c]} when
     * {@code shapes} lists {@link #BIAS}.
     *
     * @param y      the transposed layer's input {@code [N][O][H'][W']}
     * @param dOut   upstream gradient of the adjoint's output {@code [N][C][H][W]}
     * @param shapes the gradients to return ({@link #X}, the shape of {@code y}, first)
     * @param chains each gradient's chain length
     */
    public static AcdaOracleBackward.Gradients adjointBackward(PixelFilter f, double[][][][] y, double[][][][] dOut,
                                                               Map<String, int[]> shapes, Map<String, Integer> chains) {
        Sampling s = f.sampling();
        int inC = f.inChannels();
        int outC = f.outChannels();
        Map<String, GradientAccumulator> acc = accumulators(shapes);
        PixelFilter.GradientSink sink = sinkOf(acc);
        PixelFilter.Pixel px = new PixelFilter.Pixel(outC, inC, s.taps());
        SumModel sum = new SumModel();
        GradientAccumulator dy = acc.get(X);
        double[] var = new double[3];
        for (int n = 0; n < y.length; n++) {
            f.beginImage(n, null);
            for (int ho = 0; ho < s.outHeight(); ho++) {
                for (int wo = 0; wo < s.outWidth(); wo++) {
                    readPatch(s, inC, dOut[n], ho, wo, px.patch);
                    px.dy = pixelOf(y[n], outC, ho, wo, px.dy);
                    f.filterAt(ho, wo, px);
                    for (int o = 0; o < outC; o++) {
                        apply(px, o, sum);
                        var[0] = sum.roundings() + px.variance[0][o];
                        var[1] = 2 * sum.squares() + px.variance[1][o];
                        var[2] = px.variance[2][o];
                        dy.add(((n * outC + o) * s.outHeight() + ho) * s.outWidth() + wo, sum.sum(), magnitude(px, o),
                                px.carried[o], var, false);
                    }
                    outerProduct(px);
                    f.backward(ho, wo, px, sink);
                }
            }
            f.endImage(n, sink);
            if (acc.containsKey(BIAS)) {
                for (int c = 0; c < inC; c++) {
                    for (double[] row : dOut[n][c]) {
                        for (double v : row) {
                            acc.get(BIAS).addExact(c, v);
                        }
                    }
                }
            }
        }
        return gradients(acc, chains, null);
    }

    /**
     * Gradients gathered outside a filter pass (a layer whose oracle is not a per-pixel filter, such as PAC's
     * kernel alone): {@code body} adds terms to the sink, with the same bookkeeping as the core's.
     *
     * @param shapes the gradients to return, in order
     * @param chains each gradient's chain length
     */
    public static AcdaOracleBackward.Gradients collect(Map<String, int[]> shapes, Map<String, Integer> chains,
                                                       java.util.function.Consumer<PixelFilter.GradientSink> body) {
        Map<String, GradientAccumulator> acc = new LinkedHashMap<>();
        shapes.forEach((k, v) -> acc.put(k, new GradientAccumulator(v)));
        body.accept(sinkOf(acc));
        return gradients(acc, chains, null);
    }

    /**
     * An {@link OracleResult} from per-element values and bound ingredients (every evaluation order the same).
     *
     * @param variance {@code [A, B, C][element]}
     */
    public static OracleResult result(int[] shape, double[] y, double[] sumAbs, double[] carried, double[][] variance,
                                      int chainLength) {
        return new OracleResult(shape, y, sumAbs, carried, sameChain(chainLength), new double[][][] {variance, variance});
    }

    /** {@code patch[c][a*K + b] = xp[c, s*ho + d*a - padTop, s*wo + d*b - padLeft]}. */
    static void readPatch(Sampling s, int channels, double[][][] image, int ho, int wo, double[][] patch) {
        int k = s.kernelSize();
        int height = image[0].length;
        int width = image[0][0].length;
        for (int c = 0; c < channels; c++) {
            for (int a = 0; a < k; a++) {
                int h = s.padding().index(s.row(ho, a), height);
                for (int b = 0; b < k; b++) {
                    int w = s.padding().index(s.col(wo, b), width);
                    patch[c][a * k + b] = h < 0 || w < 0 ? 0.0 : image[c][h][w];
                }
            }
        }
    }

    /** {@code y[o] = bias[o] + sum_{c,u} Wpix[o][c][u] patch[c][u]}, into {@code sum} (bias first, c outer, u inner). */
    private static void apply(PixelFilter.Pixel px, int o, SumModel sum) {
        sum.reset().add(px.bias[o]);
        double[][] w = px.w[o];
        for (int c = 0; c < w.length; c++) {
            for (int u = 0; u < w[c].length; u++) {
                if (px.wAbs[o][c][u] != 0) {        // a structural zero (depthwise filters) is no term at all
                    sum.add(w[c][u] * px.patch[c][u]);
                }
            }
        }
    }

    /** {@code S} of {@code y[o]}: {@code |bias| + sum |Wpix| |patch|}. */
    private static double magnitude(PixelFilter.Pixel px, int o) {
        double a = Math.abs(px.bias[o]);
        double[][] w = px.wAbs[o];
        for (int c = 0; c < w.length; c++) {
            for (int u = 0; u < w[c].length; u++) {
                a += w[c][u] * Math.abs(px.patch[c][u]);
            }
        }
        return a;
    }

    /** {@code dWpix[o][c][u] = dy[o] patch[c][u]}. */
    private static void outerProduct(PixelFilter.Pixel px) {
        for (int o = 0; o < px.dW.length; o++) {
            for (int c = 0; c < px.dW[o].length; c++) {
                for (int u = 0; u < px.dW[o][c].length; u++) {
                    px.dW[o][c][u] = px.dy[o] * px.patch[c][u];
                }
            }
        }
    }

    private static double[] pixelOf(double[][][] image, int channels, int ho, int wo, double[] into) {
        double[] d = into != null && into.length == channels ? into : new double[channels];
        for (int o = 0; o < channels; o++) {
            d[o] = image[o][ho][wo];
        }
        return d;
    }

    /**
     * The scatter of {@code dpatch[c][u] = sum_o dy[o] Wpix[o][c][u]} into an input-grid tensor, with two models
     * of its float32 accumulation: per tap then scattered ({@code scatter}), and every product in one flat sum
     * ({@code flat}, a gather order); the result keeps the larger {@code A}.
     */
    private static final class Scatter {
        final GradientAccumulator scatter;
        final GradientAccumulator flat;
        final double[] filterA;
        final int channels;
        final int height;
        final int width;
        final SumModel sum = new SumModel();
        final double[] var = new double[3];

        Scatter(GradientAccumulator target, int channels, int height, int width) {
            this.scatter = target;
            this.flat = new GradientAccumulator(target.shape);
            this.filterA = new double[target.value.length];
            this.channels = channels;
            this.height = height;
            this.width = width;
        }

        void pixel(Sampling s, PixelFilter.Pixel px, int n, int ho, int wo) {
            int k = s.kernelSize();
            PaddingMode mode = s.padding();
            for (int c = 0; c < channels; c++) {
                for (int a = 0; a < k; a++) {
                    int h = mode.index(s.row(ho, a), height);
                    for (int b = 0; b < k; b++) {
                        int w = mode.index(s.col(wo, b), width);
                        if (h < 0 || w < 0) {
                            continue;               // a padding zero: its gradient goes nowhere
                        }
                        int u = a * k + b;
                        int i = ((n * channels + c) * height + h) * width + w;
                        sum.reset();
                        double sAbs = 0;
                        for (int o = 0; o < px.dy.length; o++) {
                            if (px.wAbs[o][c][u] == 0) {
                                continue;
                            }
                            double t = px.dy[o] * px.w[o][c][u];
                            sum.add(t);
                            sAbs += Math.abs(px.dy[o]) * px.wAbs[o][c][u];
                            flat.add(i, t, 0, 0, ZERO, true);
                        }
                        var[0] = sum.roundings() + px.dPatchVariance[0][c][u];
                        var[1] = 2 * sum.squares() + px.dPatchVariance[1][c][u];
                        var[2] = sq(sum.sum()) + px.dPatchVariance[2][c][u];
                        filterA[i] += px.dPatchVariance[0][c][u];
                        scatter.add(i, sum.sum(), sAbs, px.dPatchCarried[c][u], var, false);
                    }
                }
            }
        }

        AcdaOracleBackward.Gradient gradient(int chainLength) {
            int size = scatter.value.length;
            double[][] v = new double[3][size];
            for (int i = 0; i < size; i++) {
                double[] a = scatter.variance(i);
                double[] b = flat.variance(i);
                v[0][i] = Math.max(a[0], b[0] + filterA[i]);
                v[1][i] = a[1];
                v[2][i] = a[2];
            }
            return new AcdaOracleBackward.Gradient(scatter.shape, scatter.value, scatter.sumAbs, scatter.carried, chainLength, v);
        }
    }

    private static Map<String, GradientAccumulator> accumulators(Map<String, int[]> shapes) {
        if (!shapes.containsKey(X)) {
            throw new IllegalArgumentException("the gradients must include '" + X + "'");
        }
        Map<String, GradientAccumulator> acc = new LinkedHashMap<>();
        shapes.forEach((k, v) -> acc.put(k, new GradientAccumulator(v)));
        return acc;
    }

    private static PixelFilter.GradientSink sinkOf(Map<String, GradientAccumulator> acc) {
        return (key, index, value, sumAbs, carried, variance, product) -> {
            GradientAccumulator a = acc.get(key);
            if (a == null) {
                throw new IllegalStateException("the filter sent a gradient for '" + key + "', not among " + acc.keySet());
            }
            a.add(index, value, sumAbs, carried, variance, product);
        };
    }

    private static AcdaOracleBackward.Gradients gradients(Map<String, GradientAccumulator> acc, Map<String, Integer> chains,
                                                          Scatter dx) {
        Map<String, AcdaOracleBackward.Gradient> out = new LinkedHashMap<>();
        acc.forEach((key, g) -> {
            Integer chain = chains.get(key);
            if (chain == null) {
                throw new IllegalArgumentException("no chain length for gradient '" + key + "'");
            }
            if (dx != null && key.equals(X)) {
                out.put(key, dx.gradient(chain));
                return;
            }
            double[][] v = new double[3][g.value.length];
            for (int i = 0; i < g.value.length; i++) {
                double[] vi = g.variance(i);
                for (int c3 = 0; c3 < 3; c3++) {
                    v[c3][i] = vi[c3];
                }
            }
            out.put(key, new AcdaOracleBackward.Gradient(g.shape, g.value, g.sumAbs, g.carried, chain, v));
        });
        return new AcdaOracleBackward.Gradients(out);
    }

    /** A tensor's data as {@code [N][C][H][W]} doubles (exact widening). */
    public static double[][][][] images(org.acdajvm.tensor.Tensor t) {
        int n = t.dim(0);
        int c = t.dim(1);
        int h = t.dim(2);
        int w = t.dim(3);
        float[] d = t.data();
        double[][][][] x = new double[n][c][h][w];
        for (int i0 = 0; i0 < n; i0++) {
            for (int i1 = 0; i1 < c; i1++) {
                for (int i2 = 0; i2 < h; i2++) {
                    for (int i3 = 0; i3 < w; i3++) {
                        x[i0][i1][i2][i3] = d[((i0 * c + i1) * h + i2) * w + i3];
                    }
                }
            }
        }
        return x;
    }

    private static double sq(double a) {
        return a * a;
    }
}
