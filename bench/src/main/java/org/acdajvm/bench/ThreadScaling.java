package org.acdajvm.bench;

import java.util.Locale;
import java.util.concurrent.CountDownLatch;

import jdk.incubator.vector.FloatVector;

import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.AcdaForwardVector;

/**
 * How the vector forward scales from one thread to {@code T}: calls with 1 and with {@code T} threads
 * interleaved call by call in one JVM (so that a slow minute of a shared machine hits both alike), beside
 * the same ratio for the FMA peak itself ({@code T} threads each running twelve FMA chains at once,
 * against one), which is the most any code can scale on this machine. Prints per configuration the
 * median wall time of each, the layer's speed-up, the peak's speed-up and their quotient (how much of
 * the machine's own scaling the layer keeps).
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.acdajvm.bench.ThreadScaling T ROUNDS CONFIG...</pre>
 */
public final class ThreadScaling {

    private static final int LANES = FloatVector.SPECIES_PREFERRED.length();
    private static volatile float sink;

    private ThreadScaling() {
    }

    public static void main(String[] args) throws InterruptedException {
        int threads = Integer.parseInt(args[0]);
        int rounds = Integer.parseInt(args[1]);
        System.out.println("| config | shape | 1 thread (ms) | " + threads + " threads (ms) | layer speed-up "
                + "| FMA peak speed-up | layer / peak |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|");
        for (int i = 2; i < args.length; i++) {
            BenchConfig bc = BenchConfig.of(args[i]);
            AcdaLayer layer = AcdaInit.randomized(bc.layer(), 42);
            Tensor x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
            try (AcdaForwardVector one = new AcdaForwardVector(1);
                 AcdaForwardVector many = new AcdaForwardVector(threads)) {
                Tensor y1 = one.forward(layer, x);
                Tensor y2 = many.forward(layer, x);
                if (!y1.equals(y2)) {
                    throw new IllegalStateException(args[i] + ": 1 and " + threads + " threads differ");
                }
                for (int w = 0; w < 10; w++) {
                    one.forwardInto(layer, x, y1);
                    many.forwardInto(layer, x, y2);
                }
                // The probe warmed up too: cold, its first 1-thread reading came from the interpreter and the ratio
                // of the two probes read 3.4x and 3.9x on 2 cores.
                for (int w = 0; w < 3; w++) {
                    peak(1);
                    peak(threads);
                }
                double[] t1 = new double[rounds];
                double[] tn = new double[rounds];
                double[] p1 = new double[rounds];
                double[] pn = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    long a = System.nanoTime();
                    one.forwardInto(layer, x, y1);
                    long b = System.nanoTime();
                    many.forwardInto(layer, x, y2);
                    long c = System.nanoTime();
                    t1[r] = (b - a) / 1e6;
                    tn[r] = (c - b) / 1e6;
                    p1[r] = peak(1);
                    pn[r] = peak(threads);
                }
                double m1 = ForkResults.median(t1);
                double mn = ForkResults.median(tn);
                double peakRatio = ForkResults.median(pn) / ForkResults.median(p1);
                System.out.printf(Locale.ROOT, "| %s | %s | %.2f | %.2f | %.2fx | %.2fx | %.2f |%n", bc.name(), bc.shape(),
                        m1, mn, m1 / mn, peakRatio, m1 / mn / peakRatio);
            }
        }
    }

    /** GFLOP/s of {@code threads} threads each running twelve FMA chains at the same time (wall time). */
    private static double peak(int threads) throws InterruptedException {
        int reps = 3000;
        CountDownLatch start = new CountDownLatch(1);
        Thread[] ts = new Thread[threads];
        for (int t = 0; t < threads; t++) {
            ts[t] = new Thread(() -> {
                try {
                    start.await();
                } catch (InterruptedException e) {
                    return;
                }
                float acc = 0;
                for (int r = 0; r < reps; r++) {
                    acc += StageCompare.chainsOnce(r);
                }
                sink = acc;
            });
            ts[t].start();
        }
        long t0 = System.nanoTime();
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        long dt = System.nanoTime() - t0;
        return 2.0 * threads * reps * 1024 * 12 * LANES / dt;
    }

}
