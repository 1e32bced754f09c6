package org.acdajvm.layers.pac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * PAC's oracle backward against central finite differences of its forward, in double, for {@code L = sum dy y}.
 *
 * <p>Tolerance. With Richardson extrapolation of the central differences at {@code h} and {@code h/2},
 * {@code (4 D(h/2) - D(h)) / 3}, the truncation error is {@code O(h^4 f^(5))}: the kernel is a composition of
 * exp (or pow) with a quadratic in the guidance, whose derivatives grow like {@code |f|^k} times the kernel;
 * with guidance in {@code [-1, 1]} (or scaled by 3 in the underflow case, where the kernels are then tiny) and
 * {@code h = 1e-3}, {@code h^4 = 1e-12} times derivatives below {@code 1e3}: below {@code 1e-9}. The rounding of
 * the loss, each evaluation within about {@code u_double S_L} ({@code u_double = 2^-53}, {@code S_L < 1e3}),
 * divided by {@code h}: below {@code 1e-10}. The test allows {@code 1e-6 (1 + |g|)} absolute: a wrong term,
 * a wrong sign or a missed path is O(|g|). The near-zero kernel sum case uses {@code h = 1e-6}, since the
 * function changes on the scale of that sum ({@code 1e-2}); its truncation {@code h^4 / Sigma^5} stays below
 * {@code 1e-14}, its rounding {@code u_double S_L / (h Sigma^2)} below {@code 1e-6} relative, and it is judged
 * with {@code 1e-5} relative.
 */
class PacOracleBackwardTest {

    /** The parameter or input one finite difference perturbs. */
    private record Target(String key, int index) {
    }

    private static double lossOf(PacOracle.Parts p, double[] dy) {
        double[] y = PacOracle.forward(p).y();
        double l = 0;
        for (int i = 0; i < y.length; i++) {
            l += dy[i] * y[i];
        }
        return l;
    }

    private static PacOracle.Parts perturbed(PacOracle.Parts p, Target t, double delta) {
        double[] w = p.weight() == null ? null : p.weight().clone();
        double[] b = p.bias().clone();
        double alpha = p.alpha();
        double lambda = p.lambda();
        double[][][][] x = p.x();
        double[][][][] g = p.guidance();
        double[][][][] k = p.kernelInput();
        switch (t.key()) {
            case PacLayer.WEIGHT -> w[t.index()] += delta;
            case PacLayer.BIAS -> b[t.index()] += delta;
            case PacLayer.INV_ALPHA -> alpha += delta;
            case PacLayer.INV_LAMBDA -> lambda += delta;
            case "x" -> x = bump(x, t.index(), delta);
            case PacKind.GUIDANCE -> g = bump(g, t.index(), delta);
            case PacKind.KERNEL -> k = bump(k, t.index(), delta);
            default -> throw new IllegalStateException(t.key());
        }
        return new PacOracle.Parts(p.config(), w, b, alpha, lambda, x, g, k);
    }

    private static double[][][][] bump(double[][][][] a, int i, double delta) {
        double[][][][] c = new double[a.length][a[0].length][a[0][0].length][];
        int ch = a[0].length;
        int h = a[0][0].length;
        int w = a[0][0][0].length;
        for (int n = 0; n < a.length; n++) {
            for (int j = 0; j < ch; j++) {
                for (int r = 0; r < h; r++) {
                    c[n][j][r] = a[n][j][r].clone();
                }
            }
        }
        c[i / (ch * h * w)][(i / (h * w)) % ch][(i / w) % h][i % w] += delta;
        return c;
    }

    private static double numeric(PacOracle.Parts p, Target t, double[] dy, double h) {
        double d1 = (lossOf(perturbed(p, t, h), dy) - lossOf(perturbed(p, t, -h), dy)) / (2 * h);
        double d2 = (lossOf(perturbed(p, t, h / 2), dy) - lossOf(perturbed(p, t, -h / 2), dy)) / h;
        return (4 * d2 - d1) / 3;
    }

    /** Checks every gradient of one case at {@code samples} elements each (and every element of small ones). */
    private static int check(PacLayer layer, Inputs inputs, long seed, double h, double relTol) {
        PacKind kind = layer.kind();
        int[] out = kind.checkInputs(layer, inputs);
        Tensor dy = Tensor.zeros(out);
        SplittableRandom rng = new SplittableRandom(seed);
        StateDicts.uniform(dy, rng, -1, 1);
        AcdaOracleBackward.Gradients grads = kind.oracleBackward(layer, inputs, dy);
        PacOracle.Parts p = PacOracle.Parts.of(layer, inputs);
        double[] dyd = PacOracle.widen(dy.data());
        List<String> expectedKeys = new ArrayList<>();
        expectedKeys.add("x");
        if (layer.config().variant() != PacConfig.Variant.KERNEL) {
            expectedKeys.add(inputs.has(PacKind.GUIDANCE) ? PacKind.GUIDANCE : PacKind.KERNEL);
        }
        expectedKeys.addAll(PacLayer.expectedShapes(layer.config()).keySet());
        assertEquals(expectedKeys, List.copyOf(grads.byKey().keySet()), layer.summary());
        int checked = 0;
        for (Map.Entry<String, AcdaOracleBackward.Gradient> e : grads.byKey().entrySet()) {
            double[] g = e.getValue().value();
            int samples = Math.min(g.length, 6);
            for (int s = 0; s < samples; s++) {
                int i = g.length <= 6 ? s : rng.nextInt(g.length);
                double fd = numeric(p, new Target(e.getKey(), i), dyd, h);
                assertEquals(fd, g[i], relTol * (1 + Math.abs(fd)),
                        layer.summary() + ": d" + e.getKey() + "[" + i + "] analytic " + g[i] + " numeric " + fd);
                assertTrue(e.getValue().sumAbs()[i] * (1 + 1e-9) >= Math.abs(g[i]) || e.getValue().sumAbs()[i] == 0 && g[i] == 0,
                        "S below |g| for d" + e.getKey());
                checked++;
            }
        }
        return checked;
    }

    private static PacConfig config(PacConfig.Variant v, int c, int o, int k, int s, int d, int pad, PaddingMode mode, int op,
                                    PacConfig.KernelType type, boolean channelWise, boolean normalize, int cf, boolean bias) {
        int out = switch (v) {
            case POOL -> c;
            case KERNEL -> (channelWise ? cf : 1) * k * k;
            default -> o;
        };
        return new PacConfig(v, v == PacConfig.Variant.KERNEL ? cf : c, out, k, s, d, pad, mode, op, type, channelWise, normalize,
                cf, bias);
    }

    private static final PacConfig.KernelType G = PacConfig.KernelType.GAUSSIAN;
    private static final PacConfig.KernelType I = PacConfig.KernelType.INVERSE;
    private static final PaddingMode Z = PaddingMode.ZEROS;
    private static final PaddingMode C = PaddingMode.CIRCULAR;

    private static List<PacConfig> configs() {
        List<PacConfig> list = new ArrayList<>();
        for (PacConfig.KernelType t : List.of(G, I)) {
            for (boolean norm : List.of(false, true)) {
                list.add(config(PacConfig.Variant.CONV, 2, 3, 3, 1, 1, 1, Z, 0, t, false, norm, 2, true));
                list.add(config(PacConfig.Variant.CONV, 2, 2, 3, 2, 2, 3, C, 0, t, true, norm, 2, false));
                list.add(config(PacConfig.Variant.POOL, 2, 2, 3, 1, 1, 2, Z, 0, t, false, norm, 3, false));
                list.add(config(PacConfig.Variant.POOL, 2, 2, 3, 2, 1, 1, C, 0, t, true, norm, 2, false));
                list.add(config(PacConfig.Variant.TRANSPOSED, 2, 3, 3, 2, 1, 1, Z, 1, t, false, norm, 2, true));
                list.add(config(PacConfig.Variant.TRANSPOSED, 3, 2, 3, 1, 2, 0, Z, 0, t, false, norm, 1, false));
                list.add(config(PacConfig.Variant.KERNEL, 0, 0, 3, 1, 1, 1, Z, 0, t, false, norm, 2, false));
                list.add(config(PacConfig.Variant.KERNEL, 0, 0, 3, 2, 1, 2, C, 0, t, true, norm, 2, false));
            }
        }
        return list;
    }

    @Test
    void gradientsMatchFiniteDifferencesWithGuidance() {
        int checked = 0;
        long seed = 100;
        for (PacConfig c : configs()) {
            PacLayer layer = PacKind.random(c, seed++);
            Inputs in = layer.kind().randomInputs(layer, 2, 5, 6, seed++);
            checked += check(layer, in, seed++, 1e-3, 1e-6);
        }
        assertTrue(checked >= 400, "checked " + checked);
        System.out.println("PAC finite differences with guidance: " + checked + " gradient elements");
    }

    @Test
    void gradientsMatchFiniteDifferencesWithAPrecomputedKernel() {
        int checked = 0;
        long seed = 300;
        for (PacConfig c : configs()) {
            if (c.variant() == PacConfig.Variant.KERNEL) {
                continue;
            }
            PacLayer layer = PacKind.random(c, seed++);
            Inputs in = layer.kind().randomInputs(layer, 1, 5, 6, seed++);
            Tensor x = in.x();
            int[] ks = PacKind.kernelShape(c, 1, x.dim(2), x.dim(3));
            Tensor k = Tensor.zeros(ks);
            StateDicts.uniform(k, new SplittableRandom(seed++), 0.1, 1);
            Inputs withKernel = Inputs.builder().put("x", x).put(PacKind.KERNEL, k).build();
            checked += check(layer, withKernel, seed++, 1e-3, 1e-6);
        }
        assertTrue(checked > 200, "checked " + checked);
    }

    /** Large guidance distances: exp underflows (in float32 at d2 > 206, in double beyond 1490) and normalised sums get tiny. */
    @Test
    void gradientsMatchWhereTheKernelUnderflows() {
        int checked = 0;
        for (boolean norm : List.of(false, true)) {
            PacConfig c = config(PacConfig.Variant.CONV, 2, 2, 3, 1, 1, 1, Z, 0, G, false, norm, 2, true);
            PacLayer layer = PacKind.random(c, 7);
            Inputs in = layer.kind().randomInputs(layer, 1, 5, 5, 8);
            Tensor g = in.get(PacKind.GUIDANCE).copy();
            float[] gd = g.data();
            for (int i = 0; i < gd.length; i++) {
                gd[i] *= (i % 3 == 0) ? 30f : 3f;       // some distances of hundreds to thousands
            }
            Inputs scaled = in.with(PacKind.GUIDANCE, g);
            OracleResult r = PacKind.CONV.oracleForward(layer, scaled);
            for (double v : r.y()) {
                assertTrue(Double.isFinite(v));
            }
            checked += check(layer, scaled, 9, 1e-3, 1e-6);
        }
        assertTrue(checked >= 30, "checked " + checked);
        System.out.println("PAC finite differences with underflowing kernels: " + checked + " gradient elements");
    }

    /** A normalised inverse kernel whose in-image sum nearly cancels at one pixel. */
    @Test
    void gradientsMatchNearAZeroKernelSum() {
        PacConfig c = config(PacConfig.Variant.POOL, 1, 1, 3, 1, 1, 0, Z, 0, I, false, true, 1, false);
        // A 3x3 image, no padding: one output pixel. Guidance: centre 0, neighbours +-1 and +-0.5.
        Tensor f = Tensor.wrap(new float[] {1f, -0.5f, 1f, 0.5f, 0f, -1f, 1f, 0.5f, -0.5f}, 1, 1, 3, 3);
        Tensor x = Tensor.wrap(new float[] {0.3f, -0.2f, 0.9f, 0.1f, 0.5f, -0.7f, 0.4f, 0.8f, -0.6f}, 1, 1, 3, 3);
        // lambda = 2: P = d2 + 1e-4; sum of P over the taps = 4 * 1 + 4 * 0.25 + 9 * 1e-4 = 5.0009.
        float alpha = (float) (-(5.0009 - 0.01) / 9);
        PacLayer layer = new PacLayer(c, Map.of(PacLayer.INV_ALPHA, Tensor.wrap(new float[] {alpha}, 1),
                PacLayer.INV_LAMBDA, Tensor.wrap(new float[] {2f}, 1)));
        Inputs in = Inputs.builder().put("x", x).put(PacKind.GUIDANCE, f).build();
        PacOracle.Parts p = PacOracle.Parts.of(layer, in);
        PacKernel k = p.makeKernel();
        k.begin(0);
        double sigma = k.sigma[0][0][0];
        assertTrue(Math.abs(sigma) < 0.02 && Math.abs(sigma) > 0.005, "sum " + sigma);
        check(layer, in, 11, 1e-6, 1e-5);
    }
}
