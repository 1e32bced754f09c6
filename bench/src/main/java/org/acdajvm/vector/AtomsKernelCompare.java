package org.acdajvm.vector;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.Locale;
import java.util.Random;

import org.acdajvm.bench.StageCompare;

/**
 * The atoms kernel of the vector forward ({@link AcdaForwardVector#atoms}: one tile's {@code D} from its {@code G})
 * alone, timed over many calls, against the blocking it replaced (taps in blocks of four, the rest one at a time),
 * interleaved round by round with a one-thread FMA-peak probe. A K = 3 tile's atoms take about 0.1 us, too short
 * for the stage profile's clock to resolve: here each round times 20000 calls. Prints each variant's fraction of the
 * best probe and the median per-round ratio, and checks that both give the same bits.
 *
 * <pre>java --add-modules jdk.incubator.vector -cp bench/target/benchmarks.jar org.acdajvm.vector.AtomsKernelCompare ROUNDS</pre>
 */
public final class AtomsKernelCompare {

    private AtomsKernelCompare() {
    }

    public static void main(String[] args) {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int basesPerScale = 6;
        int atoms = 6;
        int vectors = VectorGemm.NW / VectorGemm.L;
        int l = VectorGemm.L;
        for (int k : new int[] {3, 5, 7}) {
            int taps = k * k;
            int bases = basesPerScale * (k - 1) / 2;
            Random r = new Random(k);
            float[] psi = new float[taps * bases];
            float[] g = new float[atoms * bases * VectorGemm.NW];
            for (int i = 0; i < psi.length; i++) {
                psi[i] = (float) r.nextGaussian();
            }
            for (int i = 0; i < g.length; i++) {
                g[i] = (float) r.nextGaussian();
            }
            int qStride = taps * atoms * l;
            long bytes = 4L * vectors * qStride;
            MemorySegment dOld = Arena.ofAuto().allocate(bytes, 64);
            MemorySegment dNew = Arena.ofAuto().allocate(bytes, 64);
            int calls = 20000;
            double flops = 2.0 * vectors * l * atoms * taps * bases * calls;
            double[] fracOld = new double[rounds];
            double[] fracNew = new double[rounds];
            double[] ratio = new double[rounds];
            double peak = 0;
            for (int w = 0; w < 3; w++) {
                time(true, psi, bases, taps, atoms, g, dOld, vectors, qStride, calls);
                time(false, psi, bases, taps, atoms, g, dNew, vectors, qStride, calls);
            }
            for (int i = 0; i < rounds; i++) {
                peak = Math.max(peak, StageCompare.peakProbe(2000));
                long a = time(true, psi, bases, taps, atoms, g, dOld, vectors, qStride, calls);
                long b = time(false, psi, bases, taps, atoms, g, dNew, vectors, qStride, calls);
                fracOld[i] = flops / a;
                fracNew[i] = flops / b;
                ratio[i] = (double) a / b;
            }
            boolean same = Arrays.equals(dOld.toArray(ValueLayout.JAVA_FLOAT), dNew.toArray(ValueLayout.JAVA_FLOAT));
            System.out.printf(Locale.ROOT, "K=%d (%d taps, %d bases, 6 atoms, %d vectors): fours+ones %.0f%%, "
                            + "fours+threes %.0f%% of the 1-thread peak (%.1f GFLOP/s); median speed-up %.2fx (min %.2f, "
                            + "max %.2f); same bits: %s%n", k, taps, bases, vectors, 100 * median(fracOld) / peak,
                    100 * median(fracNew) / peak, peak, median(ratio), Arrays.stream(ratio).min().orElse(0),
                    Arrays.stream(ratio).max().orElse(0), same);
        }
    }

    private static long time(boolean old, float[] psi, int bases, int taps, int atoms, float[] g, MemorySegment d,
                             int vectors, int qStride, int calls) {
        int l = VectorGemm.L;
        long t0 = System.nanoTime();
        for (int i = 0; i < calls; i++) {
            if (old) {
                fourAndOne(psi, bases, taps, atoms, g, d, vectors, qStride, atoms * l, l);
            } else {
                AcdaForwardVector.atoms(psi, bases, taps, atoms, g, d, vectors, qStride, atoms * l, l);
            }
        }
        return System.nanoTime() - t0;
    }

    /** The blocking before 2026-12-02 (six atoms at a time; M = 6 here). */
    private static void fourAndOne(float[] psi, int bases, int taps, int atoms, float[] g, MemorySegment d,
                                   int vectors, int qStride, int uStride, int mStride) {
        for (int q = 0; q < vectors; q++) {
            int dq = q * qStride;
            for (int m0 = 0; m0 + 5 < atoms; m0 += 6) {
                int g0 = m0 * bases * VectorGemm.NW + q * VectorGemm.L;
                int u = 0;
                for (; u + 3 < taps; u += 4) {
                    AcdaForwardVector.atomsFourTaps(psi, bases, u, g, g0, d, dq + u * uStride + m0 * mStride, uStride,
                            mStride);
                }
                for (; u < taps; u++) {
                    AcdaForwardVector.atomsOneTap(psi, bases, u, g, g0, d, dq + u * uStride + m0 * mStride, mStride);
                }
            }
        }
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
