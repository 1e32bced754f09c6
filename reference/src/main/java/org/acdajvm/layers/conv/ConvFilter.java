package org.acdajvm.layers.conv;

import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/** The trivial per-pixel filter: {@code Wpix[n,p][o,c,u] = weight[o,c,u]}. */
public final class ConvFilter {

    private ConvFilter() {
    }

    /** The exact forward of {@code layer} on {@code x [N, C, H, W]}. */
    public static OracleResult forward(ConvLayer layer, Tensor x) {
        throw new UnsupportedOperationException("step 2");
    }

    /** The exact gradients {@code x}, {@code weight}, {@code bias}. */
    public static AcdaOracleBackward.Gradients backward(ConvLayer layer, Tensor x, Tensor dy, int[] outShape) {
        throw new UnsupportedOperationException("step 2");
    }
}
