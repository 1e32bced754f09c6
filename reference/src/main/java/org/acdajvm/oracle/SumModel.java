package org.acdajvm.oracle;

/**
 * The rounding model of one float32 sum {@code s = t_1 + t_2 + ... + t_n}, built while the oracle
 * adds its terms in index order (DESIGN section 7, tight tier; derivation in {@link ErrorBounds}).
 *
 * <p>To first order a float32 evaluation of the sum errs by {@code sum_k t_k d_k + sum_k s_k e_k}:
 * one rounding {@code d_k} per product {@code t_k} (absent with a fused multiply-add) and one
 * {@code e_k} per addition, applied to the partial sum {@code s_k} that addition produced, every
 * {@code |d|, |e| <= u}. Which partial sums occur depends on the order, which the oracle does not
 * know. {@link #partials()} takes the largest of three models of {@code sum_k s_k^2}:
 * <ul>
 *   <li>index order, the partial sums the oracle itself formed (the order most loops use);</li>
 *   <li>reversed index order, {@code sum_k (s_n - s_{k-1})^2}, from the same running sums;</li>
 *   <li>a random order: the expectation over orders drawn uniformly, from the terms' own mean
 *       {@code mu} and spread {@code v} (sampling without replacement gives
 *       {@code E s_k^2 = k^2 mu^2 + k (n - k) v / (n - 1)}, whose sum over {@code k} is
 *       {@code mu^2 n(n+1)(2n+1)/6 + v n(n+1)/6}).</li>
 * </ul>
 * Blocked, pairwise, lane-split and tiled orders form shorter partial sums than one sequential
 * pass, so these bound them too; an order arranged against the data (terms sorted by sign, say)
 * is not covered, and {@link ErrorBounds} says so.
 */
public final class SumModel {

    private int n;
    private double sum;
    private double sumSq;
    private double prefix;
    private double prefixSq;

    /** Starts a new sum. */
    public SumModel reset() {
        n = 0;
        sum = 0;
        sumSq = 0;
        prefix = 0;
        prefixSq = 0;
        return this;
    }

    /** Adds the next term in index order. */
    public void add(double t) {
        n++;
        sum += t;
        sumSq += t * t;
        prefix += sum;
        prefixSq += sum * sum;
    }

    /** The exact sum of the terms added so far. */
    public double sum() {
        return sum;
    }

    /** {@code sum_k t_k^2}: the products' own roundings (each {@code |t_k d_k| <= u |t_k|}). */
    public double squares() {
        return sumSq;
    }

    /** The model of {@code sum_k s_k^2}, the additions' roundings: the largest of index, reversed and random order. */
    public double partials() {
        if (n == 0) {
            return 0;
        }
        double reversed = (n + 1) * sum * sum - 2 * sum * prefix + prefixSq;
        double mu = sum / n;
        double v = Math.max(0, sumSq / n - mu * mu);
        double random = mu * mu * n * (n + 1.0) * (2.0 * n + 1) / 6 + v * n * (n + 1.0) / 6;
        return Math.max(prefixSq, Math.max(reversed, random));
    }

    /** {@code sum_k t_k^2 + sum_k s_k^2}: the sum's whole rounding, in units of {@code u^2}. */
    public double roundings() {
        return squares() + partials();
    }
}
