package org.acdajvm.layers.pac;

import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.oracle.SumModel;

/**
 * PAC's adapting kernel for one image, in double, with the ingredients of both bounds (DESIGN sections 7
 * and 8; derivations in {@link ErrorBounds}, "PAC's adapting kernel"). At kernel pixel {@code p} (a point
 * of the kernel's sampling grid), tap {@code v} and kernel channel {@code g}:
 * <pre>
 *   delta_j = fp[j, tap(p, v)] - fp[j, tap(p, centre)]       fp: the guidance read with the layer's padding
 *   d2      = sum_{j in g} delta_j^2                          (every guidance channel, or channel g alone)
 *   K       = exp(-0.5 d2)  or  alpha + (d2 + 1e-4)^(lambda/2)
 *   Kn      = K / Sigma,  Sigma = sum_{in-image v} K  (1 when that sum is exactly 0; Kn = K without normalisation)
 * </pre>
 * with {@code K = 0} at taps outside the image (zero padding: they multiply a padding zero; a centre outside
 * reads guidance 0), or {@code K} read from a precomputed kernel input {@code [G*T][kh][kw]} (exact float32
 * values, used as given: a precomputed kernel is {@code pac-kernel}'s output, already normalised). Beside
 * each value: its worst-case error {@code e} and tight variance proxies {@code {A, B, C}} (units
 * {@code u^2}, {@code u_in^2}, {@code u_st^2}). {@link #backward} takes {@code dL/dKn} and sends the
 * gradients of the guidance (or the kernel input), {@code inv_alpha} and {@code inv_lambda} to a sink.
 * The oracle's header rules apply: double only, plain loops, nothing cached between images.
 */
final class PacKernel {

    private final Sampling ks;
    private final int groups;
    private final int taps;
    private final int mid;
    private final PacConfig.KernelType type;
    private final boolean normalize;
    private final boolean channelWise;
    private final double alpha;
    private final double lambda;
    private final double[][][][] guidance;      // [N][Cf][Hg][Wg] or null
    private final double[][][][] kernelInput;   // [N][G*T][kh][kw] or null
    private final String guidanceKey;
    private final String kernelKey;
    private final String alphaKey;
    private final String lambdaKey;

    private int image;
    final double[][][][] k;
    final double[][][][] kn;
    final double[][][][] eK;
    final double[][][][] eKn;
    final double[][][][][] varK;
    final double[][][][][] varKn;
    final boolean[][][] in;
    final double[][][] sigma;
    /** Whether the in-image kernel sum was exactly 0 (then it divides by 1, and its derivative is that of K / 1). */
    final boolean[][][] zeroSum;
    final double[][][] sigmaPartials;
    final double[][][] eSigma;
    final double[][][] varSigma;
    private final double[][][][] dKn;
    private final double[][][][] dKnS;
    private final double[][][][][] dKnVar;

    /**
     * @param ks          the kernel's sampling (for the transpose: stride 1, padding {@code d(K-1)/2}, over its output grid)
     * @param guidance    {@code [N][Cf][Hg][Wg]}, or {@code null} when {@code kernelInput} is given
     * @param kernelInput {@code [N][G*T][kh][kw]}, or {@code null}
     * @param guidanceKey the gradient key of the guidance ({@code "guidance"}, or {@code "x"} for pac-kernel)
     */
    PacKernel(PacConfig c, Sampling ks, double alpha, double lambda, double[][][][] guidance, double[][][][] kernelInput,
              String guidanceKey) {
        this.ks = ks;
        this.groups = c.kernelChannels();
        this.taps = ks.taps();
        this.mid = (ks.kernelSize() - 1) / 2;
        this.type = c.kernelType();
        this.normalize = c.normalizeKernel() && kernelInput == null;   // a given kernel is used as given
        this.channelWise = c.channelWise();
        this.alpha = alpha;
        this.lambda = lambda;
        this.guidance = guidance;
        this.kernelInput = kernelInput;
        this.guidanceKey = guidanceKey;
        this.kernelKey = PacKind.KERNEL;
        this.alphaKey = c.inverse() ? PacLayer.INV_ALPHA : null;
        this.lambdaKey = c.inverse() ? PacLayer.INV_LAMBDA : null;
        int kh = ks.outHeight();
        int kw = ks.outWidth();
        k = new double[kh][kw][groups][taps];
        kn = new double[kh][kw][groups][taps];
        eK = new double[kh][kw][groups][taps];
        eKn = new double[kh][kw][groups][taps];
        varK = new double[3][kh][kw][groups][taps];
        varKn = new double[3][kh][kw][groups][taps];
        in = new boolean[kh][kw][taps];
        sigma = new double[kh][kw][groups];
        zeroSum = new boolean[kh][kw][groups];
        sigmaPartials = new double[kh][kw][groups];
        eSigma = new double[kh][kw][groups];
        varSigma = new double[3 * kh][kw][groups];
        dKn = new double[kh][kw][groups][taps];
        dKnS = new double[kh][kw][groups][taps];
        dKnVar = new double[3][kh][kw][groups][taps];
    }

    Sampling sampling() {
        return ks;
    }

    /** One kernel value before normalisation with its intermediates (for the forward and the backward). */
    private record Value(double d2, double[] varD2, double s, double eS, double[] varS, double p, double eP, double[] varP,
                         double k, double eK, double[] varK) {
    }

    /** The guidance image's channels that kernel channel {@code g} sums. */
    private int firstChannel(int g) {
        return channelWise ? g : 0;
    }

    private int lastChannel(int g) {
        return channelWise ? g + 1 : guidance[image].length;
    }

    /** {@code fp[j, h, w]} of the current image: the guidance read with the padding. */
    private double f(int j, int h, int w) {
        double[][] plane = guidance[image][j];
        int hh = ks.padding().index(h, plane.length);
        int ww = ks.padding().index(w, plane[0].length);
        return hh < 0 || ww < 0 ? 0.0 : plane[hh][ww];
    }

    private Value value(int ph, int pw, int g, int v) {
        if (kernelInput != null) {
            double kv = kernelInput[image][g * taps + v][ph][pw];
            return new Value(0, null, 0, 0, null, 0, 0, null, kv, 0, new double[] {0, kv * kv, 0});
        }
        if (!in[ph][pw][v]) {
            // A tap outside the image (zero padding) has K = 0: it multiplies a padding zero and is not normalised over.
            return new Value(0, null, 0, 0, null, 0, 0, null, 0, 0, new double[3]);
        }
        int kk = ks.kernelSize();
        int qh = ks.row(ph, v / kk);
        int qw = ks.col(pw, v % kk);
        int ch = ks.row(ph, mid);
        int cw = ks.col(pw, mid);
        SumModel sum = new SumModel();
        double a4 = 0;
        double b = 0;
        int nch = 0;
        for (int j = firstChannel(g); j < lastChannel(g); j++) {
            double fq = f(j, qh, qw);
            double fp = f(j, ch, cw);
            double delta = fq - fp;
            sum.add(delta * delta);
            a4 += 5 * sq(delta * delta);
            b += 4 * delta * delta * (fq * fq + fp * fp);
            nch++;
        }
        double d2 = sum.sum();
        double eD2 = ErrorBounds.squaredDistanceError(d2, nch);
        double[] varD2 = {a4 + sum.partials(), b, d2 * d2};
        if (type == PacConfig.KernelType.GAUSSIAN) {
            double kv = Math.exp(-0.5 * d2);
            double own = ErrorBounds.expTight(kv);
            double[] vk = {0.25 * kv * kv * varD2[0] + own * own, 0.25 * kv * kv * varD2[1], 0.25 * kv * kv * varD2[2] + kv * kv};
            return new Value(d2, varD2, 0, 0, null, 0, 0, null, kv, ErrorBounds.expError(kv, 0.5 * eD2), vk);
        }
        double s = d2 + PacConfig.INVERSE_EPS;
        double eS = eD2 + ErrorBounds.SAFETY * ErrorBounds.U * 2 * s;
        double[] varS = {varD2[0] + s * s + sq(PacConfig.INVERSE_EPS), varD2[1], varD2[2] + s * s};
        double h = lambda / 2;
        double p = Math.pow(s, h);
        double eP = ErrorBounds.powError(p, h, s, eS);
        double sens = h * p / s;
        double own = ErrorBounds.powTight(p);
        double[] varP = {sens * sens * varS[0] + own * own, sens * sens * varS[1], sens * sens * varS[2] + p * p};
        double kv = alpha + p;
        double[] vk = {varP[0] + kv * kv, varP[1] + alpha * alpha, varP[2] + kv * kv};
        return new Value(d2, varD2, s, eS, varS, p, eP, varP, kv,
                eP + ErrorBounds.SAFETY * ErrorBounds.U * Math.abs(kv), vk);
    }

    /** Computes every kernel value of image {@code n} (and clears the backward's accumulators). */
    void begin(int n) {
        image = n;
        int kk = ks.kernelSize();
        int kh = ks.outHeight();
        int kw = ks.outWidth();
        int hg = guidance != null ? guidance[n][0].length : Integer.MAX_VALUE;
        int wg = guidance != null ? guidance[n][0][0].length : Integer.MAX_VALUE;
        for (int ph = 0; ph < kh; ph++) {
            for (int pw = 0; pw < kw; pw++) {
                for (int v = 0; v < taps; v++) {
                    in[ph][pw][v] = guidance == null
                            ? inImageOfInput(ph, pw, v)
                            : ks.padding().index(ks.row(ph, v / kk), hg) >= 0 && ks.padding().index(ks.col(pw, v % kk), wg) >= 0;
                }
                for (int g = 0; g < groups; g++) {
                    pixel(ph, pw, g);
                    java.util.Arrays.fill(dKn[ph][pw][g], 0);
                    java.util.Arrays.fill(dKnS[ph][pw][g], 0);
                    for (int c3 = 0; c3 < 3; c3++) {
                        java.util.Arrays.fill(dKnVar[c3][ph][pw][g], 0);
                    }
                }
            }
        }
    }

    /** With a precomputed kernel the image size is that of x (conv, pool) or the output grid (transpose). */
    private int inputHeight = -1;
    private int inputWidth = -1;

    /** The grid the kernel's taps fall on, for a precomputed kernel (no guidance to measure it from). */
    void gridSize(int height, int width) {
        inputHeight = height;
        inputWidth = width;
    }

    private boolean inImageOfInput(int ph, int pw, int v) {
        int kk = ks.kernelSize();
        return ks.padding().index(ks.row(ph, v / kk), inputHeight) >= 0
                && ks.padding().index(ks.col(pw, v % kk), inputWidth) >= 0;
    }

    private void pixel(int ph, int pw, int g) {
        double[] kv = k[ph][pw][g];
        for (int v = 0; v < taps; v++) {
            Value val = value(ph, pw, g, v);
            kv[v] = val.k();
            eK[ph][pw][g][v] = val.eK();
            for (int c3 = 0; c3 < 3; c3++) {
                varK[c3][ph][pw][g][v] = val.varK()[c3];
            }
        }
        if (!normalize) {
            for (int v = 0; v < taps; v++) {
                kn[ph][pw][g][v] = kv[v];
                eKn[ph][pw][g][v] = eK[ph][pw][g][v];
                for (int c3 = 0; c3 < 3; c3++) {
                    varKn[c3][ph][pw][g][v] = varK[c3][ph][pw][g][v];
                }
            }
            sigma[ph][pw][g] = 1;
            zeroSum[ph][pw][g] = false;
            return;
        }
        SumModel sum = new SumModel();
        double abs = 0;
        double err = 0;
        double[] vs = new double[3];
        int count = 0;
        for (int v = 0; v < taps; v++) {
            if (in[ph][pw][v]) {
                sum.add(kv[v]);
                abs += Math.abs(kv[v]);
                err += eK[ph][pw][g][v];
                for (int c3 = 0; c3 < 3; c3++) {
                    vs[c3] += varK[c3][ph][pw][g][v];
                }
                count++;
            }
        }
        double raw = sum.sum();
        double e = err + ErrorBounds.SAFETY * ErrorBounds.U * Math.max(0, count - 1) * abs;
        double sg = raw == 0 ? 1 : raw;
        sigma[ph][pw][g] = sg;
        zeroSum[ph][pw][g] = raw == 0;
        sigmaPartials[ph][pw][g] = sum.partials();
        eSigma[ph][pw][g] = e;
        varSigma[ph][pw][g] = vs[0] + sum.partials();
        varSigma[kh() + ph][pw][g] = vs[1];
        varSigma[2 * kh() + ph][pw][g] = vs[2] + raw * raw;
        for (int v = 0; v < taps; v++) {
            double q = kv[v] / sg;
            kn[ph][pw][g][v] = q;
            eKn[ph][pw][g][v] = raw == 0 && e == 0 ? 0 : ErrorBounds.quotientError(kv[v], eK[ph][pw][g][v], raw, e);
            // var(Kn_v) = sum_w (dKn_v/dK_w)^2 var(K_w) + Kn_v^2 partials / Sigma^2 + Kn_v^2 (the division).
            for (int c3 = 0; c3 < 3; c3++) {
                double acc = 0;
                for (int w = 0; w < taps; w++) {
                    double d = (w == v ? 1 / sg : 0) - (in[ph][pw][w] ? kv[v] / (sg * sg) : 0);
                    acc += d * d * varK[c3][ph][pw][g][w];
                }
                if (c3 == 0) {
                    acc += q * q * sum.partials() / (sg * sg) + q * q;
                } else if (c3 == 2) {
                    acc += q * q;
                }
                varKn[c3][ph][pw][g][v] = acc;
            }
        }
    }

    private int kh() {
        return ks.outHeight();
    }

    /** Adds {@code dL/dKn[g][v]} at kernel pixel {@code (ph, pw)}: value, {@code S}, variance {@code {A, B, C}}. */
    void addGradient(int ph, int pw, int g, int v, double value, double s, double[] var) {
        dKn[ph][pw][g][v] += value;
        dKnS[ph][pw][g][v] += s;
        for (int c3 = 0; c3 < 3; c3++) {
            dKnVar[c3][ph][pw][g][v] += var[c3];
        }
    }

    /**
     * Sends the gradients of the current image's kernel inputs to {@code sink}: through the normalisation
     * ({@code dK_w = dKn_w / Sigma - [w in image] sum_v dKn_v Kn_v / Sigma}), the kernel's derivative
     * ({@code dK/dd2 = -0.5 K}, or {@code (lambda/2) P / s}; {@code dK/dalpha = 1}, {@code dK/dlambda = 0.5 ln(s) P})
     * and the distance's ({@code dd2/df(q) = 2 delta}, {@code dd2/df(centre) = -2 delta}), or to the kernel input.
     */
    void backward(PixelFilter.GradientSink sink) {
        int kk = ks.kernelSize();
        int kh = ks.outHeight();
        int kw = ks.outWidth();
        double[] var = new double[3];
        for (int ph = 0; ph < kh; ph++) {
            for (int pw = 0; pw < kw; pw++) {
                for (int g = 0; g < groups; g++) {
                    double[] dk = new double[taps];
                    double[] dkS = new double[taps];
                    double[] dkE = new double[taps];
                    double[][] dkVar = new double[3][taps];
                    normalisationBackward(ph, pw, g, dk, dkS, dkE, dkVar);
                    for (int v = 0; v < taps; v++) {
                        if (dk[v] == 0 && dkS[v] == 0) {
                            continue;
                        }
                        if (kernelInput != null) {
                            int index = ((image * groups * taps + g * taps + v) * kh + ph) * kw + pw;
                            sink.add(kernelKey, index, dk[v], dkS[v], dkE[v], column(dkVar, v), false);
                            continue;
                        }
                        if (!in[ph][pw][v]) {
                            continue;                   // K = 0 there, whatever the guidance and the scalars
                        }
                        Value val = value(ph, pw, g, v);
                        double factor;
                        double eFactor;
                        double[] varFactor = new double[3];
                        if (type == PacConfig.KernelType.GAUSSIAN) {
                            factor = -0.5 * val.k();
                            eFactor = 0.5 * val.eK();
                            for (int c3 = 0; c3 < 3; c3++) {
                                varFactor[c3] = 0.25 * val.varK()[c3];
                            }
                        } else {
                            double h = lambda / 2;
                            factor = h * val.p() / val.s();
                            eFactor = Math.abs(factor) * (val.eP() / val.p() + val.eS() / val.s() + 3 * ErrorBounds.SAFETY * ErrorBounds.U);
                            for (int c3 = 0; c3 < 3; c3++) {
                                varFactor[c3] = factor * factor * (val.varP()[c3] / sq(val.p()) + val.varS()[c3] / sq(val.s()))
                                        + (c3 == 0 ? 2 * factor * factor : 0);
                            }
                            // inv_alpha: dK/dalpha = 1.
                            sink.add(alphaKey, 0, dk[v], dkS[v], dkE[v], column(dkVar, v), false);
                            // inv_lambda: dK/dlambda = 0.5 ln(s) P.
                            double ls = Math.log(val.s());
                            double l = 0.5 * ls * val.p();
                            double eL = 0.5 * Math.abs(ls) * val.eP() + 0.5 * val.p() * val.eS() / val.s()
                                    + Math.abs(l) * 2 * ErrorBounds.SAFETY * ErrorBounds.U;
                            for (int c3 = 0; c3 < 3; c3++) {
                                double vl = 0.25 * ls * ls * val.varP()[c3] + 0.25 * sq(val.p()) * val.varS()[c3] / sq(val.s())
                                        + (c3 == 0 ? 2 * l * l : 0);
                                var[c3] = l * l * dkVar[c3][v] + dk[v] * dk[v] * vl;
                            }
                            sink.add(lambdaKey, 0, dk[v] * l, dkS[v] * Math.abs(l), dkE[v] * Math.abs(l) + dkS[v] * eL, var, true);
                        }
                        double dd2 = dk[v] * factor;
                        double dd2S = dkS[v] * Math.abs(factor);
                        double dd2E = dkE[v] * Math.abs(factor) + dkS[v] * eFactor;
                        double[] dd2Var = new double[3];
                        for (int c3 = 0; c3 < 3; c3++) {
                            dd2Var[c3] = factor * factor * dkVar[c3][v] + dk[v] * dk[v] * varFactor[c3] + (c3 != 1 ? dd2 * dd2 : 0);
                        }
                        int qh = ks.row(ph, v / kk);
                        int qw = ks.col(pw, v % kk);
                        int ch = ks.row(ph, mid);
                        int cw = ks.col(pw, mid);
                        for (int j = firstChannel(g); j < lastChannel(g); j++) {
                            double fq = f(j, qh, qw);
                            double fp = f(j, ch, cw);
                            double delta = fq - fp;
                            double t = 2 * delta * dd2;
                            if (t == 0 && dd2S == 0) {
                                continue;
                            }
                            double[] vt = {4 * delta * delta * dd2Var[0] + 4 * dd2 * dd2 * delta * delta,
                                    4 * delta * delta * dd2Var[1] + 4 * dd2 * dd2 * (fq * fq + fp * fp), 4 * delta * delta * dd2Var[2]};
                            double s = 2 * Math.abs(delta) * dd2S;
                            double e = 2 * Math.abs(delta) * dd2E;
                            int iq = guidanceIndex(j, qh, qw);
                            if (iq >= 0) {
                                sink.add(guidanceKey, iq, t, s, e, vt, true);
                            }
                            int ic = guidanceIndex(j, ch, cw);
                            if (ic >= 0) {
                                sink.add(guidanceKey, ic, -t, s, e, vt, true);
                            }
                        }
                    }
                }
            }
        }
    }

    private int guidanceIndex(int j, int h, int w) {
        double[][][] img = guidance[image];
        int hh = ks.padding().index(h, img[0].length);
        int ww = ks.padding().index(w, img[0][0].length);
        if (hh < 0 || ww < 0) {
            return -1;                  // a padding zero: no gradient
        }
        return ((image * img.length + j) * img[0].length + hh) * img[0][0].length + ww;
    }

    /** {@code dK} of kernel pixel {@code (ph, pw)}, channel {@code g}, from {@code dKn}: value, S, E, variance. */
    private void normalisationBackward(int ph, int pw, int g, double[] dk, double[] dkS, double[] dkE, double[][] dkVar) {
        double[] a = dKn[ph][pw][g];
        double[] as = dKnS[ph][pw][g];
        if (!normalize || zeroSum[ph][pw][g]) {
            for (int v = 0; v < taps; v++) {
                dk[v] = a[v];
                dkS[v] = as[v];
                dkE[v] = 0;
                for (int c3 = 0; c3 < 3; c3++) {
                    dkVar[c3][v] = dKnVar[c3][ph][pw][g][v];
                }
            }
            return;
        }
        double sg = sigma[ph][pw][g];
        double as2 = Math.abs(sg);
        double rSigma = eSigma[ph][pw][g] / as2;
        double[] knv = kn[ph][pw][g];
        SumModel sum = new SumModel();
        double mS = 0;
        double mE = 0;
        double[] mVar = new double[3];
        for (int v = 0; v < taps; v++) {
            sum.add(a[v] * knv[v]);
            mS += as[v] * Math.abs(knv[v]);
            mE += as[v] * (eKn[ph][pw][g][v] + Math.abs(knv[v]) * rSigma);
            for (int c3 = 0; c3 < 3; c3++) {
                mVar[c3] += sq(knv[v]) * dKnVar[c3][ph][pw][g][v] + sq(a[v]) * varKn[c3][ph][pw][g][v];
            }
        }
        double m = sum.sum() / sg;
        mS /= as2;
        mE /= as2;
        mVar[0] = (mVar[0] + sum.roundings()) / (sg * sg) + m * m;
        mVar[1] = (mVar[1] + 2 * sum.squares()) / (sg * sg);
        mVar[2] = mVar[2] / (sg * sg) + m * m;
        double[] vSigma = {varSigma[ph][pw][g], varSigma[kh() + ph][pw][g], varSigma[2 * kh() + ph][pw][g]};
        for (int w = 0; w < taps; w++) {
            boolean inw = in[ph][pw][w];
            double q = a[w] / sg;
            dk[w] = q - (inw ? m : 0);
            dkS[w] = as[w] / as2 + (inw ? mS : 0);
            dkE[w] = as[w] * rSigma / as2 + (inw ? mE : 0);
            for (int c3 = 0; c3 < 3; c3++) {
                dkVar[c3][w] = dKnVar[c3][ph][pw][g][w] / (sg * sg) + q * q * vSigma[c3] / (sg * sg)
                        + (c3 != 1 ? q * q : 0) + (inw ? mVar[c3] + (c3 != 1 ? dk[w] * dk[w] : 0) : 0);
            }
        }
    }

    private static double[] column(double[][] v, int i) {
        return new double[] {v[0][i], v[1][i], v[2][i]};
    }

    private static double sq(double a) {
        return a * a;
    }
}
