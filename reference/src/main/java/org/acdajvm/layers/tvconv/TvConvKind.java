package org.acdajvm.layers.tvconv;

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
import org.acdajvm.tensor.Tensor;

/**
 * TVConv as a {@link LayerKind}, name {@code tvconv}: settings, parameters ({@link TvConvLayer} lists the
 * state-dict keys), inputs ({@code x [N, C, h, w]} only, at the layer's own grid size) and the oracle
 * ({@link TvConvOracle}).
 */
public final class TvConvKind implements LayerKind<TvConvLayer> {

    public static final String NAME = "tvconv";

    private static final List<Settings.Setting> SETTINGS = List.of(
            new Settings.Setting("channels", "16", "channels C (depthwise: output = input channels)"),
            new Settings.Setting("kernel_size", "3", "kernel size K (odd); stride 1, padding d(K-1)/2"),
            new Settings.Setting("dilation", "1", "dilation d"),
            new Settings.Setting("padding_mode", "zeros", "zeros or circular (the apply; the weight net pads with zeros)"),
            new Settings.Setting("height", "32", "h: the position map's height; every input must have it"),
            new Settings.Setting("width", "32", "w: the position map's width; every input must have it"),
            new Settings.Setting("affinity_channels", "4", "ca: channels of the position map A"),
            new Settings.Setting("mid_channels", "16", "mid: hidden channels of the weight net"),
            new Settings.Setting("layers", "2", "(3x3 conv, LayerNorm, ReLU) blocks before the last 3x3 conv"),
            new Settings.Setting("bias", "false", "whether the layer adds a plain bias [C]"));

    // After the settings: static fields initialise in text order.
    public static final TvConvKind INSTANCE = new TvConvKind();

    private TvConvKind() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "TVConv: depthwise per-position filters F[c,u,p] = weight_net(A)[cK^2+u, p], shared by the batch; "
                + "Wpix[n,p][o,c,u] = delta(o,c) F[c,u,p]";
    }

    @Override
    public Class<TvConvLayer> layerClass() {
        return TvConvLayer.class;
    }

    @Override
    public List<Settings.Setting> settings() {
        return SETTINGS;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(new InputSpec(Inputs.X, "[N, C, h, w]", "the input, at the layer's grid size h x w"));
    }

    /** The config these settings describe; errors name the key and where it came from. */
    public TvConvConfig config(Settings s) {
        s.requireKnown(NAME, SETTINGS);
        try {
            return new TvConvConfig(s.integer("channels", SETTINGS, 1, TvConvConfig.MAX_CHANNELS),
                    s.oddInteger("kernel_size", SETTINGS, 1, TvConvConfig.MAX_KERNEL),
                    s.integer("dilation", SETTINGS, 1, TvConvConfig.MAX_DILATION),
                    PaddingMode.parse(s.text("padding_mode", SETTINGS), s.source() + ": 'padding_mode'"),
                    s.integer("height", SETTINGS, 1, TvConvConfig.MAX_SIZE),
                    s.integer("width", SETTINGS, 1, TvConvConfig.MAX_SIZE),
                    s.integer("affinity_channels", SETTINGS, 1, TvConvConfig.MAX_CHANNELS),
                    s.integer("mid_channels", SETTINGS, 1, TvConvConfig.MAX_CHANNELS),
                    s.integer("layers", SETTINGS, 1, TvConvConfig.MAX_LAYERS),
                    s.bool("bias", SETTINGS));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(s.source())) {
                throw e;
            }
            throw new IllegalArgumentException(s.source() + ": " + e.getMessage(), e);
        }
    }

    /**
     * The documented default initialisation: {@code affinity} ones, LayerNorm weight ones and bias zeros, convs as
     * {@code nn.Conv2d} (weight and bias uniform in {@code +-1/sqrt(fan_in)}), bias uniform in {@code +-1/K}.
     */
    public static TvConvLayer initial(TvConvConfig c, long seed) {
        return build(c, seed, 0);
    }

    /**
     * A layer as {@link #initial} but with the position map and the LayerNorm affine parameters randomised a
     * little ({@code 1 +- 0.5}, {@code 1 +- 0.25}, {@code +-0.25}), so that every parameter matters (with a constant
     * map every interior position would get the same filter) and tests see each one.
     */
    public static TvConvLayer random(TvConvConfig c, long seed) {
        return build(c, seed, 1);
    }

    private static TvConvLayer build(TvConvConfig c, long seed, double spread) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> p = new LinkedHashMap<>();
        TvConvLayer.expectedShapes(c).forEach((k, shape) -> p.put(k, Tensor.zeros(shape)));
        StateDicts.uniform(p.get(TvConvLayer.AFFINITY), rng, 1 - 0.5 * spread, 1 + 0.5 * spread);
        for (int l = 0; l <= c.layers(); l++) {
            double bound = 1.0 / Math.sqrt(9.0 * c.convIn(l));
            StateDicts.uniform(p.get(TvConvLayer.convWeight(l)), rng, -bound, bound);
            StateDicts.uniform(p.get(TvConvLayer.convBias(l)), rng, -bound, bound);
            if (l < c.layers()) {
                StateDicts.uniform(p.get(TvConvLayer.normWeight(l)), rng, 1 - 0.25 * spread, 1 + 0.25 * spread);
                StateDicts.uniform(p.get(TvConvLayer.normBias(l)), rng, -0.25 * spread, 0.25 * spread);
            }
        }
        if (c.bias()) {
            StateDicts.uniform(p.get(TvConvLayer.BIAS), rng, -1.0 / c.kernelSize(), 1.0 / c.kernelSize());
        }
        return new TvConvLayer(c, p);
    }

    @Override
    public TvConvLayer random(Settings settings, long seed) {
        return random(config(settings), seed);
    }

    @Override
    public TvConvLayer load(Settings settings, Map<String, Tensor> stateDict) {
        return new TvConvLayer(config(settings), stateDict);
    }

    @Override
    public Settings settingsOf(TvConvLayer layer) {
        TvConvConfig c = layer.config();
        return Settings.empty().with("channels", c.channels()).with("kernel_size", c.kernelSize())
                .with("dilation", c.dilation()).with("padding_mode", c.paddingMode().id()).with("height", c.height())
                .with("width", c.width()).with("affinity_channels", c.affinityChannels())
                .with("mid_channels", c.midChannels()).with("layers", c.layers()).with("bias", c.bias());
    }

    /**
     * Checks {@code x [N, C, h, w]}: only {@code x}, rank 4, C channels, finite, and exactly the layer's grid size
     * (the position map is {@code [ca, h, w]}; TVConv cannot adapt to another resolution).
     *
     * @return the output shape {@code [N, C, h, w]}
     */
    @Override
    public int[] checkInputs(TvConvLayer layer, Inputs inputs) {
        requireKnownInputs(inputs);
        TvConvConfig c = layer.config();
        Tensor x = inputs.get(Inputs.X);
        StateDicts.requireImage(Inputs.X, x, c.channels());
        if (x.dim(2) != c.height() || x.dim(3) != c.width()) {
            throw new IllegalArgumentException("input 'x' is " + x.dim(2) + "x" + x.dim(3) + " (H x W) but this tvconv layer"
                    + " was built for " + c.height() + "x" + c.width() + " (its position map 'affinity' is ["
                    + c.affinityChannels() + ", " + c.height() + ", " + c.width() + "]): expected x of shape [N, "
                    + c.channels() + ", " + c.height() + ", " + c.width() + "] (the layer's size is its settings 'height' and 'width')");
        }
        return new int[] {x.dim(0), c.channels(), c.height(), c.width()};
    }

    /** Seeded inputs uniform in [-1, 1); {@code height, width} must be the layer's (checked). */
    @Override
    public Inputs randomInputs(TvConvLayer layer, int batch, int height, int width, long seed) {
        Tensor x = Tensor.zeros(batch, layer.config().channels(), height, width);
        StateDicts.uniform(x, new SplittableRandom(seed), -1, 1);
        Inputs in = Inputs.of(x);
        checkInputs(layer, in);
        return in;
    }

    @Override
    public OracleResult oracleForward(TvConvLayer layer, Inputs inputs) {
        checkInputs(layer, inputs);
        return TvConvOracle.forward(TvConvOracle.Parts.of(layer, inputs.x()));
    }

    @Override
    public AcdaOracleBackward.Gradients oracleBackward(TvConvLayer layer, Inputs inputs, Tensor dy) {
        int[] out = checkInputs(layer, inputs);
        if (dy == null) {
            throw new IllegalArgumentException("upstream gradient dy is null: expected " + java.util.Arrays.toString(out));
        }
        StateDicts.requireInput("dy", dy, out, "[N, C, h, w]");
        return TvConvOracle.backward(TvConvOracle.Parts.of(layer, inputs.x()), org.acdajvm.oracle.PixelFilterOracle.images(dy));
    }
}
