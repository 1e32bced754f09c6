package org.acdajvm.oracle;

import java.util.EnumMap;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * ACDA's oracle as a {@link PixelFilter} (DESIGN section 5's naive per-pixel form): per image the generator
 * ({@link AcdaOracle#generator}), per pixel the atoms {@code D[m][u] = sum_t G[m*T + t] Psi[t][u]} and the
 * filter {@code Wpix[o][c][u] = sum_m coef[o, c*M + m] D[m][u]}, with the carried generator error
 * ({@link AcdaOracle#carriedGeneratorError}) and the tight variance of both evaluation orders from
 * {@link ForwardRounding} (set whole in {@link PixelFilter.Pixel#orderVariance}, since the two-layer order is
 * not a per-pixel filter's). The loops and their orders are {@link AcdaOracle#pixel}'s, so
 * {@link PixelFilterOracle#forward} with this filter gives a result bit-identical to {@link AcdaOracle#forward}
 * ({@code AcdaFilterTest} asserts it). The oracle's header rules apply.
 */
public final class AcdaFilter implements PixelFilter {

    private final Params p;
    private final Images images;
    private final AcdaConfig cfg;
    private final Sampling sampling;
    private final double[][] atom;
    private final double[][] atomAbs;
    private final double[][] basisDotPatch;
    private final double[] yPixel;
    private final double[] gPixel;
    private final double[][][] orderVariance;
    private final ForwardRounding tight;
    private AcdaOracle.Generator gen;
    private double[][][][] genVariance;

    AcdaFilter(Params p, Images x) {
        this.p = p;
        this.images = x;
        this.cfg = p.config;
        this.sampling = new Sampling(cfg.kernelSize(), cfg.stride(), cfg.dilation(), cfg.pad(), cfg.pad(), cfg.padding(),
                cfg.outSize(x.height), cfg.outSize(x.width));
        atom = new double[cfg.atoms()][cfg.taps()];
        atomAbs = new double[cfg.atoms()][cfg.taps()];
        basisDotPatch = new double[cfg.inChannels()][cfg.bases()];
        yPixel = new double[cfg.outChannels()];
        gPixel = new double[cfg.generatorChannels()];
        orderVariance = new double[2][3][cfg.outChannels()];
        tight = new ForwardRounding(p, orderVariance);
    }

    /**
     * The exact forward of {@code layer} on {@code x} through the oracle core; equal to {@link AcdaOracle#forward}.
     *
     * @param x input {@code [N, C, H, W]} (not modified)
     */
    public static OracleResult forward(AcdaLayer layer, Tensor x) {
        AcdaShapes.checkInput(layer.config(), x);
        Images images = Images.of(x);
        Map<ErrorBounds.Evaluation, Integer> chain = new EnumMap<>(ErrorBounds.Evaluation.class);
        for (ErrorBounds.Evaluation e : ErrorBounds.Evaluation.values()) {
            chain.put(e, e.chainLength(layer.config()));
        }
        return PixelFilterOracle.forward(new AcdaFilter(Params.of(layer), images), PixelFilterOracle.images(x), chain);
    }

    @Override
    public Sampling sampling() {
        return sampling;
    }

    @Override
    public int inChannels() {
        return cfg.inChannels();
    }

    @Override
    public int outChannels() {
        return cfg.outChannels();
    }

    @Override
    public void beginImage(int n, double[][][] x) {
        gen = AcdaOracle.generator(p, images, n, sampling.outHeight(), sampling.outWidth());
        genVariance = tight.generator(images, n, gen).value();
    }

    @Override
    public void filterAt(int ho, int wo, Pixel px) {
        int outC = cfg.outChannels();
        int inC = cfg.inChannels();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        // Atoms: D[m][u] = sum_t G[m*T + t] * Psi[t][u].
        for (int m = 0; m < atoms; m++) {
            for (int u = 0; u < taps; u++) {
                double d = 0;
                double dAbs = 0;
                for (int t = 0; t < bases; t++) {
                    double g = gen.value()[m * bases + t][ho][wo];
                    double psi = p.psi[t * taps + u];
                    d += g * psi;
                    dAbs += Math.abs(g * psi);
                }
                atom[m][u] = d;
                atomAbs[m][u] = dAbs;
            }
        }
        // Wpix[o][c][u] = sum_m coef[o, c*M + m] * D[m][u].
        for (int o = 0; o < outC; o++) {
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    double wv = 0;
                    double wAbs = 0;
                    for (int m = 0; m < atoms; m++) {
                        double cf = p.coef[o * inC * atoms + c * atoms + m];
                        wv += cf * atom[m][u];
                        wAbs += Math.abs(cf) * atomAbs[m][u];
                    }
                    px.w[o][c][u] = wv;
                    px.wAbs[o][c][u] = wAbs;
                }
            }
        }
        double[][] patch = px.patch;
        for (int c = 0; c < inC; c++) {
            for (int t = 0; t < bases; t++) {
                double s = 0;
                for (int u = 0; u < taps; u++) {
                    s += p.psi[t * taps + u] * patch[c][u];
                }
                basisDotPatch[c][t] = s;
            }
        }
        for (int o = 0; o < outC; o++) {
            px.bias[o] = p.bias[o];
            px.carried[o] = AcdaOracle.carriedGeneratorError(p, basisDotPatch, gen, o, ho, wo);
            // The output itself, as the core computes it, for the rounding model's storage term.
            double acc = p.bias[o];
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    acc += px.w[o][c][u] * patch[c][u];
                }
            }
            yPixel[o] = acc;
        }
        for (int j = 0; j < gPixel.length; j++) {
            gPixel[j] = gen.value()[j][ho][wo];
        }
        tight.pixel(yPixel, 0, 1, gPixel, genVariance, ho, wo, patch);
        px.orderVariance = orderVariance;
    }

    /** ACDA's backward stays {@link AcdaOracleBackward} (its generator's variance model is not a filter's yet). */
    @Override
    public void backward(int ho, int wo, Pixel px, GradientSink sink) {
        throw new UnsupportedOperationException("ACDA's backward is AcdaOracleBackward");
    }
}
