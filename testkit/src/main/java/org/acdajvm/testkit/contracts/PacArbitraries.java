package org.acdajvm.testkit.contracts;

import java.util.Arrays;
import java.util.SplittableRandom;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.tensor.Tensor;

/**
 * Generators and fixed inputs shared by the PAC contracts: configs of one variant over its whole range of
 * settings (both kernel types, channel-wise, normalised, every padding the variant takes), and inputs with a
 * random guidance or, in about one case in four, a precomputed kernel instead.
 */
public final class PacArbitraries {

    private PacArbitraries() {
    }

    private record Geometry(int k, int s, int d, int p, PaddingMode mode, int outputPadding) {
    }

    private record Options(PacConfig.KernelType type, boolean channelWise, boolean normalize, boolean bias, int guidance) {
    }

    private record Sizes(int batch, int inC, int outC, int h, int w, boolean kernelInput) {
    }

    /** Cases of {@code variant}: N 1..2, C and O 1..4, Cf 1..3, H and W up to 9, K in {1,3,5}, s 1..2 (conv 1..3), d 1..2. */
    public static Arbitrary<LayerCase> cases(PacConfig.Variant variant) {
        boolean transposed = variant == PacConfig.Variant.TRANSPOSED;
        Arbitrary<Geometry> geometry = Combinators.combine(Arbitraries.of(1, 3, 5),
                Arbitraries.integers().between(1, variant == PacConfig.Variant.CONV ? 3 : 2), Arbitraries.integers().between(1, 2),
                Arbitraries.integers().between(0, 3), transposed ? Arbitraries.just(PaddingMode.ZEROS) : Arbitraries.of(PaddingMode.class),
                Arbitraries.integers().between(0, 2)).as((k, s, d, p, mode, op) -> new Geometry(k, s, d,
                        Math.min(p, transposed || mode == PaddingMode.CIRCULAR ? d * (k - 1) / 2 : d * (k - 1) / 2 + 1), mode,
                        transposed ? Math.min(op, s - 1) : 0));
        return cases(variant, geometry, 9);
    }

    /** Cases of {@code variant} that keep the grid: stride 1, circular padding {@code p = d(K-1)/2}. */
    public static Arbitrary<LayerCase> equivariantCases(PacConfig.Variant variant) {
        Arbitrary<Geometry> same = Combinators.combine(Arbitraries.of(1, 3, 5), Arbitraries.integers().between(1, 2))
                .as((k, d) -> new Geometry(k, 1, d, d * (k - 1) / 2, PaddingMode.CIRCULAR, 0));
        return cases(variant, same, 10);
    }

    private static Arbitrary<LayerCase> cases(PacConfig.Variant variant, Arbitrary<Geometry> geometry, int maxSize) {
        boolean hasBias = variant == PacConfig.Variant.CONV || variant == PacConfig.Variant.TRANSPOSED;
        Arbitrary<Options> options = Combinators.combine(Arbitraries.of(PacConfig.KernelType.class),
                variant == PacConfig.Variant.TRANSPOSED ? Arbitraries.just(false) : Arbitraries.of(true, false),
                Arbitraries.of(true, false), hasBias ? Arbitraries.of(true, false) : Arbitraries.just(false),
                Arbitraries.integers().between(1, 3)).as(Options::new);
        Arbitrary<Sizes> sizes = Combinators.combine(Arbitraries.integers().between(1, 2), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(1, 4), Arbitraries.integers().between(1, maxSize),
                Arbitraries.integers().between(1, maxSize),
                variant == PacConfig.Variant.KERNEL ? Arbitraries.just(false) : Arbitraries.integers().between(0, 3).map(i -> i == 0))
                .as(Sizes::new);
        return Combinators.combine(geometry, options, sizes, Arbitraries.longs()).as((g, o, z, seed) -> {
            PacConfig cfg = config(variant, g, o, z);
            int least = variant == PacConfig.Variant.TRANSPOSED ? 1
                    : Math.max(Math.max(1, g.p()), g.d() * (g.k() - 1) + 1 - 2 * g.p());
            int h = Math.max(z.h(), least);
            int w = Math.max(z.w(), least);
            PacLayer layer = PacKind.random(cfg, seed);
            Inputs inputs = PacKind.of(variant).randomInputs(layer, z.batch(), h, w, seed ^ 0x9E3779B97F4A7C15L);
            if (z.kernelInput()) {
                inputs = withKernelInput(cfg, inputs, seed);
            }
            return new LayerCase(layer, inputs, seed, "N=" + z.batch() + " " + h + "x" + w + " " + cfg.summary()
                    + (z.kernelInput() ? " (precomputed kernel)" : "") + " seed=" + seed);
        });
    }

    private static PacConfig config(PacConfig.Variant variant, Geometry g, Options o, Sizes z) {
        int guidance = o.channelWise() ? z.inC() : o.guidance();
        return switch (variant) {
            case CONV -> new PacConfig(variant, z.inC(), z.outC(), g.k(), g.s(), g.d(), g.p(), g.mode(), 0, o.type(),
                    o.channelWise(), o.normalize(), guidance, o.bias());
            case TRANSPOSED -> new PacConfig(variant, z.inC(), z.outC(), g.k(), g.s(), g.d(), g.p(), PaddingMode.ZEROS,
                    g.outputPadding(), o.type(), false, o.normalize(), o.guidance(), o.bias());
            case POOL -> new PacConfig(variant, z.inC(), z.inC(), g.k(), g.s(), g.d(), g.p(), g.mode(), 0, o.type(),
                    o.channelWise(), o.normalize(), guidance, false);
            case KERNEL -> new PacConfig(variant, o.guidance(), (o.channelWise() ? o.guidance() : 1) * g.k() * g.k(), g.k(),
                    g.s(), g.d(), g.p(), g.mode(), 0, o.type(), o.channelWise(), o.normalize(), o.guidance(), false);
        };
    }

    /**
     * {@code inputs} with the guidance replaced by a precomputed kernel {@code [N, G K^2, kh, kw]} of the shape the
     * guidance would give (the conv's output grid; the transpose's output grid), uniform in {@code [0.1, 1)}: positive,
     * as the gaussian kernel is, so that a normalised kernel's sums stay away from zero.
     */
    public static Inputs withKernelInput(PacConfig cfg, Inputs inputs, long seed) {
        Tensor x = inputs.x();
        int kh;
        int kw;
        if (cfg.variant() == PacConfig.Variant.TRANSPOSED) {
            kh = cfg.outSize(x.dim(2));
            kw = cfg.outSize(x.dim(3));
        } else {
            kh = cfg.sampling(x.dim(2), x.dim(3)).outHeight();
            kw = cfg.sampling(x.dim(2), x.dim(3)).outWidth();
        }
        Tensor kernel = Tensor.zeros(x.dim(0), cfg.kernelChannels() * cfg.taps(), kh, kw);
        SplittableRandom r = new SplittableRandom(seed + 0x632BE59BD9B4E019L);
        float[] d = kernel.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (0.1 + 0.9 * r.nextDouble());
        }
        return Inputs.builder().put(Inputs.X, x).put(PacKind.KERNEL, kernel).build();
    }

    /** A random {@code x [N, C, H, W]} uniform in {@code [-1, 1)}. */
    public static Tensor randomImage(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        SplittableRandom r = new SplittableRandom(seed);
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = (float) (2 * r.nextDouble() - 1);
        }
        return t;
    }

    /** A guidance {@code [N, Cf, H, W]} equal to {@code value} everywhere. */
    public static Tensor constant(float value, int... shape) {
        Tensor t = Tensor.zeros(shape);
        Arrays.fill(t.data(), value);
        return t;
    }

    /** The kernel value of a constant guidance ({@code |f_q - f_p| = 0}): 1 for gaussian, {@code inv_alpha + (1e-4)^(inv_lambda/2)} for inverse. */
    public static double constantGuidanceKernel(PacLayer layer) {
        if (!layer.config().inverse()) {
            return 1;
        }
        return (double) layer.invAlpha() + Math.pow(PacConfig.INVERSE_EPS, layer.invLambda() / 2.0);
    }
}
