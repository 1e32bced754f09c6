package org.acdajvm.layers.dfn;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.PixelFilterOracle;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.oracle.SumModel;
import org.acdajvm.tensor.Tensor;

/**
 * Dynamic local filtering as a {@link PixelFilter} (DESIGN section 8), the oracle of {@code dynamic-filter}:
 * <pre>
 *   Wpix[n,p][o,c,u] = [o = c] F~[n,u,p],     F~ = softmax_u(F)  or  F as given
 * </pre>
 * The softmax is computed as a float32 path would, max-subtracted ({@code d_u = F_u - max F}, {@code e_u = exp(d_u)},
 * {@code Z = sum e}, {@code q_u = e_u / Z}), in double, with each step's worst-case error and tight variance
 * ({@link ErrorBounds}, "The softmax of dynamic local filtering"). The errors of {@code q} are shared by every
 * channel of the pixel, so they enter {@code y[c]} with the signed sensitivities of {@link Errors#of}. The
 * backward sends {@code dF~[u] = sum_c dWpix[c][c][u]} through the softmax's backward
 * {@code dF_u = q_u (dF~_u - sum_v q_v dF~_v)} to the input {@code filter}. Nothing is cached between calls: each
 * pixel's softmax is recomputed where it is needed. The oracle's header rules apply.
 */
public final class DfnFilter implements PixelFilter {

    private static final double[] ZERO = new double[3];

    private final DfnConfig config;
    private final Sampling sampling;
    private final double[][][][] filter;
    private final int taps;
    private int image;

    /**
     * @param filter {@code [N][K*K][H'][W']} (not copied: callers must not modify it during a call)
     */
    public DfnFilter(DfnConfig config, Sampling sampling, double[][][][] filter) {
        this.config = config;
        this.sampling = sampling;
        this.filter = filter;
        this.taps = config.taps();
    }

    @Override
    public Sampling sampling() {
        return sampling;
    }

    @Override
    public int inChannels() {
        return config.inChannels();
    }

    @Override
    public int outChannels() {
        return config.inChannels();
    }

    @Override
    public void beginImage(int n, double[][][] x) {
        image = n;
    }

    /**
     * One pixel's normalised filter with the ingredients of both bounds.
     *
     * @param q        {@code F~_u}
     * @param eq       worst-case error of a float32 {@code q_u} before the division's own rounding (a step of the chain)
     * @param varE     tight variance proxy of {@code e_u}'s float32 error (units {@code u^2}, absolute)
     * @param e        {@code e_u = exp(F_u - max F)}
     * @param z        {@code Z = sum_u e_u} (1 without softmax)
     * @param partials {@code Z}'s additions ({@link SumModel#partials})
     */
    record Softmax(boolean on, double[] q, double[] eq, double[] varE, double[] e, double z, double partials) {

        /** The softmax of {@code f} (or {@code f} itself, exact, when {@code on} is false). */
        static Softmax of(double[] f, boolean on) {
            int t = f.length;
            if (!on) {
                return new Softmax(false, f.clone(), new double[t], new double[t], f.clone(), 1, 0);
            }
            double m = Double.NEGATIVE_INFINITY;
            for (double v : f) {
                m = Math.max(m, v);
            }
            double[] e = new double[t];
            double[] eE = new double[t];
            double[] varE = new double[t];
            SumModel sum = new SumModel();
            double errSum = 0;
            for (int u = 0; u < t; u++) {
                double d = f[u] - m;
                e[u] = Math.exp(d);
                eE[u] = ErrorBounds.softmaxExpError(e[u], d);
                varE[u] = ErrorBounds.softmaxExpVariance(e[u], d);
                sum.add(e[u]);
                errSum += eE[u];
            }
            double z = sum.sum();
            double eZ = ErrorBounds.softmaxSumError(errSum, z, t);
            double[] q = new double[t];
            double[] eq = new double[t];
            for (int u = 0; u < t; u++) {
                q[u] = e[u] / z;
                eq[u] = ErrorBounds.quotientError(e[u], eE[u], z, eZ);
            }
            return new Softmax(true, q, eq, varE, e, z, sum.partials());
        }
    }

    /**
     * The error a float32 path carries into a linear functional {@code L = sum_w a_w q_w} of the normalised filter.
     *
     * @param worst {@code sum_w |a_w| eq_w} (the divisions' roundings excluded: they are a step of the caller's chain)
     * @param a     tight proxy (units {@code u^2}): {@code sum_v ((a_v - L)/Z)^2 varE_v + (L/Z)^2 partials(Z)
     *              + sum_w (a_w q_w)^2} (the exp errors, {@code Z}'s additions and each division, all with signed
     *              sensitivities: {@code dL/de_v = (a_v - L)/Z}, {@code dL/dZ = -L/Z})
     * @param c     reduced-precision storage of {@code e} and {@code q}: {@code sum_v ((a_v - L)/Z)^2 e_v^2 + sum_w (a_w q_w)^2}
     */
    record Errors(double worst, double a, double c) {

        static Errors of(Softmax sm, double[] coef) {
            if (!sm.on()) {
                return new Errors(0, 0, 0);
            }
            double l = 0;
            for (int w = 0; w < coef.length; w++) {
                l += coef[w] * sm.q()[w];
            }
            double worst = 0;
            double va = sq(l / sm.z()) * sm.partials();
            double vc = 0;
            for (int v = 0; v < coef.length; v++) {
                worst += Math.abs(coef[v]) * sm.eq()[v];
                double sens = (coef[v] - l) / sm.z();
                double div = coef[v] * sm.q()[v];
                va += sens * sens * sm.varE()[v] + div * div;
                vc += sens * sens * sm.e()[v] * sm.e()[v] + div * div;
            }
            return new Errors(worst, va, vc);
        }
    }

    private Softmax softmaxAt(int ho, int wo) {
        double[] f = new double[taps];
        for (int u = 0; u < taps; u++) {
            f[u] = filter[image][u][ho][wo];
        }
        return Softmax.of(f, config.softmax());
    }

    @Override
    public void filterAt(int ho, int wo, Pixel px) {
        Softmax sm = softmaxAt(ho, wo);
        int ch = config.inChannels();
        for (int o = 0; o < ch; o++) {
            px.bias[o] = 0;
            for (int c = 0; c < ch; c++) {
                Arrays.fill(px.w[o][c], 0);
                Arrays.fill(px.wAbs[o][c], 0);
            }
            for (int u = 0; u < taps; u++) {
                px.w[o][o][u] = sm.q()[u];
                px.wAbs[o][o][u] = Math.abs(sm.q()[u]);
            }
            Errors err = Errors.of(sm, px.patch[o]);
            px.carried[o] = err.worst();
            px.variance[0][o] = err.a();
            px.variance[1][o] = 0;
            px.variance[2][o] = err.c();
        }
        if (px.dy == null) {
            return;
        }
        // dpatch[c][u] = dy[c] q_u: the functional a = dy[c] * unit(u), so its variance is dy[c]^2 times unit(u)'s.
        double[] unit = new double[taps];
        for (int u = 0; u < taps; u++) {
            unit[u] = 1;
            Errors err = Errors.of(sm, unit);
            unit[u] = 0;
            for (int c = 0; c < ch; c++) {
                double d = px.dy[c];
                px.dPatchCarried[c][u] = Math.abs(d) * err.worst();
                px.dPatchVariance[0][c][u] = d * d * err.a();
                px.dPatchVariance[1][c][u] = 0;
                px.dPatchVariance[2][c][u] = d * d * err.c();
            }
        }
    }

    @Override
    public void backward(int ho, int wo, Pixel px, GradientSink sink) {
        int ch = config.inChannels();
        int ph = sampling.outHeight();
        int pw = sampling.outWidth();
        if (!config.softmax()) {
            // dF[u] = sum_c dy[c] xp[c, tap(u)]: each product rounded once, then the sum over channels.
            for (int u = 0; u < taps; u++) {
                int index = ((image * taps + u) * ph + ho) * pw + wo;
                for (int c = 0; c < ch; c++) {
                    double t = px.dW[c][c][u];
                    sink.add(DfnKind.FILTER, index, t, Math.abs(t), 0, ZERO, true);
                }
            }
            return;
        }
        Softmax sm = softmaxAt(ho, wo);
        double[] q = sm.q();
        double[] g = new double[taps];
        double[] gS = new double[taps];
        double[] gA = new double[taps];
        double[] gB = new double[taps];
        SumModel sum = new SumModel();
        for (int u = 0; u < taps; u++) {
            sum.reset();
            for (int c = 0; c < ch; c++) {
                double t = px.dW[c][c][u];
                sum.add(t);
                gS[u] += Math.abs(t);
            }
            g[u] = sum.sum();
            gA[u] = sum.roundings();
            gB[u] = 2 * sum.squares();
        }
        // m = sum_v q_v g_v.
        sum.reset();
        double mS = 0;
        for (int v = 0; v < taps; v++) {
            sum.add(q[v] * g[v]);
            mS += q[v] * gS[v];
        }
        double m = sum.sum();
        double mA = sum.roundings();
        double[] coef = new double[taps];
        double[] var = new double[3];
        for (int u = 0; u < taps; u++) {
            double df = q[u] * (g[u] - m);
            double s = q[u] * (gS[u] + mS);
            // The q errors: dF_u depends on q_u through q_u (g_u - m) and m, on q_w (w != u) through m.
            for (int w = 0; w < taps; w++) {
                coef[w] = -q[u] * g[w];
            }
            coef[u] += g[u] - m;
            Errors err = Errors.of(sm, coef);
            double divisions = 0;
            for (int w = 0; w < taps; w++) {
                divisions += Math.abs(coef[w]) * q[w];
            }
            double e = err.worst() + ErrorBounds.SAFETY * ErrorBounds.U * divisions;
            // g's own roundings reach dF_u with sensitivity q_u (delta_uv - q_v).
            double a = err.a() + q[u] * q[u] * mA + df * df;       // m's roundings; the subtraction g_u - m
            double b = 0;
            double c3 = err.c() + q[u] * q[u] * m * m;
            for (int v = 0; v < taps; v++) {
                double sens = q[u] * ((v == u ? 1 : 0) - q[v]);
                a += sens * sens * gA[v];
                b += sens * sens * gB[v];
                c3 += sens * sens * g[v] * g[v];
            }
            var[0] = a;
            var[1] = b;
            var[2] = c3;
            int index = ((image * taps + u) * ph + ho) * pw + wo;
            sink.add(DfnKind.FILTER, index, df, s, e, var, false);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The oracle of the layer.

    /** A layer's inputs in double (what finite-difference tests perturb). */
    public record Parts(DfnConfig config, double[][][][] x, double[][][][] filter) {

        public static Parts of(DfnLayer layer, Inputs inputs) {
            return new Parts(layer.config(), PixelFilterOracle.images(inputs.x()),
                    PixelFilterOracle.images(inputs.require(DfnKind.FILTER)));
        }

        DfnFilter filterOf() {
            return new DfnFilter(config, config.sampling(x[0][0].length, x[0][0][0].length), filter);
        }

        /** The filter entry's own roundings before the final sum: the softmax's division (its other errors are carried). */
        int filterSteps() {
            return config.softmax() ? 1 : 0;
        }
    }

    /** The exact forward (inputs checked by {@link DfnKind}). */
    public static OracleResult forward(DfnLayer layer, Inputs inputs) {
        return forward(Parts.of(layer, inputs));
    }

    /** The exact forward: chain {@code K^2 + 1 + f} ({@link ErrorBounds#filterForwardChain} with one input channel per output). */
    public static OracleResult forward(Parts p) {
        DfnConfig c = p.config();
        return PixelFilterOracle.forward(p.filterOf(), p.x(), ErrorBounds.filterForwardChain(1, c.taps(), p.filterSteps()));
    }

    /** The exact gradients {@code x} and {@code filter}. */
    public static AcdaOracleBackward.Gradients backward(DfnLayer layer, Inputs inputs, Tensor dy, int[] outShape) {
        if (dy == null) {
            throw new IllegalArgumentException("upstream gradient dy is null: expected a tensor of shape "
                    + Arrays.toString(outShape));
        }
        StateDicts.requireInput("dy", dy, outShape, "[N, C, H', W']");
        return backward(Parts.of(layer, inputs), PixelFilterOracle.images(dy));
    }

    /** The exact gradients for upstream {@code dy [N][C][H'][W']}. */
    public static AcdaOracleBackward.Gradients backward(Parts p, double[][][][] dy) {
        DfnConfig c = p.config();
        DfnFilter f = p.filterOf();
        Sampling s = f.sampling();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(PixelFilterOracle.X, shapeOf(p.x()));
        shapes.put(DfnKind.FILTER, shapeOf(p.filter()));
        long pixels = (long) p.x().length * s.outHeight() * s.outWidth();
        Map<String, Integer> chains = new LinkedHashMap<>();
        chains.put(PixelFilterOracle.X, ErrorBounds.filterGradientChains(1, 1, c.taps(), pixels, p.filterSteps()).dx());
        chains.put(DfnKind.FILTER, ErrorBounds.dynamicFilterGradientChain(c.inChannels(), c.taps(), c.softmax()));
        return PixelFilterOracle.backward(f, p.x(), dy, shapes, chains);
    }

    private static int[] shapeOf(double[][][][] a) {
        return new int[] {a.length, a[0].length, a[0][0].length, a[0][0][0].length};
    }

    private static double sq(double a) {
        return a * a;
    }
}
