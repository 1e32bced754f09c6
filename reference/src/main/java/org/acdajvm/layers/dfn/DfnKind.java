package org.acdajvm.layers.dfn;

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
 * Dynamic local filtering as a {@link LayerKind}, name {@code dynamic-filter}. Inputs: {@code x [N, C, H, W]} and
 * {@code filter [N, K*K, H', W']} (tap {@code u = a*K + b} row-major, on the output grid), the filter-generating
 * network's output. No parameters: the state dict is empty.
 */
public final class DfnKind implements LayerKind<DfnLayer> {

    public static final String NAME = "dynamic-filter";
    /** The name of the per-pixel filter input. */
    public static final String FILTER = "filter";

    private static final List<Settings.Setting> SETTINGS = List.of(
            new Settings.Setting("in_channels", "4", "channels C of x (= of the output)"),
            new Settings.Setting("kernel_size", "3", "kernel size K (odd); the filter has K*K taps"),
            new Settings.Setting("stride", "1", "stride s"),
            new Settings.Setting("dilation", "1", "dilation d"),
            new Settings.Setting("padding", "1", "explicit integer padding p; output floor((H + 2p - d(K-1) - 1)/s) + 1"),
            new Settings.Setting("padding_mode", "zeros", "zeros or circular"),
            new Settings.Setting("softmax", "true", "softmax-normalise the filter over its K*K taps (all taps, in the image or not)"));

    public static final DfnKind INSTANCE = new DfnKind();

    private DfnKind() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "dynamic local filtering (Jia et al., NeurIPS 2016): a given per-pixel filter F[n,u,p] (softmax over u"
                + " optional) applied to every channel";
    }

    @Override
    public Class<DfnLayer> layerClass() {
        return DfnLayer.class;
    }

    @Override
    public List<Settings.Setting> settings() {
        return SETTINGS;
    }

    @Override
    public List<InputSpec> inputs() {
        return List.of(new InputSpec(Inputs.X, "[N, C, H, W]", "the input"),
                new InputSpec(FILTER, "[N, K*K, H', W']", "the per-pixel filter (logits when softmax = true), tap u = a*K + b"));
    }

    /** The config these settings describe; errors name the key and where it came from. */
    public DfnConfig config(Settings s) {
        s.requireKnown(NAME, SETTINGS);
        try {
            return new DfnConfig(s.integer("in_channels", SETTINGS, 1, DfnConfig.MAX_CHANNELS),
                    s.oddInteger("kernel_size", SETTINGS, 1, DfnConfig.MAX_KERNEL),
                    s.integer("stride", SETTINGS, 1, DfnConfig.MAX_STEP),
                    s.integer("dilation", SETTINGS, 1, DfnConfig.MAX_STEP),
                    s.integer("padding", SETTINGS, 0, DfnConfig.MAX_PADDING),
                    PaddingMode.parse(s.text("padding_mode", SETTINGS), s.source() + ": 'padding_mode'"),
                    s.bool("softmax", SETTINGS));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(s.source())) {
                throw e;
            }
            throw new IllegalArgumentException(s.source() + ": " + e.getMessage(), e);
        }
    }

    /** The layer (it has no parameters, so the seed is not used). */
    @Override
    public DfnLayer random(Settings settings, long seed) {
        return new DfnLayer(config(settings));
    }

    @Override
    public DfnLayer load(Settings settings, Map<String, Tensor> stateDict) {
        DfnConfig c = config(settings);
        StateDicts.checked("dynamic-filter layer " + c.summary(), Map.of(), stateDict);
        return new DfnLayer(c);
    }

    @Override
    public Settings settingsOf(DfnLayer layer) {
        DfnConfig c = layer.config();
        return Settings.empty().with("in_channels", c.inChannels()).with("kernel_size", c.kernelSize())
                .with("stride", c.stride()).with("dilation", c.dilation()).with("padding", c.padding())
                .with("padding_mode", c.paddingMode().id()).with("softmax", c.softmax());
    }

    /** The filter's shape {@code [N, K*K, H', W']} for an input {@code x} of {@code h x w}. */
    public static int[] filterShape(DfnConfig c, int batch, int h, int w) {
        Sampling s = c.sampling(h, w);
        return new int[] {batch, c.taps(), s.outHeight(), s.outWidth()};
    }

    @Override
    public int[] checkInputs(DfnLayer layer, Inputs inputs) {
        requireKnownInputs(inputs);
        DfnConfig c = layer.config();
        Tensor x = inputs.get(Inputs.X);
        StateDicts.requireImage(Inputs.X, x, c.inChannels());
        int[] fs = filterShape(c, x.dim(0), x.dim(2), x.dim(3));
        StateDicts.requireInput(FILTER, inputs.get(FILTER), fs, "[N, K*K, H', W']");
        return new int[] {fs[0], c.inChannels(), fs[2], fs[3]};
    }

    /** {@code x} uniform in {@code [-1, 1)}; the filter uniform in {@code [-2, 2)} (logits, or raw weights). */
    @Override
    public Inputs randomInputs(DfnLayer layer, int batch, int height, int width, long seed) {
        DfnConfig c = layer.config();
        SplittableRandom rng = new SplittableRandom(seed);
        Tensor x = Tensor.zeros(batch, c.inChannels(), height, width);
        StateDicts.uniform(x, rng, -1, 1);
        Tensor f = Tensor.zeros(filterShape(c, batch, height, width));
        StateDicts.uniform(f, rng, -2, 2);
        return Inputs.builder().put(Inputs.X, x).put(FILTER, f).build();
    }

    @Override
    public OracleResult oracleForward(DfnLayer layer, Inputs inputs) {
        checkInputs(layer, inputs);
        return DfnFilter.forward(layer, inputs);
    }

    @Override
    public AcdaOracleBackward.Gradients oracleBackward(DfnLayer layer, Inputs inputs, Tensor dy) {
        int[] out = checkInputs(layer, inputs);
        return DfnFilter.backward(layer, inputs, dy, out);
    }
}
