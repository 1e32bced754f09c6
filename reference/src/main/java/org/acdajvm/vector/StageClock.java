package org.acdajvm.vector;

import java.util.Arrays;

/**
 * One thread's time per stage, for the stage profiles of the vector paths ({@link AcdaForwardVector#profile},
 * {@link AcdaBackwardVector#profile}): wall time between reads of {@link System#nanoTime}, which on the 2-core Zen 5
 * VM reads the TSC without a system call (25 ns a read).
 *
 * <p>The thread's CPU clock, used until 2026-12-02, is a system call: 0.44 to 0.62 us a read on that VM, from one
 * JVM to the next, as long as a K = 3 tile's atoms take (about 0.1 to 0.3 us). Taking a read's cost out of every lap
 * could not make up for a cost that varied by more than the stage: the profile put resnet-k3's atoms anywhere between
 * 25% and 37% of the peak. A lap now holds one read of 25 ns, and {@link #addTo} still takes {@link #READ_NANOS},
 * measured once per JVM, out of every lap. A time slice the system gives another process is charged to the stage
 * that was running: the profiles run their variants interleaved, and the whole call's wall time is the measure.
 */
final class StageClock {

    /** Nanoseconds of one clock read on this machine: the least of five batches of 2000 reads. */
    static final long READ_NANOS = calibrate();

    private final long[] nanos;
    private final long[] laps;

    StageClock(int stages) {
        nanos = new long[stages];
        laps = new long[stages];
    }

    /** Nanoseconds from an arbitrary origin, one per JVM. */
    static long now() {
        return System.nanoTime();
    }

    /** Charges the time since {@code since} to {@code stage}; returns the new start. */
    long lap(int stage, long since) {
        long t = now();
        nanos[stage] += t - since;
        laps[stage]++;
        return t;
    }

    void reset() {
        Arrays.fill(nanos, 0);
        Arrays.fill(laps, 0);
    }

    /** Adds each stage's time, less one clock read per lap (never below zero), into {@code total}. */
    void addTo(long[] total) {
        for (int i = 0; i < total.length; i++) {
            total[i] += Math.max(0, nanos[i] - laps[i] * READ_NANOS);
        }
    }

    private static long calibrate() {
        int reads = 2000;
        long best = Long.MAX_VALUE;
        for (int batch = 0; batch < 5; batch++) {
            long t0 = now();
            for (int i = 0; i < reads; i++) {
                now();
            }
            best = Math.min(best, (now() - t0) / (reads + 1));
        }
        return best;
    }
}
