package org.acdajvm.backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.tensor.Tensor;

/**
 * The keys, shapes and argument checks every float32 backward shares, so that all backends return
 * their gradients in the same map as {@link AcdaOracleBackward}: {@code "x"} first, then the
 * learned parameters in state-dict order (not {@code bases}, not BatchNorm's running statistics).
 */
public final class AcdaGradients {

    private AcdaGradients() {
    }

    /** The gradient keys of a layer with this config, in order: {@code "x"}, then the learned parameters. */
    public static List<String> keys(AcdaConfig cfg) {
        List<String> keys = new ArrayList<>();
        keys.add(AcdaOracleBackward.INPUT);
        for (String key : AcdaLayer.expectedShapes(cfg).keySet()) {
            if (learned(key)) {
                keys.add(key);
            }
        }
        return keys;
    }

    /** True for a parameter that gets a gradient: every one but {@code bases} and the running statistics. */
    public static boolean learned(String key) {
        return !key.equals(AcdaLayer.BASES) && !key.endsWith("running_mean") && !key.endsWith("running_var");
    }

    /**
     * Zero gradients for {@code x} of shape {@code xShape} and every learned parameter, in key order.
     *
     * @param xShape {@code [N, C, H, W]}
     */
    public static Map<String, Tensor> zeros(AcdaConfig cfg, int[] xShape) {
        Map<String, Tensor> g = new LinkedHashMap<>();
        g.put(AcdaOracleBackward.INPUT, Tensor.zeros(xShape));
        AcdaLayer.expectedShapes(cfg).forEach((key, shape) -> {
            if (learned(key)) {
                g.put(key, Tensor.zeros(shape));
            }
        });
        return g;
    }

    /**
     * Checks {@code x} against the layer and {@code dy} against the output shape, with the errors
     * the oracle's backward gives.
     *
     * @return the output shape {@code [N, O, H', W']}
     */
    public static int[] checkArguments(AcdaLayer layer, Tensor x, Tensor dy) {
        int[] outShape = AcdaShapes.checkInput(layer.config(), x);
        if (dy == null) {
            throw new IllegalArgumentException("upstream gradient dy is null: expected a tensor of shape "
                    + Arrays.toString(outShape));
        }
        dy.requireShape("upstream gradient dy", outShape);
        float[] d = dy.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new IllegalArgumentException("upstream gradient dy has a non-finite value at "
                        + AcdaShapes.index(outShape, i));
            }
        }
        return outShape;
    }
}
