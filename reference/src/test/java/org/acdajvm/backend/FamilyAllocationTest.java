package org.acdajvm.backend;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.ConvConfig;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The vector backend's plain conv and PAC ops keep their workspaces between calls: once warm, a call
 * allocates its result tensors and only a little more (index tables, task objects), whatever the size of its
 * padded inputs, tiles and kernels. Measured on the calling thread with one worker thread.
 */
class FamilyAllocationTest {

    private static final long SLACK = 256 * 1024;

    @SuppressWarnings("unchecked")
    private static LayerKind<Layer> erase(LayerKind<?> k) {
        return (LayerKind<Layer>) k;
    }

    private static long allocated() {
        return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
    }

    private static long bytes(Tensor t) {
        return 4L * t.size();
    }

    private static void check(LayerOp<Layer> op, Layer layer, Inputs in, Tensor dy, String what) {
        // Enough calls for C2 to compile the loops (the interpreter and C1 box every vector on the heap), then the
        // least of several calls: a recompilation in between (other tests' profiles) is not the steady state.
        for (int i = 0; i < 100; i++) {
            op.forward(layer, in);
            op.backward(layer, in, dy);
        }
        long forward = Long.MAX_VALUE;
        long backward = Long.MAX_VALUE;
        long out = 0;
        long grads = 0;
        for (int i = 0; i < 20; i++) {
            long a0 = allocated();
            Tensor y = op.forward(layer, in);
            long a1 = allocated();
            Map<String, Tensor> g = op.backward(layer, in, dy);
            long a2 = allocated();
            out = bytes(y);
            grads = g.values().stream().mapToLong(FamilyAllocationTest::bytes).sum();
            forward = Math.min(forward, a1 - a0 - out);
            backward = Math.min(backward, a2 - a1 - grads);
        }
        System.out.printf("%s: forward allocates %d bytes beyond its output, backward %d beyond its gradients%n", what,
                forward, backward);
        assertTrue(forward <= SLACK, what + " forward allocated " + forward + " bytes beyond its " + out + "-byte output");
        assertTrue(backward <= SLACK, what + " backward allocated " + backward + " bytes beyond " + grads + " bytes of gradients");
    }

    @Test
    void warmCallsAllocateLittleBeyondTheirResults() {
        try (VectorBackend vector = new VectorBackend(1)) {
            assertTrue(vector.vectorized());
            for (PacConfig.KernelType type : PacConfig.KernelType.values()) {
                PacLayer pac = PacKind.random(new PacConfig(PacConfig.Variant.CONV, 32, 32, 5, 1, 1, 2, PaddingMode.ZEROS, 0,
                        type, false, true, 3, true), 1);
                Inputs in = PacKind.CONV.randomInputs(pac, 2, 40, 40, 2);
                Tensor dy = Tensor.zeros(PacKind.CONV.checkInputs(pac, in));
                check(vector.op(erase(PacKind.CONV)).orElseThrow(), pac, in, dy, "pac-conv " + type);
            }
            var conv = ConvKind.random(new ConvConfig(32, 32, 5, 1, 1, 2, PaddingMode.CIRCULAR, true), 3);
            Inputs cin = ConvKind.INSTANCE.randomInputs(conv, 2, 40, 40, 4);
            check(vector.op(erase(ConvKind.INSTANCE)).orElseThrow(), conv, cin,
                    Tensor.zeros(ConvKind.INSTANCE.checkInputs(conv, cin)), "conv");
            PacLayer pool = PacKind.random(new PacConfig(PacConfig.Variant.POOL, 32, 32, 5, 2, 1, 2, PaddingMode.ZEROS, 0,
                    PacConfig.KernelType.GAUSSIAN, false, true, 3, false), 5);
            Inputs pin = PacKind.POOL.randomInputs(pool, 2, 40, 40, 6);
            check(vector.op(erase(PacKind.POOL)).orElseThrow(), pool, pin, Tensor.zeros(PacKind.POOL.checkInputs(pool, pin)),
                    "pac-pool");
        }
    }
}
