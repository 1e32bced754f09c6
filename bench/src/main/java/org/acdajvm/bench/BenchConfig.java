package org.acdajvm.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;

/**
 * The named layer shapes the benchmarks run (DESIGN section 9): {@code table6-k3/5/7} (N=1,
 * C=O=256, 100x100, the paper's efficiency table), {@code resnet-k3/5/7} (N=8, C=O=64, 56x56),
 * {@code small} (N=2, C=O=16, 32x32, K=3), and the growth series {@code hw-*} (H=W from 16 to 256,
 * C=O=32, K=5), {@code c-*} (C=O from 16 to 512, 32x32, K=5) and {@code k-*} (K from 3 to 11,
 * C=O=64, 56x56). B = M = 6, g = 3, stride 1, zero padding, with bias.
 */
public record BenchConfig(String name, int batch, int channels, int height, int width, int kernelSize) {

    private static final Map<String, BenchConfig> ALL = new LinkedHashMap<>();

    static {
        add(new BenchConfig("small", 2, 16, 32, 32, 3));
        for (int k : new int[] {3, 5, 7}) {
            add(new BenchConfig("resnet-k" + k, 8, 64, 56, 56, k));
        }
        for (int k : new int[] {3, 5, 7}) {
            add(new BenchConfig("table6-k" + k, 1, 256, 100, 100, k));
        }
        for (int s : new int[] {16, 32, 64, 128, 256}) {
            add(new BenchConfig("hw-" + s, 1, 32, s, s, 5));
        }
        for (int c : new int[] {16, 32, 64, 128, 256, 512}) {
            add(new BenchConfig("c-" + c, 1, c, 32, 32, 5));
        }
        for (int k : new int[] {3, 5, 7, 9, 11}) {
            add(new BenchConfig("k-" + k, 1, 64, 56, 56, k));
        }
    }

    private static void add(BenchConfig c) {
        ALL.put(c.name(), c);
    }

    /** The configuration called {@code name}. */
    public static BenchConfig of(String name) {
        BenchConfig c = ALL.get(name);
        if (c == null) {
            throw new IllegalArgumentException("benchmark config '" + name + "' is unknown: expected one of " + ALL.keySet());
        }
        return c;
    }

    /** Names starting with {@code prefix}, in definition order. */
    public static List<String> names(String prefix) {
        List<String> r = new ArrayList<>();
        for (String n : ALL.keySet()) {
            if (n.startsWith(prefix)) {
                r.add(n);
            }
        }
        return r;
    }

    /** The standard configurations: small, resnet-*, table6-*. */
    public static List<String> standard() {
        List<String> r = new ArrayList<>(names("small"));
        r.addAll(names("resnet-"));
        r.addAll(names("table6-"));
        return r;
    }

    public AcdaConfig layer() {
        return AcdaConfig.builder(channels, channels, kernelSize).build();
    }

    public CostModel cost() {
        AcdaConfig c = layer();
        return new CostModel(c, batch, c.outSize(height), c.outSize(width));
    }

    /** Short description: {@code N=1 C=O=256 100x100 K=7}. */
    public String shape() {
        return "N=" + batch + " C=O=" + channels + " " + height + "x" + width + " K=" + kernelSize;
    }
}
