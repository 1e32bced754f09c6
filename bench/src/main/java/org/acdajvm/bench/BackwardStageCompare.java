package org.acdajvm.bench;

import java.util.Arrays;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.AcdaBackwardVector;
import org.acdajvm.vector.AcdaBackwardVectorBaseline;
import org.acdajvm.vector.AcdaForwardVector;

/**
 * The tuned vector backward against the frozen pre-tuning copy ({@link AcdaBackwardVectorBaseline}),
 * interleaved call by call in one JVM, with a one-thread FMA-peak probe between the calls (the probe of
 * {@link StageCompare}); stages in wall time between 25 ns clock reads ({@code StageClock}). Prints, per stage, each variant's rate as a fraction of the best probe, the median wall-time
 * ratio of whole calls, and max |new - old| of every gradient (with the largest |old| of that gradient, for
 * scale).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.acdajvm.bench.BackwardStageCompare THREADS ROUNDS CONFIG...</pre>
 */
public final class BackwardStageCompare {

    private BackwardStageCompare() {
    }

    public static void main(String[] args) {
        int threads = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        for (int i = 2; i < args.length; i++) {
            compare(args[i], threads, rounds);
        }
    }

    /** Multiply-adds per output pixel of each stage, indexed as {@link AcdaBackwardVector.Stage}. */
    static long[] stageMacs(AcdaConfig c) {
        long conv1 = (long) c.interChannels() * c.inChannels() * c.generatorKernel() * c.generatorKernel();
        long conv2 = (long) c.generatorChannels() * c.interChannels() * 9;
        long atoms = (long) c.generatorChannels() * c.taps();
        long atomConv = (long) c.inChannels() * c.atoms() * c.taps();
        long coef = (long) c.outChannels() * c.inChannels() * c.atoms();
        long[] m = new long[AcdaBackwardVector.Stage.values().length];
        m[AcdaBackwardVector.Stage.GENERATOR_CONV1.ordinal()] = conv1;
        m[AcdaBackwardVector.Stage.GENERATOR_CONV2.ordinal()] = conv2;
        m[AcdaBackwardVector.Stage.ATOMS.ordinal()] = atoms;
        m[AcdaBackwardVector.Stage.ATOM_CONV.ordinal()] = atomConv;
        m[AcdaBackwardVector.Stage.DZ.ordinal()] = coef;
        m[AcdaBackwardVector.Stage.ATOM_GRADIENT.ordinal()] = atomConv;
        m[AcdaBackwardVector.Stage.DIRECT_PATH.ordinal()] = atomConv;
        m[AcdaBackwardVector.Stage.DG.ordinal()] = atoms;
        m[AcdaBackwardVector.Stage.CONV2_INPUT.ordinal()] = conv2;
        m[AcdaBackwardVector.Stage.CONV1_INPUT.ordinal()] = conv1;
        m[AcdaBackwardVector.Stage.DCOEF.ordinal()] = coef;
        m[AcdaBackwardVector.Stage.DW2.ordinal()] = conv2;
        m[AcdaBackwardVector.Stage.DW1.ordinal()] = conv1;
        return m;
    }

    private static void compare(String config, int threads, int rounds) {
        BenchConfig bc = BenchConfig.of(config);
        AcdaLayer layer = AcdaInit.randomized(bc.layer(), 42);
        Tensor x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
        CostModel cm = bc.cost();
        Tensor y;
        try (AcdaForwardVector fwd = new AcdaForwardVector(1)) {
            y = fwd.forward(layer, x);
        }
        Tensor dy = Tensor.zeros(y.shape());
        AcdaInit.fill(dy, new SplittableRandom(44), -1, 1);
        try (AcdaBackwardVectorBaseline old = new AcdaBackwardVectorBaseline(threads);
             AcdaBackwardVector now = new AcdaBackwardVector(threads)) {
            // Profiling on from the start: turning it on after the warm-up took an uncommon trap in the tile code
            // (the profiled branch never seen), and the recompilation window landed in the timed rounds.
            old.profile(true);
            now.profile(true);
            long warmUntil = System.nanoTime() + StageCompare.WARM_UP_NANOS;
            for (int i = 0; i < 8 || System.nanoTime() < warmUntil; i++) {
                old.backward(layer, x, dy);
                now.backward(layer, x, dy);
                StageCompare.peakProbe(200);
            }
            // Compared after the warm-up: a buffer not cleared between calls would show here.
            Map<String, Tensor> g0 = old.backward(layer, x, dy);
            Map<String, Tensor> g1 = now.backward(layer, x, dy);
            StringBuilder diffs = new StringBuilder();
            for (String key : g0.keySet()) {
                float[] a = g0.get(key).data();
                float[] b = g1.get(key).data();
                double maxDiff = 0;
                double maxAbs = 0;
                for (int i = 0; i < a.length; i++) {
                    maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
                    maxAbs = Math.max(maxAbs, Math.abs(a[i]));
                }
                diffs.append(String.format(Locale.ROOT, "  %s: max |new - old| = %.3g (max |old| %.3g)%n", key, maxDiff,
                        maxAbs));
            }
            old.profile(true);
            now.profile(true);
            double[] ratio = new double[rounds];
            double[] oldMs = new double[rounds];
            double[] newMs = new double[rounds];
            double[] peaks = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                long t0 = System.nanoTime();
                old.backward(layer, x, dy);
                long t1 = System.nanoTime();
                now.backward(layer, x, dy);
                long t2 = System.nanoTime();
                peaks[r] = StageCompare.peakProbe(2000);
                oldMs[r] = (t1 - t0) / 1e6;
                newMs[r] = (t2 - t1) / 1e6;
                ratio[r] = (double) (t1 - t0) / (t2 - t1);
            }
            double peak1 = Arrays.stream(peaks).max().orElse(0);
            long[] a = old.stageNanos();
            long[] b = now.stageNanos();
            long[] macs = stageMacs(bc.layer());
            System.out.printf(Locale.ROOT, "%n%s (%s), %d threads, %d rounds; 1-thread peak probe %.1f GFLOP/s%n%s",
                    config, bc.shape(), threads, rounds, peak1, diffs);
            System.out.println("| stage | old share | new share | old of 1-thread peak | new of 1-thread peak | speed-up |");
            System.out.println("|---|---:|---:|---:|---:|---:|");
            long ta = Arrays.stream(a).sum();
            long tb = Arrays.stream(b).sum();
            for (AcdaBackwardVector.Stage st : AcdaBackwardVector.Stage.values()) {
                int s = st.ordinal();
                double ra = macs[s] == 0 || a[s] == 0 ? 0 : 2.0 * macs[s] * cm.pixels() * rounds / a[s];
                double rb = macs[s] == 0 || b[s] == 0 ? 0 : 2.0 * macs[s] * cm.pixels() * rounds / b[s];
                System.out.printf(Locale.ROOT, "| %s | %.1f%% | %.1f%% | %s | %s | %.2fx |%n",
                        st.name().toLowerCase(Locale.ROOT).replace('_', ' '), 100.0 * a[s] / ta, 100.0 * b[s] / tb,
                        ra == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * ra / peak1),
                        rb == 0 ? "-" : String.format(Locale.ROOT, "%.0f%%", 100 * rb / peak1),
                        b[s] == 0 ? 0.0 : (double) a[s] / b[s]);
            }
            double total = 2 * cm.backwardMacs();
            System.out.printf(Locale.ROOT, "all stages, wall time: old %.1f ms, new %.1f ms per call; old %.0f%%, new %.0f%% "
                            + "of the 1-thread peak; speed-up %.2fx%n", ta / 1e6 / rounds, tb / 1e6 / rounds,
                    100 * total * rounds / ta / peak1, 100 * total * rounds / tb / peak1, (double) ta / tb);
            System.out.printf(Locale.ROOT, "whole call: median old %.2f ms, new %.2f ms; median per-round speed-up %.2fx "
                            + "(min %.2f, max %.2f); new at %.0f%% of %d x the 1-thread peak (old %.0f%%)%n",
                    ForkResults.median(oldMs), ForkResults.median(newMs), ForkResults.median(ratio), Arrays.stream(ratio).min().orElse(0),
                    Arrays.stream(ratio).max().orElse(0), 100 * total / (ForkResults.median(newMs) * 1e6) / (threads * peak1),
                    threads, 100 * total / (ForkResults.median(oldMs) * 1e6) / (threads * peak1));
        }
    }

}
