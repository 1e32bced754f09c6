package org.acdajvm.cli;

import java.util.Map;
import java.util.Optional;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.LayerOp;
import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.Settings;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/**
 * A layer together with its kind, typed together once, so that the commands call the kind's oracle
 * and the backends' ops on a layer of any kind without repeating the wildcard capture.
 *
 * @param <L> the layer class
 */
final class BoundLayer<L extends Layer> {

    /** One backend's op for this layer, with the layer bound in. */
    interface Op {
        Tensor forward(Inputs inputs);

        ErrorBounds.Evaluation evaluation();

        Optional<String> backwardUnavailableReason();

        Map<String, Tensor> backward(Inputs inputs, Tensor dy);
    }

    private final LayerKind<L> kind;
    private final L layer;

    private BoundLayer(LayerKind<L> kind, L layer) {
        this.kind = kind;
        this.layer = layer;
    }

    static BoundLayer<?> of(Layer layer) {
        return bind(layer.kind(), layer);
    }

    private static <L extends Layer> BoundLayer<L> bind(LayerKind<L> kind, Layer layer) {
        return new BoundLayer<>(kind, kind.cast(layer));
    }

    Layer layer() {
        return layer;
    }

    LayerKind<L> kind() {
        return kind;
    }

    String name() {
        return kind.name();
    }

    String summary() {
        return layer.summary();
    }

    /** The summary, led by the layer's name unless it says it already (acda's, as before the family, does not). */
    String title() {
        String s = layer.summary();
        return s.startsWith(kind.name() + " ") || kind == AcdaKind.INSTANCE ? s : kind.name() + " " + s;
    }

    /** The complete settings (every default written out), for case.json. */
    Settings settings() {
        return kind.settingsOf(layer);
    }

    /** @return the output shape; the error names the input and the expected shape */
    int[] checkInputs(Inputs inputs) {
        return kind.checkInputs(layer, inputs);
    }

    Inputs randomInputs(int batch, int height, int width, long seed) {
        return kind.randomInputs(layer, batch, height, width, seed);
    }

    OracleResult oracleForward(Inputs inputs) {
        return kind.oracleForward(layer, inputs);
    }

    AcdaOracleBackward.Gradients oracleBackward(Inputs inputs, Tensor dy) {
        return kind.oracleBackward(layer, inputs, dy);
    }

    /** The backend's op for this layer, or empty when it implements none (never another backend's). */
    Optional<Op> op(AcdaBackend backend) {
        return backend.op(kind).map(this::bound);
    }

    /**
     * The backend's op for this layer.
     *
     * @throws IllegalArgumentException saying that the backend does not implement this layer
     */
    Op requireOp(AcdaBackend backend, String option) {
        return op(backend).orElseThrow(() -> new IllegalArgumentException(option + " " + backend.name()
                + ": backend '" + backend.name() + "' does not implement layer " + kind.name()
                + " ('acda layers' shows which backend implements which layer)"));
    }

    private Op bound(LayerOp<L> op) {
        return new Op() {
            @Override
            public Tensor forward(Inputs inputs) {
                return op.forward(layer, inputs);
            }

            @Override
            public ErrorBounds.Evaluation evaluation() {
                return op.evaluation();
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return op.backwardUnavailableReason();
            }

            @Override
            public Map<String, Tensor> backward(Inputs inputs, Tensor dy) {
                return op.backward(layer, inputs, dy);
            }
        };
    }
}
