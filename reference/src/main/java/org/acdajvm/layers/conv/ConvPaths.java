package org.acdajvm.layers.conv;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.tensor.Tensor;

/**
 * The plain conv layer's float32 forward and backward on a {@link TapConv} (the scalar or the vector
 * kernels), written once for every backend. Inputs are checked by {@link ConvKind#checkInputs} first.
 */
public final class ConvPaths {

    private final TapConv kernels;

    public ConvPaths(TapConv kernels) {
        this.kernels = kernels;
    }

    /** The geometry of {@code layer} over input {@code x [N, C, H, W]}. */
    public static FilterGeometry geometry(ConvConfig c, Tensor x) {
        return FilterGeometry.of(x.dim(0), c.inChannels(), x.dim(2), x.dim(3), c.outChannels(), c.kernelSize(), c.stride(),
                c.dilation(), c.padding(), c.paddingMode());
    }

    /** A new output {@code [N, O, H', W']}. */
    public Tensor forward(ConvLayer layer, Inputs inputs) {
        ConvKind.INSTANCE.checkInputs(layer, inputs);
        ConvConfig c = layer.config();
        Tensor x = inputs.x();
        FilterGeometry g = geometry(c, x);
        Tensor y = Tensor.zeros(g.batch(), g.outC(), g.outH(), g.outW());
        kernels.forward(g, x.data(), layer.weight(), c.bias() ? layer.biasOrZeros() : null, null, false, y.data());
        return y;
    }

    /** New gradients keyed as the oracle's: {@code x}, {@code weight}, then {@code bias} when the layer has one. */
    public Map<String, Tensor> backward(ConvLayer layer, Inputs inputs, Tensor dy) {
        int[] out = ConvKind.INSTANCE.checkInputs(layer, inputs);
        dy.requireShape("upstream gradient dy", out);
        ConvConfig c = layer.config();
        Tensor x = inputs.x();
        FilterGeometry g = geometry(c, x);
        Tensor dx = Tensor.zeros(x.shape());
        Tensor dw = Tensor.zeros(c.outChannels(), c.inChannels(), c.kernelSize(), c.kernelSize());
        Tensor db = c.bias() ? Tensor.zeros(c.outChannels()) : null;
        kernels.backward(g, x.data(), layer.weight(), null, false, dy.data(), dx.data(), dw.data(),
                db == null ? null : db.data(), null);
        Map<String, Tensor> grads = new LinkedHashMap<>();
        grads.put(Inputs.X, dx);
        grads.put(ConvLayer.WEIGHT, dw);
        if (db != null) {
            grads.put(ConvLayer.BIAS, db);
        }
        return grads;
    }
}
