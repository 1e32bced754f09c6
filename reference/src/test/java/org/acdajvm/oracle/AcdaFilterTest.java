package org.acdajvm.oracle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * ACDA through the oracle core ({@link AcdaFilter} + {@link PixelFilterOracle}) is bit-identical to
 * {@link AcdaOracle#forward}: y, S, E, every variance component of both orders and the chain lengths, with
 * {@code Arrays.equals} (no tolerance), over random configs: both paddings, strides 1 to 3, dilations 1 to 3,
 * generator kernel 1 or 3, with and without bias, several images.
 */
class AcdaFilterTest {

    @Test
    void theFilterThroughTheCoreIsBitIdenticalToAcdaOracle() {
        SplittableRandom rng = new SplittableRandom(2026);
        int compared = 0;
        for (int trial = 0; trial < 24; trial++) {
            int half = 1 + rng.nextInt(3);
            AcdaConfig cfg = AcdaConfig.builder(1 + rng.nextInt(4), 1 + rng.nextInt(4), 2 * half + 1)
                    .stride(1 + rng.nextInt(3)).dilation(1 + rng.nextInt(3))
                    .padding(rng.nextBoolean() ? PaddingMode.ZEROS : PaddingMode.CIRCULAR)
                    .basesPerScale(1 + rng.nextInt(3)).atoms(1 + rng.nextInt(4))
                    .generatorKernel(rng.nextBoolean() ? 1 : 3).bias(rng.nextBoolean()).build();
            AcdaLayer layer = AcdaInit.randomized(cfg, rng.nextLong());
            Tensor x = AcdaInit.input(cfg, 1 + rng.nextInt(3), 2 + rng.nextInt(7), 2 + rng.nextInt(7), rng.nextLong());
            OracleResult old = AcdaOracle.forward(layer, x);
            OracleResult core = AcdaFilter.forward(layer, x);
            String what = cfg.summary() + " x " + x.shapeString();
            assertArrayEquals(old.shape(), core.shape(), what);
            assertTrue(Arrays.equals(old.y(), core.y()), "y " + what);
            assertTrue(Arrays.equals(old.sumAbs(), core.sumAbs()), "S " + what);
            assertTrue(Arrays.equals(old.carried(), core.carried()), "E " + what);
            assertTrue(Arrays.deepEquals(old.variance(), core.variance()), "variance " + what);
            assertEquals(old.chainLength(), core.chainLength(), what);
            assertEquals(old, core, what);
            compared += old.size();
        }
        assertTrue(compared > 500, "compared " + compared);
    }
}
