package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.Precision;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The vector backward against the oracle's on fixed configurations chosen around the tile widths
 * (W' = NR - 1, NR, NR + 1, 2 NR, and wide tiles followed by partial or narrow ones), every stride, dilation
 * and padding; the contract suite in
 * property-tests draws random ones. Also: repeated calls give the same bits and allocate no new buffers.
 */
class AcdaBackwardVectorTest {

    private static void assertMatchesOracle(Map<String, Tensor> actual, AcdaOracleBackward.Gradients oracle,
                                            double rel, String context) {
        assertEquals(List.copyOf(oracle.byKey().keySet()), List.copyOf(actual.keySet()), "gradient keys, " + context);
        oracle.byKey().forEach((key, g) -> {
            float[] a = actual.get(key).data();
            assertTrue(actual.get(key).hasShape(g.shape()), key + " shape " + actual.get(key).shapeString());
            double maxErr = 0;
            double maxAbs = 0;
            int worst = 0;
            for (int i = 0; i < a.length; i++) {
                double err = Math.abs(a[i] - g.value()[i]);
                assertTrue(err <= g.tightBound(i, Precision.FP32), key + "[" + i + "]: " + a[i] + " vs oracle "
                        + g.value()[i] + " beyond the bound " + g.tightBound(i, Precision.FP32) + "; " + context);
                if (err > maxErr) {
                    maxErr = err;
                    worst = i;
                }
                maxAbs = Math.max(maxAbs, Math.abs(g.value()[i]));
            }
            assertTrue(maxErr <= rel * maxAbs + 1e-30, key + ": max |err| " + maxErr + " > " + rel + " * max |grad| "
                    + maxAbs + " (worst at " + worst + ": " + a[worst] + " vs " + g.value()[worst] + "); " + context);
        });
    }

    @Test
    void matchesTheOracle() {
        int nr = 2 * AcdaForwardVector.lanes();
        Object[][] cases = {
            {AcdaConfig.builder(3, 4, 3).build(), 2, 6, nr - 1},
            {AcdaConfig.builder(2, 3, 5).stride(2).dilation(2).padding(PaddingMode.CIRCULAR).atoms(4).basesPerScale(2).build(), 1, 9, 2 * nr + 1},
            {AcdaConfig.builder(4, 2, 7).generatorKernel(1).bias(false).atoms(3).basesPerScale(3).build(), 1, 5, nr},
            {AcdaConfig.builder(1, 1, 3).stride(3).padding(PaddingMode.CIRCULAR).build(), 2, 7, 5},
            {AcdaConfig.builder(5, 7, 3).padding(PaddingMode.CIRCULAR).build(), 1, 8, nr + 1},
            {AcdaConfig.builder(2, 2, 7).padding(PaddingMode.CIRCULAR).atoms(7).build(), 1, 1, 2},
            // Around the wide tile (NW = 2 NR): exactly one, a wide tile then a partial wide one, a wide then a
            // narrow one with channels past the blocks of four and atoms past the blocks of six.
            {AcdaConfig.builder(3, 4, 3).build(), 1, 5, 2 * nr},
            {AcdaConfig.builder(2, 3, 5).stride(2).build(), 1, 6, 2 * (3 * nr + 3)},
            {AcdaConfig.builder(6, 5, 5).atoms(7).padding(PaddingMode.CIRCULAR).build(), 1, 4, 2 * nr + nr / 2},
            // A wide tile then one of exactly 3L pixels (dZ on three vectors, its fourth zeroed: the taps of those
            // pixels still reach the image at K = 7).
            {AcdaConfig.builder(3, 4, 7).build(), 1, 4, 2 * nr + 3 * nr / 2},
        };
        long seed = 3;
        try (AcdaBackwardVector bw = new AcdaBackwardVector(2)) {
            for (Object[] c : cases) {
                AcdaConfig cfg = (AcdaConfig) c[0];
                AcdaLayer layer = AcdaInit.randomized(cfg, seed);
                Tensor x = AcdaInit.input(cfg, (int) c[1], (int) c[2], (int) c[3], seed + 1);
                Tensor dy = Tensor.zeros(x.dim(0), cfg.outChannels(), cfg.outSize(x.dim(2)), cfg.outSize(x.dim(3)));
                AcdaInit.fill(dy, new SplittableRandom(seed + 2), -1, 1);
                String ctx = cfg.summary() + " x " + x.shapeString();
                Map<String, Tensor> g = bw.backward(layer, x, dy);
                assertMatchesOracle(g, AcdaOracleBackward.backward(layer, x, dy), 1e-4, ctx);
                long allocations = bw.allocations();
                Map<String, Tensor> again = bw.backward(layer, x, dy);
                assertEquals(allocations, bw.allocations(), "a second call of one shape reallocates, " + ctx);
                g.forEach((key, t) -> assertEquals(t, again.get(key), "a second call differs in " + key + ", " + ctx));
                seed++;
            }
        }
    }

    @Test
    void coefficientGradientFromKeptAtomsHasTheBitsOfKeptZWhereverTheThreadsSplitItsRows() {
        // Where Z is much larger than the atoms (keepsAtoms), dcoef's Z is made in the last phase from the atoms
        // every tile kept, chunk by chunk of row blocks of Z, each chunk from the first channel its rows touch
        // rounded down to the atom convolution's block of 8; otherwise the image's Z is kept from the tiles. With 7
        // atoms the chunks and the threads' shares start inside a channel, and 1, 2 and 3 threads split the row
        // blocks at different places. Both ways and every split: the same gradients, bit for bit (dcoef is a sum over
        // the pixels alone; dx may differ in its last bits between thread counts, by design), and the oracle's.
        // Three blocks of output rows (the last short), a wide and a narrow tile per row, two chunks of rows.
        int nr = 2 * AcdaForwardVector.lanes();
        AcdaConfig cfg = AcdaConfig.builder(64, 5, 5).atoms(7).build();
        int width = 2 * nr + 3;
        int height = 2 * Math.max(1, 512 / width) + 2;
        AcdaLayer layer = AcdaInit.randomized(cfg, 41);
        Tensor x = AcdaInit.input(cfg, 1, height, width, 42);
        Tensor dy = Tensor.zeros(1, cfg.outChannels(), cfg.outSize(height), cfg.outSize(width));
        AcdaInit.fill(dy, new SplittableRandom(43), -1, 1);
        String ctx = cfg.summary() + " x " + x.shapeString();
        Map<String, Tensor> one = null;
        for (int threads : new int[] {1, 2, 3}) {
            try (AcdaBackwardVector bw = new AcdaBackwardVector(threads)) {
                bw.zFromAtoms(true);
                Map<String, Tensor> fromAtoms = bw.backward(layer, x, dy);
                bw.zFromAtoms(false);
                Map<String, Tensor> fromZ = bw.backward(layer, x, dy);
                fromZ.forEach((key, t) -> assertEquals(t, fromAtoms.get(key),
                        key + " from kept atoms against kept Z, " + threads + " threads, " + ctx));
                if (one == null) {
                    one = fromAtoms;
                    assertMatchesOracle(one, AcdaOracleBackward.backward(layer, x, dy), 1e-4, ctx);
                }
                assertEquals(one.get(AcdaLayer.COEF), fromAtoms.get(AcdaLayer.COEF),
                        "dcoef with " + threads + " threads, " + ctx);
            }
        }
    }

    @Test
    void theAtomsAreKeptWhereZIsMoreThanTwiceTheirSize() {
        int nr = 2 * AcdaForwardVector.lanes();
        // Z: C*M floats a pixel; the atoms: paddedAtoms*K*K (M padded to a multiple of six).
        assertTrue(AcdaBackwardVector.keepsAtoms(shape(AcdaConfig.builder(64, 64, 3).build(), nr)), "384 > 2*54");
        assertFalse(AcdaBackwardVector.keepsAtoms(shape(AcdaConfig.builder(64, 64, 7).build(), nr)), "384 < 2*294");
        assertTrue(AcdaBackwardVector.keepsAtoms(shape(AcdaConfig.builder(256, 256, 7).build(), nr)), "1536 > 2*294");
        assertFalse(AcdaBackwardVector.keepsAtoms(shape(AcdaConfig.builder(50, 8, 5).build(), nr)), "300 = 2*150");
        assertFalse(AcdaBackwardVector.keepsAtoms(shape(AcdaConfig.builder(24, 8, 3).atoms(7).build(), nr)),
                "168 < 2*108 (M = 7 padded to 12)");
    }

    private static AcdaForwardVector.Shape shape(AcdaConfig cfg, int width) {
        return new AcdaForwardVector.Shape(cfg, 8, width, false, true);
    }

    @Test
    void kernelsForSixteenRegistersGiveTheSameBits() {
        // With 16 vector registers (AVX2, VectorGemm.FEW_REGISTERS) the backward runs 12-accumulator kernels: the
        // atom convolution in pairs of channels, the atom gradient in pairs of taps, the weight gradients and the
        // scatters into dx and de1 on pairs of vectors. Both settings run here, whatever this machine is: the same
        // gradients, bit for bit. Odd channel counts, K = 3, 5, 7 (taps left over by pairs and threes), 7 atoms,
        // partial tiles, a weight-gradient width past the wide blocks.
        int nr = 2 * AcdaForwardVector.lanes();
        Object[][] cases = {
            {AcdaConfig.builder(5, 7, 3).build(), 1, 6, 2 * nr + 3},
            {AcdaConfig.builder(7, 4, 5).atoms(7).padding(PaddingMode.CIRCULAR).build(), 2, 5, nr + 1},
            {AcdaConfig.builder(3, 13, 7).build(), 1, 4, 3 * nr - 2},
            // 162 channels at K = 7: the atom convolution copies each block's input first (20 blocks of 8 and one
            // of 2; with groups of four, two channels left over one at a time).
            {AcdaConfig.builder(162, 2, 7).build(), 1, 3, nr + 1},
        };
        assertTrue(new AcdaForwardVector.Shape((AcdaConfig) cases[3][0], 3, nr + 1, false, true).copyInputBlocks,
                "the copy is used");
        assertFalse(new AcdaForwardVector.Shape((AcdaConfig) cases[2][0], 4, 3 * nr - 2, false, true)
                .copyInputBlocks);
        long seed = 11;
        // Both register settings copy the input where it is wide (whatever this machine's COPY_INPUT); a third
        // backward reads it in place: the same gradients, bit for bit.
        try (AcdaBackwardVector few = new AcdaBackwardVector(2, true, true);
             AcdaBackwardVector many = new AcdaBackwardVector(2, false, true);
             AcdaBackwardVector inPlace = new AcdaBackwardVector(2, VectorGemm.FEW_REGISTERS, false)) {
            for (Object[] c : cases) {
                AcdaConfig cfg = (AcdaConfig) c[0];
                AcdaLayer layer = AcdaInit.randomized(cfg, seed);
                Tensor x = AcdaInit.input(cfg, (int) c[1], (int) c[2], (int) c[3], seed + 1);
                Tensor dy = Tensor.zeros(x.dim(0), cfg.outChannels(), cfg.outSize(x.dim(2)), cfg.outSize(x.dim(3)));
                AcdaInit.fill(dy, new SplittableRandom(seed + 2), -1, 1);
                String ctx = cfg.summary() + " x " + x.shapeString();
                Map<String, Tensor> a = few.backward(layer, x, dy);
                Map<String, Tensor> b = many.backward(layer, x, dy);
                a.forEach((key, t) -> assertEquals(b.get(key), t, key + ", " + ctx));
                Map<String, Tensor> c2 = inPlace.backward(layer, x, dy);
                a.forEach((key, t) -> assertEquals(c2.get(key), t, "read in place: " + key + ", " + ctx));
                assertMatchesOracle(a, AcdaOracleBackward.backward(layer, x, dy), 1e-4, ctx);
                seed++;
            }
        }
    }
}
