package org.acdajvm.bench;

import java.util.Arrays;
import java.util.Locale;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.AcdaForwardVector;
import org.acdajvm.vector.AcdaForwardVectorBaseline;

/**
 * The tuned vector forward against the frozen pre-tuning copy ({@link AcdaForwardVectorBaseline}),
 * interleaved call by call in one JVM, with a one-thread FMA-peak probe between the calls (stages and probes in
 * wall time; the best probe of the run is the peak), so that
 * the ratios survive a shared, noisy machine: per stage, each variant's rate per thread as a fraction
 * of the peak measured in the same rounds, and the median wall-time ratio of whole calls.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.acdajvm.bench.StageCompare THREADS ROUNDS CONFIG...</pre>
 */
public final class StageCompare {

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private StageCompare() {
    }

    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        for (int i = 2; i < args.length; i++) {
            compare(args[i], threads, rounds);
        }
    }

    private static void compare(String config, int threads, int rounds) {
        BenchConfig bc = BenchConfig.of(config);
        AcdaLayer layer = AcdaInit.randomized(bc.layer(), 42);
        Tensor x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
        CostModel cm = bc.cost();
        try (AcdaForwardVectorBaseline old = new AcdaForwardVectorBaseline(threads);
             AcdaForwardVector now = new AcdaForwardVector(threads)) {
            // Profiling on from the first call: turned on after the warm-up, the never-taken profiling branches
            // would trap and recompile the tile code inside the timed rounds.
            old.profile(true);
            now.profile(true);
            Tensor y0 = old.forward(layer, x);
            Tensor y1 = now.forward(layer, x);
            double maxDiff = 0;
            for (int i = 0; i < y0.data().length; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(y0.data()[i] - y1.data()[i]));
            }
            // At least 15 calls and 2 s: a small shape's 15 calls (8 ms) ended before C2 had compiled the tiles.
            long warmUntil = System.nanoTime() + WARM_UP_NANOS;
            for (int i = 0; i < 15 || System.nanoTime() < warmUntil; i++) {
                old.forwardInto(layer, x, y0);
                now.forwardInto(layer, x, y1);
                peakProbe(200);
            }
            old.profile(true); // resets the counters
            now.profile(true);
            double[] ratio = new double[rounds];
            double[] oldMs = new double[rounds];
            double[] newMs = new double[rounds];
            double[] peaks = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                old.forwardInto(layer, x, y0);
                long t1 = System.nanoTime();
                now.forwardInto(layer, x, y1);
                long t2 = System.nanoTime();
                peaks[r] = peakProbe(2000);
                oldMs[r] = (t1 - t0) / 1e6;
                newMs[r] = (t2 - t1) / 1e6;
                ratio[r] = (double) (t1 - t0) / (t2 - t1);
            }
            // The peak is what the core can do: noise from other processes only lowers a probe, so take the best.
            double peak1 = Arrays.stream(peaks).max().orElse(0);
            long[] a = old.stageNanos();
            long[] b = now.stageNanos();
            double[] macs = {0, cm.generatorConv1PerPixel(), cm.generatorConv2PerPixel(), cm.atomsPerPixel(),
                    cm.atomConvPerPixel(), cm.coefficientConvPerPixel()};
            System.out.printf(Locale.ROOT, "%n%s (%s), %d threads, %d rounds; 1-thread peak probe %.1f GFLOP/s; "
                    + "max |new - old| = %.3g%n", config, bc.shape(), threads, rounds, peak1, maxDiff);
            System.out.println("| stage | old share | new share | old of 1-thread peak | new of 1-thread peak | speed-up |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            long ta = Arrays.stream(a).sum();
            long tb = Arrays.stream(b).sum();
            for (AcdaForwardVector.Stage st : AcdaForwardVector.Stage.values()) {
                int s = st.ordinal();
                double ra = macs[s] == 0 ? 0 : 2 * macs[s] * cm.pixels() * rounds / a[s];
                double rb = macs[s] == 0 ? 0 : 2 * macs[s] * cm.pixels() * rounds / b[s];
                System.out.printf(Locale.ROOT, "| %s | %.1f%% | %.1f%% | %s | %s | %.2fx |%n",
                        st.name().toLowerCase(Locale.ROOT).replace('_', ' '), 100.0 * a[s] / ta, 100.0 * b[s] / tb,
                        ra == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * ra / peak1),
                        rb == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * rb / peak1), (double) a[s] / b[s]);
            }
            double total = 2 * cm.totalMacs();
            System.out.printf(Locale.ROOT, "all stages, wall time: old %.0f%%, new %.0f%% of the 1-thread peak; speed-up %.2fx%n",
                    100 * total * rounds / ta / peak1, 100 * total * rounds / tb / peak1, (double) ta / tb);
            System.out.printf(Locale.ROOT, "whole call: median old %.2f ms, new %.2f ms; median per-round speed-up %.2fx "
                    + "(min %.2f, max %.2f); new at %.0f%% of %d x the 1-thread peak (old %.0f%%)%n",
                    ForkResults.median(oldMs), ForkResults.median(newMs), ForkResults.median(ratio), Arrays.stream(ratio).min().orElse(0),
                    Arrays.stream(ratio).max().orElse(0), 100 * total / (ForkResults.median(newMs) * 1e6) / (threads * peak1),
                    threads, 100 * total / (ForkResults.median(oldMs) * 1e6) / (threads * peak1));
        }
    }


    /** The least warm-up of each configuration, whatever its calls take. */
    static final long WARM_UP_NANOS = 2_000_000_000L;

    private static volatile float sink;

    /** GFLOP/s of twelve FMA chains on this thread (as {@code FmaPeakBenchmark}), over {@code reps} x 12k FMAs. */
    static double peakProbe(int reps) {
        float acc = 0;
        long t0 = System.nanoTime();
        for (int r = 0; r < reps; r++) {
            acc += chainsOnce(r);
        }
        long t = System.nanoTime() - t0;
        sink = acc;
        return 2.0 * reps * 1024 * 12 * S.length() / t;
    }

    /** {@link #chains} compiled on its own. */
    private interface Chains {
        float run(float a, float b);
    }

    /**
     * Three implementations called in turn from one site: a megamorphic call, which C2 does not inline. Inlined into
     * the probe's loop, the chains ran at half speed on a Zen 1 (AVX2): 17 to 21 GFLOP/s where a C loop of the same
     * FMAs and the method compiled alone ran at 35 to 37 (bench/TUNING.md).
     */
    private static final Chains[] CHAINS = {
        (a, b) -> chains(a, b), (a, b) -> chains(a, b), (a, b) -> chains(a, b)};

    /** One call of {@link #chains} behind a call that is not inlined (the probes of every tool use this). */
    static float chainsOnce(int r) {
        return CHAINS[r % CHAINS.length].run(1e-4f, 0.5f);
    }

    /**
     * Twelve independent chains of 1024 vector FMAs (the loop of {@code FmaPeakBenchmark}), accumulating
     * ({@code c = a*b + c}: C2 has only the {@code vfmadd231ps} form, so {@code c = c*a + b} cost a register move per
     * FMA and, with 16 registers, spilled two chains).
     */
    static float chains(float a, float b) {
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        FloatVector c0 = FloatVector.broadcast(S, 0.1f);
        FloatVector c1 = FloatVector.broadcast(S, 0.2f);
        FloatVector c2 = FloatVector.broadcast(S, 0.3f);
        FloatVector c3 = FloatVector.broadcast(S, 0.4f);
        FloatVector c4 = FloatVector.broadcast(S, 0.5f);
        FloatVector c5 = FloatVector.broadcast(S, 0.6f);
        FloatVector c6 = FloatVector.broadcast(S, 0.7f);
        FloatVector c7 = FloatVector.broadcast(S, 0.8f);
        FloatVector c8 = FloatVector.broadcast(S, 0.9f);
        FloatVector c9 = FloatVector.broadcast(S, 1.0f);
        FloatVector c10 = FloatVector.broadcast(S, 1.1f);
        FloatVector c11 = FloatVector.broadcast(S, 1.2f);
        for (int i = 0; i < 1024; i++) {
            c0 = va.fma(vb, c0);
            c1 = va.fma(vb, c1);
            c2 = va.fma(vb, c2);
            c3 = va.fma(vb, c3);
            c4 = va.fma(vb, c4);
            c5 = va.fma(vb, c5);
            c6 = va.fma(vb, c6);
            c7 = va.fma(vb, c7);
            c8 = va.fma(vb, c8);
            c9 = va.fma(vb, c9);
            c10 = va.fma(vb, c10);
            c11 = va.fma(vb, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11).lane(0);
    }
}
