package org.acdajvm.testkit.contracts;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.PaddingMode;

/** Generators for contract cases, over the ranges the foundation issue names. */
public final class AcdaArbitraries {

    private AcdaArbitraries() {
    }

    private record Sizes(int batch, int inC, int outC, int height, int width) {
    }

    private record Hyper(int k, int s, int d, int b, int m, int g, PaddingMode padding, boolean bias) {
    }

    /**
     * N in 1..2, C and O in 1..8, H and W in 1..13, K in {3,5,7}, s in {1,2,3}, d in {1,2},
     * B in 1..6, M in 1..8, g in {1,3}, both paddings, with and without bias.
     */
    public static Arbitrary<AcdaCase> cases() {
        return cases(Arbitraries.of(1, 2, 3), Arbitraries.of(PaddingMode.class), 13);
    }

    /** As {@link #cases()} with stride 1 and one padding mode (translation equivariance is stated for s = 1). */
    public static Arbitrary<AcdaCase> strideOneCases(PaddingMode padding, int maxSize) {
        return cases(Arbitraries.just(1), Arbitraries.just(padding), maxSize);
    }

    private static Arbitrary<AcdaCase> cases(Arbitrary<Integer> strides, Arbitrary<PaddingMode> padding, int maxSize) {
        Arbitrary<Sizes> sizes = Combinators.combine(
                Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(1, 8),
                Arbitraries.integers().between(1, 8),
                Arbitraries.integers().between(1, maxSize),
                Arbitraries.integers().between(1, maxSize)).as(Sizes::new);
        Arbitrary<Hyper> hyper = Combinators.combine(
                Arbitraries.of(3, 5, 7),
                strides,
                Arbitraries.of(1, 2),
                Arbitraries.integers().between(1, 6),
                Arbitraries.integers().between(1, 8),
                Arbitraries.of(1, 3),
                padding,
                Arbitraries.of(true, false)).as(Hyper::new);
        return Combinators.combine(sizes, hyper, Arbitraries.longs()).as((z, h, seed) -> new AcdaCase(
                new AcdaConfig(z.inC(), z.outC(), h.k(), h.s(), h.d(), h.padding(), h.b(), h.m(), h.g(), h.bias()),
                z.batch(), z.height(), z.width(), seed));
    }
}
