package org.acdajvm.layers.involution;

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
 * Involution (Li et al., CVPR 2021) as a {@link LayerKind}, name {@code involution}, written from the mathematics
 * ({@link InvolutionLayer}, {@link InvolutionConfig}).
 *
 * <p>State-dict keys: {@code reduce.weight [R, C, 1, 1]}, {@code reduce.bias [R]}, {@code bn.weight},
 * {@code bn.bias}, {@code bn.running_mean}, {@code bn.running_var} ({@code [R]} each), {@code span.weight
 * [G K^2, R, 1, 1]}, {@code span.bias [G K^2]}. These are this project's names, chosen from the mathematics: the
 * paper's official module names its two stages {@code conv1} (a ConvModule holding {@code conv} and {@code bn}, its
 * conv without a bias) and {@code conv2}, so its weights load after renaming keys (and, for {@code conv1}, with a
 * zero {@code reduce.bias}); {@code num_batches_tracked} is not used.
 */
public final class InvolutionKind implements LayerKind<InvolutionLayer> {

    public static final String NAME = "involution";

    private static final List<Settings.Setting> SETTINGS = List.of(
            new Settings.Setting("in_channels", "16", "channels C (= output channels)"),
            new Settings.Setting("kernel_size", "3", "kernel size K (odd)"),
            new Settings.Setting("stride", "1", "stride s; the kernel branch runs on avgpool(s, s, ceil_mode) of x"),
            new Settings.Setting("dilation", "1", "dilation d; padding d(K-1)/2, output ceil(H/s) x ceil(W/s)"),
            new Settings.Setting("padding_mode", "zeros", "zeros or circular"),
            new Settings.Setting("groups", "4", "groups G (dividing C), one kernel per group and pixel"),
            new Settings.Setting("reduction", "4", "reduction r: the kernel branch's hidden width is floor(C/r) >= 1"));

    // After the settings: class initialisation runs in text order.
    public static final InvolutionKind INSTANCE = new InvolutionKind();

    private InvolutionKind() {
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String description() {
        return "involution (Li et al. 2021): Wpix[n,p][o,c,u] = delta(o,c) H[n,g(c),u,p], H from 1x1 conv-BN-ReLU-1x1 conv of x";
    }

    @Override
    public Class<InvolutionLayer> layerClass() {
        return InvolutionLayer.class;
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
    public InvolutionConfig config(Settings s) {
        s.requireKnown(NAME, SETTINGS);
        try {
            int c = s.integer("in_channels", SETTINGS, 1, InvolutionConfig.MAX_CHANNELS);
            return new InvolutionConfig(c,
                    s.integer("kernel_size", SETTINGS, 1, InvolutionConfig.MAX_KERNEL),
                    s.integer("stride", SETTINGS, 1, InvolutionConfig.MAX_STEP),
                    s.integer("dilation", SETTINGS, 1, InvolutionConfig.MAX_STEP),
                    PaddingMode.parse(s.text("padding_mode", SETTINGS), s.source() + ": 'padding_mode'"),
                    s.integer("groups", SETTINGS, 1, c),
                    s.integer("reduction", SETTINGS, 1, c));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(s.source())) {
                throw e;
            }
            throw new IllegalArgumentException(s.source() + ": " + e.getMessage(), e);
        }
    }

    /**
     * A layer whose every parameter matters: the two 1x1 convs initialised like {@code nn.Conv2d} (weight and bias
     * uniform in {@code +-1/sqrt(fan_in)}), the BatchNorm randomised as {@code AcdaInit.randomized} does
     * (weight in [0.5, 1.5), bias and running mean in [-0.5, 0.5), running variance in [0.25, 2)).
     */
    public static InvolutionLayer random(InvolutionConfig c, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, Tensor> p = new LinkedHashMap<>();
        InvolutionLayer.expectedShapes(c).forEach((k, shape) -> p.put(k, Tensor.zeros(shape)));
        double b1 = 1.0 / Math.sqrt(c.channels());
        double b2 = 1.0 / Math.sqrt(c.reduced());
        StateDicts.uniform(p.get(InvolutionLayer.REDUCE_WEIGHT), rng, -b1, b1);
        StateDicts.uniform(p.get(InvolutionLayer.REDUCE_BIAS), rng, -b1, b1);
        StateDicts.uniform(p.get(InvolutionLayer.BN_WEIGHT), rng, 0.5, 1.5);
        StateDicts.uniform(p.get(InvolutionLayer.BN_BIAS), rng, -0.5, 0.5);
        StateDicts.uniform(p.get(InvolutionLayer.BN_MEAN), rng, -0.5, 0.5);
        StateDicts.uniform(p.get(InvolutionLayer.BN_VAR), rng, 0.25, 2.0);
        StateDicts.uniform(p.get(InvolutionLayer.SPAN_WEIGHT), rng, -b2, b2);
        StateDicts.uniform(p.get(InvolutionLayer.SPAN_BIAS), rng, -b2, b2);
        return new InvolutionLayer(c, p);
    }

    @Override
    public InvolutionLayer random(Settings settings, long seed) {
        return random(config(settings), seed);
    }

    @Override
    public InvolutionLayer load(Settings settings, Map<String, Tensor> stateDict) {
        return new InvolutionLayer(config(settings), stateDict);
    }

    @Override
    public Settings settingsOf(InvolutionLayer layer) {
        InvolutionConfig c = layer.config();
        return Settings.empty().with("in_channels", c.channels()).with("kernel_size", c.kernelSize())
                .with("stride", c.stride()).with("dilation", c.dilation()).with("padding_mode", c.paddingMode().id())
                .with("groups", c.groups()).with("reduction", c.reduction());
    }

    @Override
    public int[] checkInputs(InvolutionLayer layer, Inputs inputs) {
        requireKnownInputs(inputs);
        InvolutionConfig c = layer.config();
        Tensor x = inputs.get(Inputs.X);
        StateDicts.requireImage(Inputs.X, x, c.channels());
        var s = c.sampling(x.dim(2), x.dim(3));
        return new int[] {x.dim(0), c.channels(), s.outHeight(), s.outWidth()};
    }

    @Override
    public Inputs randomInputs(InvolutionLayer layer, int batch, int height, int width, long seed) {
        Tensor x = Tensor.zeros(batch, layer.config().channels(), height, width);
        StateDicts.uniform(x, new SplittableRandom(seed), -1, 1);
        return Inputs.of(x);
    }

    @Override
    public OracleResult oracleForward(InvolutionLayer layer, Inputs inputs) {
        checkInputs(layer, inputs);
        return InvolutionFilter.forward(layer, inputs.x());
    }

    @Override
    public AcdaOracleBackward.Gradients oracleBackward(InvolutionLayer layer, Inputs inputs, Tensor dy) {
        int[] out = checkInputs(layer, inputs);
        return InvolutionFilter.backward(layer, inputs.x(), dy, out);
    }
}
