package org.acdajvm.layers.pac;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layer.Settings;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Sampling;
import org.acdajvm.tensor.Tensor;

/**
 * The four PAC layers as {@link LayerKind}s: {@code pac-conv}, {@code pac-transposed}, {@code pac-pool}
 * and {@code pac-kernel} (the adapting kernel alone). Inputs: {@code x [N, C, H, W]} and either the
 * guidance {@code guidance [N, Cf, H, W]} (for the transpose on its output grid {@code [N, Cf, H_out, W_out]})
 * or a precomputed kernel {@code kernel [N, G K^2, H', W']} (as {@code pac-kernel} outputs it; the
 * transpose's on its output grid), used as given (normalisation is part of computing a kernel, so
 * {@code normalize_kernel} applies to the guidance's kernel only). {@code pac-kernel}'s one input {@code x} is
 * the guidance; with zero padding its taps outside the image are 0.
 */
public final class PacKind implements LayerKind<PacLayer> {

    public static final String GUIDANCE = "guidance";
    public static final String KERNEL = "kernel";

    private static final Settings.Setting IN = new Settings.Setting("in_channels", "4", "input channels C");
    private static final Settings.Setting OUT = new Settings.Setting("out_channels", "4", "output channels O");
    private static final Settings.Setting KSIZE = new Settings.Setting("kernel_size", "3", "kernel size K (odd)");
    private static final Settings.Setting STRIDE = new Settings.Setting("stride", "1", "stride s");
    private static final Settings.Setting DILATION = new Settings.Setting("dilation", "1", "dilation d");
    private static final Settings.Setting PADDING = new Settings.Setting("padding", "1",
            "explicit integer padding p; output floor((H + 2p - d(K-1) - 1)/s) + 1");
    private static final Settings.Setting PADDING_MODE = new Settings.Setting("padding_mode", "zeros", "zeros or circular");
    private static final Settings.Setting OUTPUT_PADDING = new Settings.Setting("output_padding", "0",
            "extra rows/columns of the output (< stride); output (H-1)s - 2p + d(K-1) + output_padding + 1");
    private static final Settings.Setting KERNEL_TYPE = new Settings.Setting("kernel_type", "gaussian",
            "gaussian: exp(-0.5 |f_q - f_p|^2); inverse: inv_alpha + (|f_q - f_p|^2 + 1e-4)^(inv_lambda/2)");
    private static final Settings.Setting CHANNEL_WISE = new Settings.Setting("channel_wise", "false",
            "one kernel per channel (the guidance then has C channels)");
    private static final Settings.Setting NORMALIZE = new Settings.Setting("normalize_kernel", "false",
            "divide the kernel by its sum over the taps inside the image (an all-zero sum divides by 1)");
    private static final Settings.Setting GUIDANCE_CHANNELS = new Settings.Setting("guidance_channels", "2",
            "channels Cf of the guidance");
    private static final Settings.Setting POOL_MODE = new Settings.Setting("pool_mode", "sum",
            "sum: kernel-weighted sum; average: normalised by the kernel's sum over in-image taps");
    private static final Settings.Setting BIAS = new Settings.Setting("bias", "true", "whether the layer has a bias [O]");

    // After the settings: static fields initialise in order, and the constructor reads them.
    public static final PacKind CONV = new PacKind(PacConfig.Variant.CONV);
    public static final PacKind TRANSPOSED = new PacKind(PacConfig.Variant.TRANSPOSED);
    public static final PacKind POOL = new PacKind(PacConfig.Variant.POOL);
    public static final PacKind KERNEL_ONLY = new PacKind(PacConfig.Variant.KERNEL);

    private final PacConfig.Variant variant;
    private final List<Settings.Setting> settings;

    private PacKind(PacConfig.Variant variant) {
        this.variant = variant;
        this.settings = switch (variant) {
            case CONV -> List.of(IN, OUT, KSIZE, STRIDE, DILATION, PADDING, PADDING_MODE, KERNEL_TYPE, CHANNEL_WISE, NORMALIZE,
                    GUIDANCE_CHANNELS, BIAS);
            case TRANSPOSED -> List.of(IN, OUT, KSIZE, STRIDE, DILATION, PADDING, OUTPUT_PADDING, KERNEL_TYPE, NORMALIZE,
                    GUIDANCE_CHANNELS, BIAS);
            case POOL -> List.of(IN, KSIZE, STRIDE, DILATION, PADDING, PADDING_MODE, KERNEL_TYPE, CHANNEL_WISE, POOL_MODE,
                    GUIDANCE_CHANNELS);
            case KERNEL -> List.of(GUIDANCE_CHANNELS, KSIZE, STRIDE, DILATION, PADDING, PADDING_MODE, KERNEL_TYPE, CHANNEL_WISE,
                    NORMALIZE);
        };
    }

    /** The kind of a variant. */
    public static PacKind of(PacConfig.Variant v) {
        return switch (v) {
            case CONV -> CONV;
            case TRANSPOSED -> TRANSPOSED;
            case POOL -> POOL;
            case KERNEL -> KERNEL_ONLY;
        };
    }

    public PacConfig.Variant variant() {
        return variant;
    }

    @Override
    public String name() {
        return variant.id;
    }

    @Override
    public String description() {
        return switch (variant) {
            case CONV -> "pixel-adaptive convolution (Su et al., CVPR 2019): weight[o,c,u] * K(f_p, f_p+u), guidance f";
            case TRANSPOSED -> "pixel-adaptive transposed convolution: the adjoint of pac-conv for a fixed kernel, guidance on its output grid";
            case POOL -> "pixel-adaptive pooling: sum_u K(f_p, f_p+u) x[p+u], or the kernel-normalised average";
            case KERNEL -> "PAC's adapting kernel alone: guidance f -> K[n, u, h', w']";
        };
    }

    @Override
    public Class<PacLayer> layerClass() {
        return PacLayer.class;
    }

    @Override
    public List<Settings.Setting> settings() {
        return settings;
    }

    @Override
    public List<InputSpec> inputs() {
        if (variant == PacConfig.Variant.KERNEL) {
            return List.of(new InputSpec(Inputs.X, "[N, Cf, H, W]", "the guidance f"));
        }
        String grid = variant == PacConfig.Variant.TRANSPOSED ? "H_out, W_out" : "H, W";
        String kgrid = variant == PacConfig.Variant.TRANSPOSED ? "H_out, W_out" : "H', W'";
        return List.of(new InputSpec(Inputs.X, "[N, C, H, W]", "the input"),
                new InputSpec(GUIDANCE, "[N, Cf, " + grid + "]", "the guidance f (or give 'kernel' instead)"),
                new InputSpec(KERNEL, "[N, G*K*K, " + kgrid + "]",
                        "a precomputed adapting kernel as pac-kernel outputs it, used as given (instead of 'guidance')"));
    }

    /** The config these settings describe; errors name the key and where it came from. */
    public PacConfig config(Settings s) {
        s.requireKnown(name(), settings);
        try {
            int k = s.oddInteger("kernel_size", settings, 1, PacConfig.MAX_KERNEL);
            int cf = s.integer("guidance_channels", settings, 1, PacConfig.MAX_CHANNELS);
            boolean channelWise = has(CHANNEL_WISE) && s.bool("channel_wise", settings);
            int in = has(IN) ? s.integer("in_channels", settings, 1, PacConfig.MAX_CHANNELS) : cf;
            int out = switch (variant) {
                case CONV, TRANSPOSED -> s.integer("out_channels", settings, 1, PacConfig.MAX_CHANNELS);
                case POOL -> in;
                case KERNEL -> (channelWise ? cf : 1) * k * k;
            };
            boolean normalize = variant == PacConfig.Variant.POOL
                    ? s.choice("pool_mode", settings, List.of("sum", "average")).equals("average")
                    : s.bool("normalize_kernel", settings);
            PaddingMode mode = has(PADDING_MODE)
                    ? PaddingMode.parse(s.text("padding_mode", settings), s.source() + ": 'padding_mode'") : PaddingMode.ZEROS;
            PacConfig.KernelType type = PacConfig.KernelType.valueOf(
                    s.choice("kernel_type", settings, List.of("gaussian", "inverse")).toUpperCase(java.util.Locale.ROOT));
            return new PacConfig(variant, in, out, k, s.integer("stride", settings, 1, PacConfig.MAX_STEP),
                    s.integer("dilation", settings, 1, PacConfig.MAX_STEP),
                    s.integer("padding", settings, 0, PacConfig.MAX_PADDING), mode,
                    has(OUTPUT_PADDING) ? s.integer("output_padding", settings, 0, PacConfig.MAX_STEP) : 0,
                    type, channelWise, normalize, cf, has(BIAS) && s.bool("bias", settings));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(s.source())) {
                throw e;
            }
            throw new IllegalArgumentException(s.source() + ": " + e.getMessage(), e);
        }
    }

    private boolean has(Settings.Setting setting) {
        return settings.contains(setting);
    }

    /**
     * A seeded random layer: weight and bias uniform in {@code +-1/sqrt(fan_in)} as {@code nn.Conv2d}
     * ({@code fan_in = C K^2}; the transpose's {@code O K^2}, as {@code ConvTranspose2d}), {@code inv_alpha}
     * uniform in {@code [0, 1)}, {@code inv_lambda} uniform in {@code [-1, 1)} (our choice for tests: both signs).
     */
    public static PacLayer random(PacConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> p = new LinkedHashMap<>();
        PacLayer.expectedShapes(c).forEach((key, shape) -> p.put(key, Tensor.zeros(shape)));
        int fanIn = (c.variant() == PacConfig.Variant.TRANSPOSED ? c.outChannels() : c.inChannels()) * c.taps();
        double bound = 1.0 / Math.sqrt(fanIn);
        for (String key : List.of(PacLayer.WEIGHT, PacLayer.BIAS)) {
            if (p.containsKey(key)) {
                StateDicts.uniform(p.get(key), rng, -bound, bound);
            }
        }
        if (c.inverse()) {
            StateDicts.uniform(p.get(PacLayer.INV_ALPHA), rng, 0, 1);
            StateDicts.uniform(p.get(PacLayer.INV_LAMBDA), rng, -1, 1);
        }
        return new PacLayer(c, p);
    }

    @Override
    public PacLayer random(Settings settings, long seed) {
        return random(config(settings), seed);
    }

    @Override
    public PacLayer load(Settings settings, Map<String, Tensor> stateDict) {
        return new PacLayer(config(settings), stateDict);
    }

    @Override
    public Settings settingsOf(PacLayer layer) {
        PacConfig c = layer.config();
        Settings s = Settings.empty();
        for (Settings.Setting st : settings) {
            Object v = switch (st.key()) {
                case "in_channels" -> c.inChannels();
                case "out_channels" -> c.outChannels();
                case "kernel_size" -> c.kernelSize();
                case "stride" -> c.stride();
                case "dilation" -> c.dilation();
                case "padding" -> c.padding();
                case "padding_mode" -> c.paddingMode().id();
                case "output_padding" -> c.outputPadding();
                case "kernel_type" -> c.kernelType().id();
                case "channel_wise" -> c.channelWise();
                case "normalize_kernel" -> c.normalizeKernel();
                case "guidance_channels" -> c.guidanceChannels();
                case "pool_mode" -> c.normalizeKernel() ? "average" : "sum";
                case "bias" -> c.bias();
                default -> throw new IllegalStateException(st.key());
            };
            s = s.with(st.key(), v);
        }
        return s;
    }

    /** The shape of the kernel input/output {@code [N, G K^2, kh, kw]} for an input {@code x} of {@code h x w}. */
    static int[] kernelShape(PacConfig c, int batch, int h, int w) {
        int kh;
        int kw;
        if (c.variant() == PacConfig.Variant.TRANSPOSED) {
            kh = c.outSize(h);
            kw = c.outSize(w);
        } else {
            Sampling s = c.sampling(h, w);
            kh = s.outHeight();
            kw = s.outWidth();
        }
        return new int[] {batch, c.kernelChannels() * c.taps(), kh, kw};
    }

    @Override
    public int[] checkInputs(PacLayer layer, Inputs inputs) {
        PacConfig c = layer.config();
        requireKnownInputs(inputs);
        Tensor x = inputs.get(Inputs.X);
        StateDicts.requireImage(Inputs.X, x, c.inChannels());
        int n = x.dim(0);
        int h = x.dim(2);
        int w = x.dim(3);
        int[] kernelShape = kernelShape(c, n, h, w);
        if (variant == PacConfig.Variant.KERNEL) {
            return kernelShape;
        }
        Tensor g = inputs.get(GUIDANCE);
        Tensor k = inputs.get(KERNEL);
        if ((g == null) == (k == null)) {
            throw new IllegalArgumentException("layer " + name() + " takes exactly one of the inputs 'guidance' and 'kernel': "
                    + (g == null ? "neither was given" : "both were given"));
        }
        int gh = variant == PacConfig.Variant.TRANSPOSED ? c.outSize(h) : h;
        int gw = variant == PacConfig.Variant.TRANSPOSED ? c.outSize(w) : w;
        if (g != null) {
            StateDicts.requireInput(GUIDANCE, g, new int[] {n, c.guidanceChannels(), gh, gw}, "[N, Cf, "
                    + (variant == PacConfig.Variant.TRANSPOSED ? "H_out, W_out" : "H, W") + "]");
        } else {
            StateDicts.requireInput(KERNEL, k, kernelShape, "[N, G*K*K, "
                    + (variant == PacConfig.Variant.TRANSPOSED ? "H_out, W_out" : "H', W'") + "]");
        }
        if (variant == PacConfig.Variant.TRANSPOSED) {
            return new int[] {n, c.outChannels(), gh, gw};
        }
        Sampling s = c.sampling(h, w);
        return new int[] {n, c.outChannels(), s.outHeight(), s.outWidth()};
    }

    @Override
    public Inputs randomInputs(PacLayer layer, int batch, int height, int width, long seed) {
        PacConfig c = layer.config();
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor x = Tensor.zeros(batch, c.inChannels(), height, width);
        StateDicts.uniform(x, rng, -1, 1);
        if (variant == PacConfig.Variant.KERNEL) {
            return Inputs.of(x);
        }
        int gh = variant == PacConfig.Variant.TRANSPOSED ? c.outSize(height) : height;
        int gw = variant == PacConfig.Variant.TRANSPOSED ? c.outSize(width) : width;
        Tensor g = Tensor.zeros(batch, c.guidanceChannels(), gh, gw);
        StateDicts.uniform(g, rng, -1, 1);
        return Inputs.builder().put(Inputs.X, x).put(GUIDANCE, g).build();
    }

    @Override
    public OracleResult oracleForward(PacLayer layer, Inputs inputs) {
        checkInputs(layer, inputs);
        return PacOracle.forward(layer, inputs);
    }

    @Override
    public AcdaOracleBackward.Gradients oracleBackward(PacLayer layer, Inputs inputs, Tensor dy) {
        int[] out = checkInputs(layer, inputs);
        return PacOracle.backward(layer, inputs, dy, out);
    }
}
