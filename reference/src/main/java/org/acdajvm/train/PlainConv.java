package org.acdajvm.train;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.ConvBackwardScalar;
import org.acdajvm.layers.conv.ConvForwardScalar;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.tensor.Tensor;

/**
 * A plain 2-D convolution layer with its backward, float32, stride 1, "same" padding: the baseline
 * the paper compares ACDA with; the loops are the conv layer's scalar path ({@link ConvForwardScalar},
 * {@link ConvBackwardScalar}).
 * <pre>
 *   y[n, o, h, w]  = bias[o] + sum_{c,a,b} weight[o, c, a, b] * xp[n, c, h + a - pad, w + b - pad]      pad = (K-1)/2
 *   dweight[o,c,a,b] = sum_{n,h,w} dy[n,o,h,w] xp[n,c,h+a-pad,w+b-pad];   dbias[o] = sum dy[n,o,h,w]
 *   dx: every read of xp adds weight * dy to the element it read (a padding zero drops it)
 * </pre>
 */
public final class PlainConv {

    /** Parameter and gradient keys, as in a PyTorch {@code Conv2d}'s state dict; {@code "x"} is {@code dL/dx}. */
    public static final String WEIGHT = "weight";
    public static final String BIAS = "bias";
    public static final String INPUT = "x";

    private final PaddingMode padding;
    private final Tensor weight;
    private final Tensor bias;

    /**
     * A layer holding (not copying) its parameters, so that an optimiser updates them in place.
     *
     * @param weight {@code [O, C, K, K]}, K odd
     * @param bias   {@code [O]}
     */
    public PlainConv(Tensor weight, Tensor bias, PaddingMode padding) {
        this.padding = Objects.requireNonNull(padding, "padding");
        weight.requireRank("weight", 4, "[O, C, K, K]");
        if (weight.dim(2) != weight.dim(3) || weight.dim(2) % 2 == 0) {
            throw new IllegalArgumentException("weight has shape " + weight.shapeString() + ": expected [O, C, K, K] with K odd");
        }
        bias.requireShape("bias", weight.dim(0));
        this.weight = weight;
        this.bias = bias;
    }

    /** The parameters by key (the layer's own tensors: an optimiser may update them in place). */
    public Map<String, Tensor> parameters() {
        Map<String, Tensor> p = new LinkedHashMap<>();
        p.put(WEIGHT, weight);
        p.put(BIAS, bias);
        return p;
    }

    /**
     * @param x input {@code [N, C, H, W]} (not modified)
     * @return a new tensor {@code [N, O, H, W]}
     */
    public Tensor forward(Tensor x) {
        checkInput(x);
        Tensor y = Tensor.zeros(x.dim(0), weight.dim(0), x.dim(2), x.dim(3));
        ConvForwardScalar.forward(geometry(x), x.data(), weight.data(), bias.data(), null, false, y.data());
        return y;
    }

    /**
     * The gradients for the upstream gradient {@code dy}.
     *
     * @param x  input {@code [N, C, H, W]} (not modified)
     * @param dy {@code [N, O, H, W]} (not modified)
     * @return new tensors {@code "x"} {@code [N, C, H, W]}, {@code "weight"} {@code [O, C, K, K]}, {@code "bias"} {@code [O]}
     */
    public Map<String, Tensor> backward(Tensor x, Tensor dy) {
        checkInput(x);
        int outC = weight.dim(0);
        dy.requireShape("upstream gradient dy", x.dim(0), outC, x.dim(2), x.dim(3));
        Tensor dx = Tensor.zeros(x.shape());
        Tensor dw = Tensor.zeros(weight.shape());
        Tensor db = Tensor.zeros(outC);
        ConvBackwardScalar.backward(geometry(x), x.data(), weight.data(), null, false, dy.data(), dx.data(), dw.data(),
                db.data(), null);
        Map<String, Tensor> grads = new LinkedHashMap<>();
        grads.put(INPUT, dx);
        grads.put(WEIGHT, dw);
        grads.put(BIAS, db);
        return grads;
    }

    /** Stride 1, "same" padding: the output is the input's size. */
    private FilterGeometry geometry(Tensor x) {
        int k = weight.dim(2);
        return FilterGeometry.of(x.dim(0), x.dim(1), x.dim(2), x.dim(3), weight.dim(0), k, 1, 1, (k - 1) / 2, padding);
    }

    private void checkInput(Tensor x) {
        Objects.requireNonNull(x, "input x");
        x.requireRank("input x", 4, "NCHW: [N, C, H, W]");
        if (x.dim(1) != weight.dim(1)) {
            throw new IllegalArgumentException("input x has shape " + x.shapeString() + ": expected C = " + weight.dim(1));
        }
    }
}
