package org.acdajvm.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.DeviceTests;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * The TornadoVM forward on its device: that the kernels really ran there (not as Java on the host),
 * that it agrees with the oracle on the edge cases of GPU code (sizes that divide no work-group,
 * batches, strides, dilation, circular padding wider than the image), and that task graphs and
 * device buffers are kept across calls and released by {@code close()}. The contract suite
 * ({@code TornadoContractTest}) adds the random cases.
 */
class TornadoForwardTest {

    @BeforeAll
    static void requireDevice() {
        DeviceTests.require("tornado");
    }

    private static Tensor assertAccepted(TornadoBackend backend, AcdaConfig cfg, int batch, int h, int w, long seed) {
        AcdaLayer layer = AcdaInit.randomized(cfg, seed);
        Tensor x = AcdaInit.input(cfg, batch, h, w, seed + 1);
        Tensor xCopy = x.copy();
        Tensor y = backend.forward(layer, xCopy);
        assertEquals(x, xCopy, "the backend modified its input");
        ErrorReport r = ErrorReport.compare(AcdaOracle.forward(layer, x), y, ErrorBounds.Evaluation.TWO_LAYER);
        String label = "N=" + batch + " " + h + "x" + w + " " + cfg.summary();
        assertTrue(r.accepted(), label + ": " + r.describe());
        System.out.printf("tornado %-70s max ratio %.3g%n", label, r.maxRatio());
        return y;
    }

    /**
     * TornadoVM's profiler reports device time for the kernels only when they ran on the device; a
     * task graph that TornadoVM ran as Java on the host (its "bailout") reports none, and a
     * {@code KernelContext} kernel run as Java computes element 0 only, which the oracle rejects.
     */
    @Test
    void kernelsRunOnTheTornadoDevice() {
        try (TornadoBackend backend = new TornadoBackend(null, true)) {
            assertAccepted(backend, AcdaConfig.builder(3, 5, 5).build(), 2, 13, 11, 1);
            long kernelNanos = backend.lastKernelNanos();
            assertTrue(kernelNanos > 0, "TornadoVM's profiler reports no device kernel time (" + kernelNanos
                    + " ns): the kernels did not run on " + backend.deviceName());
            String expected = TornadoDevices.label(TornadoRuntimeProvider.getTornadoRuntime().getDefaultDevice());
            assertEquals(expected, backend.deviceName());
            assertEquals("false", System.getProperty(TornadoDevices.BAILOUT_PROPERTY),
                    "the backend must forbid TornadoVM's silent fallback to sequential Java");
            System.out.printf("tornado kernels ran on %s: %.3f ms of device time%n", backend.deviceName(), kernelNanos / 1e6);
        }
    }

    @Test
    void oddSizesBatchesStridesDilationAndCircularPadding() {
        try (TornadoBackend backend = new TornadoBackend()) {
            // 13x11 = 143 pixels is not a multiple of the 64 work-items of a work-group.
            assertAccepted(backend, AcdaConfig.builder(3, 5, 5).build(), 1, 13, 11, 1);
            assertAccepted(backend, AcdaConfig.builder(2, 3, 3).build(), 1, 1, 1, 2);
            assertAccepted(backend, AcdaConfig.builder(4, 6, 3).build(), 3, 9, 10, 5);
            assertAccepted(backend, AcdaConfig.builder(3, 7, 5).stride(2).build(), 2, 10, 9, 6);
            assertAccepted(backend, AcdaConfig.builder(2, 3, 7).stride(3).generatorKernel(1).build(), 2, 7, 8, 8);
            assertAccepted(backend, AcdaConfig.builder(3, 4, 5).dilation(2).build(), 1, 12, 9, 9);
            // Circular padding wider than the image: the atom convolution wraps more than once.
            assertAccepted(backend, AcdaConfig.builder(2, 3, 7).dilation(2).padding(PaddingMode.CIRCULAR).build(), 1, 4, 5, 10);
            assertAccepted(backend, AcdaConfig.builder(2, 2, 5).stride(2).padding(PaddingMode.CIRCULAR).atoms(2)
                    .basesPerScale(3).build(), 2, 9, 7, 11);
        }
    }

    @Test
    void taskGraphsAreKeptAcrossCallsAndGrowOnlyWhenNeeded() {
        AcdaConfig cfg = AcdaConfig.builder(3, 4, 5).build();
        try (TornadoBackend backend = new TornadoBackend()) {
            assertAccepted(backend, cfg, 1, 16, 16, 20);
            assertAccepted(backend, cfg, 1, 16, 16, 21);
            assertEquals(1, backend.plansBuilt(), "a second call of the same shape must reuse the task graph");
            // Smaller: fits the buffers, and what the larger call left in them must not leak into the result.
            assertAccepted(backend, cfg, 1, 7, 9, 22);
            assertEquals(1, backend.plansBuilt(), "a smaller shape must reuse the task graph");
            assertAccepted(backend, cfg, 1, 17, 17, 23);
            assertEquals(2, backend.plansBuilt(), "a larger shape needs larger buffers");
            // The buffers that grew are now at least twice their first size: twice the pixels still fit.
            assertAccepted(backend, cfg, 2, 16, 16, 24);
            assertEquals(2, backend.plansBuilt(), "buffers grow geometrically");
        }
    }

    @Test
    void closeReleasesTheBackendAndRefusesFurtherCalls() {
        AcdaConfig cfg = AcdaConfig.builder(2, 2, 3).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 30);
        Tensor x = AcdaInit.input(cfg, 1, 5, 5, 31);
        TornadoBackend backend = new TornadoBackend();
        backend.forward(layer, x);
        backend.close();
        backend.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> backend.forward(layer, x));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void aBadDeviceSelectorNamesTheDevicesThereAre() {
        try (TornadoBackend backend = new TornadoBackend("7:99", false)) {
            String reason = backend.unavailableReason().orElseThrow();
            assertTrue(reason.contains("acda.tornado.device = '7:99'") && reason.contains("0:0"), reason);
        }
        try (TornadoBackend backend = new TornadoBackend("gpu", false)) {
            String reason = backend.unavailableReason().orElseThrow();
            assertTrue(reason.contains("expected backend:device indices"), reason);
        }
    }
}
