package org.acdajvm.layers.pac;

import org.acdajvm.layer.Inputs;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/** The oracle of the PAC layers: {@link org.acdajvm.oracle.PixelFilterOracle} with {@link PacFilter}. */
public final class PacOracle {

    private PacOracle() {
    }

    /** The exact forward in double with both bounds' ingredients. */
    public static OracleResult forward(PacLayer layer, Inputs inputs) {
        throw new UnsupportedOperationException("step 2");
    }

    /** The exact gradients ({@code x}, {@code guidance} or {@code kernel}, then the parameters in state-dict order). */
    public static AcdaOracleBackward.Gradients backward(PacLayer layer, Inputs inputs, Tensor dy, int[] outShape) {
        throw new UnsupportedOperationException("step 2");
    }
}
