package org.acdajvm.layers.tvconv;

import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.oracle.SumModel;

/**
 * TVConv as a {@link PixelFilter}: {@code Wpix[n,p][o,c,u] = delta(o,c) F[c,u,p]}, the weight net's filter
 * ({@link TvConvWeightNet}), the same for every image. The filter's float32 errors reach {@code y} through
 * {@code E = sum_u |xp| E_F} and a tight variance in which each source of error (the last conv's roundings, each
 * last hidden value, each shared LayerNorm number) has its exact signed sensitivity summed over the taps
 * ({@link #filterVariance}); into {@code dx}, where taps of different pixels meet, Cauchy-Schwarz bounds it
 * ({@code K^2 sum dy^2 var_F}; {@link org.acdajvm.oracle.ErrorBounds}, TVConv step 7). In a backward {@code dF[c,u,p] = sum_n dWpix[c][c][u]} is summed over the whole batch, and after the
 * last image it goes back through the weight net. The oracle's header rules apply.
 */
final class TvConvFilter implements PixelFilter {

    private final TvConvConfig c;
    private final Sampling sampling;
    private final TvConvWeightNet net;
    private final TvConvWeightNet.Field f;
    private final double[] bias;
    private final int batch;
    private final int taps;
    private final int positions;
    private SumModel[] dF;
    private double[] dFs;

    /**
     * @param bias  {@code [C]} (zeros for none)
     * @param batch N, so that the weight net's backward runs after the last image
     */
    TvConvFilter(TvConvConfig c, TvConvWeightNet net, double[] bias, int batch) {
        this.c = c;
        this.sampling = c.sampling();
        this.net = net;
        this.f = net.filter();
        this.bias = bias;
        this.batch = batch;
        this.taps = c.taps();
        this.positions = c.positions();
    }

    @Override
    public Sampling sampling() {
        return sampling;
    }

    @Override
    public int inChannels() {
        return c.channels();
    }

    @Override
    public int outChannels() {
        return c.channels();
    }

    @Override
    public void beginImage(int n, double[][][] x) {
    }

    private int index(int ch, int u, int ho, int wo) {
        return (ch * taps + u) * positions + ho * c.width() + wo;
    }

    /** The whole tight variance proxy of filter element {@code i}, component {@code k}. */
    private double variance(int k, int i) {
        double s = net.sigma(f, k, i);
        return s * s;
    }

    /**
     * The tight variance proxies of {@code y[ch] - b - (the apply's own roundings)} at pixel {@code (ho, wo)}, from the
     * filter's errors, each source with its exact signed sensitivity: the last conv's own roundings (one per filter
     * value), each last hidden value's independent part (it feeds every tap's filter: {@code sum_u xp_u W[ch K^2 + u, i, ab]}),
     * and each shared LayerNorm number ({@code sum_u xp_u dF_u/ds}).
     */
    private double[] filterVariance(int ch, int ho, int wo, double[] patch) {
        double[] v = new double[3];
        for (int u = 0; u < taps; u++) {
            int i = index(ch, u, ho, wo);
            for (int k = 0; k < 3; k++) {
                v[k] += patch[u] * patch[u] * net.filterOwn[k][i];
            }
        }
        TvConvWeightNet.Field h = net.lastHidden();
        double[] w = net.lastWeight();
        int mid = c.midChannels();
        for (int i = 0; i < mid; i++) {
            for (int a = 0; a < 3; a++) {
                int y = ho + a - 1;
                if (y < 0 || y >= c.height()) {
                    continue;
                }
                for (int b = 0; b < 3; b++) {
                    int x = wo + b - 1;
                    if (x < 0 || x >= c.width()) {
                        continue;
                    }
                    double sens = 0;
                    for (int u = 0; u < taps; u++) {
                        sens += patch[u] * w[(((ch * taps + u) * mid + i) * 3 + a) * 3 + b];
                    }
                    int q = (i * c.height() + y) * c.width() + x;
                    for (int k = 0; k < 3; k++) {
                        v[k] += sens * sens * h.ind[k][q];
                    }
                }
            }
        }
        for (int s = 0; s < f.dir.length; s++) {
            if (f.dir[s] == null) {
                continue;
            }
            double sens = 0;
            for (int u = 0; u < taps; u++) {
                sens += patch[u] * f.dir[s][index(ch, u, ho, wo)];
            }
            for (int k = 0; k < 3; k++) {
                v[k] += sens * sens * net.shared[s][k];
            }
        }
        return v;
    }

    @Override
    public void filterAt(int ho, int wo, Pixel px) {
        for (int ch = 0; ch < c.channels(); ch++) {
            px.bias[ch] = bias[ch];
            double e = 0;
            for (int u = 0; u < taps; u++) {
                int i = index(ch, u, ho, wo);
                px.w[ch][ch][u] = f.v[i];
                px.wAbs[ch][ch][u] = Math.abs(f.v[i]);
                e += Math.abs(px.patch[ch][u]) * f.e[i];
            }
            px.carried[ch] = e;
            double[] v = filterVariance(ch, ho, wo, px.patch[ch]);
            for (int k = 0; k < 3; k++) {
                px.variance[k][ch] = v[k];
            }
            if (px.dy == null) {
                continue;
            }
            double dy = px.dy[ch];
            for (int u = 0; u < taps; u++) {
                int i = index(ch, u, ho, wo);
                px.dPatchCarried[ch][u] = Math.abs(dy) * f.e[i];
                for (int k = 0; k < 3; k++) {
                    px.dPatchVariance[k][ch][u] = taps * dy * dy * variance(k, i);
                }
            }
        }
    }

    @Override
    public void backward(int ho, int wo, Pixel px, GradientSink sink) {
        if (dF == null) {
            dF = new SumModel[c.filterChannels() * positions];
            for (int i = 0; i < dF.length; i++) {
                dF[i] = new SumModel();
            }
            dFs = new double[dF.length];
        }
        for (int ch = 0; ch < c.channels(); ch++) {
            for (int u = 0; u < taps; u++) {
                int i = index(ch, u, ho, wo);
                double t = px.dW[ch][ch][u];
                dF[i].add(t);
                dFs[i] += Math.abs(t);
            }
        }
    }

    /** After the last image: {@code dF} (exact products {@code dy xp}, summed over the batch) into the weight net. */
    @Override
    public void endImage(int n, GradientSink sink) {
        if (n != batch - 1 || dF == null) {
            return;
        }
        TvConvWeightNet.Grad g = new TvConvWeightNet.Grad(dF.length, net.sharedCount());
        for (int i = 0; i < dF.length; i++) {
            double s = dF[i].sum();
            g.v[i] = s;
            g.s[i] = dFs[i];
            g.ind[0][i] = dF[i].roundings();
            g.ind[1][i] = 2 * dF[i].squares();
            g.ind[2][i] = s * s;
        }
        net.backward(g, sink);
    }
}
