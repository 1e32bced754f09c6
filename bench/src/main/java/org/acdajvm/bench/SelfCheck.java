package org.acdajvm.bench;

import java.util.Arrays;
import java.util.function.Consumer;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.tensor.Tensor;

/**
 * The check each benchmark runs in its setup, so that a fast wrong answer can never be reported:
 * the backend's output against the oracle, within the bound. For shapes where the oracle would take
 * too long (it reconstructs every filter), both run on a spatial crop of the input with the same
 * layer, which exercises the same channel counts, kernel size and code paths.
 */
final class SelfCheck {

    /** Largest side of the input the oracle is run on. */
    static final int CROP = 12;

    /**
     * System property that turns the setup checks of {@code AcdaForwardBenchmark} and
     * {@code AcdaBackwardBenchmark} off when {@code false}. {@code BenchReport} sets it for every fork of
     * a variant on a configuration after the first one, which checked the same code on the same inputs
     * (the backward's check, the scalar backward at full size, takes up to a minute).
     */
    static final String PROPERTY = "acda.bench.selfCheck";

    /** Whether the setup checks run in this JVM (see {@link #PROPERTY}). */
    static boolean enabled() {
        return !"false".equals(System.getProperty(PROPERTY));
    }

    private SelfCheck() {
    }

    /** The top-left {@code min(H, side) x min(W, side)} crop of image 0. */
    static Tensor crop(Tensor x, int side) {
        int h = Math.min(side, x.dim(2));
        int w = Math.min(side, x.dim(3));
        Tensor out = Tensor.zeros(1, x.dim(1), h, w);
        for (int c = 0; c < x.dim(1); c++) {
            for (int i = 0; i < h; i++) {
                for (int j = 0; j < w; j++) {
                    out.set(0, c, i, j, x.get(0, c, i, j));
                }
            }
        }
        return out;
    }

    /**
     * The output of a forwardInto benchmark: a tensor of {@code expected}'s shape (the allocating call's output), filled
     * with NaN so that an element the call leaves alone is seen, written by {@code into}, and checked bit for bit
     * against {@code expected}.
     */
    static Tensor intoOutput(String what, Tensor expected, Consumer<Tensor> into) {
        Tensor y = Tensor.zeros(expected.shape());
        Arrays.fill(y.data(), Float.NaN);
        into.accept(y);
        sameBits(what, expected, y);
        return y;
    }

    /**
     * Throws unless {@code actual} holds the same floats, bit for bit, as {@code expected} (the same code writing into
     * a caller's output instead of a new one; NaNs of the same bits count as equal).
     */
    static void sameBits(String what, Tensor expected, Tensor actual) {
        float[] e = expected.data();
        float[] a = actual.data();
        for (int i = 0; i < e.length; i++) {
            if (Float.floatToRawIntBits(e[i]) != Float.floatToRawIntBits(a[i])) {
                throw new IllegalStateException("benchmark self-check failed: " + what + " wrote " + a[i]
                        + " at element " + i + " where the allocating call wrote " + e[i]);
            }
        }
    }

    /** Throws unless {@code backend} agrees with the oracle on a crop of {@code x}. */
    static void againstOracle(AcdaBackend backend, AcdaLayer layer, Tensor x) {
        Tensor small = crop(x, CROP);
        ErrorReport r = ErrorReport.compare(AcdaOracle.forward(layer, small), backend.forward(layer, small),
                backend.evaluation());
        if (!r.accepted()) {
            throw new IllegalStateException("benchmark self-check failed for backend " + backend.name() + ": "
                    + r.describe());
        }
    }

    /** Throws unless a plain convolution output {@code y} of a crop agrees with a direct double convolution. */
    static void plainConv(Tensor x, Tensor weight, float[] bias, Tensor y) {
        int c = x.dim(1);
        int o = weight.dim(0);
        int k = weight.dim(2);
        int pad = (k - 1) / 2;
        for (int q = 0; q < o; q++) {
            for (int i = 0; i < y.dim(2); i++) {
                for (int j = 0; j < y.dim(3); j++) {
                    double acc = bias[q];
                    double abs = Math.abs(bias[q]);
                    for (int ch = 0; ch < c; ch++) {
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int r = PaddingMode.ZEROS.index(i + a - pad, x.dim(2));
                                int s = PaddingMode.ZEROS.index(j + b - pad, x.dim(3));
                                if (r >= 0 && s >= 0) {
                                    double p = (double) weight.get(q, ch, a, b) * x.get(0, ch, r, s);
                                    acc += p;
                                    abs += Math.abs(p);
                                }
                            }
                        }
                    }
                    double bound = ErrorBounds.accept(c * k * k + 1, abs, 0);
                    if (Math.abs(y.get(0, q, i, j) - acc) > bound) {
                        throw new IllegalStateException("plain-conv self-check failed at (0, " + q + ", " + i + ", " + j
                                + "): " + y.get(0, q, i, j) + " vs " + acc + ", bound " + bound);
                    }
                }
            }
        }
    }
}
