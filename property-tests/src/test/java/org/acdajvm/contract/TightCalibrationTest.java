package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The tight tier's calibration (DESIGN section 7, {@link ErrorBounds}): correct float32
 * evaluations in every order written in {@link Float32Acda} (sequential, reversed, pairwise, 16
 * lanes, four tiles; with and without fused multiply-adds), on layers from narrow to wide
 * ({@code C*K^2} up to 12,544) and on mean-zero, all-positive and constant inputs, are ACCEPTED,
 * forward and every gradient. The test prints, per layer width, the largest tight ratio and the
 * largest {@code mean z^2 / threshold} of correct code, so the margin is on record; the mutation
 * suite prints the smallest ratio of the mutants beside it.
 */
class TightCalibrationTest {

    /** Correct code must stay below this fraction of the tight bound: the margin the model claims. */
    private static final double MARGIN = 0.5;

    record Layer(String name, AcdaConfig config, int h, int w, int batch) {
    }

    static List<Layer> layers() {
        return List.of(
                new Layer("C=4 K=3", AcdaConfig.builder(4, 4, 3).build(), 9, 7, 2),
                new Layer("C=16 K=7 s=2", AcdaConfig.builder(16, 8, 7).stride(2).build(), 11, 10, 1),
                new Layer("C=64 K=7 circular", AcdaConfig.builder(64, 8, 7).padding(org.acdajvm.layer.PaddingMode.CIRCULAR).build(), 8, 8, 1),
                new Layer("C=256 K=7", AcdaConfig.builder(256, 4, 7).build(), 6, 6, 1));
    }

    enum InputKind { MEAN_ZERO, ALL_POSITIVE, CONSTANT }

    static Tensor input(Layer l, InputKind kind, long seed) {
        Tensor x = AcdaInit.input(l.config(), l.batch(), l.h(), l.w(), seed);
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            d[i] = switch (kind) {
                case MEAN_ZERO -> d[i];
                case ALL_POSITIVE -> Math.abs(d[i]);   // post-ReLU activations
                case CONSTANT -> 0.75f;
            };
        }
        return x;
    }

    @Test
    void correctFloat32InEveryOrderIsAcceptedForwardAndBackward() {
        List<String> table = new ArrayList<>();
        int checked = 0;
        for (Layer l : layers()) {
            AcdaLayer layer = AcdaInit.randomized(l.config(), 11);
            double worstForward = 0;
            double worstAggregate = 0;
            double worstGradient = 0;
            double worstGradAggregate = 0;
            for (InputKind kind : InputKind.values()) {
                Tensor x = input(l, kind, 12);
                OracleResult oracle = AcdaOracle.forward(layer, x);
                Tensor dy = AcdaInit.input(AcdaConfig.builder(oracle.shape()[1], 1, 3).build(), oracle.shape()[0],
                        oracle.shape()[2], oracle.shape()[3], 13);
                boolean backward = kind != InputKind.CONSTANT || l.config().inChannels() <= 64;
                AcdaOracleBackward.Gradients grads = backward ? AcdaOracleBackward.backward(layer, x, dy) : null;
                for (Float32Acda.Order order : Float32Acda.Order.values()) {
                    for (boolean fma : new boolean[] {false, true}) {
                        if (l.config().inChannels() >= 256 && order != Float32Acda.Order.SEQUENTIAL && fma) {
                            continue;   // keep the widest layer to the five orders without FMA plus sequential FMA
                        }
                        Float32Acda impl = new Float32Acda();
                        impl.order = order;
                        impl.fma = fma;
                        String what = l.name() + " " + kind + " " + order + (fma ? " fma" : "");
                        ErrorReport r = ErrorReport.compare(oracle, impl.forward(layer, x), ErrorBounds.Evaluation.TWO_LAYER);
                        assertEquals(ErrorReport.Verdict.ACCEPTED, r.verdict(), what + ": " + r.describe());
                        assertTrue(r.maxRatio() < MARGIN, what + ": tight ratio " + r.maxRatio() + " leaves too little margin");
                        worstForward = Math.max(worstForward, r.maxRatio());
                        worstAggregate = Math.max(worstAggregate, aggregate(r));
                        checked++;
                        if (grads != null && (order == Float32Acda.Order.SEQUENTIAL || order == Float32Acda.Order.PAIRWISE
                                || order == Float32Acda.Order.LANES)) {
                            Map<String, Tensor> g = impl.backward(layer, x, dy);
                            for (Map.Entry<String, AcdaOracleBackward.Gradient> e : grads.byKey().entrySet()) {
                                Tensor actual = g.get(e.getKey());
                                ErrorReport gr = ErrorReport.compare(e.getValue().reference(Precision.FP32),
                                        ErrorReport.widen(actual), actual.shape(), ErrorReport.Tier.TIGHT);
                                assertEquals(ErrorReport.Verdict.ACCEPTED, gr.verdict(), what + " grad " + e.getKey() + ": " + gr.describe());
                                worstGradient = Math.max(worstGradient, gr.maxRatio());
                                worstGradAggregate = Math.max(worstGradAggregate, aggregate(gr));
                                checked++;
                            }
                        }
                    }
                }
            }
            table.add(String.format(Locale.ROOT, "  %-20s C*K^2 = %5d: forward max tight ratio %.3f, max mean z^2/threshold %.4f; "
                            + "gradients max tight ratio %.3f, max mean z^2/threshold %.4f", l.name(),
                    l.config().inChannels() * l.config().taps(), worstForward, worstAggregate, worstGradient, worstGradAggregate));
        }
        System.out.println("tight calibration, correct float32 code (" + checked + " tensors checked):");
        table.forEach(System.out::println);
        assertTrue(checked > 300, "checked only " + checked + " tensors");
    }

    /** The largest {@code mean z^2 / threshold} of the tensor and its channels. */
    static double aggregate(ErrorReport r) {
        double a = r.meanSquare() / r.threshold();
        for (ErrorReport.Channel c : r.channels()) {
            a = Math.max(a, c.meanSquare() / c.threshold());
        }
        return a;
    }
}
