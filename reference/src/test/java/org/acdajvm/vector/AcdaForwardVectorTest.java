package org.acdajvm.vector;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acdajvm.backend.VectorBackend;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** What the contract suite cannot see: threads, workspace reuse, and the scalar fallback. */
class AcdaForwardVectorTest {

    private static void assertAccepted(AcdaLayer layer, Tensor x, Tensor y) {
        ErrorReport r = ErrorReport.compare(AcdaOracle.forward(layer, x), y, ErrorBounds.Evaluation.TWO_LAYER);
        assertTrue(r.accepted(), r.describe());
    }

    @Test
    void resultsDoNotDependOnTheThreadCount() {
        AcdaConfig cfg = AcdaConfig.builder(5, 7, 5).stride(2).padding(PaddingMode.CIRCULAR).atoms(4).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 21);
        // N = 3: 2 threads run two whole images each on its own buffers and split the third image's rows,
        // 3 threads one image each, 5 threads split every image's rows.
        Tensor x = AcdaInit.input(cfg, 3, 23, 37, 22);
        Tensor first = null;
        for (int threads : new int[] {1, 2, 3, 5}) {
            try (AcdaForwardVector v = new AcdaForwardVector(threads)) {
                Tensor y = v.forward(layer, x);
                if (first == null) {
                    assertAccepted(layer, x, y);
                    first = y;
                } else {
                    assertEquals(first, y, "threads = " + threads + " must give the same bits as 1 thread");
                }
            }
        }
    }

    @Test
    void workspacesAreReusedAndShapeChangesAreHandled() {
        AcdaConfig cfg = AcdaConfig.builder(3, 4, 3).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 1);
        Tensor a = AcdaInit.input(cfg, 1, 9, 40, 2);
        Tensor b = AcdaInit.input(cfg, 2, 17, 5, 3);
        try (AcdaForwardVector v = new AcdaForwardVector(2)) {
            Tensor ya = Tensor.zeros(1, 4, 9, 40);
            v.forwardInto(layer, a, ya);
            long after = v.allocations();
            for (int i = 0; i < 5; i++) {
                v.forwardInto(layer, a, ya);
            }
            assertEquals(after, v.allocations(), "calls of the same shape allocate no new workspace");
            Tensor yb = v.forward(layer, b);
            assertAccepted(layer, b, yb);
            Tensor ya2 = v.forward(layer, a);
            assertEquals(ya, ya2, "shape A after shape B gives the same result");
            assertAccepted(layer, a, ya2);
        }
    }

    @Test
    void forwardIntoNamesAWrongOrSharedOutput() {
        AcdaConfig cfg = AcdaConfig.builder(4, 4, 3).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 8);
        Tensor x = AcdaInit.input(cfg, 1, 6, 7, 9);
        try (AcdaForwardVector v = new AcdaForwardVector(1)) {
            IllegalArgumentException shared = assertThrows(IllegalArgumentException.class, () -> v.forwardInto(layer, x, x));
            assertEquals("output y is the input x: expected a tensor of its own", shared.getMessage());
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                    () -> v.forwardInto(layer, x, Tensor.zeros(1, 4, 7, 6)));
            assertEquals("output y has shape [1, 4, 7, 6], expected [1, 4, 6, 7]", shape.getMessage());
        }
    }

    @Test
    void repeatedCallsCheckTheJitCompiledCode() {
        // Enough calls that the kernels are compiled by C2 long before the last comparison.
        AcdaConfig cfg = AcdaConfig.builder(4, 6, 7).dilation(2).atoms(5).basesPerScale(4).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 5);
        Tensor x = AcdaInit.input(cfg, 1, 19, 2 * AcdaForwardVector.lanes() + 1, 6);
        try (AcdaForwardVector v = new AcdaForwardVector(2)) {
            Tensor first = v.forward(layer, x);
            assertAccepted(layer, x, first);
            Tensor y = Tensor.zeros(first.shape());
            for (int i = 0; i < 300; i++) {
                v.forwardInto(layer, x, y);
            }
            assertEquals(first, y, "the interpreted, C1 and C2 code give the same bits");
            assertAccepted(layer, x, y);
        }
    }

    @Test
    void everyKernelWidthAtomBlockAndChannelBlockIsAccepted() {
        // Row widths that end in a 4-, 3-, 2- and 1-vector tile (L = 16: 64+36 = 100, 49 = 3L+1, 33 = 2L+1, ...);
        // 7 and 12 atoms (one block of six plus one, two blocks); 13 channels (the 8-channel block of the atom
        // convolution, a group of four and one left over).
        int l = AcdaForwardVector.lanes();
        int[] widths = {l, l + 1, 2 * l + 1, 3 * l, 3 * l + 1, 4 * l + 1, 100};
        int[][] channelsAtoms = {{13, 7}, {9, 12}};
        try (AcdaForwardVector v = new AcdaForwardVector(2)) {
            for (int[] ca : channelsAtoms) {
                for (int k : new int[] {3, 5}) {
                    AcdaConfig cfg = AcdaConfig.builder(ca[0], 5, k).atoms(ca[1]).build();
                    AcdaLayer layer = AcdaInit.randomized(cfg, 31 + k);
                    for (int w : widths) {
                        Tensor x = AcdaInit.input(cfg, 1, 4, w, w);
                        assertAccepted(layer, x, v.forward(layer, x));
                    }
                }
            }
        }
    }

    @Test
    void flatTilesGiveTheBitsOfRowTiles() {
        // Stride 1 runs in tiles over the flattened image (one row stride for the input and e1p, tiles that cross
        // rows, outputs stored around the padding columns); row-by-row tiles, as every other stride runs, give
        // the same sums in the same order. Zero and circular padding (e1p's border is rewritten after the flat
        // conv 1), dilation, a 5x5 generator, 1 to 6 rows, widths from 1 to past a tile; N = 3 on 2 threads runs
        // two whole images per thread and splits the third one's tiles.
        int l = AcdaForwardVector.lanes();
        int[] widths = {1, l - 1, l + 1, 56, 4 * l + 3, 100};
        AcdaConfig[] configs = {
            AcdaConfig.builder(5, 6, 3).build(),
            AcdaConfig.builder(6, 4, 5).padding(PaddingMode.CIRCULAR).build(),
            AcdaConfig.builder(4, 5, 3).dilation(2).generatorKernel(5).build(),
            AcdaConfig.builder(9, 3, 7).atoms(7).build()};
        try (AcdaForwardVector flat = new AcdaForwardVector(2, true);
             AcdaForwardVector rows = new AcdaForwardVector(2, false)) {
            for (AcdaConfig cfg : configs) {
                AcdaLayer layer = AcdaInit.randomized(cfg, 51);
                for (int w : widths) {
                    for (int h : new int[] {1, 6}) {
                        // One row: flat tiles would compute what row tiles do, so rows run; six: flat ones do
                        // where they compute fewer columns (a 56-pixel row with 16 lanes, not with 8: 32 + 24).
                        boolean flatShape = new AcdaForwardVector.Shape(cfg, h, w, true).flat;
                        if (h == 1 || w == 1 || w == 4 * l + 3) {
                            assertEquals(h > 1, flatShape, "H = " + h + ", W = " + w);
                        }
                        Tensor x = AcdaInit.input(cfg, 3, h, w, 52 + w);
                        Tensor y = flat.forward(layer, x);
                        assertEquals(rows.forward(layer, x), y, cfg + ", H = " + h + ", W = " + w);
                        assertAccepted(layer, x, y);
                    }
                }
            }
        }
        int w = 4 * l + 3;
        assertTrue(new AcdaForwardVector.Shape(configs[0], 5, w, true).flat);
        // Zero padding shares a row's right padding with the next row's left one: w + 1 (K = 3), w + 3 (K = 7);
        // circular padding wraps different values into the two sides, so its rows hold both: w + 2.
        assertEquals(w + 1, new AcdaForwardVector.Shape(configs[0], 5, w, true).we);
        assertEquals(w + 3, new AcdaForwardVector.Shape(AcdaConfig.builder(2, 2, 7).build(), 5, w, true).we);
        assertEquals(w + 2, new AcdaForwardVector.Shape(AcdaConfig.builder(2, 2, 3).padding(PaddingMode.CIRCULAR).build(),
                5, w, true).we);
        assertFalse(new AcdaForwardVector.Shape(configs[0], 5, 32, true).flat,
                "32-pixel rows fill two vectors exactly: flat rows of 34 would compute more, so rows run");
        assertFalse(new AcdaForwardVector.Shape(configs[0], 5, 56, false).flat);
        assertFalse(new AcdaForwardVector.Shape(AcdaConfig.builder(5, 6, 3).stride(2).build(), 5, 56, true).flat,
                "stride 2 tiles row by row");
    }

    @Test
    void aFlatTilesSegmentsPutEachPixelInItsOutputRow() {
        // A 4-wide output in flattened rows of 6 (two padding columns), pixels 3 to 12 of image 0 whose output starts
        // at 100: pixel 3 is row 0, column 3 (y 103); 4 and 5 are padding; 6 to 9 row 1 (y 104 to 107); 10 and 11
        // padding; 12 row 2, column 0 (y 108).
        int[] seg = new int[AcdaForwardVector.segmentInts()];
        assertEquals(3, AcdaForwardVector.flatSegments(3, 10, 6, 4, 100, seg));
        assertEquals(java.util.List.of(0, 1, 103, 3, 7, 101, 9, 10, 99),
                java.util.Arrays.stream(seg, 0, 9).boxed().toList());
        // Every tile start, width and row stride up to a tile of NW columns: each pixel of an output column is in
        // exactly one segment, which sends it to its place; a padding column is in none.
        int nw = 4 * AcdaForwardVector.lanes();
        for (int we = 1; we <= 20; we++) {
            for (int outW = 1; outW <= we; outW++) {
                for (int p0 = 0; p0 < 3 * we; p0 += 1 + p0 % 3) {
                    for (int cols = 1; cols <= nw; cols += 1 + cols / 8) {
                        int n = AcdaForwardVector.flatSegments(p0, cols, we, outW, 7, seg);
                        String where = "we " + we + ", outW " + outW + ", p0 " + p0 + ", cols " + cols;
                        assertTrue(n >= 0 && n <= cols, where + ": " + n + " segments");
                        for (int j = 0; j < cols; j++) {
                            int h = (p0 + j) / we;
                            int w = (p0 + j) % we;
                            int found = 0;
                            for (int k = 0; k < n; k++) {
                                if (seg[3 * k] <= j && j < seg[3 * k + 1]) {
                                    found++;
                                    assertEquals(7 + h * outW + w, seg[3 * k + 2] + j, where + ", column " + j);
                                }
                            }
                            assertEquals(w < outW ? 1 : 0, found, where + ", column " + j);
                        }
                    }
                }
            }
        }
    }

    @Test
    void kernelsForSixteenRegistersGiveTheSameBits() {
        // On a machine with 16 vector registers (AVX2) the atoms run in blocks of two taps and the atom convolution
        // in groups of two channels (VectorGemm.FEW_REGISTERS); both settings run here, whatever this machine is, and
        // must give the same sums in the same order: odd channel counts (a channel left over by either grouping),
        // K = 3, 5, 7 (taps left over by blocks of two and of four), 7 atoms (a padded atom block), the input copy
        // of the atom convolution (408 channels), 2 threads.
        AcdaConfig[] configs = {
            AcdaConfig.builder(5, 6, 3).build(),
            AcdaConfig.builder(7, 4, 5).padding(PaddingMode.CIRCULAR).build(),
            AcdaConfig.builder(9, 3, 7).atoms(7).build(),
            AcdaConfig.builder(408, 4, 3).build()};
        try (AcdaForwardVector few = new AcdaForwardVector(2, true, true);
             AcdaForwardVector many = new AcdaForwardVector(2, true, false)) {
            for (AcdaConfig cfg : configs) {
                AcdaLayer layer = AcdaInit.randomized(cfg, 61);
                for (int w : new int[] {1, 3 * AcdaForwardVector.lanes() - 2, 70}) {
                    Tensor x = AcdaInit.input(cfg, 1, 3, w, 62 + w);
                    Tensor y = few.forward(layer, x);
                    assertEquals(many.forward(layer, x), y, cfg + ", W = " + w);
                    assertAccepted(layer, x, y);
                }
            }
        }
    }

    @Test
    void theAtomAndCoefficientConvolutionsInChunksGiveTheBitsOfWholeTiles() {
        // Wide tiles run the atom convolution chunk by chunk of FUSED_CHANNELS input channels, each chunk's rows of Z
        // added to the coefficient convolution's sums before the next chunk is computed. Against whole tiles (the
        // atom convolution for all channels, then the product), bit for bit: fewer channels than a chunk (9), a
        // partial last chunk with a channel left over by the groups of four and of two (21), the input copy with two
        // left over (410), 7 atoms (a padded atom block), both atom kernels, widths with and without a wide tile.
        AcdaConfig[] configs = {
            AcdaConfig.builder(9, 5, 3).build(),
            AcdaConfig.builder(21, 6, 5).atoms(7).padding(PaddingMode.CIRCULAR).build(),
            AcdaConfig.builder(410, 4, 3).build()};
        for (AcdaConfig cfg : configs) {
            AcdaLayer layer = AcdaInit.randomized(cfg, 71);
            for (int w : new int[] {3 * AcdaForwardVector.lanes() - 2, 70, 130}) {
                Tensor x = AcdaInit.input(cfg, 1, 2, w, 72 + w);
                for (boolean few : new boolean[] {false, true}) {
                    try (AcdaForwardVector chunks = new AcdaForwardVector(2, true, few, true, true);
                         AcdaForwardVector whole = new AcdaForwardVector(2, true, few, true, false)) {
                        Tensor y = chunks.forward(layer, x);
                        assertEquals(whole.forward(layer, x), y, cfg + ", W = " + w + ", few = " + few);
                        if (!few && cfg.inChannels() < 100) {
                            assertAccepted(layer, x, y);
                        }
                    }
                }
            }
        }
    }

    @Test
    void theAtomConvolutionsInputCopyIsAcceptedAndGivesTheBitsOfReadingInPlace() {
        // 408 channels at K = 3: a tile reads more than COPY_INPUT_ABOVE_FLOATS of input (with 8 lanes as with 16),
        // so where the machine copies (COPY_INPUT; forced here both ways) the atom convolution copies it block by
        // block (and 8 channels per block leave no remainder; 410 leave two).
        for (int channels : new int[] {408, 410}) {
            AcdaConfig cfg = AcdaConfig.builder(channels, 4, 3).build();
            assertTrue(new AcdaForwardVector.Shape(cfg, 3, 70, true, true).copyInputBlocks, "the copy is used");
            assertFalse(new AcdaForwardVector.Shape(cfg, 3, 70, true, false).copyInputBlocks, "read in place");
            AcdaLayer layer = AcdaInit.randomized(cfg, 41);
            Tensor x = AcdaInit.input(cfg, 1, 3, 70, 42);
            try (AcdaForwardVector copying = new AcdaForwardVector(2, true, VectorGemm.FEW_REGISTERS, true);
                 AcdaForwardVector inPlace = new AcdaForwardVector(2, true, VectorGemm.FEW_REGISTERS, false)) {
                Tensor y = copying.forward(layer, x);
                assertAccepted(layer, x, y);
                assertEquals(inPlace.forward(layer, x), y, "copied or read in place: the same bits, C = " + channels);
            }
        }
        assertFalse(new AcdaForwardVector.Shape(AcdaConfig.builder(13, 4, 3).build(), 3, 70, true, true)
                .copyInputBlocks);
    }

    @Test
    void theCopyOfTheInputFollowsTheL2SizeUnlessThePropertySaysOtherwise() {
        assertTrue(AcdaForwardVector.copyInput(null, 1L << 20), "Zen 5: 1 MiB of L2, the copy pays");
        assertTrue(AcdaForwardVector.copyInput(null, 512L << 10), "Zen 1: 512 KiB");
        assertFalse(AcdaForwardVector.copyInput(null, 2L << 20), "Sapphire Rapids: 2 MiB, read in place");
        assertTrue(AcdaForwardVector.copyInput(null, 0), "unknown: the copy");
        assertFalse(AcdaForwardVector.copyInput(" no", 1L << 20), "the property wins");
        assertTrue(AcdaForwardVector.copyInput("yes", 2L << 20), "the property wins");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> AcdaForwardVector.copyInput("maybe", 1L << 20));
        assertEquals("acda.vector.copyInput: expected yes or no, got 'maybe'", e.getMessage());
        assertEquals(2L << 20, CacheSizes.parseSize("2048K\n"));
        assertEquals(1L << 20, CacheSizes.parseSize("1M"));
        assertEquals(512, CacheSizes.parseSize("512"));
        assertEquals(0, CacheSizes.parseSize("lots"));
        assertEquals(0, CacheSizes.parseSize("K"));
        assertTrue(CacheSizes.l2Bytes() >= 0);
    }

    @Test
    void profilingCountsEveryStage() {
        AcdaConfig cfg = AcdaConfig.builder(8, 8, 5).build();
        AcdaLayer layer = AcdaInit.reference(cfg, 5);
        Tensor x = AcdaInit.input(cfg, 1, 20, 20, 6);
        try (AcdaForwardVector v = new AcdaForwardVector(2)) {
            v.forward(layer, x);
            v.profile(true);
            v.forward(layer, x);
            long[] ns = v.stageNanos();
            for (AcdaForwardVector.Stage s : AcdaForwardVector.Stage.values()) {
                assertTrue(ns[s.ordinal()] > 0, s + " was timed");
            }
        }
    }

    @Test
    void theFallbackIsScalarAndSaysSo() {
        String key = VectorBackend.IMPLEMENTATION_PROPERTY;
        String before = System.getProperty(key);
        System.setProperty(key, "scalar");
        try (VectorBackend b = new VectorBackend(2)) {
            assertFalse(b.vectorized());
            assertTrue(b.description().contains("FALLBACK to the scalar path: forced by -D" + key + "=scalar"),
                    b.description());
            AcdaConfig cfg = AcdaConfig.builder(2, 3, 3).build();
            AcdaLayer layer = AcdaInit.randomized(cfg, 1);
            Tensor x = AcdaInit.input(cfg, 1, 6, 6, 2);
            assertAccepted(layer, x, b.forward(layer, x));
        } finally {
            if (before == null) {
                System.clearProperty(key);
            } else {
                System.setProperty(key, before);
            }
        }
        try (VectorBackend b = new VectorBackend(2)) {
            assertTrue(b.vectorized(), "with the module readable and no property, the Vector API is used: "
                    + b.description());
        }
    }
}
