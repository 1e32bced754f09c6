package org.acdajvm.backend;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.tensor.Tensor;

/** The oracle as a backend: its double output (and its backward's gradients) rounded to float32. Always available. */
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
    public Optional<String> backwardUnavailableReason() {
        return Optional.empty();
    }

    /** The oracle's exact backward, each gradient rounded to float32. */
    @Override
    public Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        Map<String, Tensor> g = new LinkedHashMap<>();
        AcdaOracleBackward.backward(layer, x, dy).byKey().forEach((key, grad) -> g.put(key, grad.toTensor()));
        return g;
    }

    /** Every layer kind: its own oracle ({@link LayerKind#oracleForward}, {@link LayerKind#oracleBackward}), rounded to float32. */
    @Override
    public <L extends Layer> Optional<LayerOp<L>> op(LayerKind<L> kind) {
        if (kind == AcdaKind.INSTANCE) {
            return AcdaBackend.super.op(kind);
        }
        LayerOp<L> op = new LayerOp<>() {
            @Override
            public Tensor forward(L layer, Inputs inputs) {
                return kind.oracleForward(layer, inputs).toTensor();
            }

            @Override
            public ErrorBounds.Evaluation evaluation() {
                return ErrorBounds.Evaluation.PER_PIXEL_FILTER;
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return Optional.empty();
            }

            @Override
            public Map<String, Tensor> backward(L layer, Inputs inputs, Tensor dy) {
                Map<String, Tensor> g = new LinkedHashMap<>();
                kind.oracleBackward(layer, inputs, dy).byKey().forEach((key, grad) -> g.put(key, grad.toTensor()));
                return g;
            }
        };
        return Optional.of(op);
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
