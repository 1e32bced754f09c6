package org.acdajvm.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.DeviceTests;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenCL forward against the oracle, within the bound of DESIGN section 7, on the shapes
 * where GPU code goes wrong: sizes that do not divide any work-group or tile, batches, strides 2
 * and 3, dilation, circular padding (also wider than the image), large kernels, chunked batches
 * and other tile shapes. The contract suite (property-tests) adds random cases; these pin the
 * edge cases down. Kernel sizes stay in {3, 5, 7} (plus one 11) so that few programs are built.
 */
class OpenClForwardTest {

    private static OpenClBackend backend;

    @BeforeAll
    static void open() {
        DeviceTests.require("opencl");
        backend = new OpenClBackend();
    }

    @AfterAll
    static void close() {
        if (backend != null) {
            backend.close();
        }
    }

    /** Runs the backend on a copy of {@code x}, checks {@code x} is untouched, and asserts the oracle accepts the output. */
    private static Tensor assertAccepted(AcdaConfig cfg, int batch, int h, int w, long seed) {
        AcdaLayer layer = AcdaInit.randomized(cfg, seed);
        Tensor x = AcdaInit.input(cfg, batch, h, w, seed + 1);
        Tensor xCopy = x.copy();
        Tensor y = backend.forward(layer, xCopy);
        assertEquals(x, xCopy, "the backend modified its input");
        ErrorReport r = ErrorReport.compare(AcdaOracle.forward(layer, x), y, ErrorBounds.Evaluation.TWO_LAYER);
        String label = "N=" + batch + " " + h + "x" + w + " " + cfg.summary();
        assertTrue(r.accepted(), label + ": " + r.describe());
        System.out.printf("opencl %-70s max ratio %.3g%n", label, r.maxRatio());
        return y;
    }

    @Test
    void oddSizesThatDivideNoWorkGroupOrTile() {
        // 13x11 = 143 pixels: not a multiple of the 1-D local size, of conv2's 8x8 tile or of the
        // coefficient tile; O = 5 and C*M = 18 are not multiples of the channel tiles either.
        assertAccepted(AcdaConfig.builder(3, 5, 5).build(), 1, 13, 11, 1);
        assertAccepted(AcdaConfig.builder(2, 3, 3).build(), 1, 1, 1, 2);
        assertAccepted(AcdaConfig.builder(2, 3, 3).build(), 1, 1, 17, 3);
        assertAccepted(AcdaConfig.builder(1, 1, 3).atoms(1).basesPerScale(1).build(), 1, 9, 2, 4);
    }

    @Test
    void batchOfSeveralImages() {
        assertAccepted(AcdaConfig.builder(4, 6, 3).build(), 3, 9, 10, 5);
    }

    @Test
    void strideTwoAndThree() {
        assertAccepted(AcdaConfig.builder(3, 7, 5).stride(2).build(), 2, 10, 9, 6);
        assertAccepted(AcdaConfig.builder(3, 4, 3).stride(3).build(), 1, 11, 13, 7);
        assertAccepted(AcdaConfig.builder(2, 3, 7).stride(3).generatorKernel(1).build(), 2, 7, 8, 8);
    }

    @Test
    void dilationTwo() {
        assertAccepted(AcdaConfig.builder(3, 4, 5).dilation(2).build(), 1, 12, 12, 9);
        assertAccepted(AcdaConfig.builder(2, 5, 3).dilation(2).stride(2).build(), 2, 9, 11, 10);
    }

    @Test
    void circularPadding() {
        assertAccepted(AcdaConfig.builder(3, 4, 7).padding(PaddingMode.CIRCULAR).build(), 1, 9, 8, 11);
        assertAccepted(AcdaConfig.builder(2, 3, 5).padding(PaddingMode.CIRCULAR).dilation(2).stride(2).build(), 2, 10, 7,
                12);
    }

    @Test
    void paddingWiderThanTheImage() {
        // pad = d (K-1)/2 = 6 > H, W: circular reads wrap more than once (floorMod), zeros read mostly zeros.
        for (PaddingMode mode : PaddingMode.values()) {
            assertAccepted(AcdaConfig.builder(2, 3, 7).dilation(2).padding(mode).build(), 1, 2, 3, 13);
            assertAccepted(AcdaConfig.builder(2, 3, 5).padding(mode).stride(2).build(), 2, 1, 1, 14);
        }
    }

    @Test
    void otherHyperParameters() {
        // M independent of B, g = 1, no bias, C*M not a multiple of the coefficient tile's step.
        assertAccepted(AcdaConfig.builder(5, 9, 3).atoms(3).basesPerScale(2).generatorKernel(1).bias(false).build(), 2, 6,
                7, 15);
        assertAccepted(AcdaConfig.builder(7, 2, 5).atoms(8).basesPerScale(1).build(), 1, 5, 6, 16);
    }

    @Test
    void kernelLargerThanThePrivatePatch() {
        // K = 11: 121 taps > PATCH_MAX, so the atom convolution reads x per atom instead of keeping a patch.
        assertTrue(11 * 11 > Tuning.PATCH_MAX);
        assertAccepted(AcdaConfig.builder(2, 3, 11).atoms(2).basesPerScale(2).build(), 1, 8, 9, 17);
    }

    @Test
    void aBatchSplitIntoChunksGivesTheSameBits() {
        AcdaConfig cfg = AcdaConfig.builder(3, 4, 5).stride(2).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 18);
        Tensor x = AcdaInit.input(cfg, 5, 9, 8, 19);
        Tensor whole = backend.forward(layer, x);
        assertEquals(1, backend.engine().lastChunks());
        backend.engine().setMaxImagesPerLaunch(2);
        try {
            Tensor chunked = backend.forward(layer, x);
            assertEquals(3, backend.engine().lastChunks());
            assertArrayEquals(whole.data(), chunked.data(), "chunks of 2 images must give the bits of one launch");
        } finally {
            backend.engine().setMaxImagesPerLaunch(Integer.MAX_VALUE);
        }
        ErrorReport r = ErrorReport.compare(AcdaOracle.forward(layer, x), whole, ErrorBounds.Evaluation.TWO_LAYER);
        assertTrue(r.accepted(), r.describe());
    }

    /**
     * conv1 and the atom convolution have a tiled kernel (input region in local memory) and a
     * direct one (for regions too large for local memory). Both sum the same products in the same
     * order, so they must agree bit for bit; the direct ones are forced here.
     */
    @Test
    void directAndTiledKernelsGiveTheSameBits() {
        AcdaConfig[] configs = {
                AcdaConfig.builder(3, 4, 5).stride(2).dilation(2).padding(PaddingMode.CIRCULAR).build(),
                AcdaConfig.builder(9, 3, 3).stride(3).generatorKernel(1).build()};
        for (AcdaConfig cfg : configs) {
            AcdaLayer layer = AcdaInit.randomized(cfg, 22);
            Tensor x = AcdaInit.input(cfg, 2, 13, 10, 23);
            Tensor tiled = backend.forward(layer, x);
            assertEquals("conv1 tiled, atom conv tiled", backend.engine().lastVariants(), cfg.summary());
            backend.engine().setDirectOnly(true);
            Tensor direct;
            try {
                direct = backend.forward(layer, x);
                assertEquals("conv1 direct, atom conv direct", backend.engine().lastVariants());
            } finally {
                backend.engine().setDirectOnly(false);
            }
            assertArrayEquals(tiled.data(), direct.data(), cfg.summary());
            ErrorReport r = ErrorReport.compare(AcdaOracle.forward(layer, x), tiled, ErrorBounds.Evaluation.TWO_LAYER);
            assertTrue(r.accepted(), r.describe());
        }
    }

    /** With stride 40 the input region of one pixel tile exceeds local memory (1 MiB on PoCL), and the direct kernels run. */
    @Test
    void aStrideTooLargeForLocalMemoryRunsTheDirectKernels() {
        AcdaConfig cfg = AcdaConfig.builder(2, 3, 3).stride(40).build();
        assertAccepted(cfg, 1, 81, 83, 24);
        ClDevice device = backend.device();
        Tuning.Conv2 tile = Tuning.conv2Candidates(device).getFirst();
        boolean conv1Fits = Tuning.conv1TileFloats(tile, 40, 3) * Float.BYTES <= device.localMemBytes();
        boolean atomFits = Tuning.atomTileFloats(tile, 40, 1, 3) * Float.BYTES <= device.localMemBytes();
        assertEquals("conv1 " + (conv1Fits ? "tiled" : "direct") + ", atom conv " + (atomFits ? "tiled" : "direct"),
                backend.engine().lastVariants());
    }

    /**
     * Every tile shape sums the same terms in the same order (bias first, then input channel,
     * then tap; or j ascending), so the smallest fallback tiles must reproduce the default tiles'
     * output bit for bit: a tile that dropped or repeated a term could not.
     */
    @Test
    void fallbackTilesGiveTheSameBits() {
        AcdaConfig cfg = AcdaConfig.builder(5, 37, 3).atoms(7).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 20);
        Tensor x = AcdaInit.input(cfg, 2, 11, 13, 21);
        Tensor expected = backend.forward(layer, x);
        List<Tuning.Conv2> conv2 = Tuning.conv2Candidates(backend.device());
        List<Tuning.Coef> coef = Tuning.coefCandidates(backend.device());
        try (OpenClBackend other = new OpenClBackend()) {
            other.engine().forceTiles(conv2.get(conv2.size() - 2), coef.get(coef.size() - 1));
            Tensor y = other.forward(layer, x);
            assertArrayEquals(expected.data(), y.data(), "tiles " + conv2.get(conv2.size() - 2) + ", " + coef.getLast());
        }
        ErrorReport r = ErrorReport.compare(AcdaOracle.forward(layer, x), expected, ErrorBounds.Evaluation.TWO_LAYER);
        assertTrue(r.accepted(), r.describe());
    }
}
