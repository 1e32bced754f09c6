package org.acdajvm.backend;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.conv.ConvLayer;
import org.acdajvm.layers.conv.ConvPaths;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.layers.pac.PacPaths;
import org.acdajvm.tensor.Tensor;

/**
 * The {@link LayerOp}s of plain conv and the PAC layers on a backend's float32 kernels ({@link TapConv}): the
 * scalar and vector backends answer {@code op(kind)} with these, each with its own kernels. The kernels are
 * asked for on each call, so a backend may create them lazily.
 */
final class FamilyOps {

    private FamilyOps() {
    }

    /** The conv layer's op: forward and backward. */
    static <L extends Layer> Optional<LayerOp<L>> conv(Supplier<TapConv> kernels) {
        LayerOp<ConvLayer> op = new LayerOp<>() {
            @Override
            public Tensor forward(ConvLayer layer, Inputs inputs) {
                return new ConvPaths(kernels.get()).forward(ConvKind.INSTANCE.cast(layer), inputs);
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return Optional.empty();
            }

            @Override
            public Map<String, Tensor> backward(ConvLayer layer, Inputs inputs, Tensor dy) {
                return new ConvPaths(kernels.get()).backward(ConvKind.INSTANCE.cast(layer), inputs, dy);
            }
        };
        return cast(op);
    }

    /** A PAC layer's op (conv, transposed, pool, kernel): forward and backward. */
    static <L extends Layer> Optional<LayerOp<L>> pac(Supplier<TapConv> kernels) {
        LayerOp<PacLayer> op = new LayerOp<>() {
            @Override
            public Tensor forward(PacLayer layer, Inputs inputs) {
                return new PacPaths(kernels.get()).forward(layer, inputs);
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return Optional.empty();
            }

            @Override
            public Map<String, Tensor> backward(PacLayer layer, Inputs inputs, Tensor dy) {
                return new PacPaths(kernels.get()).backward(layer, inputs, dy);
            }
        };
        return cast(op);
    }

    @SuppressWarnings("unchecked")
    private static <L extends Layer> Optional<LayerOp<L>> cast(LayerOp<?> op) {
        return Optional.of((LayerOp<L>) op);
    }
}
