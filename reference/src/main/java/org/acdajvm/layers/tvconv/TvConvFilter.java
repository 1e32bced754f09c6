package org.acdajvm.layers.tvconv;

import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.oracle.SumModel;

/**
 * TVConv as a {@link PixelFilter}: {@code Wpix[n,p][o,c,u] = delta(o,c) F[c,u,p]}, the weight net's filter
 * ({@link TvConvWeightNet}), the same for every image. The filter's float32 errors reach {@code y} through
 * {@code E = sum_u |xp| E_F} and, since one weight-net pixel feeds every tap, a tight variance bounded by
 * Cauchy-Schwarz over the taps ({@code K^2 sum_u xp^2 var_F}; {@link org.acdajvm.oracle.ErrorBounds}, TVConv
 * step 7). In a backward {@code dF[c,u,p] = sum_n dWpix[c][c][u]} is summed over the whole batch, and after the
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

    /** {@code V_F + K_F^2} of filter element {@code i}, component {@code k}. */
    private double variance(int k, int i) {
        return f.ind[k][i] + f.coh[k][i] * f.coh[k][i];
    }

    @Override
    public void filterAt(int ho, int wo, Pixel px) {
        for (int ch = 0; ch < c.channels(); ch++) {
            px.bias[ch] = bias[ch];
            double e = 0;
            double[] v = new double[3];
            for (int u = 0; u < taps; u++) {
                int i = index(ch, u, ho, wo);
                px.w[ch][ch][u] = f.v[i];
                px.wAbs[ch][ch][u] = Math.abs(f.v[i]);
                double xv = px.patch[ch][u];
                e += Math.abs(xv) * f.e[i];
                for (int k = 0; k < 3; k++) {
                    v[k] += xv * xv * variance(k, i);
                }
            }
            px.carried[ch] = e;
            for (int k = 0; k < 3; k++) {
                px.variance[k][ch] = taps * v[k];
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
        TvConvWeightNet.Grad g = new TvConvWeightNet.Grad(dF.length);
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
