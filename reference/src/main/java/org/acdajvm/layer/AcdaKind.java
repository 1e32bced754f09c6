package org.acdajvm.layer;

import java.util.List;
import java.util.Map;

import org.acdajvm.oracle.AcdaFilter;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/** The ACDA layer of DESIGN section 5 as a {@link LayerKind}: settings in {@code case.json}'s version-1 key names. */
public final class AcdaKind implements LayerKind<AcdaLayer> {

    public static final AcdaKind INSTANCE = new AcdaKind();

    public static final String NAME = "acda";

    private static final List<Settings.Setting> SETTINGS = List.of(
            new Settings.Setting("in_channels", "16", "input channels C"),
            new Settings.Setting("out_channels", "16", "output channels O"),
            new Settings.Setting("kernel_size", "7", "kernel size K (odd, 3..31)"),
            new Settings.Setting("stride", "1", "stride s"),
            new Settings.Setting("dilation", "1", "dilation d of the atom convolution"),
            new Settings.Setting("padding", "zeros", "padding mode: zeros or circular ('same' padding d(K-1)/2)"),
            new Settings.Setting("bases_per_scale", "6", "Fourier-Bessel bases per scale B (1..6)"),
            new Settings.Setting("atoms", "6", "atoms M"),
            new Settings.Setting("generator_kernel_size", "3", "kernel size g of the generator's first conv (odd, 1..15)"),
            new Settings.Setting("bias", "true", "whether the layer has an output bias"));

    private AcdaKind() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "ACDA: per-pixel filters from M dynamic atoms over Fourier-Bessel bases (Wang et al., ICCV 2021)";
    }

    @Override
    public Class<AcdaLayer> layerClass() {
        return AcdaLayer.class;
    }

    @Override
    public List<Settings.Setting> settings() {
        return SETTINGS;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(new InputSpec(Inputs.X, "[N, C, H, W]", "the input"));
    }

    /** The config these settings describe; every range checked by {@link AcdaConfig}, errors naming the key. */
    public AcdaConfig config(Settings s) {
        s.requireKnown(NAME, SETTINGS);
        try {
            return new AcdaConfig(s.integer("in_channels", SETTINGS, 1, AcdaConfig.MAX_CHANNELS),
                    s.integer("out_channels", SETTINGS, 1, AcdaConfig.MAX_CHANNELS),
                    s.integer("kernel_size", SETTINGS, 1, 1 << 10),
                    s.integer("stride", SETTINGS, 1, AcdaConfig.MAX_STRIDE_OR_DILATION),
                    s.integer("dilation", SETTINGS, 1, AcdaConfig.MAX_STRIDE_OR_DILATION),
                    PaddingMode.parse(s.text("padding", SETTINGS), s.source() + ": 'padding'"),
                    s.integer("bases_per_scale", SETTINGS, 1, 1 << 10),
                    s.integer("atoms", SETTINGS, 1, AcdaConfig.MAX_ATOMS),
                    s.integer("generator_kernel_size", SETTINGS, 1, 1 << 10),
                    s.bool("bias", SETTINGS));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(s.source())) {
                throw e;
            }
            throw new IllegalArgumentException(s.source() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public AcdaLayer random(Settings settings, long seed) {
        return AcdaInit.randomized(config(settings), seed);
    }

    @Override
    public AcdaLayer load(Settings settings, Map<String, Tensor> stateDict) {
        return new AcdaLayer(config(settings), stateDict);
    }

    @Override
    public Settings settingsOf(AcdaLayer layer) {
        AcdaConfig c = layer.config();
        return Settings.empty().with("in_channels", c.inChannels()).with("out_channels", c.outChannels())
                .with("kernel_size", c.kernelSize()).with("stride", c.stride()).with("dilation", c.dilation())
                .with("padding", c.padding().id()).with("bases_per_scale", c.basesPerScale()).with("atoms", c.atoms())
                .with("generator_kernel_size", c.generatorKernel()).with("bias", c.bias());
    }

    @Override
    public int[] checkInputs(AcdaLayer layer, Inputs inputs) {
        requireKnownInputs(inputs);
        return AcdaShapes.checkInput(layer.config(), inputs.x());
    }

    @Override
    public Inputs randomInputs(AcdaLayer layer, int batch, int height, int width, long seed) {
        return Inputs.of(AcdaInit.input(layer.config(), batch, height, width, seed));
    }

    @Override
    public OracleResult oracleForward(AcdaLayer layer, Inputs inputs) {
        checkInputs(layer, inputs);
        return AcdaFilter.forward(layer, inputs.x());
    }

    @Override
    public AcdaOracleBackward.Gradients oracleBackward(AcdaLayer layer, Inputs inputs, Tensor dy) {
        checkInputs(layer, inputs);
        return AcdaOracleBackward.backward(layer, inputs.x(), dy);
    }
}
