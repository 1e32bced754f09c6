package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.acdajvm.backend.AcdaForwardScalar;
import org.acdajvm.basis.FourierBessel;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.ConvToAcda;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.Compare;
import org.acdajvm.testkit.PlainConv;

/** Conv-to-ACDA conversion: exact for weights in the span with rank at most M, optimal otherwise. */
class ConvToAcdaProperties {

    /**
     * A weight {@code W = coef * (alpha Psi)} built from r <= M random atoms in the span: the converted
     * layer's float32 output equals the plain convolution of W (in double) within the layer's bound.
     */
    @Property(tries = 60)
    void weightsInTheSpanWithRankAtMostMConvertExactly(@ForAll @IntRange(min = 1, max = 5) int inC,
                                                      @ForAll @IntRange(min = 1, max = 5) int outC,
                                                      @ForAll @IntRange(min = 1, max = 3) int half,
                                                      @ForAll @IntRange(min = 1, max = 6) int perScale,
                                                      @ForAll @IntRange(min = 1, max = 8) int atoms,
                                                      @ForAll long seed) {
        int k = 2 * half + 1;
        AcdaConfig cfg = AcdaConfig.builder(inC, outC, k).basesPerScale(perScale).atoms(atoms).build();
        int bases = cfg.bases();
        int taps = k * k;
        int rank = Math.min(atoms, Math.min(bases, inC * outC));
        SplittableRandom rng = new SplittableRandom(seed);
        double[][] psi = FourierBessel.multiScale(k, perScale);
        double[][] atomsTrue = new double[rank][taps];
        for (int r = 0; r < rank; r++) {
            for (int t = 0; t < bases; t++) {
                double a = rng.nextDouble(-1, 1);
                for (int u = 0; u < taps; u++) {
                    atomsTrue[r][u] += a * (float) psi[t][u];
                }
            }
        }
        Tensor w = Tensor.zeros(outC, inC, k, k);
        for (int row = 0; row < outC * inC; row++) {
            for (int r = 0; r < rank; r++) {
                double c = rng.nextDouble(-1, 1);
                for (int u = 0; u < taps; u++) {
                    w.data()[row * taps + u] += (float) (c * atomsTrue[r][u]);
                }
            }
        }
        Tensor bias = Tensor.zeros(outC);
        AcdaInit.fill(bias, rng, -1, 1);
        ConvToAcda.Result r = ConvToAcda.convert(w, bias, cfg, seed);
        assertTrue(r.relativeError() < 1e-5, "relative error " + r.relativeError() + " for " + cfg.summary());

        Tensor x = AcdaInit.input(cfg, 1, 9, 8, seed + 1);
        AcdaLayer layer = r.layer();
        OracleResult oracle = AcdaOracle.forward(layer, x);
        double[][][] weight = new double[outC][inC][taps];
        for (int o = 0; o < outC; o++) {
            for (int c = 0; c < inC; c++) {
                for (int u = 0; u < taps; u++) {
                    weight[o][c][u] = w.data()[(o * inC + c) * taps + u];
                }
            }
        }
        double[] plain = PlainConv.forward(x, weight, toDouble(bias.data()), k, 1, 1, PaddingMode.ZEROS);
        double[] bound = new double[plain.length];
        for (int i = 0; i < bound.length; i++) {
            // The conversion's own rounding (|W - Wc| <= relativeError |W|) is carried on top of the layer's bound.
            bound[i] = oracle.bound(i, ErrorBounds.Evaluation.TWO_LAYER) + 2 * r.relativeError() * oracle.sumAbs()[i];
        }
        Tensor y = AcdaForwardScalar.forward(layer, x);
        Compare.assertClose(plain, y.data(), bound, y.shape(), cfg.summary());
    }

    /** The case the property first failed on: T = 1, M = 2, so the second atom has nothing to represent. */
    @net.jqwik.api.Example
    void moreAtomsThanTheSpanAllowsLeavesTheRestZero() {
        weightsInTheSpanWithRankAtMostMConvertExactly(1, 4, 1, 1, 2, 0L);
    }

    /** Any weight: the error is at least the span's, equals it when M >= T, and shrinks as M grows. */
    @Property(tries = 10)
    void theApproximationIsTheBestTheBasesAllow(@ForAll @IntRange(min = 1, max = 4) int inC, @ForAll long seed) {
        Tensor w = Tensor.zeros(3, inC, 5, 5);
        AcdaInit.fill(w, new SplittableRandom(seed), -1, 1);
        double previous = Double.POSITIVE_INFINITY;
        for (int atoms = 1; atoms <= 12; atoms++) {
            AcdaConfig cfg = AcdaConfig.builder(inC, 3, 5).atoms(atoms).bias(false).build();
            ConvToAcda.Result r = ConvToAcda.convert(w, null, cfg, seed);
            assertTrue(r.relativeError() >= r.spanError() - 1e-6, "M=" + atoms);
            assertTrue(r.relativeError() <= previous + 1e-6, "error grows with M=" + atoms);
            if (atoms >= cfg.bases()) {
                assertEquals(r.spanError(), r.relativeError(), 1e-5, "M >= T leaves only the span error");
            }
            previous = r.relativeError();
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
