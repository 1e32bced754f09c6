package org.acdajvm.oracle;

/**
 * One gradient (or backward intermediate) being accumulated by {@link AcdaOracleBackward}: per
 * element the exact value, the worst-case ingredients {@code S} and {@code E}, and the tight tier's
 * model of a float32 accumulation: the terms' own variance proxies (components {@code A, B, C} as in
 * {@link ForwardRounding}) and the running sums of {@link SumModel} for the accumulation itself
 * (same three models of the partial sums), kept as arrays.
 */
final class GradientAccumulator {

    final int[] shape;
    final double[] value;
    final double[] sumAbs;
    final double[] carried;
    private final int[] count;
    private final double[] squares;
    private final double[] allSquares;
    private final double[] prefix;
    private final double[] prefixSq;
    private final double[][] termVar;

    GradientAccumulator(int[] shape) {
        this.shape = shape.clone();
        int n = (int) org.acdajvm.tensor.Tensor.elementCount(shape);
        value = new double[n];
        sumAbs = new double[n];
        carried = new double[n];
        count = new int[n];
        squares = new double[n];
        allSquares = new double[n];
        prefix = new double[n];
        prefixSq = new double[n];
        termVar = new double[3][n];
    }

    /**
     * Adds one term to element {@code i}.
     *
     * @param v       the term's exact value
     * @param s       its {@code S}
     * @param e       its carried worst-case error {@code E}
     * @param var     its own variance proxies {@code {A, B, C}} (from the factors it was computed from)
     * @param product whether the term is a product formed just for this addition (its rounding and,
     *                in a reduced precision, its two inputs' roundings then count here)
     */
    void add(int i, double v, double s, double e, double[] var, boolean product) {
        value[i] += v;
        sumAbs[i] += s;
        carried[i] += e;
        count[i]++;
        prefix[i] += value[i];
        prefixSq[i] += value[i] * value[i];
        allSquares[i] += v * v;
        if (product) {
            squares[i] += v * v;
        }
        termVar[0][i] += var[0];
        termVar[1][i] += var[1] + (product ? 2 * v * v : 0);
        termVar[2][i] += var[2];
    }

    /** Adds to the input element that {@code xp[n, c, h, w]} reads, if any (the adjoint of reading through the padding). */
    void scatter(Images x, org.acdajvm.layer.AcdaConfig cfg, int n, int c, int h, int w, double v, double s, double e,
                 double[] var, boolean product) {
        int hh = cfg.padding().index(h, x.height);
        int ww = cfg.padding().index(w, x.width);
        if (hh >= 0 && ww >= 0) {
            add(x.index(n, c, hh, ww), v, s, e, var, product);
        }
    }

    /** Adds a term with no error of its own (an exact input such as {@code dy}). */
    void addExact(int i, double v) {
        add(i, v, Math.abs(v), 0, ZERO, false);
    }

    private static final double[] ZERO = new double[3];

    /** The variance proxies {@code {A, B, C}} of element {@code i} as a float32 accumulation would compute it. */
    double[] variance(int i) {
        int n = count[i];
        double sum = value[i];
        double partials = 0;
        if (n > 0) {
            double reversed = (n + 1) * sum * sum - 2 * sum * prefix[i] + prefixSq[i];
            double mu = sum / n;
            double v = Math.max(0, allSquares[i] / n - mu * mu);
            double random = mu * mu * n * (n + 1.0) * (2.0 * n + 1) / 6 + v * n * (n + 1.0) / 6;
            partials = Math.max(prefixSq[i], Math.max(reversed, random));
        }
        return new double[] {squares[i] + partials + termVar[0][i], termVar[1][i], termVar[2][i] + sum * sum};
    }
}
