package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;

class ForkResultsTest {

    @Test
    void medianOfOddAndEvenCountsLeavesTheInputAlone() {
        double[] odd = {5, 1, 4, 2, 3};
        assertEquals(3, ForkResults.median(odd));
        assertArrayEquals(new double[] {5, 1, 4, 2, 3}, odd, "median must not sort its argument in place");
        assertEquals(2.5, ForkResults.median(new double[] {4, 1, 3, 2}));
        assertEquals(7, ForkResults.median(new double[] {7}));
        assertThrows(IllegalArgumentException.class, () -> ForkResults.median(new double[0]));
    }

    @Test
    void medianIgnoresOneSlowOutlierWhereTheMeanWouldNot() {
        // A noisy-VM iteration: 40% slower. The mean moves by 8%, the median not at all.
        double[] it = {10, 10, 10, 10, 14};
        assertEquals(10, ForkResults.median(it));
    }

    @Test
    void spreadIsTheRangeOfPerForkMediansOverThePooledMedian() {
        ForkResults.Spread s = ForkResults.ofForks(List.of(new double[] {10, 11, 12}, new double[] {20, 21, 22},
                new double[] {13, 14, 100}));
        assertEquals(14, s.median(), "median of the 9 pooled iterations 10 11 12 13 14 20 21 22 100");
        assertEquals(11, s.low(), "smallest per-fork median");
        assertEquals(21, s.high(), "largest per-fork median (the 100 outlier is not a fork's median)");
        assertEquals(3, s.forks());
        assertEquals(9, s.iterations());
    }

    @Test
    void aSingleForkSpreadsOverItsIterations() {
        ForkResults.Spread s = ForkResults.ofForks(List.<double[]>of(new double[] {3, 9, 4, 5}));
        assertEquals(4.5, s.median());
        assertEquals(3, s.low());
        assertEquals(9, s.high());
        assertEquals(1, s.forks());
    }

    @Test
    void ratiosAreTakenWithinEachRoundThenMedianed() {
        // Round 2 is a slow minute for both variants alike: its ratio is still 2.
        SortedMap<Integer, Double> a = new TreeMap<>(java.util.Map.of(1, 20.0, 2, 40.0, 3, 22.0, 4, 99.0));
        SortedMap<Integer, Double> b = new TreeMap<>(java.util.Map.of(1, 10.0, 2, 20.0, 3, 10.0));
        ForkResults.Spread r = ForkResults.perRound(a, b).orElseThrow();
        assertEquals(2.0, r.median(), 1e-12);
        assertEquals(2.0, r.low(), 1e-12);
        assertEquals(2.2, r.high(), 1e-12);
        assertEquals(3, r.forks(), "round 4 has no partner and is left out");
        // The ratio of the pooled medians would mix a slow round of one variant with a fast round of the other.
        assertTrue(Math.abs(ForkResults.median(new double[] {20, 40, 22}) / ForkResults.median(new double[] {10, 20, 10})
                - r.median()) > 0.1);
        assertEquals(Optional.empty(), ForkResults.perRound(new TreeMap<>(java.util.Map.of(1, 1.0)),
                new TreeMap<>(java.util.Map.of(2, 1.0))));
    }

    @Test
    void forksAreFoundByMethodConfigAndRound() {
        ForkResults r = new ForkResults();
        r.add(new ForkResults.Fork("forwardVector", "small", 1, new double[] {1.0, 1.2, 1.1}, 100));
        r.add(new ForkResults.Fork("plainConvVector", "small", 1, new double[] {0.5, 0.5, 0.6}, 50));
        r.add(new ForkResults.Fork("forwardVector", "small", 2, new double[] {2.0, 2.2, 2.1}, 300));
        r.add(new ForkResults.Fork("plainConvVector", "small", 2, new double[] {1.0, 1.1, 1.0}, 50));
        r.add(new ForkResults.Fork("forwardVector", "table6-k3", 1, new double[] {40}, Double.NaN));
        assertEquals(2, r.forks("forwardVector", "small").size());
        assertEquals(new TreeMap<>(java.util.Map.of(1, 1.1, 2, 2.1)), r.roundMedians("forwardVector", "small"));
        ForkResults.Spread ratio = r.ratio("forwardVector", "small", "plainConvVector", "small").orElseThrow();
        assertEquals(2.15, ratio.median(), 1e-12, "median of 1.1/0.5 = 2.2 and 2.1/1.0 = 2.1");
        assertEquals(2.1, ratio.low(), 1e-12);
        assertEquals(2.2, ratio.high(), 1e-12);
        assertEquals(200, r.allocBytes("forwardVector", "small"), "median of 100 and 300");
        assertTrue(Double.isNaN(r.allocBytes("forwardVector", "table6-k3")));
        assertEquals(Optional.empty(), r.summary("forwardScalar", "small"));
        assertEquals(1.6, r.summary("forwardVector", "small").orElseThrow().median(), 1e-12);
        assertTrue(r.has("plainConvVector"));
    }

    @Test
    void aSpreadMappedThroughADecreasingFunctionKeepsLowBelowHigh() {
        ForkResults.Spread ms = new ForkResults.Spread(10, 8, 20, 3, 12);
        ForkResults.Spread gflops = ms.map(t -> 100 / t);
        assertEquals(10, gflops.median(), 1e-12);
        assertEquals(5, gflops.low(), 1e-12);
        assertEquals(12.5, gflops.high(), 1e-12);
    }

    @Test
    void aForkWithoutIterationsIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new ForkResults.Fork("m", "c", 1, new double[0], 0));
    }
}
