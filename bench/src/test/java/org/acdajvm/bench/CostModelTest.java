package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CostModelTest {

    /** The paper's Table 6 rows, N=1, C=O=256, 100x100 output, M=6, to 0.1 MMAC (DESIGN section 5). */
    @Test
    void reproducesTable6() {
        double[] plain = {5900.8, 16386.6, 32115.2};
        double[] convOnly = {4073.0, 4318.7, 4687.4};
        int i = 0;
        for (int k : new int[] {3, 5, 7}) {
            CostModel c = BenchConfig.of("table6-k" + k).cost();
            assertEquals(plain[i], c.mmac(c.plainConvPerPixel()), 0.05, "plain conv K=" + k);
            assertEquals(convOnly[i], c.mmac(c.convOnlyPerPixel()), 0.05, "ACDA conv-only K=" + k);
            i++;
        }
    }

    @Test
    void perPixelCountsFollowTheDesign() {
        CostModel c = BenchConfig.of("table6-k7").cost();   // C=O=256, K=7, M=6, T=18, I=64, g=3
        assertEquals(64L * 256 * 9 + 108L * 64 * 9, c.generatorPerPixel());
        assertEquals(108L * 49, c.atomsPerPixel());
        assertEquals(256L * 6 * 49, c.atomConvPerPixel());
        assertEquals(256L * 256 * 6 + 256, c.coefficientConvPerPixel());
        assertEquals(256L * 256 * 6 * 49 + 256L * 256 * 49, c.naivePerPixel());
        assertEquals(10_000, c.pixels());
        assertEquals(256L * 6 * 10_000, (long) c.zFloats());
        assertEquals(256L * 256 * 49 + 256, c.plainConvParameters());
        // generator: conv1 + bias + BN (2), conv2 + bias + BN (2); coef; bias
        assertEquals(64L * 256 * 9 + 64 + 128 + 108L * 64 * 9 + 108 + 216 + 256L * 1536 + 256, c.acdaParameters());
        // backward: recomputed generator, atoms, Z; dZ and dcoef; dD and the direct dx; dG; conv 2 and conv 1 gradients
        long gen1 = 64L * 256 * 9;
        long gen2 = 108L * 64 * 9;
        assertEquals(gen1 + gen2 + 108L * 49 + 256L * 6 * 49 + 2 * 256L * 256 * 6 + 2 * 256L * 6 * 49 + 108L * 49
                + 2 * gen2 + 2 * gen1, c.backwardPerPixel());
        assertEquals(c.backwardPerPixel() * 10_000.0, c.backwardMacs());
    }

    @Test
    void configsAreNamed() {
        assertEquals(8, BenchConfig.of("resnet-k5").batch());
        assertEquals(7, BenchConfig.standard().size());
        assertThrows(IllegalArgumentException.class, () -> BenchConfig.of("huge"));
    }
}
