package org.acdajvm.layers.dfn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import org.acdajvm.backend.LayerOp;
import org.acdajvm.backend.VectorBackend;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The vector path of {@code dynamic-filter} gives the same bits on 1 and 3 threads (forward and both gradients),
 * over geometries around the lane count; the fast paths name a mis-shaped {@code dy}. (Agreement with the oracle is
 * the contract's and the mutation suite's.)
 */
class DfnPathsTest {

    @Test
    void theVectorPathDoesNotDependOnTheThreadCount() {
        List<DfnConfig> configs = List.of(new DfnConfig(5, 3, 1, 1, 1, PaddingMode.ZEROS, true),
                new DfnConfig(9, 5, 2, 2, 3, PaddingMode.CIRCULAR, true), new DfnConfig(4, 7, 1, 1, 3, PaddingMode.ZEROS, false),
                new DfnConfig(3, 1, 3, 1, 0, PaddingMode.CIRCULAR, true));
        int checked = 0;
        try (VectorBackend one = new VectorBackend(1); VectorBackend three = new VectorBackend(3)) {
            LayerOp<DfnLayer> a = one.op(DfnKind.INSTANCE).orElseThrow();
            LayerOp<DfnLayer> b = three.op(DfnKind.INSTANCE).orElseThrow();
            long seed = 3;
            for (DfnConfig c : configs) {
                DfnLayer layer = new DfnLayer(c);
                Inputs in = DfnKind.INSTANCE.randomInputs(layer, 2, 13, 37, seed++);
                Tensor ya = a.forward(layer, in);
                Tensor yb = b.forward(layer, in);
                assertArrayEquals(ya.data(), yb.data(), c.summary());
                Tensor dy = DfnKind.INSTANCE.randomInputs(new DfnLayer(new DfnConfig(c.inChannels(), 1, 1, 1, 0,
                        PaddingMode.ZEROS, false)), 2, ya.dim(2), ya.dim(3), seed++).x();
                Map<String, Tensor> ga = a.backward(layer, in, dy);
                Map<String, Tensor> gb = b.backward(layer, in, dy);
                assertEquals(List.of("x", DfnKind.FILTER), List.copyOf(ga.keySet()));
                for (String k : ga.keySet()) {
                    assertArrayEquals(ga.get(k).data(), gb.get(k).data(), c.summary() + " d" + k);
                }
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> a.backward(layer, in, Tensor.zeros(2, c.inChannels(), 1, 1)));
                assertTrue(e.getMessage().contains("dy"), e.getMessage());
                checked++;
            }
        }
        assertEquals(configs.size(), checked);
    }
}
