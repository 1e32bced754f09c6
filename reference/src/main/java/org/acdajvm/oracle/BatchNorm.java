package org.acdajvm.oracle;

import java.util.Map;

/**
 * One channel of an evaluation-mode BatchNorm, {@code bn(v) = gamma (v - mean)/sqrt(var + eps) + beta}, as the
 * oracle's stage helper shared by every layer with a conv-BN-activation stage (ACDA's generator, involution's
 * kernel branch): its value, its worst-case error ({@link ErrorBounds#batchNorm}) and its tight-tier variance
 * proxies, forward and backward (derivations in {@link ErrorBounds}, "BatchNorm"). The arithmetic is the one
 * ACDA's oracle has always used, so its results are unchanged to the bit.
 *
 * @param gamma BatchNorm weight
 * @param beta  BatchNorm bias
 * @param mean  running mean
 * @param var   running variance
 * @param eps   the epsilon added to the variance (PyTorch's default 1e-5)
 */
public record BatchNorm(double gamma, double beta, double mean, double var, double eps) {

    /** PyTorch's default epsilon. */
    public static final double EPS = 1e-5;

    /** Channel {@code i} of the BatchNorm whose state-dict keys start with {@code prefix} ({@code weight, bias, running_mean, running_var}). */
    public static BatchNorm of(Map<String, double[]> p, String prefix, int i) {
        return new BatchNorm(p.get(prefix + "weight")[i], p.get(prefix + "bias")[i], p.get(prefix + "running_mean")[i],
                p.get(prefix + "running_var")[i], EPS);
    }

    /** {@code sqrt(var + eps)}. */
    public double sigma() {
        return Math.sqrt(var + eps);
    }

    /** {@code (v - mean) / sigma * gamma + beta}. */
    public double apply(double v) {
        return (v - mean) / sigma() * gamma + beta;
    }

    /** {@code gamma / sigma}. */
    public double scale() {
        return gamma / sigma();
    }

    /** Error bound of a float32 evaluation, given a bound on |v| and v's own error bound ({@link ErrorBounds#batchNorm}). */
    public double error(double sumAbsV, double errV) {
        return ErrorBounds.batchNorm(gamma / sigma(), mean, beta, sumAbsV, errV);
    }

    /** {@code |scale| (|v| + |mean|) + |beta|}: a bound on every intermediate of a float32 evaluation at {@code v}. */
    public double largest(double v) {
        double scale = gamma / sigma();
        return Math.abs(scale) * (Math.abs(v) + Math.abs(mean)) + Math.abs(beta);
    }

    /**
     * Tight variance proxies of {@code a = bn(v)} from those of {@code v} ({@code [A, B, C]}): {@code A = scale^2 A_v +
     * BN_TIGHT largest^2}, {@code B = scale^2 B_v}, {@code C = scale^2 C_v + a^2}.
     */
    public double[] forwardVariance(double v, double[] varV) {
        double scale = gamma / sigma();
        double aMax = largest(v);
        double a = apply(v);
        return new double[] {scale * scale * varV[0] + ErrorBounds.BN_TIGHT * aMax * aMax, scale * scale * varV[1],
                scale * scale * varV[2] + a * a};
    }

    /**
     * The backward's centred input {@code (v - mean)/sigma} (gamma's gradient factor) and its tight variance proxies into
     * {@code centredVar}: {@code v}'s over {@code sigma^2}, plus the subtraction's and division's roundings (sigma's own,
     * shared: {@code BN_TIGHT} of {@code (|v| + |mean|)/sigma} squared), and its storage.
     */
    public double centred(double v, double[] varV, double[] centredVar) {
        double centred = (v - mean) / sigma();
        double sig2 = sigma() * sigma();
        centredVar[0] = varV[0] / sig2 + ErrorBounds.BN_TIGHT * sq(Math.abs(v) + Math.abs(mean)) / sig2;
        centredVar[1] = varV[1] / sig2;
        centredVar[2] = varV[2] / sig2 + sq(centred);
        return centred;
    }

    /**
     * The backward through the affine map, {@code dv = da scale}, and its tight variance proxies into {@code dvVar}:
     * {@code scale^2} times {@code da}'s, plus {@code BN_TIGHT dv^2} (the scale's shared roundings and the product's),
     * the product's inputs ({@code 2 dv^2}) and its storage ({@code dv^2}).
     */
    public double backward(double da, double[] daVar, double[] dvVar) {
        double scale = gamma / sigma();
        double dg = da * scale;
        dvVar[0] = scale * scale * daVar[0] + ErrorBounds.BN_TIGHT * dg * dg;
        dvVar[1] = scale * scale * daVar[1] + 2 * dg * dg;
        dvVar[2] = scale * scale * daVar[2] + dg * dg;
        return dg;
    }

    private static double sq(double a) {
        return a * a;
    }
}
