package org.acdajvm.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The training pieces: each checked against a property that does not depend on how it is coded. */
class TrainPiecesTest {

    private static Tensor random(long seed, int... shape) {
        Tensor t = Tensor.zeros(shape);
        AcdaInit.fill(t, new SplittableRandom(seed), -1, 1);
        return t;
    }

    private static double dot(Tensor a, Tensor b) {
        double s = 0;
        for (int i = 0; i < a.size(); i++) {
            s += (double) a.data()[i] * b.data()[i];
        }
        return s;
    }

    /**
     * {@code y - bias} is bilinear in the weight and the input, so {@code <dy, y - bias> = <dx, x> = <dw, w>}
     * for any {@code dy}: a check of both gradients that no index slip survives, for both paddings.
     */
    @Test
    void plainConvGradientsSatisfyTheAdjointIdentities() {
        for (PaddingMode mode : PaddingMode.values()) {
            Tensor w = random(1, 3, 2, 5, 5);
            Tensor b = random(2, 3);
            PlainConv conv = new PlainConv(w, b, mode);
            Tensor x = random(3, 2, 2, 7, 6);
            Tensor y = conv.forward(x);
            Tensor dy = random(4, y.shape());
            Map<String, Tensor> g = conv.backward(x, dy);
            double lhs = 0;
            double dySum0 = 0;
            for (int n = 0; n < 2; n++) {
                for (int o = 0; o < 3; o++) {
                    for (int i = 0; i < 7; i++) {
                        for (int j = 0; j < 6; j++) {
                            lhs += (double) dy.get(n, o, i, j) * (y.get(n, o, i, j) - b.data()[o]);
                            if (o == 0) {
                                dySum0 += dy.get(n, o, i, j);
                            }
                        }
                    }
                }
            }
            double scale = 1 + Math.abs(lhs);
            assertEquals(lhs, dot(g.get(PlainConv.INPUT), x), 1e-5 * scale, mode + ": <dy, y - b> vs <dx, x>");
            assertEquals(lhs, dot(g.get(PlainConv.WEIGHT), w), 1e-5 * scale, mode + ": <dy, y - b> vs <dw, w>");
            assertEquals(dySum0, g.get(PlainConv.BIAS).data()[0], 1e-5, mode + ": dbias");
        }
    }

    @Test
    void mseGradientMatchesCentralDifferences() {
        Tensor y = random(5, 1, 1, 3, 4);
        Tensor t = random(6, 1, 1, 3, 4);
        Tensor g = MseLoss.gradient(y, t);
        for (int i = 0; i < y.size(); i++) {
            float keep = y.data()[i];
            double h = 1e-3;
            y.data()[i] = (float) (keep + h);
            double up = MseLoss.loss(y, t);
            y.data()[i] = (float) (keep - h);
            double down = MseLoss.loss(y, t);
            y.data()[i] = keep;
            double step = ((double) (float) (keep + h) - (float) (keep - h));
            assertEquals((up - down) / step, g.data()[i], 1e-5, "element " + i);
        }
    }

    @Test
    void sgdMomentumStepsAsWrittenAndBoundsTheStep() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put("w", Tensor.wrap(new float[] {1f}, 1));
        Map<String, Tensor> g = Map.of("w", Tensor.wrap(new float[] {1f}, 1), "x", Tensor.zeros(2));
        SgdMomentum sgd = new SgdMomentum(0.1, 0.9, Double.POSITIVE_INFINITY);
        sgd.step(p, g);
        assertEquals(0.9f, p.get("w").data()[0], 1e-7f);      // v = 1
        sgd.step(p, g);
        assertEquals(0.71f, p.get("w").data()[0], 1e-6f);     // v = 0.9 + 1
        Map<String, Tensor> q = new LinkedHashMap<>();
        q.put("a", Tensor.zeros(2));
        double norm = new SgdMomentum(1, 0, 0.5).step(q, Map.of("a", Tensor.wrap(new float[] {3f, 4f}, 2)));
        assertEquals(0.5, norm, 1e-7);
        assertEquals(-0.3f, q.get("a").data()[0], 1e-6f);
        assertEquals(-0.4f, q.get("a").data()[1], 1e-6f);
        assertThrows(IllegalArgumentException.class, () -> new SgdMomentum(0, 0.9, 1));
    }

    @Test
    void toyPatternsAreDeterministicAndMarkEveryCentre() {
        ToyPatterns.Sample a = ToyPatterns.synthesize(7, 128, 25);
        ToyPatterns.Sample b = ToyPatterns.synthesize(7, 128, 25);
        assertEquals(a.input(), b.input());
        assertEquals(25, a.rings().size());
        double sum = 0;
        for (float v : a.target().data()) {
            sum += v;
        }
        assertEquals(25, sum);
        int[] perScale = new int[3];
        for (ToyPatterns.Ring r : a.rings()) {
            assertEquals(1f, a.target().get(0, 0, r.row(), r.col()));
            perScale[java.util.Arrays.binarySearch(ToyPatterns.RADII, r.radius())]++;
        }
        assertTrue(perScale[0] >= 8 && perScale[1] >= 8 && perScale[2] >= 8, java.util.Arrays.toString(perScale));
        Tensor s = ToyPatterns.shift(a.input(), 20, 20);
        assertEquals(a.input().get(0, 0, 10, 30), s.get(0, 0, 30, 50));
        assertEquals(0f, s.get(0, 0, 5, 60));
    }
}
