package org.acdajvm.backend;

import java.util.Optional;

import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.tensor.Tensor;

/** The oracle as a backend: its double output rounded to float32. Always available. */
public final class OracleBackend implements AcdaBackend {

    @Override
    public String name() {
        return "oracle";
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public Tensor forward(AcdaLayer layer, Tensor x) {
        return AcdaOracle.forward(layer, x).toTensor();
    }

    @Override
    public ErrorBounds.Evaluation evaluation() {
        return ErrorBounds.Evaluation.PER_PIXEL_FILTER;
    }

    @Override
    public String description() {
        return "oracle (naive per-pixel filters, double accumulation, rounded to float32)";
    }
}
