package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import org.junit.jupiter.api.Test;

class BenchPlanTest {

    private static final BenchReport.Variant A = new BenchReport.Variant("X.a", BenchReport.Kind.FAST, List.of("c1", "c2"));
    private static final BenchReport.Variant B = new BenchReport.Variant("X.b", BenchReport.Kind.FAST, List.of("c1", "c2"));
    private static final BenchReport.Variant SLOW = new BenchReport.Variant("X.s", BenchReport.Kind.SLOW, List.of("c2"));

    private static String show(List<BenchReport.Step> steps) {
        return String.join(" ", steps.stream().map(s -> s.round() + s.config() + s.variant().method()).toList());
    }

    @Test
    void variantsAreInterleavedPerConfigurationInEveryRound() {
        assertEquals("1c1a 1c1b 1c2a 1c2b 1c2s 2c1a 2c1b 2c2a 2c2b 3c1a 3c1b 3c2a 3c2b",
                show(BenchReport.plan(List.of(A, B, SLOW), List.of("c1", "c2"), 3, 1)));
    }

    @Test
    void slowVariantsRunInTheFirstSlowRoundsOnly() {
        assertEquals("1c2a 1c2s 2c2a 2c2s 3c2a", show(BenchReport.plan(List.of(A, SLOW), List.of("c2"), 3, 2)));
    }

    @Test
    void methodIsTheNameAfterTheClass() {
        assertEquals("forwardVector", new BenchReport.Variant("AcdaForwardBenchmark.forwardVector", BenchReport.Kind.FAST,
                List.of()).method());
    }
}
