package org.acdajvm.layer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.acdajvm.basis.FourierBessel;
import org.acdajvm.tensor.Tensor;

/**
 * An ACDA layer: hyper-parameters plus named float32 parameters, keyed and shaped as the reference
 * PyTorch layer's state dict (DESIGN section 5), so weights load unchanged.
 *
 * <pre>
 * key                                   shape            meaning
 * bases_net.0.weight / .bias            [I, C, g, g] [I] generator conv 1
 * bases_net.1.{weight,bias,running_mean,running_var}  [I]  BN 1 (evaluation mode, eps 1e-5)
 * bases_net.3.weight / .bias            [M*T, I, 3, 3] [M*T]  generator conv 2
 * bases_net.4.{weight,bias,running_mean,running_var}  [M*T] BN 2
 * coef                                  [O, C*M, 1, 1]   composition coefficients
 * bias                                  [O]              output bias (when the config has one)
 * bases                                 [T, K*K]         multi-scale Fourier-Bessel bases (a buffer)
 * </pre>
 *
 * <p>Instances are immutable: the constructor copies every tensor, and accessors return the
 * layer's own arrays, which callers must not modify.
 */
public final class AcdaLayer implements Layer {

    public static final String CONV1_WEIGHT = "bases_net.0.weight";
    public static final String CONV1_BIAS = "bases_net.0.bias";
    public static final String BN1_WEIGHT = "bases_net.1.weight";
    public static final String BN1_BIAS = "bases_net.1.bias";
    public static final String BN1_MEAN = "bases_net.1.running_mean";
    public static final String BN1_VAR = "bases_net.1.running_var";
    public static final String CONV2_WEIGHT = "bases_net.3.weight";
    public static final String CONV2_BIAS = "bases_net.3.bias";
    public static final String BN2_WEIGHT = "bases_net.4.weight";
    public static final String BN2_BIAS = "bases_net.4.bias";
    public static final String BN2_MEAN = "bases_net.4.running_mean";
    public static final String BN2_VAR = "bases_net.4.running_var";
    public static final String COEF = "coef";
    public static final String BIAS = "bias";
    public static final String BASES = "bases";
    /** Keys that a PyTorch state dict may carry and that are ignored (BatchNorm's step counters). */
    public static final List<String> IGNORED_KEYS = List.of("bases_net.1.num_batches_tracked", "bases_net.4.num_batches_tracked");
    /** BatchNorm epsilon of the reference layer's BatchNorm2d (evaluation mode uses the running statistics). */
    public static final double BN_EPS = 1e-5;
    /** Largest difference accepted between loaded and computed bases (DESIGN section 5). */
    public static final double BASES_TOLERANCE = 1e-5;

    private final AcdaConfig config;
    private final Map<String, Tensor> params;

    /**
     * A layer from a config and a complete set of parameters.
     *
     * @param params every key of {@link #expectedShapes(AcdaConfig)}; copied. {@code bases} may be
     *               omitted, in which case the computed bases are used
     * @throws IllegalArgumentException naming the key, for a missing, mis-shaped, unexpected or
     *                                  invalid (non-finite, negative variance, wrong bases) tensor
     */
    public AcdaLayer(AcdaConfig config, Map<String, Tensor> params) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(params, "params");
        Map<String, int[]> expected = expectedShapes(config);
        List<String> unexpected = new ArrayList<>();
        for (String key : params.keySet()) {
            if (!expected.containsKey(key) && !IGNORED_KEYS.contains(key)) {
                unexpected.add(key);
            }
        }
        if (!unexpected.isEmpty()) {
            throw new IllegalArgumentException("unexpected key(s) " + unexpected + " for an ACDA layer with "
                    + config.summary() + (params.containsKey(BIAS) && !config.bias()
                    ? " (a 'bias' tensor was given but the config has no bias)" : "")
                    + "; expected keys: " + expected.keySet());
        }
        Map<String, Tensor> copy = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> e : expected.entrySet()) {
            String key = e.getKey();
            Tensor t = params.get(key);
            if (t == null && key.equals(BASES)) {
                t = computedBases(config);
            }
            if (t == null) {
                throw new IllegalArgumentException("missing key '" + key + "': expected a tensor of shape "
                        + Arrays.toString(e.getValue()) + " (" + describe(key) + ")");
            }
            if (!t.hasShape(e.getValue())) {
                throw new IllegalArgumentException("key '" + key + "' has shape " + t.shapeString() + ", expected "
                        + Arrays.toString(e.getValue()) + " (" + describe(key) + ") for " + config.summary());
            }
            requireFinite(key, t);
            copy.put(key, t.copy());
        }
        for (String varKey : List.of(BN1_VAR, BN2_VAR)) {
            float[] v = copy.get(varKey).data();
            for (int i = 0; i < v.length; i++) {
                if (!(v[i] >= 0f)) {
                    throw new IllegalArgumentException("key '" + varKey + "' element " + i + " is " + v[i]
                            + ": a running variance must be >= 0");
                }
            }
        }
        checkBases(config, copy.get(BASES));
        this.config = config;
        this.params = Collections.unmodifiableMap(copy);
    }

    /** Expected keys and shapes for a config, in state-dict order. */
    public static Map<String, int[]> expectedShapes(AcdaConfig c) {
        int inter = c.interChannels();
        int gen = c.generatorChannels();
        int g = c.generatorKernel();
        Map<String, int[]> m = new LinkedHashMap<>();
        m.put(CONV1_WEIGHT, new int[] {inter, c.inChannels(), g, g});
        m.put(CONV1_BIAS, new int[] {inter});
        m.put(BN1_WEIGHT, new int[] {inter});
        m.put(BN1_BIAS, new int[] {inter});
        m.put(BN1_MEAN, new int[] {inter});
        m.put(BN1_VAR, new int[] {inter});
        m.put(CONV2_WEIGHT, new int[] {gen, inter, 3, 3});
        m.put(CONV2_BIAS, new int[] {gen});
        m.put(BN2_WEIGHT, new int[] {gen});
        m.put(BN2_BIAS, new int[] {gen});
        m.put(BN2_MEAN, new int[] {gen});
        m.put(BN2_VAR, new int[] {gen});
        m.put(COEF, new int[] {c.outChannels(), c.inChannels() * c.atoms(), 1, 1});
        if (c.bias()) {
            m.put(BIAS, new int[] {c.outChannels()});
        }
        m.put(BASES, new int[] {c.bases(), c.taps()});
        return m;
    }

    /** The multi-scale bases of a config, rounded to float32 like the reference layer's buffer. */
    public static Tensor computedBases(AcdaConfig c) {
        double[][] psi = FourierBessel.multiScale(c.kernelSize(), c.basesPerScale());
        float[] flat = new float[psi.length * c.taps()];
        for (int t = 0; t < psi.length; t++) {
            for (int u = 0; u < c.taps(); u++) {
                flat[t * c.taps() + u] = (float) psi[t][u];
            }
        }
        return Tensor.wrap(flat, psi.length, c.taps());
    }

    private static void checkBases(AcdaConfig config, Tensor given) {
        double[][] psi = FourierBessel.multiScale(config.kernelSize(), config.basesPerScale());
        float[] g = given.data();
        int taps = config.taps();
        for (int t = 0; t < psi.length; t++) {
            for (int u = 0; u < taps; u++) {
                double diff = Math.abs(g[t * taps + u] - psi[t][u]);
                if (diff > BASES_TOLERANCE) {
                    throw new IllegalArgumentException("tensor 'bases' differs from the computed Fourier-Bessel bases by "
                            + diff + " at [" + t + ", " + u + "] (given " + g[t * taps + u] + ", computed " + psi[t][u]
                            + "; tolerance " + BASES_TOLERANCE + "): another basis convention (K=" + config.kernelSize()
                            + ", B=" + config.basesPerScale() + ")?");
                }
            }
        }
    }

    private static void requireFinite(String key, Tensor t) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                throw new IllegalArgumentException("key '" + key + "' element " + i + " is " + d[i]
                        + ": parameters must be finite");
            }
        }
    }

    private static String describe(String key) {
        return switch (key) {
            case CONV1_WEIGHT -> "generator conv 1, [I, C, g, g]";
            case CONV1_BIAS -> "generator conv 1 bias, [I]";
            case BN1_WEIGHT, BN1_BIAS, BN1_MEAN, BN1_VAR -> "BatchNorm 1, [I]";
            case CONV2_WEIGHT -> "generator conv 2, [M*T, I, 3, 3]";
            case CONV2_BIAS -> "generator conv 2 bias, [M*T]";
            case BN2_WEIGHT, BN2_BIAS, BN2_MEAN, BN2_VAR -> "BatchNorm 2, [M*T]";
            case COEF -> "composition coefficients, [O, C*M, 1, 1]";
            case BIAS -> "output bias, [O]";
            case BASES -> "multi-scale bases, [T, K*K]";
            default -> "unknown";
        };
    }

    public AcdaConfig config() {
        return config;
    }

    /** The parameter named {@code key} (the layer's own tensor: do not modify). */
    public Tensor param(String key) {
        Tensor t = params.get(key);
        if (t == null) {
            throw new IllegalArgumentException("this layer has no parameter '" + key + "'; it has " + params.keySet());
        }
        return t;
    }

    /** The parameter's data (the layer's own array: do not modify). */
    public float[] data(String key) {
        return param(key).data();
    }

    /**
     * An evaluation-mode BatchNorm of the generator ({@code prefix} is {@code bases_net.1.} or
     * {@code bases_net.4.}) as the affine map {@code {scale, shift}} in float32:
     * {@code scale = gamma / sqrt(var + eps)}, {@code shift = beta - mean * scale}. The float32 paths
     * share these operations so that they apply the same map.
     */
    public float[][] batchNormScaleShift(String prefix) {
        float[] gamma = data(prefix + "weight");
        float[] beta = data(prefix + "bias");
        float[] mean = data(prefix + "running_mean");
        float[] var = data(prefix + "running_var");
        float[][] ss = new float[2][gamma.length];
        for (int i = 0; i < gamma.length; i++) {
            ss[0][i] = gamma[i] / (float) Math.sqrt(var[i] + (float) BN_EPS);
            ss[1][i] = beta[i] - mean[i] * ss[0][i];
        }
        return ss;
    }

    /** The output bias, or an array of zeros when the layer has none (a new array then). */
    public float[] biasOrZeros() {
        return config.bias() ? data(BIAS) : new float[config.outChannels()];
    }

    @Override
    public AcdaKind kind() {
        return AcdaKind.INSTANCE;
    }

    @Override
    public String summary() {
        return config.summary();
    }

    /** A copy of all parameters, in state-dict order (safe to modify). */
    @Override
    public Map<String, Tensor> stateDict() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        params.forEach((k, v) -> m.put(k, v.copy()));
        return m;
    }

    /** A new layer with one parameter replaced (shape-checked like the constructor). */
    public AcdaLayer with(String key, Tensor value) {
        Map<String, Tensor> m = new LinkedHashMap<>(params);
        m.put(key, value);
        return new AcdaLayer(config, m);
    }

    @Override
    public String toString() {
        return "AcdaLayer(" + config.summary() + ")";
    }
}
