package org.acdajvm.backend;

import java.util.Map;
import java.util.Optional;

import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.tensor.Tensor;

/**
 * The readable float32 paths: ACDA's two-layer form ({@link AcdaForwardScalar}, {@link AcdaBackwardScalar}), plain
 * conv and PAC on the scalar kernels ({@link TapConv#SCALAR}). Always available.
 */
public final class ScalarBackend implements AcdaBackend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public Tensor forward(AcdaLayer layer, Tensor x) {
        return AcdaForwardScalar.forward(layer, x);
    }

    @Override
    public Optional<String> backwardUnavailableReason() {
        return Optional.empty();
    }

    @Override
    public Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        return AcdaBackwardScalar.backward(layer, x, dy);
    }

    @Override
    public <L extends Layer> Optional<LayerOp<L>> op(LayerKind<L> kind) {
        return switch (kind.name()) {
            case "conv" -> FamilyOps.conv(() -> TapConv.SCALAR);
            case "pac-conv", "pac-transposed", "pac-pool", "pac-kernel" -> FamilyOps.pac(() -> TapConv.SCALAR);
            case "dynamic-filter" -> org.acdajvm.layers.dfn.DfnPaths.op(() -> TapConv.SCALAR, () -> org.acdajvm.layers.dfn.DfnPaths.Softmax.SCALAR);
            case "involution" -> org.acdajvm.layers.involution.InvolutionPaths.op(() -> TapConv.SCALAR);
            case "tvconv" -> org.acdajvm.layers.tvconv.TvConvPaths.op(() -> TapConv.SCALAR);
            default -> AcdaBackend.super.op(kind);
        };
    }

    @Override
    public String description() {
        return "scalar (two-layer, float32, one thread)";
    }
}
