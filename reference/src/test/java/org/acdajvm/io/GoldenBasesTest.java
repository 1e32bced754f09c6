package org.acdajvm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Path;

import org.acdajvm.basis.FourierBessel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The multi-scale bases against an independent implementation of DESIGN section 4 written with
 * SciPy's Bessel functions and tabulated zeros ({@code bench/pytorch/fb_bases_scipy.py}; its
 * float64 output is committed under {@code src/test/resources/golden}).
 */
class GoldenBasesTest {

    @ParameterizedTest
    @CsvSource({"3, 6", "5, 6", "7, 6", "9, 4", "11, 3"})
    void matchesScipy(int k, int b) throws IOException, URISyntaxException {
        Path file = Path.of(GoldenBasesTest.class.getResource("/golden/bases_K" + k + "_B" + b + ".npy").toURI());
        Npy.Doubles golden = Npy.readDoubles(file);
        double[][] ours = FourierBessel.multiScale(k, b);
        assertArrayEquals(new int[] {ours.length, k * k}, golden.shape());
        for (int t = 0; t < ours.length; t++) {
            for (int u = 0; u < k * k; u++) {
                assertEquals(golden.data()[t * k * k + u], ours[t][u], 1e-12, "K=" + k + " B=" + b + " basis " + t + " tap " + u);
            }
        }
    }
}
