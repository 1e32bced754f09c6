package org.acdajvm.train;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.acdajvm.tensor.Tensor;

/**
 * The toy pattern-detection data of the ACDA paper (section 3.3, Figure 6): one noisy
 * single-channel map with rings drawn at three scales, placed at random without overlap, and a
 * target that is 1 at every ring's centre and 0 elsewhere. A plain convolution has one filter for
 * all three sizes; ACDA can build a different filter at every pixel.
 *
 * <p>Pixel values: background noise {@code N(0, 0.1^2)} (zero mean, so that a filter's response
 * does not carry the map's mean), and a ring of radius {@code R} adds
 * {@code exp(-(d - R)^2 / (2 * 0.7^2))} at distance {@code d} from its centre. Deterministic for a seed.
 */
public final class ToyPatterns {

    /** The ring radii of the three scales (diameters 5, 9 and 13 pixels fit a 13x13 kernel). */
    public static final int[] RADII = {2, 4, 6};

    private ToyPatterns() {
    }

    /** Where one ring is drawn: centre {@code (row, col)} and radius. */
    public record Ring(int row, int col, int radius) {
    }

    /**
     * A synthesised map.
     *
     * @param input  {@code [1, 1, H, W]}
     * @param target {@code [1, 1, H, W]}: 1 at each ring's centre, 0 elsewhere
     */
    public record Sample(Tensor input, Tensor target, List<Ring> rings) {
    }

    /**
     * {@code count} rings on a {@code size x size} map, scales in turn (so the three sizes are
     * equally common), centres at least {@code R + 1} from every border and rings at least two
     * pixels apart.
     *
     * @throws IllegalArgumentException if the rings do not fit after many attempts
     */
    public static Sample synthesize(long seed, int size, int count) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<Ring> rings = new ArrayList<>();
        int attempts = 0;
        while (rings.size() < count) {
            if (++attempts > 100_000) {
                throw new IllegalArgumentException(count + " rings do not fit on a " + size + "x" + size + " map");
            }
            int r = RADII[rings.size() % RADII.length];
            int row = r + 1 + rng.nextInt(Math.max(1, size - 2 * r - 2));
            int col = r + 1 + rng.nextInt(Math.max(1, size - 2 * r - 2));
            boolean free = true;
            for (Ring o : rings) {
                double dist = Math.hypot(o.row - row, o.col - col);
                if (dist < o.radius + r + 3) {
                    free = false;
                    break;
                }
            }
            if (free) {
                rings.add(new Ring(row, col, r));
            }
        }
        Tensor x = Tensor.zeros(1, 1, size, size);
        Tensor t = Tensor.zeros(1, 1, size, size);
        for (int i = 0; i < size; i++) {
            for (int j = 0; j < size; j++) {
                x.set(0, 0, i, j, (float) (0.1 * rng.nextGaussian()));
            }
        }
        for (Ring ring : rings) {
            t.set(0, 0, ring.row, ring.col, 1f);
            for (int i = ring.row - ring.radius - 3; i <= ring.row + ring.radius + 3; i++) {
                for (int j = ring.col - ring.radius - 3; j <= ring.col + ring.radius + 3; j++) {
                    if (i < 0 || j < 0 || i >= size || j >= size) {
                        continue;
                    }
                    double d = Math.hypot(i - ring.row, j - ring.col) - ring.radius;
                    x.set(0, 0, i, j, (float) (x.get(0, 0, i, j) + Math.exp(-d * d / (2 * 0.7 * 0.7))));
                }
            }
        }
        return new Sample(x, t, List.copyOf(rings));
    }

    /** {@code out[n, c, i, j] = x[n, c, i - dy, j - dx]}, zero where that falls outside (a shift, not a roll). */
    public static Tensor shift(Tensor x, int dy, int dx) {
        Tensor out = Tensor.zeros(x.shape());
        for (int n = 0; n < x.dim(0); n++) {
            for (int c = 0; c < x.dim(1); c++) {
                for (int i = 0; i < x.dim(2); i++) {
                    for (int j = 0; j < x.dim(3); j++) {
                        int si = i - dy;
                        int sj = j - dx;
                        if (si >= 0 && sj >= 0 && si < x.dim(2) && sj < x.dim(3)) {
                            out.set(n, c, i, j, x.get(n, c, si, sj));
                        }
                    }
                }
            }
        }
        return out;
    }
}
