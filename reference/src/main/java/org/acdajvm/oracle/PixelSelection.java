package org.acdajvm.oracle;

import java.util.SplittableRandom;

import org.acdajvm.layer.AcdaConfig;

/**
 * A set of output pixels {@code (n, h', w')} at which the oracle is computed, for layers too large
 * to compute whole ({@code acda verify --pixels N}): a random sample of {@code N} pixels, plus every
 * pixel whose receptive field reaches past a border of the input, where kernels go wrong most often.
 */
public final class PixelSelection {

    private final int outH;
    private final int outW;
    private final boolean[] selected;
    private final int count;

    private PixelSelection(int batch, int outH, int outW, boolean[] selected) {
        this.outH = outH;
        this.outW = outW;
        this.selected = selected;
        int c = 0;
        for (boolean b : selected) {
            c += b ? 1 : 0;
        }
        count = c;
    }

    /**
     * {@code sample} pixels drawn uniformly without replacement (seeded), plus every border pixel:
     * those within {@code margin} output pixels of an edge, where {@code margin} covers the atom
     * convolution's reach {@code ceil(pad / s)} and the generator's two pixels.
     */
    public static PixelSelection sample(AcdaConfig cfg, int batch, int height, int width, int sample, long seed) {
        if (sample < 0) {
            throw new IllegalArgumentException("--pixels = " + sample + " is not allowed: expected >= 0");
        }
        int outH = cfg.outSize(height);
        int outW = cfg.outSize(width);
        boolean[] sel = new boolean[batch * outH * outW];
        int reach = (cfg.pad() + cfg.stride() - 1) / cfg.stride();
        int margin = Math.max(reach, 2);
        for (int n = 0; n < batch; n++) {
            for (int h = 0; h < outH; h++) {
                for (int w = 0; w < outW; w++) {
                    if (h < margin || w < margin || h >= outH - margin || w >= outW - margin) {
                        sel[(n * outH + h) * outW + w] = true;
                    }
                }
            }
        }
        int[] interior = new int[sel.length];
        int m = 0;
        for (int i = 0; i < sel.length; i++) {
            if (!sel[i]) {
                interior[m++] = i;
            }
        }
        SplittableRandom rng = new SplittableRandom(seed);
        int take = Math.min(sample, m);
        for (int k = 0; k < take; k++) {
            int j = k + rng.nextInt(m - k);
            int t = interior[j];
            interior[j] = interior[k];
            interior[k] = t;
            sel[t] = true;
        }
        return new PixelSelection(batch, outH, outW, sel);
    }

    /** True when output pixel {@code (n, h', w')} is selected. */
    public boolean contains(int n, int h, int w) {
        return selected[(n * outH + h) * outW + w];
    }

    /** How many pixels are selected. */
    public int count() {
        return count;
    }

    /** How many pixels there are. */
    public int total() {
        return selected.length;
    }
}
