package org.acdajvm.oracle;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;

/**
 * A layer's parameters widened to double (exactly), for the oracle. Package-private: finite-difference
 * tests perturb these arrays in double, which the float32 {@link AcdaLayer} could not represent.
 * Layouts as in {@link AcdaLayer}; {@code bias} is zeros for a layer without one.
 */
final class Params {

    final AcdaConfig config;
    final Map<String, double[]> byKey;
    final double[] w1;
    final double[] b1;
    final double[] w2;
    final double[] b2;
    final double[] coef;
    final double[] bias;
    final double[] psi;

    private Params(AcdaConfig config, Map<String, double[]> byKey) {
        this.config = config;
        this.byKey = byKey;
        w1 = byKey.get(AcdaLayer.CONV1_WEIGHT);
        b1 = byKey.get(AcdaLayer.CONV1_BIAS);
        w2 = byKey.get(AcdaLayer.CONV2_WEIGHT);
        b2 = byKey.get(AcdaLayer.CONV2_BIAS);
        coef = byKey.get(AcdaLayer.COEF);
        bias = byKey.containsKey(AcdaLayer.BIAS) ? byKey.get(AcdaLayer.BIAS) : new double[config.outChannels()];
        psi = byKey.get(AcdaLayer.BASES);
    }

    static Params of(AcdaLayer layer) {
        Map<String, double[]> m = new LinkedHashMap<>();
        for (String key : AcdaLayer.expectedShapes(layer.config()).keySet()) {
            float[] f = layer.data(key);
            double[] d = new double[f.length];
            for (int i = 0; i < f.length; i++) {
                d[i] = f[i];
            }
            m.put(key, d);
        }
        return new Params(layer.config(), m);
    }

    /** Channel {@code i} of the first BatchNorm (read from the arrays, so perturbations show). */
    BatchNorm bn1(int i) {
        return BatchNorm.of(byKey, "bases_net.1.", i);
    }

    /** Channel {@code j} of the second BatchNorm. */
    BatchNorm bn2(int j) {
        return BatchNorm.of(byKey, "bases_net.4.", j);
    }

    /** A deep copy, for perturbing one element. */
    Params copy() {
        Map<String, double[]> m = new LinkedHashMap<>();
        byKey.forEach((k, v) -> m.put(k, v.clone()));
        return new Params(config, m);
    }
}
