package org.acdajvm.layer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.tensor.Tensor;

/**
 * Builds an {@link AcdaLayer} from a state dict, inferring the hyper-parameters that the tensors'
 * shapes fix ({@code C, O, K, B, M, g}, bias) and taking the others (stride, dilation, padding)
 * from the caller. Values the caller states explicitly are checked against the inferred ones.
 */
public final class AcdaStateDict {

    private AcdaStateDict() {
    }

    /**
     * What the shapes do not say, and optional explicit values to check the inference against
     * ({@code 0} means "not given").
     */
    public record Hints(int stride, int dilation, PaddingMode padding, int kernelSize, int basesPerScale, int atoms,
                        int inChannels, int outChannels) {
        /** Stride 1, dilation 1, zero padding, nothing else stated. */
        public static Hints defaults() {
            return new Hints(1, 1, PaddingMode.ZEROS, 0, 0, 0, 0, 0);
        }
    }

    /**
     * The layer described by {@code stateDict}.
     *
     * @throws IllegalArgumentException naming the key or the hyper-parameter when the tensors are
     *                                  missing, inconsistent with each other, or with a stated value
     */
    public static AcdaLayer load(Map<String, Tensor> stateDict, Hints hints) {
        return new AcdaLayer(inferConfig(stateDict, hints), stateDict);
    }

    /** The config that {@code stateDict}'s shapes imply, checked against {@code hints}. */
    public static AcdaConfig inferConfig(Map<String, Tensor> stateDict, Hints hints) {
        Tensor w1 = require(stateDict, AcdaLayer.CONV1_WEIGHT, 4, "[I, C, g, g]");
        Tensor w2 = require(stateDict, AcdaLayer.CONV2_WEIGHT, 4, "[M*T, I, 3, 3]");
        Tensor coef = require(stateDict, AcdaLayer.COEF, 4, "[O, C*M, 1, 1]");
        int inC = w1.dim(1);
        int g = w1.dim(2);
        if (w1.dim(3) != g) {
            throw new IllegalArgumentException("key '" + AcdaLayer.CONV1_WEIGHT + "' has shape " + w1.shapeString()
                    + ": its last two extents (the generator kernel g x g) must be equal");
        }
        int outC = coef.dim(0);
        if (inC < 1 || coef.dim(1) % inC != 0 || coef.dim(1) == 0) {
            throw new IllegalArgumentException("key 'coef' has shape " + coef.shapeString() + ": axis 1 must be C*M, a "
                    + "positive multiple of C = " + inC + " (from '" + AcdaLayer.CONV1_WEIGHT + "')");
        }
        int atoms = coef.dim(1) / inC;
        int gen = w2.dim(0);
        if (gen % atoms != 0) {
            throw new IllegalArgumentException("key '" + AcdaLayer.CONV2_WEIGHT + "' has " + gen
                    + " output channels: expected M*T, a multiple of M = " + atoms + " (from 'coef')");
        }
        int bases = gen / atoms;
        int k;
        Tensor b = stateDict.get(AcdaLayer.BASES);
        if (b != null) {
            b.requireRank("key 'bases'", 2, "[T, K*K]");
            k = (int) Math.round(Math.sqrt(b.dim(1)));
            if (k * k != b.dim(1)) {
                throw new IllegalArgumentException("key 'bases' has shape " + b.shapeString()
                        + ": axis 1 must be K*K for an odd kernel size K");
            }
            if (hints.kernelSize() != 0 && hints.kernelSize() != k) {
                throw new IllegalArgumentException("kernel size K = " + hints.kernelSize() + " was given but key 'bases' "
                        + b.shapeString() + " implies K = " + k);
            }
        } else if (hints.kernelSize() != 0) {
            k = hints.kernelSize();
        } else {
            throw new IllegalArgumentException("the weights have no 'bases' tensor, so the kernel size K must be given");
        }
        if (k < 3 || k % 2 == 0) {
            throw new IllegalArgumentException("kernel size K = " + k + " is not allowed: expected an odd integer >= 3");
        }
        int scales = (k - 1) / 2;
        if (bases % scales != 0) {
            throw new IllegalArgumentException("key '" + AcdaLayer.CONV2_WEIGHT + "' implies T = " + bases
                    + " bases, which is not B * (K-1)/2 for K = " + k);
        }
        int perScale = bases / scales;
        checkStated("bases per scale B", hints.basesPerScale(), perScale);
        checkStated("atoms M", hints.atoms(), atoms);
        checkStated("in_channels C", hints.inChannels(), inC);
        checkStated("out_channels O", hints.outChannels(), outC);
        return new AcdaConfig(inC, outC, k, hints.stride(), hints.dilation(), hints.padding(), perScale, atoms, g,
                stateDict.containsKey(AcdaLayer.BIAS));
    }

    /** Removes a prefix ({@code "layer1.conv."}) from every key that has it, dropping the others. */
    public static Map<String, Tensor> stripPrefix(Map<String, Tensor> stateDict, String prefix) {
        if (prefix == null || prefix.isEmpty()) {
            return stateDict;
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        stateDict.forEach((key, t) -> {
            if (key.startsWith(prefix)) {
                out.put(key.substring(prefix.length()), t);
            }
        });
        if (out.isEmpty()) {
            throw new IllegalArgumentException("prefix '" + prefix + "' matches no key; keys start with "
                    + stateDict.keySet().stream().limit(5).toList());
        }
        return out;
    }

    private static Tensor require(Map<String, Tensor> sd, String key, int rank, String layout) {
        Tensor t = sd.get(key);
        if (t == null) {
            throw new IllegalArgumentException("missing key '" + key + "' (expected shape " + layout + "); the weights have "
                    + Arrays.toString(sd.keySet().toArray()));
        }
        return t.requireRank("key '" + key + "'", rank, layout);
    }

    private static void checkStated(String name, int stated, int inferred) {
        if (stated != 0 && stated != inferred) {
            throw new IllegalArgumentException(name + " = " + stated + " was given but the weights imply " + inferred);
        }
    }
}
