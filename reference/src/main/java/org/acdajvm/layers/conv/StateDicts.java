package org.acdajvm.layers.conv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.tensor.Tensor;

/** State-dict checks and initialisation shared by the family's simple layers (plain conv, PAC). */
public final class StateDicts {

    private StateDicts() {
    }

    /**
     * A checked, copied, unmodifiable state dict: exactly the keys of {@code expected}, each of its shape,
     * every element finite.
     *
     * @param layer    the layer's name and summary, for messages
     * @param expected keys and shapes in state-dict order
     * @throws IllegalArgumentException naming the missing, unknown or mis-shaped key, or the non-finite element
     */
    public static Map<String, Tensor> checked(String layer, Map<String, int[]> expected, Map<String, Tensor> given) {
        if (given == null) {
            throw new IllegalArgumentException("the state dict of " + layer + " is null: expected keys " + keys(expected));
        }
        List<String> unknown = new ArrayList<>();
        for (String k : given.keySet()) {
            if (!expected.containsKey(k)) {
                unknown.add(k);
            }
        }
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("unexpected key(s) " + unknown + " for " + layer + "; expected keys: "
                    + keys(expected));
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            Tensor t = given.get(e.getKey());
            if (t == null) {
                throw new IllegalArgumentException("missing key '" + e.getKey() + "' for " + layer
                        + ": expected a tensor of shape " + Arrays.toString(e.getValue()));
            }
            if (!t.hasShape(e.getValue())) {
                throw new IllegalArgumentException("key '" + e.getKey() + "' has shape " + t.shapeString() + ", expected "
                        + Arrays.toString(e.getValue()) + " for " + layer);
            }
            float[] d = t.data();
            for (int i = 0; i < d.length; i++) {
                if (!Float.isFinite(d[i])) {
                    throw new IllegalArgumentException("key '" + e.getKey() + "' element " + i + " is " + d[i]
                            + ": parameters must be finite");
                }
            }
            out.put(e.getKey(), t.copy());
        }
        return Collections.unmodifiableMap(out);
    }

    /** A deep copy (safe to modify). */
    public static Map<String, Tensor> copy(Map<String, Tensor> params) {
        Map<String, Tensor> m = new LinkedHashMap<>();
        params.forEach((k, v) -> m.put(k, v.copy()));
        return m;
    }

    /** Fills {@code t} with independent uniform draws in {@code [lo, hi)}. */
    public static void uniform(Tensor t, SplittableRandom rng, double lo, double hi) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
    }

    /**
     * Checks that a named input has rank 4, the given shape, and finite values.
     *
     * @throws IllegalArgumentException naming the input, the expected and the found shape, or the non-finite element
     */
    public static void requireInput(String name, Tensor t, int[] expected, String layout) {
        if (t == null) {
            throw new IllegalArgumentException("input '" + name + "' is missing: expected " + layout + " = "
                    + Arrays.toString(expected));
        }
        if (!t.hasShape(expected)) {
            throw new IllegalArgumentException("input '" + name + "' has shape " + t.shapeString() + ": expected "
                    + layout + " = " + Arrays.toString(expected));
        }
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new IllegalArgumentException("input '" + name + "' has a non-finite value " + d[i] + " at flat index "
                        + i + ": the oracle's error bounds need finite inputs");
            }
        }
    }

    /** Checks that {@code x} is {@code [N, channels, H, W]} with {@code N, H, W >= 1} and finite values. */
    public static void requireImage(String name, Tensor t, int channels) {
        if (t == null) {
            throw new IllegalArgumentException("input '" + name + "' is missing: expected [N, " + channels + ", H, W]");
        }
        t.requireRank("input " + name, 4, "NCHW: [N, C, H, W]");
        if (t.dim(1) != channels || t.dim(0) < 1 || t.dim(2) < 1 || t.dim(3) < 1) {
            throw new IllegalArgumentException("input '" + name + "' has shape " + t.shapeString() + ": expected [N, "
                    + channels + ", H, W] with N, H, W >= 1");
        }
        requireInput(name, t, t.shape(), "[N, " + channels + ", H, W]");
    }

    private static String keys(Map<String, int[]> expected) {
        List<String> s = new ArrayList<>();
        expected.forEach((k, v) -> s.add(k + " " + Arrays.toString(v)));
        return s.toString();
    }
}
