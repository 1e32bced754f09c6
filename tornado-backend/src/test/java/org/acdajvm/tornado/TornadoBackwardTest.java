package org.acdajvm.tornado;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.backend.AcdaGradients;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.DeviceTests;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The TornadoVM backward on its device: every gradient against the oracle's backward with the tight
 * verdict (DESIGN section 7) on the edge cases of its gathers and reductions (strides, dilation,
 * circular padding wider than the image, batches, no bias, {@code g = 1}, sizes that divide no
 * work-group), a zero upstream gradient, that the kernels really ran on the TornadoVM device, that a
 * call's result does not depend on the previous one (same bits twice, a smaller shape after a larger),
 * and the backward's task graph kept across calls.
 */
class TornadoBackwardTest {

    @BeforeAll
    static void requireDevice() {
        DeviceTests.require("tornado");
    }

    private record Case(AcdaLayer layer, Tensor x, Tensor dy, String label) {
    }

    private static Case newCase(AcdaConfig cfg, int batch, int h, int w, long seed) {
        AcdaLayer layer = AcdaInit.randomized(cfg, seed);
        Tensor x = AcdaInit.input(cfg, batch, h, w, seed + 1);
        Tensor dy = Tensor.zeros(AcdaShapes.checkInput(cfg, x));
        AcdaInit.fill(dy, new SplittableRandom(seed + 2), -1, 1);
        return new Case(layer, x, dy, "N=" + batch + " " + h + "x" + w + " " + cfg.summary());
    }

    /** Asserts the oracle's keys in order and every gradient ACCEPTED by the tight verdict; returns the largest tight ratio. */
    private static double assertAccepted(Case c, Map<String, Tensor> grads) {
        AcdaOracleBackward.Gradients oracle = AcdaOracleBackward.backward(c.layer, c.x, c.dy);
        assertEquals(List.copyOf(oracle.byKey().keySet()), List.copyOf(grads.keySet()), c.label + ": gradient keys");
        assertEquals(AcdaGradients.keys(c.layer.config()), List.copyOf(grads.keySet()), c.label + ": gradient keys");
        double worst = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : oracle.byKey().entrySet()) {
            Tensor t = grads.get(e.getKey());
            assertArrayEquals(e.getValue().shape(), t.shape(), c.label + ": shape of " + e.getKey());
            ErrorReport r = ErrorReport.compare(e.getValue().reference(Precision.FP32), ErrorReport.widen(t), t.shape(),
                    ErrorReport.Tier.TIGHT);
            assertTrue(r.accepted(), c.label + ": gradient " + e.getKey() + ": " + r.describe());
            worst = Math.max(worst, r.maxRatio());
        }
        return worst;
    }

    private static Map<String, Tensor> backwardAccepted(TornadoBackend backend, AcdaConfig cfg, int batch, int h, int w,
                                                        long seed) {
        Case c = newCase(cfg, batch, h, w, seed);
        Tensor xCopy = c.x.copy();
        Tensor dyCopy = c.dy.copy();
        Map<String, Tensor> grads = backend.backward(c.layer, xCopy, dyCopy);
        assertEquals(c.x, xCopy, "the backward modified its input");
        assertEquals(c.dy, dyCopy, "the backward modified dy");
        double ratio = assertAccepted(c, grads);
        System.out.printf("tornado backward %-62s max tight ratio %.3g%n", c.label, ratio);
        return grads;
    }

    @Test
    void everyGradientIsAcceptedOnStridesDilationPaddingBatchesNoBiasAndG1() {
        try (TornadoBackend backend = new TornadoBackend()) {
            assertTrue(backend.backwardUnavailableReason().isEmpty(), () -> backend.backwardUnavailableReason().get());
            // 13x11 = 143 pixels: no work-group divides it.
            backwardAccepted(backend, AcdaConfig.builder(3, 5, 5).build(), 1, 13, 11, 1);
            backwardAccepted(backend, AcdaConfig.builder(2, 3, 3).build(), 1, 1, 1, 2);
            backwardAccepted(backend, AcdaConfig.builder(4, 6, 3).build(), 3, 9, 10, 3);
            backwardAccepted(backend, AcdaConfig.builder(3, 7, 5).stride(2).build(), 2, 10, 9, 4);
            backwardAccepted(backend, AcdaConfig.builder(2, 3, 7).stride(3).generatorKernel(1).build(), 2, 7, 8, 5);
            backwardAccepted(backend, AcdaConfig.builder(3, 4, 5).dilation(2).build(), 1, 12, 9, 6);
            backwardAccepted(backend, AcdaConfig.builder(3, 4, 3).bias(false).build(), 2, 8, 7, 7);
            backwardAccepted(backend, AcdaConfig.builder(2, 3, 3).padding(PaddingMode.CIRCULAR).build(), 1, 6, 5, 8);
            // Circular padding wider than the image: windows wrap more than once, so one x element is read
            // several times by one output pixel's window.
            backwardAccepted(backend, AcdaConfig.builder(2, 3, 7).dilation(2).padding(PaddingMode.CIRCULAR).build(), 1, 4, 5, 9);
            backwardAccepted(backend, AcdaConfig.builder(2, 2, 5).stride(2).padding(PaddingMode.CIRCULAR).atoms(2)
                    .basesPerScale(3).build(), 2, 9, 7, 10);
            backwardAccepted(backend, AcdaConfig.builder(3, 2, 3).padding(PaddingMode.CIRCULAR).generatorKernel(1)
                    .bias(false).build(), 2, 2, 3, 11);
        }
    }

    @Test
    void aZeroUpstreamGradientGivesZeroGradients() {
        AcdaConfig cfg = AcdaConfig.builder(3, 4, 5).stride(2).build();
        Case c = newCase(cfg, 2, 9, 8, 20);
        Tensor zero = Tensor.zeros(c.dy.shape());
        try (TornadoBackend backend = new TornadoBackend()) {
            // A first call with a non-zero dy leaves non-zero values in every device buffer.
            backend.backward(c.layer, c.x, c.dy);
            Map<String, Tensor> grads = backend.backward(c.layer, c.x, zero);
            assertEquals(AcdaGradients.keys(cfg), List.copyOf(grads.keySet()));
            grads.forEach((key, t) -> {
                float[] v = t.data();
                for (int i = 0; i < v.length; i++) {
                    int at = i;
                    assertTrue(v[i] == 0f, () -> "gradient " + key + " at " + AcdaShapes.index(t.shape(), at) + " is "
                            + v[at] + " for dy = 0");
                }
            });
        }
    }

    /** As for the forward: only kernels that ran on the device report device time to TornadoVM's profiler. */
    @Test
    void backwardKernelsRunOnTheTornadoDevice() {
        try (TornadoBackend backend = new TornadoBackend(null, true)) {
            backwardAccepted(backend, AcdaConfig.builder(3, 5, 5).build(), 2, 13, 11, 30);
            long kernelNanos = backend.lastBackwardKernelNanos();
            assertTrue(kernelNanos > 0, "TornadoVM's profiler reports no device kernel time for the backward ("
                    + kernelNanos + " ns): its kernels did not run on " + backend.deviceName());
            assertEquals("false", System.getProperty(TornadoDevices.BAILOUT_PROPERTY),
                    "the backend must forbid TornadoVM's silent fallback to sequential Java");
            System.out.printf("tornado backward kernels ran on %s: %.3f ms of device time%n", backend.deviceName(),
                    kernelNanos / 1e6);
        }
    }

    @Test
    void theTaskGraphIsKeptAndResultsDoNotDependOnThePreviousCall() {
        AcdaConfig cfg = AcdaConfig.builder(3, 4, 3).build();
        try (TornadoBackend backend = new TornadoBackend()) {
            Map<String, Tensor> first = backwardAccepted(backend, cfg, 1, 12, 12, 40);
            Case again = newCase(cfg, 1, 12, 12, 40);
            Map<String, Tensor> second = backend.backward(again.layer, again.x, again.dy);
            first.forEach((key, t) -> assertArrayEquals(t.data(), second.get(key).data(),
                    "gradient " + key + ": two backward calls on the same arguments differ"));
            assertEquals(1, backend.backwardPlansBuilt(), "a second call of the same shape must reuse the task graph");
            // Smaller: fits the buffers; what the larger calls left there must not leak into the result.
            backwardAccepted(backend, cfg, 1, 5, 7, 41);
            assertEquals(1, backend.backwardPlansBuilt(), "a smaller shape must reuse the task graph");
            backwardAccepted(backend, cfg, 2, 12, 12, 42);
            assertEquals(2, backend.backwardPlansBuilt(), "a larger shape needs larger buffers");
            // The forward keeps its own task graph beside the backward's.
            backend.forward(again.layer, again.x);
            assertEquals(1, backend.plansBuilt());
        }
    }

    @Test
    void badArgumentsAndAClosedBackendAreRefused() {
        AcdaConfig cfg = AcdaConfig.builder(2, 3, 3).build();
        Case c = newCase(cfg, 1, 6, 6, 50);
        TornadoBackend backend = new TornadoBackend();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> backend.backward(c.layer, c.x, Tensor.zeros(1, 3, 5, 6)));
        assertTrue(e.getMessage().contains("upstream gradient dy"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> backend.backward(c.layer, c.x, null));
        assertTrue(e.getMessage().contains("dy is null"), e.getMessage());
        backend.backward(c.layer, c.x, c.dy);
        backend.close();
        IllegalStateException closed = assertThrows(IllegalStateException.class, () -> backend.backward(c.layer, c.x, c.dy));
        assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
    }
}
