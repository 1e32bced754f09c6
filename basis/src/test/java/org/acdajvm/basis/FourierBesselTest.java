package org.acdajvm.basis;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every check value of DESIGN.md section 4, to 1e-6. */
class FourierBesselTest {

    private static final double TOL = 1e-6;

    @Test
    void besselZerosMatchKnownValues() {
        assertEquals(2.404825557695773, BesselZeros.zeros(0, 1)[0], 1e-13);
        assertEquals(3.831705970207512, BesselZeros.zeros(1, 1)[0], 1e-13);
        assertEquals(5.520078110286311, BesselZeros.zeros(0, 2)[1], 1e-13);
        assertEquals(5.135622301840683, BesselZeros.zeros(2, 1)[0], 1e-13);
        // Further tabulated values (Abramowitz and Stegun, table 9.5).
        assertEquals(8.653727912911012, BesselZeros.zeros(0, 3)[2], 1e-12);
        assertEquals(7.015586669815619, BesselZeros.zeros(1, 2)[1], 1e-12);
        assertEquals(14.475500686554541, BesselZeros.zeros(10, 1)[0], 1e-11);
        assertEquals(19.99443063, BesselZeros.zeros(15, 1)[0], 1e-8);   // scipy.special.jn_zeros(15, 1)
    }

    @Test
    void zerosAreTheSameFromManyThreadsAtOnce() throws Exception {
        // The contract tests build layers (and so bases) on several threads at once: a root finder shared between
        // them once solved one thread's bracket with another's function ("interval does not bracket a root").
        int threads = 8;
        double[][] expected = new double[threads][];
        for (int t = 0; t < threads; t++) {
            expected[t] = BesselZeros.zeros(t, 12);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<double[]>> runs = new ArrayList<>();
            for (int round = 0; round < 40; round++) {
                for (int t = 0; t < threads; t++) {
                    int k = t;
                    runs.add(pool.submit(() -> BesselZeros.zeros(k, 12)));
                }
            }
            for (int i = 0; i < runs.size(); i++) {
                assertTrue(Arrays.equals(expected[i % threads], runs.get(i).get()), "order " + i % threads);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void zerosAreRootsAndStrictlyIncreasing() {
        for (int k = 0; k <= FourierBessel.MAX_ORDER; k++) {
            double[] z = BesselZeros.zeros(k, 6);
            for (int q = 0; q < z.length; q++) {
                assertTrue(Math.abs(BesselZeros.besselJ(k, z[q])) < 1e-12, "J_" + k + "(j(" + k + "," + (q + 1) + "))");
                if (q > 0) {
                    assertTrue(z[q] - z[q - 1] > 2.9, "zeros of J_" + k + " too close: " + z[q - 1] + ", " + z[q]);
                }
            }
            assertTrue(z[0] > k, "j(" + k + ",1) = " + z[0] + " must exceed " + k);
        }
    }

    @Test
    void countsPerScale() {
        assertEquals(6, FourierBessel.singleScale(1).count());
        assertEquals(14, FourierBessel.singleScale(2).count());
        assertEquals(38, FourierBessel.singleScale(3).count());
    }

    @Test
    void normalisationConstants() {
        assertEquals(2.861714150705, FourierBessel.singleScale(1).normalisation(), 1e-9);
        assertEquals(4.390708534252, FourierBessel.singleScale(2).normalisation(), 1e-9);
        assertEquals(6.351206816145, FourierBessel.singleScale(3).normalisation(), 1e-9);
    }

    @Test
    void orderForL1() {
        List<String> names = FourierBessel.singleScale(1).modes().stream().map(Object::toString).toList();
        assertEquals(List.of("(0,1)", "(1,1)cos", "(1,1)sin", "(2,1)cos", "(2,1)sin", "(0,2)"), names);
    }

    @Test
    void checkValuesL1() {
        FourierBessel.Scale s = FourierBessel.singleScale(1);
        assertGrid(s, 0, new double[][] {
                {0.0493333, 0.3052992, 0.0493333},
                {0.3052992, 0.6731052, 0.3052992},
                {0.0493333, 0.3052992, 0.0493333}});
        assertGrid(s, 5, new double[][] {
                {-0.1117206, -0.408809, -0.1117206},
                {-0.408809, 1.0269675, -0.408809},
                {-0.1117206, -0.408809, -0.1117206}});
        assertGrid(s, 1, new double[][] {
                {-0.0782688, -0.592837, -0.0782688},
                {0, 0, 0},
                {0.0782688, 0.592837, 0.0782688}});
        assertGrid(s, 3, new double[][] {
                {0, 0.6799309, 0},
                {-0.6799309, 0, -0.6799309},
                {0, 0.6799309, 0}});
        assertGrid(s, 4, new double[][] {
                {0.1476663, 0, -0.1476663},
                {0, 0, 0},
                {-0.1476663, 0, 0.1476663}});
        double[] expectedSquares = {0.8356362, 0.7274154, 0.7274154, 1.8492243, 0.0872214, 1.7730874};
        for (int e = 0; e < 6; e++) {
            double sum = 0;
            for (double v : s.values()[e]) {
                sum += v * v;
            }
            assertEquals(expectedSquares[e], sum, TOL, "sum of squares of element " + e);
        }
    }

    @Test
    void centresOfLargerScales() {
        assertEquals(0.4387071, FourierBessel.singleScale(2).value(0, 2, 2), TOL);
        assertEquals(0.3032864, FourierBessel.singleScale(3).value(0, 3, 3), TOL);
    }

    @Test
    void multiScaleStacksPaddedScales() {
        double[][] psi = FourierBessel.multiScale(7, 6);
        assertEquals(18, psi.length);
        assertEquals(49, psi[0].length);
        FourierBessel.Scale l1 = FourierBessel.singleScale(1);
        FourierBessel.Scale l2 = FourierBessel.singleScale(2);
        FourierBessel.Scale l3 = FourierBessel.singleScale(3);
        for (int e = 0; e < 6; e++) {
            for (int row = 0; row < 7; row++) {
                for (int col = 0; col < 7; col++) {
                    double v1 = inside(row, col, 2, 4) ? l1.value(e, row - 2, col - 2) : 0.0;
                    double v2 = inside(row, col, 1, 5) ? l2.value(e, row - 1, col - 1) : 0.0;
                    assertEquals(v1, psi[e][row * 7 + col], 0.0);
                    assertEquals(v2, psi[6 + e][row * 7 + col], 0.0);
                    assertEquals(l3.value(e, row, col), psi[12 + e][row * 7 + col], 0.0);
                }
            }
        }
        assertEquals(2, FourierBessel.multiScale(5, 1).length);
        assertEquals(3, FourierBessel.count(7, 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0, 1, 2, 4, 8})
    void badKernelSizeIsRejectedWithItsName(int k) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FourierBessel.multiScale(k, 6));
        assertTrue(e.getMessage().contains("kernel size K = " + k), e.getMessage());
        assertTrue(e.getMessage().contains("odd"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {-3, 0, 7, 100})
    void badPerScaleIsRejectedWithItsName(int b) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FourierBessel.multiScale(5, b));
        assertTrue(e.getMessage().contains("B = " + b), e.getMessage());
        assertTrue(e.getMessage().contains("1..6"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(ints = {-1, 0})
    void badHalfWidthIsRejectedWithItsName(int l) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FourierBessel.singleScale(l));
        assertTrue(e.getMessage().contains("L (halfWidth) = " + l), e.getMessage());
        assertTrue(e.getMessage().contains("1..50"), e.getMessage());
    }

    private static boolean inside(int row, int col, int lo, int hi) {
        return row >= lo && row <= hi && col >= lo && col <= hi;
    }

    private static void assertGrid(FourierBessel.Scale s, int e, double[][] expected) {
        assertAll("element " + e, java.util.stream.IntStream.range(0, 9).mapToObj(p -> () ->
                assertEquals(expected[p / 3][p % 3], s.value(e, p / 3, p % 3), TOL,
                        "element " + e + " at row " + p / 3 + ", column " + p % 3)));
    }
}
