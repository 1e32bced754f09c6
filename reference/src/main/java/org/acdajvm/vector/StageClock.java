package org.acdajvm.vector;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;

/**
 * One thread's CPU time per stage, for the stage profiles of the vector paths ({@link AcdaForwardVector#profile},
 * {@link AcdaBackwardVector#profile}). CPU time, not wall time: on a machine shared with other processes, wall time
 * would charge their time slices to whichever stage was running.
 *
 * <p>A read of the thread's CPU clock is a system call (about 0.44 us on the 2-core Zen 5 VM, where a tile's atoms
 * take about 0.5 us), and the interval between two reads holds one read's cost. Each lap is counted, and
 * {@link #addTo} takes {@link #READ_NANOS}, measured once per JVM, out of every lap: without that, the profile
 * charged the small per-tile stages up to twice their time.
 */
final class StageClock {

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    /** CPU nanoseconds of one clock read on this machine: the least of five batches of 2000 reads. */
    static final long READ_NANOS = calibrate();

    private final long[] nanos;
    private final long[] laps;

    StageClock(int stages) {
        nanos = new long[stages];
        laps = new long[stages];
    }

    /** The calling thread's CPU time in nanoseconds. */
    static long now() {
        return CPU.getCurrentThreadCpuTime();
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
