package org.acdajvm.layers.involution;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.BatchNorm;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.PixelFilterOracle;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.oracle.SumModel;
import org.acdajvm.tensor.Tensor;

/**
 * Involution's oracle as a {@link PixelFilter} ({@link InvolutionLayer}):
 * {@code Wpix[n,p][o,c,u] = delta(o,c) H[g(c) K^2 + u, p]}, with the kernel branch computed per image in
 * {@link #beginImage} stage by stage (pool, reduce, BatchNorm, ReLU, span), each value with its worst-case error
 * and tight variance proxies (derivations in {@link ErrorBounds}, "Involution"). The backward runs the kernel
 * branch's chain rule at each pixel ({@link #backward}): the 1x1 convs and the pooling do not mix pixels, so
 * every gradient term of a pixel is known there. The oracle's header rules apply: double only, no vector API,
 * no threads, no caching between calls.
 *
 * <p>Error bookkeeping, per pixel {@code p} (= the pooled pixel it reads): {@code E} of {@code y[c]} carries the
 * errors of {@code e = relu(bn(r1))} (from pool, reduce and BatchNorm) through the signed slope
 * {@code sum_u span.weight[gK^2+u, j] xp[c,u]}; the span's own roundings and the apply's are in the chain
 * {@code n_y = K^2 + R + 2} on {@code S = sum_u S_H[g,u] |xp[c,u]|}, {@code S_H = |span.bias| + sum_j |span.weight| e}.
 */
public final class InvolutionFilter implements PixelFilter {

    private static final int A = 0;
    private static final int B = 1;
    private static final int C = 2;

    private final InvolutionConfig cfg;
    private final Sampling sampling;
    private final int chans;
    private final int red;
    private final int taps;
    private final int kc;
    private final double[] rw;
    private final double[] rb;
    private final double[] sw;
    private final double[] sb;
    private final BatchNorm[] bn;

    // The current image's kernel branch, [channel][pixel] with pixel = ho * W' + wo.
    private int image;
    private int height;
    private int width;
    private double[][] xa;
    private double[][] xaAbs;
    private double[][] xaErr;
    private double[][][] xaVar;
    private double[][] r1;
    private double[][] r1Err;
    private double[][][] r1Var;
    private double[][] a;
    private double[][] aErr;
    private double[][] e;
    private double[][] eErr;
    private double[][][] eVar;
    private double[][] h;
    private double[][] hAbs;
    private double[][][] hOwn;      // the span sum's own roundings {A, B, C}
    private double[][] hCarried;    // sum_j |sw| e_e: the worst-case error H carries in from e

    /**
     * @param params every key of {@link InvolutionLayer#expectedShapes}, widened to double (not copied; not modified)
     * @param height H of the input
     * @param width  W of the input
     */
    public InvolutionFilter(InvolutionConfig cfg, Map<String, double[]> params, int height, int width) {
        this.cfg = cfg;
        this.sampling = cfg.sampling(height, width);
        this.chans = cfg.channels();
        this.red = cfg.reduced();
        this.taps = cfg.taps();
        this.kc = cfg.kernelChannels();
        this.rw = params.get(InvolutionLayer.REDUCE_WEIGHT);
        this.rb = params.get(InvolutionLayer.REDUCE_BIAS);
        this.sw = params.get(InvolutionLayer.SPAN_WEIGHT);
        this.sb = params.get(InvolutionLayer.SPAN_BIAS);
        this.bn = new BatchNorm[red];
        for (int j = 0; j < red; j++) {
            bn[j] = BatchNorm.of(params, InvolutionLayer.BN, j);
        }
    }

    /** The layer's parameters widened to double (exactly), keyed as its state dict. */
    public static Map<String, double[]> params(InvolutionLayer layer) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (String key : InvolutionLayer.expectedShapes(layer.config()).keySet()) {
            float[] f = layer.data(key);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            m.put(key, d);
        }
        return m;
    }

    @Override
    public Sampling sampling() {
        return sampling;
    }

    @Override
    public int inChannels() {
        return chans;
    }

    @Override
    public int outChannels() {
        return chans;
    }

    /**
     * The kernel branch of image {@code n} at output resolution:
     * <pre>
     *   xa[c,q] = mean of x[c] over the in-image part of rows [s qh, s qh + s) x cols [s qw, s qw + s)   (x for s = 1)
     *   r1[j,q] = rb[j] + sum_c rw[j,c] xa[c,q];   a = bn_j(r1);   e = max(a, 0)
     *   H[k,q]  = sb[k] + sum_j sw[k,j] e[j,q]
     * </pre>
     */
    @Override
    public void beginImage(int n, double[][][] x) {
        image = n;
        height = x[0].length;
        width = x[0][0].length;
        int s = cfg.stride();
        int plane = sampling.outHeight() * sampling.outWidth();
        xa = new double[chans][plane];
        xaAbs = new double[chans][plane];
        xaErr = new double[chans][plane];
        xaVar = new double[3][chans][plane];
        SumModel sum = new SumModel();
        for (int c = 0; c < chans; c++) {
            for (int q = 0; q < plane; q++) {
                int qh = q / sampling.outWidth();
                int qw = q % sampling.outWidth();
                sum.reset();
                double abs = 0;
                int cnt = 0;
                for (int i = s * qh; i < Math.min(s * qh + s, height); i++) {
                    for (int j = s * qw; j < Math.min(s * qw + s, width); j++) {
                        sum.add(x[c][i][j]);
                        abs += Math.abs(x[c][i][j]);
                        cnt++;
                    }
                }
                xa[c][q] = sum.sum() / cnt;
                xaAbs[c][q] = abs / cnt;
                if (cnt > 1) {
                    xaErr[c][q] = ErrorBounds.poolError(cnt, abs / cnt);
                    double[] v = ErrorBounds.poolTight(cnt, xa[c][q], sum.partials());
                    for (int c3 = 0; c3 < 3; c3++) {
                        xaVar[c3][c][q] = v[c3];
                    }
                }
            }
        }
        r1 = new double[red][plane];
        r1Err = new double[red][plane];
        r1Var = new double[3][red][plane];
        a = new double[red][plane];
        aErr = new double[red][plane];
        e = new double[red][plane];
        eErr = new double[red][plane];
        eVar = new double[3][red][plane];
        for (int j = 0; j < red; j++) {
            for (int q = 0; q < plane; q++) {
                sum.reset().add(rb[j]);
                double abs = Math.abs(rb[j]);
                double carried = 0;
                double[] v = new double[3];
                for (int c = 0; c < chans; c++) {
                    double w = rw[j * chans + c];
                    sum.add(w * xa[c][q]);
                    abs += Math.abs(w) * xaAbs[c][q];
                    carried += Math.abs(w) * xaErr[c][q];
                    for (int c3 = 0; c3 < 3; c3++) {
                        v[c3] += w * w * xaVar[c3][c][q];
                    }
                }
                r1[j][q] = sum.sum();
                r1Err[j][q] = ErrorBounds.conv(chans, abs, carried);
                r1Var[A][j][q] = sum.roundings() + v[A];
                r1Var[B][j][q] = 2 * sum.squares() + v[B];
                r1Var[C][j][q] = sq(sum.sum()) + v[C];
                a[j][q] = bn[j].apply(r1[j][q]);
                aErr[j][q] = bn[j].error(abs, r1Err[j][q]);
                double[] av = bn[j].forwardVariance(r1[j][q], new double[] {r1Var[A][j][q], r1Var[B][j][q], r1Var[C][j][q]});
                e[j][q] = Math.max(a[j][q], 0);
                // ReLU is exact and 1-Lipschitz; below -E every correct float32 path gives exactly 0 (ErrorBounds).
                boolean passes = ErrorBounds.reluPasses(a[j][q], aErr[j][q]);
                eErr[j][q] = passes ? aErr[j][q] : 0;
                for (int c3 = 0; c3 < 3; c3++) {
                    eVar[c3][j][q] = passes ? av[c3] : 0;
                }
            }
        }
        h = new double[kc][plane];
        hAbs = new double[kc][plane];
        hOwn = new double[3][kc][plane];
        hCarried = new double[kc][plane];
        for (int k = 0; k < kc; k++) {
            for (int q = 0; q < plane; q++) {
                sum.reset().add(sb[k]);
                double abs = Math.abs(sb[k]);
                double carried = 0;
                for (int j = 0; j < red; j++) {
                    double w = sw[k * red + j];
                    sum.add(w * e[j][q]);
                    abs += Math.abs(w * e[j][q]);
                    carried += Math.abs(w) * eErr[j][q];
                }
                h[k][q] = sum.sum();
                hAbs[k][q] = abs;
                hOwn[A][k][q] = sum.roundings();
                hOwn[B][k][q] = 2 * sum.squares();
                hOwn[C][k][q] = sq(sum.sum());
                hCarried[k][q] = carried;
            }
        }
    }

    @Override
    public void filterAt(int ho, int wo, Pixel px) {
        int q = ho * sampling.outWidth() + wo;
        for (int o = 0; o < chans; o++) {
            px.bias[o] = 0;
            for (int c = 0; c < chans; c++) {
                int k0 = cfg.group(c) * taps;
                for (int u = 0; u < taps; u++) {
                    px.w[o][c][u] = o == c ? h[k0 + u][q] : 0;
                    px.wAbs[o][c][u] = o == c ? hAbs[k0 + u][q] : 0;
                }
            }
        }
        // y[c]: e's errors through the signed slopes sum_u sw[k0+u, j] xp[c,u]; the span's own roundings times xp^2.
        for (int c = 0; c < chans; c++) {
            int k0 = cfg.group(c) * taps;
            double carried = 0;
            double[] v = new double[3];
            for (int j = 0; j < red; j++) {
                double slope = 0;
                for (int u = 0; u < taps; u++) {
                    slope += sw[(k0 + u) * red + j] * px.patch[c][u];
                }
                carried += Math.abs(slope) * eErr[j][q];
                for (int c3 = 0; c3 < 3; c3++) {
                    v[c3] += slope * slope * eVar[c3][j][q];
                }
            }
            for (int u = 0; u < taps; u++) {
                double x2 = sq(px.patch[c][u]);
                for (int c3 = 0; c3 < 3; c3++) {
                    v[c3] += x2 * hOwn[c3][k0 + u][q];
                }
            }
            px.carried[c] = carried;
            for (int c3 = 0; c3 < 3; c3++) {
                px.variance[c3][c] = v[c3];
            }
        }
        if (px.dy == null) {
            return;
        }
        // dpatch[c][u] = dy[c] H[k]: H's errors (carried from e, and its variance: own plus e's through sw) times dy.
        for (int c = 0; c < chans; c++) {
            int k0 = cfg.group(c) * taps;
            double dy2 = sq(px.dy[c]);
            for (int u = 0; u < taps; u++) {
                int k = k0 + u;
                px.dPatchCarried[c][u] = Math.abs(px.dy[c]) * hCarried[k][q];
                for (int c3 = 0; c3 < 3; c3++) {
                    double hv = hOwn[c3][k][q];
                    for (int j = 0; j < red; j++) {
                        hv += sq(sw[k * red + j]) * eVar[c3][j][q];
                    }
                    px.dPatchVariance[c3][c][u] = dy2 * hv;
                }
            }
        }
    }

    /**
     * The kernel branch's chain rule at one pixel, from {@code dWpix[c][c][u] = dy[c] xp[c,u]} (each term with its
     * {@code S}, carried {@code E} and tight variance; ErrorBounds, "Involution", gradients):
     * <pre>
     *   dH[k]    = sum_{c in g} dy[c] xp[c,u]              span.bias += dH;  span.weight[k,j] += dH e[j]
     *   de[j]    = sum_k dH[k] sw[k,j];   da = de [a > 0]  bn.bias += da;    bn.weight += da (r1 - mean)/sigma
     *   dr1[j]   = da gamma/sigma                          reduce.bias += dr1; reduce.weight[j,c] += dr1 xa[c]
     *   dxa[c]   = sum_j dr1[j] rw[j,c];   dx[c, i] += dxa[c] / cnt for every in-image i of the pooling window
     * </pre>
     */
    @Override
    public void backward(int ho, int wo, Pixel px, GradientSink sink) {
        int q = ho * sampling.outWidth() + wo;
        SumModel sum = new SumModel();
        double[] dH = new double[kc];
        double[] dHAbs = new double[kc];
        double[][] dHVar = new double[kc][];
        int gc = cfg.groupChannels();
        for (int k = 0; k < kc; k++) {
            int g = k / taps;
            int u = k % taps;
            sum.reset();
            double abs = 0;
            for (int c = g * gc; c < (g + 1) * gc; c++) {
                sum.add(px.dW[c][c][u]);
                abs += Math.abs(px.dW[c][c][u]);
            }
            dH[k] = sum.sum();
            dHAbs[k] = abs;
            dHVar[k] = new double[] {sum.roundings(), 2 * sum.squares(), sq(sum.sum())};
            sink.add(InvolutionLayer.SPAN_BIAS, k, dH[k], abs, 0, dHVar[k], false);
            for (int j = 0; j < red; j++) {
                double ev = e[j][q];
                double t = dH[k] * ev;
                sink.add(InvolutionLayer.SPAN_WEIGHT, k * red + j, t, abs * Math.abs(ev), Math.abs(dH[k]) * eErr[j][q],
                        productVar(dH[k], dHVar[k], ev, column(eVar, j, q)), true);
            }
        }
        double[] dr1 = new double[red];
        double[] dr1Abs = new double[red];
        double[] dr1Err = new double[red];
        double[][] dr1Var = new double[red][];
        for (int j = 0; j < red; j++) {
            sum.reset();
            double abs = 0;
            double[] v = new double[3];
            for (int k = 0; k < kc; k++) {
                double w = sw[k * red + j];
                sum.add(dH[k] * w);
                abs += dHAbs[k] * Math.abs(w);
                for (int c3 = 0; c3 < 3; c3++) {
                    v[c3] += w * w * dHVar[k][c3];
                }
            }
            double de = sum.sum();
            double[] deVar = {sum.roundings() + v[A], 2 * sum.squares() + v[B], sq(de) + v[C]};
            // ReLU's mask: certain unless |a| <= E_a, where a float32 path may take the other branch (the whole term).
            boolean on = a[j][q] > 0;
            boolean ambiguous = ErrorBounds.reluAmbiguous(a[j][q], aErr[j][q]);
            double da = on ? de : 0;
            double daAbs = on || ambiguous ? abs : 0;
            double daErr = ambiguous ? abs : 0;
            double[] daVar = on ? deVar.clone() : new double[3];
            if (ambiguous) {
                daVar[A] += ErrorBounds.reluMaskTight(abs);
            }
            sink.add(InvolutionLayer.BN_BIAS, j, da, daAbs, daErr, daVar, false);
            double[] centredVar = new double[3];
            double[] r1v = column(r1Var, j, q);
            double centred = bn[j].centred(r1[j][q], r1v, centredVar);
            double sigma = bn[j].sigma();
            double centredAbs = (Math.abs(r1[j][q]) + Math.abs(bn[j].mean())) / sigma;
            sink.add(InvolutionLayer.BN_WEIGHT, j, da * centred, daAbs * centredAbs,
                    Math.abs(da) * r1Err[j][q] / sigma + daErr * Math.abs(centred), productVar(da, daVar, centred, centredVar), true);
            dr1Var[j] = new double[3];
            dr1[j] = bn[j].backward(da, daVar, dr1Var[j]);
            double scale = Math.abs(bn[j].scale());
            dr1Abs[j] = daAbs * scale;
            dr1Err[j] = daErr * scale;
            sink.add(InvolutionLayer.REDUCE_BIAS, j, dr1[j], dr1Abs[j], dr1Err[j], dr1Var[j], false);
            for (int c = 0; c < chans; c++) {
                double x = xa[c][q];
                sink.add(InvolutionLayer.REDUCE_WEIGHT, j * chans + c, dr1[j] * x, dr1Abs[j] * xaAbs[c][q],
                        Math.abs(dr1[j]) * xaErr[c][q] + dr1Err[j] * Math.abs(x), productVar(dr1[j], dr1Var[j], x, column(xaVar, c, q)),
                        true);
            }
        }
        // dx through the kernel branch: dxa[c] = sum_j dr1[j] rw[j,c], spread over the pooling window.
        int s = cfg.stride();
        for (int c = 0; c < chans; c++) {
            sum.reset();
            double abs = 0;
            double err = 0;
            double[] v = new double[3];
            for (int j = 0; j < red; j++) {
                double w = rw[j * chans + c];
                sum.add(dr1[j] * w);
                abs += dr1Abs[j] * Math.abs(w);
                err += dr1Err[j] * Math.abs(w);
                for (int c3 = 0; c3 < 3; c3++) {
                    v[c3] += w * w * dr1Var[j][c3];
                }
            }
            double dxa = sum.sum();
            int r0 = s * ho;
            int c0 = s * wo;
            int r1End = Math.min(r0 + s, height);
            int c1End = Math.min(c0 + s, width);
            int cnt = (r1End - r0) * (c1End - c0);
            double t = dxa / cnt;
            double[] tv = {(sum.roundings() + v[A]) / sq(cnt) + (cnt > 1 ? 2 * t * t : 0),
                    (2 * sum.squares() + v[B]) / sq(cnt), (sq(dxa) + v[C]) / sq(cnt)};
            for (int i = r0; i < r1End; i++) {
                for (int jj = c0; jj < c1End; jj++) {
                    int idx = ((image * chans + c) * height + i) * width + jj;
                    sink.add(PixelFilterOracle.X, idx, t, abs / cnt, err / cnt, tv, false);
                }
            }
        }
    }

    /** {@code var(a b) = b^2 var(a) + a^2 var(b)} per component (the product's own rounding counts where it is summed). */
    private static double[] productVar(double x, double[] varX, double y, double[] varY) {
        return new double[] {y * y * varX[A] + x * x * varY[A], y * y * varX[B] + x * x * varY[B],
                y * y * varX[C] + x * x * varY[C]};
    }

    private static double[] column(double[][][] v, int ch, int q) {
        return new double[] {v[A][ch][q], v[B][ch][q], v[C][ch][q]};
    }

    /** The exact forward of {@code layer} on {@code x [N, C, H, W]} (checked by {@link InvolutionKind}). */
    public static OracleResult forward(InvolutionLayer layer, Tensor x) {
        return forward(layer.config(), params(layer), PixelFilterOracle.images(x));
    }

    /** The forward with parameters and input in double (finite-difference tests perturb them). */
    public static OracleResult forward(InvolutionConfig c, Map<String, double[]> params, double[][][][] x) {
        InvolutionFilter f = new InvolutionFilter(c, params, x[0][0].length, x[0][0][0].length);
        return PixelFilterOracle.forward(f, x, ErrorBounds.involutionForwardChain(c.taps(), c.reduced()));
    }

    /** The exact gradients {@code x}, then every parameter but the running statistics, in state-dict order. */
    public static AcdaOracleBackward.Gradients backward(InvolutionLayer layer, Tensor x, Tensor dy, int[] outShape) {
        if (dy == null) {
            throw new IllegalArgumentException("upstream gradient dy is null: expected " + java.util.Arrays.toString(outShape));
        }
        StateDicts.requireInput("dy", dy, outShape, "[N, C, H', W']");
        return backward(layer.config(), params(layer), PixelFilterOracle.images(x), PixelFilterOracle.images(dy));
    }

    /** The backward with parameters, input and upstream gradient in double. */
    public static AcdaOracleBackward.Gradients backward(InvolutionConfig c, Map<String, double[]> params, double[][][][] x,
                                                        double[][][][] dy) {
        int h = x[0][0].length;
        int w = x[0][0][0].length;
        InvolutionFilter f = new InvolutionFilter(c, params, h, w);
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(PixelFilterOracle.X, new int[] {x.length, c.channels(), h, w});
        InvolutionLayer.expectedShapes(c).forEach((k, v) -> {
            if (!k.equals(InvolutionLayer.BN_MEAN) && !k.equals(InvolutionLayer.BN_VAR)) {
                shapes.put(k, v);
            }
        });
        long pixels = (long) x.length * f.sampling.outHeight() * f.sampling.outWidth();
        ErrorBounds.InvolutionChains n = ErrorBounds.involutionGradientChains(c.channels(), c.groups(), c.reduced(),
                c.taps(), pixels);
        Map<String, Integer> chains = new LinkedHashMap<>();
        chains.put(PixelFilterOracle.X, n.dx());
        chains.put(InvolutionLayer.REDUCE_WEIGHT, n.reduceWeight());
        chains.put(InvolutionLayer.REDUCE_BIAS, n.reduceBias());
        chains.put(InvolutionLayer.BN_WEIGHT, n.bnWeight());
        chains.put(InvolutionLayer.BN_BIAS, n.bnBias());
        chains.put(InvolutionLayer.SPAN_WEIGHT, n.spanWeight());
        chains.put(InvolutionLayer.SPAN_BIAS, n.spanBias());
        return PixelFilterOracle.backward(f, x, dy, shapes, chains);
    }

    /**
     * The signs {@code [a > 0]} of every ReLU input of every image and pixel, and the smallest {@code |a|}: tests
     * keep finite-difference points away from the kink with it.
     */
    static java.util.BitSet reluPattern(InvolutionConfig c, Map<String, double[]> params, double[][][][] x) {
        InvolutionFilter f = new InvolutionFilter(c, params, x[0][0].length, x[0][0][0].length);
        java.util.BitSet bits = new java.util.BitSet();
        int i = 0;
        for (int n = 0; n < x.length; n++) {
            f.beginImage(n, x[n]);
            for (double[] row : f.a) {
                for (double v : row) {
                    bits.set(i++, v > 0);
                }
            }
        }
        return bits;
    }

    private static double sq(double v) {
        return v * v;
    }
}
