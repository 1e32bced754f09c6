package org.acdajvm.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Collections;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.node.ObjectNode;

import org.acdajvm.io.AtomicFiles;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * One fuzz case: a value for every {@link FuzzParam}, the seed of its random weights and input,
 * and the elements the shrinker set to zero (by tensor: {@code x} or a state-dict key). The same
 * case always writes the same folder, byte for byte.
 */
final class FuzzCase {

    /** Name of the input in {@link #zeros()}. */
    static final String INPUT = "x";
    static final String WEIGHTS = "weights";
    static final String OUTPUT = "y.npy";
    static final String UPSTREAM = "dy.npy";
    static final String GRADIENTS = "grads";

    private final int[] values;
    private final long seed;
    private final Map<String, BitSet> zeros;

    FuzzCase(int[] values, long seed, Map<String, BitSet> zeros) {
        if (values.length != FuzzParam.values().length) {
            throw new IllegalArgumentException("expected " + FuzzParam.values().length + " values");
        }
        this.values = values.clone();
        this.seed = seed;
        TreeMap<String, BitSet> z = new TreeMap<>();
        zeros.forEach((k, v) -> z.put(k, (BitSet) v.clone()));
        this.zeros = Collections.unmodifiableMap(z);
    }

    int get(FuzzParam p) {
        return values[p.ordinal()];
    }

    long seed() {
        return seed;
    }

    /** The elements set to zero, by tensor (copies). */
    Map<String, BitSet> zeros() {
        TreeMap<String, BitSet> z = new TreeMap<>();
        zeros.forEach((k, v) -> z.put(k, (BitSet) v.clone()));
        return z;
    }

    /** This case with one parameter changed and nothing zeroed (shapes change; values are shrunk last). */
    FuzzCase with(FuzzParam p, int value) {
        int[] v = values.clone();
        v[p.ordinal()] = value;
        return new FuzzCase(v, seed, Map.of());
    }

    /** This case with the elements {@code zeroed} of tensor {@code key} set to zero (added to those already). */
    FuzzCase withZeros(String key, BitSet zeroed) {
        Map<String, BitSet> z = zeros();
        BitSet b = z.computeIfAbsent(key, k -> new BitSet());
        b.or(zeroed);
        return new FuzzCase(values, seed, z);
    }

    AcdaConfig config() {
        return new AcdaConfig(get(FuzzParam.IN_CHANNELS), get(FuzzParam.OUT_CHANNELS), get(FuzzParam.KERNEL_SIZE),
                get(FuzzParam.STRIDE), get(FuzzParam.DILATION), PaddingMode.values()[get(FuzzParam.PADDING)],
                get(FuzzParam.BASES_PER_SCALE), get(FuzzParam.ATOMS), get(FuzzParam.GENERATOR_KERNEL),
                get(FuzzParam.BIAS) == 1);
    }

    /** The input shape {@code [N, C, H, W]}. */
    int[] inputShape() {
        return new int[] {get(FuzzParam.BATCH), get(FuzzParam.IN_CHANNELS), get(FuzzParam.HEIGHT), get(FuzzParam.WIDTH)};
    }

    /** One line: {@code N=1 C=9 O=1 H=1 W=1 K=3 M=1 B=1 s=1 d=1 g=1 zeros no-bias unit}, and what is zeroed. */
    String describe() {
        StringBuilder sb = new StringBuilder(describeShape());
        if (!zeros.isEmpty()) {
            sb.append(", zeroed:");
            zeros.forEach((k, b) -> sb.append(' ').append(k).append(b.cardinality() == size(k) ? " (all)"
                    : " (" + b.cardinality() + " of " + size(k) + ")"));
        }
        return sb.toString();
    }

    /** The hyper-parameters only: {@code N=1 C=9 O=1 H=1 W=1 K=3 M=1 B=1 s=1 d=1 g=1 zeros no-bias unit}. */
    String describeShape() {
        StringBuilder sb = new StringBuilder();
        for (FuzzParam p : FuzzParam.values()) {
            if (!sb.isEmpty()) {
                sb.append(' ');
            }
            switch (p) {
                case PADDING, MAGNITUDE -> sb.append(p.format(get(p)));
                case BIAS -> sb.append(get(p) == 1 ? "bias" : "no-bias");
                default -> sb.append(p.symbol).append('=').append(get(p));
            }
        }
        return sb.toString();
    }

    /** A key that tells cases apart (for the shrinker's memo). */
    String identity() {
        return describe() + " seed=" + seed + " " + zeros;
    }

    /** The hyper-parameters, seed and zeroed counts, into a JSON object. */
    void toJson(ObjectNode o) {
        for (FuzzParam p : FuzzParam.values()) {
            if (p == FuzzParam.BIAS) {
                o.put(p.key, get(p) == 1);
            } else if (p.isChoice()) {
                o.put(p.key, p.format(get(p)));
            } else {
                o.put(p.key, get(p));
            }
        }
        o.put("seed", seed);
        if (!zeros.isEmpty()) {
            ObjectNode z = o.putObject("zeroed");
            zeros.forEach((k, b) -> z.put(k, b.cardinality() + " of " + size(k)));
        }
    }

    /** Number of elements of tensor {@code key}. */
    int size(String key) {
        if (key.equals(INPUT)) {
            int[] s = inputShape();
            return s[0] * s[1] * s[2] * s[3];
        }
        int n = 1;
        for (int d : AcdaLayer.expectedShapes(config()).get(key)) {
            n *= d;
        }
        return n;
    }

    /** The case's layer: {@link AcdaInit#randomized} from the seed, with the zeroed elements applied. */
    AcdaLayer layer() {
        AcdaLayer l = AcdaInit.randomized(config(), seed);
        for (Map.Entry<String, BitSet> e : zeros.entrySet()) {
            if (!e.getKey().equals(INPUT)) {
                Tensor t = l.param(e.getKey()).copy();
                zero(t, e.getValue());
                l = l.with(e.getKey(), t);
            }
        }
        return l;
    }

    /** The case's input: uniform in [-1, 1) from the seed, scaled by the magnitude, zeroed elements applied. */
    Tensor input() {
        int[] s = inputShape();
        AcdaConfig cfg = config();
        Tensor x = AcdaInit.input(cfg, s[0], s[2], s[3], seed + 1);
        float[] d = x.data();
        SplittableRandom rng = new SplittableRandom(seed + 3);
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (FuzzParam.MAGNITUDE.format(get(FuzzParam.MAGNITUDE))) {
                case "small" -> d[i] * 0x1p-12f;
                case "large" -> d[i] * 0x1p12f;
                case "mixed" -> Math.scalb(d[i], rng.nextInt(-12, 13));
                default -> d[i];
            };
        }
        BitSet z = zeros.get(INPUT);
        if (z != null) {
            zero(x, z);
        }
        return x;
    }

    /**
     * Writes the case folder {@code dir} (which must not exist): {@code case.json}, the weights as a
     * folder of {@code <key>.npy}, {@code x.npy}, and with gradients a random {@code dy.npy} and an
     * empty {@code grads/} folder. {@code case.json} names {@code y.npy} as the output, and
     * {@code grads/} as the gradients folder: the files the command under test writes.
     */
    void write(Path dir, boolean withGrads) throws IOException {
        AcdaConfig cfg = config();
        AcdaLayer l = layer();
        Tensor x = input();
        // The folder appears whole (written under a temporary name, then renamed), but its files are
        // not forced to disk one by one as AtomicFiles.write does: these are scratch cases, thousands
        // per run, and the forcing took more time than the oracle (about 170 ms a case).
        AtomicFiles.writeFolder(dir, tmp -> {
            Files.createDirectories(tmp.resolve(WEIGHTS));
            for (Map.Entry<String, Tensor> e : l.stateDict().entrySet()) {
                writeNpy(tmp.resolve(WEIGHTS).resolve(e.getKey() + ".npy"), e.getValue());
            }
            writeNpy(tmp.resolve("x.npy"), x);
            if (withGrads) {
                int[] s = inputShape();
                Tensor dy = Tensor.zeros(s[0], cfg.outChannels(), cfg.outSize(s[2]), cfg.outSize(s[3]));
                AcdaInit.fill(dy, new SplittableRandom(seed + 2), -1, 1);
                writeNpy(tmp.resolve(UPSTREAM), dy);
                Files.createDirectories(tmp.resolve(GRADIENTS));
            }
            String json = withGrads ? CaseFolder.toJson(cfg, WEIGHTS, "x.npy", OUTPUT, UPSTREAM, GRADIENTS)
                    : CaseFolder.toJson(cfg, WEIGHTS, "x.npy", OUTPUT);
            Files.writeString(tmp.resolve(CaseFolder.CASE_FILE), json, StandardCharsets.UTF_8);
        });
    }

    private static void writeNpy(Path file, Tensor t) throws IOException {
        try (OutputStream o = Files.newOutputStream(file)) {
            Npy.write(o, t);
        }
    }

    private static void zero(Tensor t, BitSet b) {
        float[] d = t.data();
        for (int i = b.nextSetBit(0); i >= 0 && i < d.length; i = b.nextSetBit(i + 1)) {
            d[i] = 0f;
        }
    }
}
