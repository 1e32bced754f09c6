package org.acdajvm.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.DoubleUnaryOperator;

/**
 * The raw per-iteration scores of the JMH forks of one report, and the statistics the report prints
 * from them. On a shared VM one fork can be 40% off another; the report therefore gives the median
 * rather than the mean, the spread between forks rather than JMH's confidence interval (which
 * assumes independent, normally distributed iterations), and every ratio between two variants
 * computed within one round (the two forks ran minutes apart at most) and then medianed over the
 * rounds, so that a slow stretch of the machine that hits both variants of a round cancels out.
 */
final class ForkResults {

    /**
     * One JMH fork: which benchmark method, on which configuration, in which round, its measured
     * iterations' scores (in the benchmark's unit: ms per call, or ops/us for the FMA probe) and its
     * {@code gc.alloc.rate.norm} (bytes per call, NaN when not profiled).
     */
    record Fork(String method, String config, int round, double[] scores, double allocBytes) {
        Fork {
            if (scores.length == 0) {
                throw new IllegalArgumentException("a fork of " + method + " on " + config + " has no measured iteration");
            }
            scores = scores.clone();
        }

        double median() {
            return ForkResults.median(scores);
        }
    }

    /**
     * A median with its spread: {@code low} and {@code high} are the smallest and largest of the
     * per-fork medians (for a ratio, of the per-round ratios); with a single fork they are the smallest
     * and largest of its iterations. {@code forks} and {@code iterations} count what went in.
     */
    record Spread(double median, double low, double high, int forks, int iterations) {

        /** The same figures through a monotone map (a time to GFLOP/s reverses low and high). */
        Spread map(DoubleUnaryOperator f) {
            double a = f.applyAsDouble(low);
            double b = f.applyAsDouble(high);
            return new Spread(f.applyAsDouble(median), Math.min(a, b), Math.max(a, b), forks, iterations);
        }
    }

    private final List<Fork> forks = new ArrayList<>();

    void add(Fork f) {
        forks.add(f);
    }

    List<Fork> all() {
        return List.copyOf(forks);
    }

    List<Fork> forks(String method, String config) {
        return forks.stream().filter(f -> f.method().equals(method) && f.config().equals(config)).toList();
    }

    boolean has(String method) {
        return forks.stream().anyMatch(f -> f.method().equals(method));
    }

    /** Median over every iteration of every fork of {@code method} on {@code config}, with the spread of the forks. */
    Optional<Spread> summary(String method, String config) {
        List<Fork> fs = forks(method, config);
        return fs.isEmpty() ? Optional.empty() : Optional.of(ofForks(fs.stream().map(Fork::scores).toList()));
    }

    /** Median over all configurations' forks of {@code method} (the FMA probe runs once per configuration and round). */
    Optional<Spread> summary(String method) {
        List<double[]> fs = forks.stream().filter(f -> f.method().equals(method)).map(Fork::scores).toList();
        return fs.isEmpty() ? Optional.empty() : Optional.of(ofForks(fs));
    }

    /** Per round, the median of the iterations of that round's forks of {@code method} on {@code config}. */
    SortedMap<Integer, Double> roundMedians(String method, String config) {
        SortedMap<Integer, List<Double>> pooled = new TreeMap<>();
        for (Fork f : forks(method, config)) {
            List<Double> l = pooled.computeIfAbsent(f.round(), r -> new ArrayList<>());
            for (double v : f.scores()) {
                l.add(v);
            }
        }
        SortedMap<Integer, Double> r = new TreeMap<>();
        pooled.forEach((round, l) -> r.put(round, median(l.stream().mapToDouble(Double::doubleValue).toArray())));
        return r;
    }

    /** The median of the forks' {@code gc.alloc.rate.norm}, NaN when none was profiled. */
    double allocBytes(String method, String config) {
        double[] a = forks(method, config).stream().mapToDouble(Fork::allocBytes).filter(v -> !Double.isNaN(v)).toArray();
        return a.length == 0 ? Double.NaN : median(a);
    }

    /** {@code a / b} per round in which both ran (see {@link #perRound}). */
    Optional<Spread> ratio(String methodA, String configA, String methodB, String configB) {
        return perRound(roundMedians(methodA, configA), roundMedians(methodB, configB));
    }

    // ------------------------------------------------------------------ the statistics themselves

    /** The median of {@code v} (the mean of the two middle values for an even count); {@code v} is not modified. */
    static double median(double[] v) {
        if (v.length == 0) {
            throw new IllegalArgumentException("the median of no values");
        }
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /**
     * The median of all iterations of all forks pooled, and the smallest and largest per-fork
     * median; for a single fork, the smallest and largest of its iterations.
     */
    static Spread ofForks(List<double[]> forks) {
        if (forks.isEmpty()) {
            throw new IllegalArgumentException("no forks");
        }
        double[] pooled = forks.stream().flatMapToDouble(Arrays::stream).toArray();
        double[] each = forks.size() == 1 ? forks.get(0) : forks.stream().mapToDouble(ForkResults::median).toArray();
        double lo = Arrays.stream(each).min().orElseThrow();
        double hi = Arrays.stream(each).max().orElseThrow();
        return new Spread(median(pooled), lo, hi, forks.size(), pooled.length);
    }

    /**
     * {@code num(r) / den(r)} for every round r in both maps, then the median of those ratios and
     * their smallest and largest; empty when no round has both. {@code forks} counts the rounds.
     */
    static Optional<Spread> perRound(SortedMap<Integer, Double> num, SortedMap<Integer, Double> den) {
        List<Double> ratios = new ArrayList<>();
        num.forEach((round, a) -> {
            Double b = den.get(round);
            if (b != null) {
                ratios.add(a / b);
            }
        });
        if (ratios.isEmpty()) {
            return Optional.empty();
        }
        double[] r = ratios.stream().mapToDouble(Double::doubleValue).toArray();
        return Optional.of(new Spread(median(r), Arrays.stream(r).min().orElseThrow(), Arrays.stream(r).max().orElseThrow(),
                r.length, r.length));
    }

    /** Each value of {@code m} through {@code f} (a time per call to GFLOP/s, a probe's ops/us to GFLOP/s). */
    static SortedMap<Integer, Double> mapValues(SortedMap<Integer, Double> m, DoubleUnaryOperator f) {
        SortedMap<Integer, Double> r = new TreeMap<>();
        m.forEach((k, v) -> r.put(k, f.applyAsDouble(v)));
        return r;
    }
}
