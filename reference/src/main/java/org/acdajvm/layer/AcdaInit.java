package org.acdajvm.layer;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.tensor.Tensor;

/**
 * Seeded random ACDA layers. The same seed gives the same layer on every machine.
 *
 * <p>{@link #reference} draws from the reference PyTorch layer's default distributions:
 * convolutions as {@code nn.Conv2d} ({@code kaiming_uniform_(a = sqrt(5))}, that is weight and bias
 * uniform in {@code +-1/sqrt(fan_in)}), BatchNorm at its initial state (weight 1, bias 0, mean 0,
 * variance 1), {@code coef} from {@code kaiming_normal_(mode='fan_out', nonlinearity='relu')}
 * (normal, standard deviation {@code sqrt(2/O)}), output bias zero.
 *
 * <p>{@link #randomized} starts from the same draws and then also randomises every BatchNorm
 * parameter and statistic and the output bias, so that every parameter takes part in a test
 * (BatchNorm at its initial state is the identity and would hide index errors).
 */
public final class AcdaInit {

    private AcdaInit() {
    }

    /** A layer with the reference PyTorch layer's default initialisation. */
    public static AcdaLayer reference(AcdaConfig c, long seed) {
        return new AcdaLayer(c, referenceParams(c, new SplittableRandom(seed)));
    }

    /** A layer with every parameter random, BatchNorm statistics and output bias included. */
    public static AcdaLayer randomized(AcdaConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> p = referenceParams(c, rng);
        for (String prefix : new String[] {"bases_net.1.", "bases_net.4."}) {
            fill(p.get(prefix + "weight"), rng, 0.5, 1.5);
            fill(p.get(prefix + "bias"), rng, -0.5, 0.5);
            fill(p.get(prefix + "running_mean"), rng, -0.5, 0.5);
            fill(p.get(prefix + "running_var"), rng, 0.25, 2.0);
        }
        if (c.bias()) {
            fill(p.get(AcdaLayer.BIAS), rng, -1.0, 1.0);
        }
        return new AcdaLayer(c, p);
    }

    /** A random input {@code [N, C, H, W]} uniform in {@code [-1, 1)}. */
    public static Tensor input(AcdaConfig c, int n, int h, int w, long seed) {
        Tensor x = Tensor.zeros(n, c.inChannels(), h, w);
        fill(x, new SplittableRandom(seed), -1.0, 1.0);
        return x;
    }

    private static Map<String, Tensor> referenceParams(AcdaConfig c, SplittableRandom rng) {
        Map<String, Tensor> p = new LinkedHashMap<>();
        AcdaLayer.expectedShapes(c).forEach((k, shape) -> p.put(k, Tensor.zeros(shape)));
        double bound1 = 1.0 / Math.sqrt((double) c.inChannels() * c.generatorKernel() * c.generatorKernel());
        fill(p.get(AcdaLayer.CONV1_WEIGHT), rng, -bound1, bound1);
        fill(p.get(AcdaLayer.CONV1_BIAS), rng, -bound1, bound1);
        double bound2 = 1.0 / Math.sqrt(9.0 * c.interChannels());
        fill(p.get(AcdaLayer.CONV2_WEIGHT), rng, -bound2, bound2);
        fill(p.get(AcdaLayer.CONV2_BIAS), rng, -bound2, bound2);
        for (String key : new String[] {AcdaLayer.BN1_WEIGHT, AcdaLayer.BN1_VAR, AcdaLayer.BN2_WEIGHT, AcdaLayer.BN2_VAR}) {
            java.util.Arrays.fill(p.get(key).data(), 1f);
        }
        double std = Math.sqrt(2.0 / c.outChannels());
        float[] coef = p.get(AcdaLayer.COEF).data();
        for (int i = 0; i < coef.length; i++) {
            coef[i] = (float) (std * rng.nextGaussian());
        }
        p.put(AcdaLayer.BASES, AcdaLayer.computedBases(c));
        return p;
    }

    /** Fills a tensor with independent uniform draws in {@code [lo, hi)}. */
    public static void fill(Tensor t, SplittableRandom rng, double lo, double hi) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (lo + (hi - lo) * rng.nextDouble());
        }
    }
}
