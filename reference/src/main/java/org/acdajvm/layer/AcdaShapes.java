package org.acdajvm.layer;

import java.util.Arrays;

import org.acdajvm.tensor.Tensor;

/** Shape checks shared by every backend's public entry point. */
public final class AcdaShapes {

    private AcdaShapes() {
    }

    /**
     * Checks an input against a layer and returns the output shape {@code [N, O, H', W']},
     * {@code H' = ceil(H/s)}, {@code W' = ceil(W/s)}.
     *
     * @param x input {@code [N, C, H, W]}, every element finite
     * @throws IllegalArgumentException naming {@code x}, the expected and the found shape, or the
     *                                  first non-finite element
     */
    public static int[] checkInput(AcdaConfig config, Tensor x) {
        if (x == null) {
            throw new IllegalArgumentException("input x is null: expected a tensor [N, C, H, W] with C = "
                    + config.inChannels());
        }
        x.requireRank("input x", 4, "NCHW: [N, C, H, W]");
        int n = x.dim(0);
        int c = x.dim(1);
        int h = x.dim(2);
        int w = x.dim(3);
        if (c != config.inChannels()) {
            throw new IllegalArgumentException("input x has shape " + x.shapeString() + ": expected C = "
                    + config.inChannels() + " channels at axis 1 (NCHW), found " + c);
        }
        if (n < 1 || h < 1 || w < 1) {
            throw new IllegalArgumentException("input x has shape " + x.shapeString()
                    + ": N, H and W must all be >= 1");
        }
        float[] d = x.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                int wi = i % w;
                int hi = (i / w) % h;
                int ci = (i / (w * h)) % c;
                int ni = i / (w * h * c);
                throw new IllegalArgumentException("input x has a non-finite value " + d[i] + " at [" + ni + ", "
                        + ci + ", " + hi + ", " + wi + "]: the oracle's error bounds need finite inputs");
            }
        }
        int[] out = {n, config.outChannels(), config.outSize(h), config.outSize(w)};
        Tensor.elementCount(out);
        return out;
    }

    /** Formats a flat row-major index of {@code shape} as {@code (i0, i1, ...)}. */
    public static String index(int[] shape, int flat) {
        int[] idx = new int[shape.length];
        int rest = flat;
        for (int a = shape.length - 1; a >= 0; a--) {
            idx[a] = shape[a] == 0 ? 0 : rest % shape[a];
            rest = shape[a] == 0 ? 0 : rest / shape[a];
        }
        return Arrays.toString(idx).replace('[', '(').replace(']', ')');
    }
}
