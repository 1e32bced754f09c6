package org.acdajvm.oracle;

import java.util.Arrays;
import java.util.Locale;

import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * The verdict on one candidate tensor against the oracle (DESIGN section 7): per element the
 * tight ratio {@code |err| / tight bound} and the worst-case ratio {@code |err| / worst-case bound},
 * the aggregate {@code mean z^2} ({@code z = LAMBDA |err| / tight bound}) per tensor and per channel,
 * the maximum absolute and relative errors, and where the worst tight ratio occurs with both values.
 *
 * <p>Verdict: {@link Verdict#REJECTED} when an element exceeds its worst-case bound (or is NaN or
 * infinite); otherwise {@link Verdict#SUSPICIOUS} when an element exceeds its tight bound or a mean
 * of {@code z^2} exceeds its threshold; otherwise {@link Verdict#ACCEPTED}. With
 * {@link Tier#WORST_CASE} only the worst-case bound counts (the old verdict).
 *
 * @param shape          the compared shape
 * @param boundLabel     what the bound assumed (evaluation order, precision, chain length)
 * @param tier           which tier decides
 * @param verdict        the verdict
 * @param maxRatio       maximum tight ratio
 * @param maxWorstRatio  maximum worst-case ratio
 * @param maxAbs         maximum absolute error
 * @param maxRel         maximum relative error {@code |err| / |expected|} ({@code expected = 0} excluded)
 * @param worst          flat index of the element with the largest tight ratio
 * @param expected       oracle value there
 * @param actual         candidate value there
 * @param bound          tight bound there
 * @param worstCaseBound worst-case bound there
 * @param elements       number of elements compared (judged: a sampled oracle leaves some out)
 * @param overTight      elements over their tight bound
 * @param overWorst      elements over their worst-case bound
 * @param meanSquare     {@code mean z^2} over the tensor
 * @param threshold      its threshold {@link ErrorBounds#aggregateThreshold}
 * @param channelAxis    the axis {@link #channels} runs along (1 for {@code [N, C, H, W]} tensors, else 0)
 * @param channels       one summary per index of that axis
 */
public record ErrorReport(int[] shape, String boundLabel, Tier tier, Verdict verdict, double maxRatio, double maxWorstRatio,
                          double maxAbs, double maxRel, int worst, double expected, double actual, double bound,
                          double worstCaseBound, int elements, int overTight, int overWorst, double meanSquare,
                          double threshold, int channelAxis, Channel[] channels) {

    /** The three verdicts. */
    public enum Verdict {
        /** Within the tight bound and the aggregate test: what float32 rounding explains. */
        ACCEPTED,
        /** Within the worst-case bound, beyond the tight one: more error than float32 rounding explains. */
        SUSPICIOUS,
        /** Beyond the worst-case bound (or not finite): no correct float32 evaluation can do that. */
        REJECTED
    }

    /** Which bound decides the verdict. */
    public enum Tier {
        /** The tight tier (the default verdict). */
        TIGHT,
        /** Only the rigorous worst-case bound. */
        WORST_CASE;

        /** {@code tight} or {@code worst-case}. */
        public String id() {
            return this == TIGHT ? "tight" : "worst-case";
        }

        /** Parses {@code tight} or {@code worst-case}, naming the argument otherwise. */
        public static Tier parse(String s, String argument) {
            for (Tier t : values()) {
                if (t.id().equalsIgnoreCase(s)) {
                    return t;
                }
            }
            throw new IllegalArgumentException(argument + " = '" + s + "' is not allowed: expected tight or worst-case");
        }
    }

    /**
     * One channel's summary.
     *
     * @param maxRatio      maximum tight ratio
     * @param maxWorstRatio maximum worst-case ratio
     * @param maxAbs        maximum absolute error
     * @param overTight     elements over their tight bound
     * @param overWorst     elements over their worst-case bound
     * @param meanSquare    {@code mean z^2} over the channel
     * @param threshold     its threshold
     */
    public record Channel(double maxRatio, double maxWorstRatio, double maxAbs, int overTight, int overWorst,
                          double meanSquare, double threshold) {
        /** True when this channel passes the tight tier. */
        public boolean tightOk() {
            return overTight == 0 && overWorst == 0 && meanSquare <= threshold;
        }
    }

    /**
     * What a tensor is compared with: the exact values and both bounds per element.
     *
     * @param shape     the shape
     * @param expected  exact values
     * @param tight     tight bound per element
     * @param worstCase worst-case bound per element
     * @param label     what the bounds assumed
     * @param computed  which elements to judge ({@code null}: all; a sampled oracle leaves the rest out)
     */
    public record Reference(int[] shape, double[] expected, double[] tight, double[] worstCase, String label,
                            boolean[] computed) {

        /** A reference judged at every element. */
        public Reference(int[] shape, double[] expected, double[] tight, double[] worstCase, String label) {
            this(shape, expected, tight, worstCase, label, null);
        }

        /** The oracle's output with its bounds for one evaluation order and precision. */
        public static Reference of(OracleResult oracle, ErrorBounds.Evaluation evaluation, Precision precision) {
            int n = oracle.size();
            double[] tight = new double[n];
            double[] worst = new double[n];
            for (int i = 0; i < n; i++) {
                tight[i] = oracle.tightBound(i, evaluation, precision);
                worst[i] = oracle.worstCaseBound(i, evaluation, precision);
            }
            return new Reference(oracle.shape(), oracle.y(), tight, worst,
                    evaluation.name().toLowerCase(Locale.ROOT).replace('_', '-') + ", " + precision.id(), oracle.computed());
        }
    }

    /** Compares a float32 output with the oracle's result, float32 precision, tight tier. */
    public static ErrorReport compare(OracleResult oracle, Tensor actual, ErrorBounds.Evaluation evaluation) {
        return compare(oracle, actual, evaluation, Precision.FP32);
    }

    /** Compares a float32 output with the oracle's result in a precision, tight tier. */
    public static ErrorReport compare(OracleResult oracle, Tensor actual, ErrorBounds.Evaluation evaluation,
                                      Precision precision) {
        return compare(Reference.of(oracle, evaluation, precision), widen(actual), actual.shape(), Tier.TIGHT);
    }

    /**
     * The general comparison of {@code actual} (of shape {@code actualShape}) with a reference.
     *
     * @throws IllegalArgumentException if the shapes differ (naming both)
     */
    public static ErrorReport compare(Reference ref, double[] actual, int[] actualShape, Tier tier) {
        int[] shape = ref.shape();
        if (!Arrays.equals(shape, actualShape)) {
            throw new IllegalArgumentException("the tensor to check has shape " + Arrays.toString(actualShape)
                    + ", the oracle's is " + Arrays.toString(shape));
        }
        int axis = shape.length == 4 ? 1 : 0;
        int channelsN = shape.length == 0 ? 1 : shape[axis];
        int inner = 1;
        for (int a = axis + 1; a < shape.length; a++) {
            inner *= shape[a];
        }
        double[][] ch = new double[channelsN][6];   // max ratio, max worst ratio, max abs, over tight, over worst, sum z^2
        int[] chCount = new int[channelsN];
        double maxRatio = -1;
        double maxWorst = 0;
        double maxAbs = 0;
        double maxRel = 0;
        double sumZ2 = 0;
        int worst = 0;
        int overTight = 0;
        int overWorst = 0;
        double[] expected = ref.expected();
        boolean[] mask = ref.computed();
        int judged = 0;
        for (int i = 0; i < actual.length; i++) {
            if (mask != null && !mask[i]) {
                continue;
            }
            judged++;
            boolean finite = Double.isFinite(actual[i]);
            double err = Math.abs(actual[i] - expected[i]);
            double ratio = finite ? err / ref.tight()[i] : Double.POSITIVE_INFINITY;
            double wRatio = finite ? err / ref.worstCase()[i] : Double.POSITIVE_INFINITY;
            double z = ErrorBounds.LAMBDA * ratio;
            int c = channelsN == 1 ? 0 : (i / inner) % channelsN;
            double[] row = ch[c];
            chCount[c]++;
            if (ratio > 1) {
                overTight++;
                row[3]++;
            }
            if (wRatio > 1) {
                overWorst++;
                row[4]++;
            }
            if (ratio > maxRatio) {
                maxRatio = ratio;
                worst = i;
            }
            maxWorst = Math.max(maxWorst, wRatio);
            row[0] = Math.max(row[0], ratio);
            row[1] = Math.max(row[1], wRatio);
            row[2] = Math.max(row[2], finite ? err : Double.POSITIVE_INFINITY);
            row[5] += z * z;
            sumZ2 += z * z;
            if (finite) {
                maxAbs = Math.max(maxAbs, err);
                if (expected[i] != 0) {
                    maxRel = Math.max(maxRel, err / Math.abs(expected[i]));
                }
            } else {
                maxAbs = Double.POSITIVE_INFINITY;
                maxRel = Double.POSITIVE_INFINITY;
            }
        }
        Channel[] channels = new Channel[channelsN];
        boolean aggregateOk = true;
        for (int c = 0; c < channelsN; c++) {
            double[] r = ch[c];
            double thr = ErrorBounds.aggregateThreshold(chCount[c]);
            double ms = chCount[c] == 0 ? 0 : r[5] / chCount[c];
            channels[c] = new Channel(r[0], r[1], r[2], (int) r[3], (int) r[4], ms, thr);
            aggregateOk &= !(ms > thr);
        }
        double meanSquare = judged == 0 ? 0 : sumZ2 / judged;
        double threshold = ErrorBounds.aggregateThreshold(judged / Math.max(1, channelsN));
        aggregateOk &= !(meanSquare > threshold);
        Verdict v;
        if (overWorst > 0) {
            v = Verdict.REJECTED;
        } else if (tier == Tier.WORST_CASE || (overTight == 0 && aggregateOk)) {
            v = Verdict.ACCEPTED;
        } else {
            v = Verdict.SUSPICIOUS;
        }
        boolean empty = judged == 0;
        return new ErrorReport(shape.clone(), ref.label(), tier, v, Math.max(0, maxRatio), maxWorst, maxAbs, maxRel, worst,
                empty ? 0 : expected[worst], empty ? 0 : actual[worst], empty ? 0 : ref.tight()[worst],
                empty ? 0 : ref.worstCase()[worst], judged, overTight, overWorst, meanSquare, threshold, axis,
                channels);
    }

    /** A float tensor's data widened to double. */
    public static double[] widen(Tensor t) {
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.data()[i];
        }
        return d;
    }

    /** True when the verdict is {@link Verdict#ACCEPTED}. */
    public boolean accepted() {
        return verdict == Verdict.ACCEPTED;
    }

    /**
     * How many times more error than float32 rounding explains: the largest of the tight ratio and
     * {@code sqrt(mean z^2 / threshold)} over the tensor and its channels ({@code <= 1} when accepted).
     */
    public double excess() {
        double e = Math.max(maxRatio, Math.sqrt(meanSquare / threshold));
        for (Channel c : channels) {
            e = Math.max(e, Math.sqrt(c.meanSquare() / c.threshold()));
        }
        return e;
    }

    /** Channels that fail the tight tier (per-element or aggregate). */
    public int channelsOver() {
        int n = 0;
        for (Channel c : channels) {
            n += c.tightOk() ? 0 : 1;
        }
        return n;
    }

    /** The worst element's index, e.g. {@code (n, o, h, w)}. */
    public String worstIndex() {
        return AcdaShapes.index(shape, worst);
    }

    /** One sentence saying why the verdict is what it is. */
    public String reason() {
        return switch (verdict) {
            case ACCEPTED -> String.format(Locale.ROOT, "within what float32 rounding explains (tight ratio %.3g, mean z^2 %.3g <= %.3g)",
                    maxRatio, meanSquare, threshold);
            case SUSPICIOUS -> String.format(Locale.ROOT,
                    "the error is %.3g times what float32 rounding explains (%d of %d elements over the tight bound, "
                            + "mean z^2 %.3g against %.3g, %d channel(s) over), yet within the worst-case bound",
                    excess(), overTight, elements, meanSquare, threshold, channelsOver());
            case REJECTED -> String.format(Locale.ROOT,
                    "%d of %d elements exceed the worst-case bound, which no correct float32 evaluation can (worst-case ratio %.3g)",
                    overWorst, elements, maxWorstRatio);
        };
    }

    /** A one-paragraph description that locates the worst element, for failure messages and reports. */
    public String describe() {
        return String.format(Locale.ROOT,
                "%s: %s; max tight ratio %.3g, max worst-case ratio %.3g, max abs %.3g, max rel %.3g; "
                        + "worst at %s of shape %s: expected %.9g, actual %.9g, |err| %.3g, tight bound %.3g, worst-case bound %.3g (%s)",
                verdict, reason(), maxRatio, maxWorstRatio, maxAbs, maxRel, worstIndex(), Arrays.toString(shape), expected,
                actual, Math.abs(actual - expected), bound, worstCaseBound, boundLabel);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ErrorReport r && Arrays.equals(shape, r.shape) && maxRatio == r.maxRatio
                && maxWorstRatio == r.maxWorstRatio && worst == r.worst && verdict == r.verdict;
    }

    @Override
    public int hashCode() {
        return Double.hashCode(maxRatio) * 31 + worst;
    }

    @Override
    public String toString() {
        return describe();
    }
}
