package org.acdajvm.layers.conv;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layer.Settings;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/** Plain convolution ({@code nn.Conv2d}, one group) as a {@link LayerKind}, name {@code conv}. */
public final class ConvKind implements LayerKind<ConvLayer> {

    public static final ConvKind INSTANCE = new ConvKind();

    public static final String NAME = "conv";

    private static final List<Settings.Setting> SETTINGS = List.of(
            new Settings.Setting("in_channels", "16", "input channels C"),
            new Settings.Setting("out_channels", "16", "output channels O"),
            new Settings.Setting("kernel_size", "3", "kernel size K (odd)"),
            new Settings.Setting("stride", "1", "stride s"),
            new Settings.Setting("dilation", "1", "dilation d"),
            new Settings.Setting("padding", "1", "explicit integer padding p; output floor((H + 2p - d(K-1) - 1)/s) + 1"),
            new Settings.Setting("padding_mode", "zeros", "zeros or circular"),
            new Settings.Setting("bias", "true", "whether the layer has a bias [O]"));

    private ConvKind() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "plain convolution (nn.Conv2d): the trivial per-pixel filter Wpix[n,p][o,c,u] = weight[o,c,u]";
    }

    @Override
    public Class<ConvLayer> layerClass() {
        return ConvLayer.class;
    }

    @Override
    public List<Settings.Setting> settings() {
        return SETTINGS;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(new InputSpec(Inputs.X, "[N, C, H, W]", "the input"));
    }

    /** The config these settings describe; errors name the key and where it came from. */
    public ConvConfig config(Settings s) {
        s.requireKnown(NAME, SETTINGS);
        try {
            return new ConvConfig(s.integer("in_channels", SETTINGS, 1, ConvConfig.MAX_CHANNELS),
                    s.integer("out_channels", SETTINGS, 1, ConvConfig.MAX_CHANNELS),
                    s.oddInteger("kernel_size", SETTINGS, 1, ConvConfig.MAX_KERNEL),
                    s.integer("stride", SETTINGS, 1, ConvConfig.MAX_STEP),
                    s.integer("dilation", SETTINGS, 1, ConvConfig.MAX_STEP),
                    s.integer("padding", SETTINGS, 0, ConvConfig.MAX_PADDING),
                    PaddingMode.parse(s.text("padding_mode", SETTINGS), s.source() + ": 'padding_mode'"),
                    s.bool("bias", SETTINGS));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(s.source())) {
                throw e;
            }
            throw new IllegalArgumentException(s.source() + ": " + e.getMessage(), e);
        }
    }

    /** A layer initialised like {@code nn.Conv2d}: weight and bias uniform in {@code +-1/sqrt(C K^2)}. */
    public static ConvLayer random(ConvConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt((double) c.inChannels() * c.taps());
        Map<String, Tensor> p = new LinkedHashMap<>();
        ConvLayer.expectedShapes(c).forEach((k, shape) -> p.put(k, Tensor.zeros(shape)));
        p.values().forEach(t -> StateDicts.uniform(t, rng, -bound, bound));
        return new ConvLayer(c, p);
    }

    @Override
    public ConvLayer random(Settings settings, long seed) {
        return random(config(settings), seed);
    }

    @Override
    public ConvLayer load(Settings settings, Map<String, Tensor> stateDict) {
        return new ConvLayer(config(settings), stateDict);
    }

    @Override
    public Settings settingsOf(ConvLayer layer) {
        ConvConfig c = layer.config();
        return Settings.empty().with("in_channels", c.inChannels()).with("out_channels", c.outChannels())
                .with("kernel_size", c.kernelSize()).with("stride", c.stride()).with("dilation", c.dilation())
                .with("padding", c.padding()).with("padding_mode", c.paddingMode().id()).with("bias", c.bias());
    }

    @Override
    public int[] checkInputs(ConvLayer layer, Inputs inputs) {
        requireKnownInputs(inputs);
        ConvConfig c = layer.config();
        Tensor x = inputs.get(Inputs.X);
        StateDicts.requireImage(Inputs.X, x, c.inChannels());
        var s = c.sampling(x.dim(2), x.dim(3));
        return new int[] {x.dim(0), c.outChannels(), s.outHeight(), s.outWidth()};
    }

    @Override
    public Inputs randomInputs(ConvLayer layer, int batch, int height, int width, long seed) {
        Tensor x = Tensor.zeros(batch, layer.config().inChannels(), height, width);
        StateDicts.uniform(x, new SplittableRandom(seed), -1, 1);
        return Inputs.of(x);
    }

    @Override
    public OracleResult oracleForward(ConvLayer layer, Inputs inputs) {
        checkInputs(layer, inputs);
        return ConvFilter.forward(layer, inputs.x());
    }

    @Override
    public AcdaOracleBackward.Gradients oracleBackward(ConvLayer layer, Inputs inputs, Tensor dy) {
        int[] out = checkInputs(layer, inputs);
        return ConvFilter.backward(layer, inputs.x(), dy, out);
    }
}
