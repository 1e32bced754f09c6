package org.acdajvm.layers.dfn;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

import org.acdajvm.backend.LayerOp;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.tensor.Tensor;

/**
 * The float32 forward and backward of dynamic local filtering, written once for every backend over the shared
 * kernels: the softmax over the taps ({@link Softmax}: {@link Softmax#SCALAR} here, the vector backend's
 * {@code org.acdajvm.vector.SoftmaxVector}), then the local filter with one kernel shared by all channels
 * ({@link TapConv#localFilter}); the backward is the local filter's ({@code dx} and {@code dF~}), then the
 * softmax's ({@code dF_u = q_u (dF~_u - sum_v q_v dF~_v)}). Inputs are checked by {@link DfnKind#checkInputs} first.
 */
public final class DfnPaths {

    /**
     * A float32 softmax over the taps of a filter {@code [N, T, P]} ({@code P = H' W'} pixels, taps strided by
     * {@code P}), max-subtracted, and its backward.
     */
    public interface Softmax {

        /** {@code q[n,u,p] = exp(f[n,u,p] - max_v f[n,v,p]) / sum_v exp(...)}; {@code q} overwritten. */
        void forward(float[] f, int batch, int taps, int pixels, float[] q);

        /** {@code df[n,u,p] = q (g - sum_v q g)} at each pixel; {@code df} overwritten. */
        void backward(float[] q, float[] g, int batch, int taps, int pixels, float[] df);

        /** The readable scalar softmax ({@code (float) Math.exp}, sums in tap order). */
        Softmax SCALAR = new Softmax() {
            @Override
            public void forward(float[] f, int batch, int taps, int pixels, float[] q) {
                float[] e = new float[taps];
                for (int n = 0; n < batch; n++) {
                    int base = n * taps * pixels;
                    for (int p = 0; p < pixels; p++) {
                        float m = Float.NEGATIVE_INFINITY;
                        for (int u = 0; u < taps; u++) {
                            m = Math.max(m, f[base + u * pixels + p]);
                        }
                        float z = 0f;
                        for (int u = 0; u < taps; u++) {
                            e[u] = (float) Math.exp(f[base + u * pixels + p] - m);
                            z += e[u];
                        }
                        for (int u = 0; u < taps; u++) {
                            q[base + u * pixels + p] = e[u] / z;
                        }
                    }
                }
            }

            @Override
            public void backward(float[] q, float[] g, int batch, int taps, int pixels, float[] df) {
                for (int n = 0; n < batch; n++) {
                    int base = n * taps * pixels;
                    for (int p = 0; p < pixels; p++) {
                        float m = 0f;
                        for (int u = 0; u < taps; u++) {
                            m += q[base + u * pixels + p] * g[base + u * pixels + p];
                        }
                        for (int u = 0; u < taps; u++) {
                            int i = base + u * pixels + p;
                            df[i] = q[i] * (g[i] - m);
                        }
                    }
                }
            }
        };
    }

    private final TapConv kernels;
    private final Softmax softmax;

    public DfnPaths(TapConv kernels, Softmax softmax) {
        this.kernels = kernels;
        this.softmax = softmax;
    }

    /** The local filter's geometry over input {@code x [N, C, H, W]}. */
    public static FilterGeometry geometry(DfnConfig c, Tensor x) {
        return FilterGeometry.of(x.dim(0), c.inChannels(), x.dim(2), x.dim(3), c.inChannels(), c.kernelSize(), c.stride(),
                c.dilation(), c.padding(), c.paddingMode());
    }

    /** The filter the local filter applies: the softmax of the input {@code filter}, or the input itself. */
    private float[] normalised(DfnConfig c, Tensor f) {
        if (!c.softmax()) {
            return f.data();
        }
        float[] q = new float[f.size()];
        softmax.forward(f.data(), f.dim(0), f.dim(1), f.dim(2) * f.dim(3), q);
        return q;
    }

    /** A new output {@code [N, C, H', W']}. */
    public Tensor forward(DfnLayer layer, Inputs inputs) {
        int[] out = DfnKind.INSTANCE.checkInputs(layer, inputs);
        DfnConfig c = layer.config();
        Tensor x = inputs.x();
        Tensor y = Tensor.zeros(out);
        kernels.localFilter(geometry(c, x), normalised(c, inputs.require(DfnKind.FILTER)), false, x.data(), y.data());
        return y;
    }

    /** New gradients keyed as the oracle's: {@code x}, then {@code filter}. */
    public Map<String, Tensor> backward(DfnLayer layer, Inputs inputs, Tensor dy) {
        int[] out = DfnKind.INSTANCE.checkInputs(layer, inputs);
        dy.requireShape("upstream gradient dy", out);
        DfnConfig c = layer.config();
        Tensor x = inputs.x();
        Tensor f = inputs.require(DfnKind.FILTER);
        float[] q = normalised(c, f);
        Tensor dx = Tensor.zeros(x.shape());
        float[] dq = new float[f.size()];
        kernels.localFilterBackward(geometry(c, x), q, false, x.data(), dy.data(), dx.data(), dq);
        Tensor df;
        if (c.softmax()) {
            df = Tensor.zeros(f.shape());
            softmax.backward(q, dq, f.dim(0), f.dim(1), f.dim(2) * f.dim(3), df.data());
        } else {
            df = Tensor.wrap(dq, f.shape());
        }
        Map<String, Tensor> grads = new LinkedHashMap<>();
        grads.put(Inputs.X, dx);
        grads.put(DfnKind.FILTER, df);
        return grads;
    }

    /** The op of {@code dynamic-filter} on a backend's kernels (asked for on each call, so they may be created lazily). */
    public static <L extends Layer> Optional<LayerOp<L>> op(Supplier<TapConv> kernels, Supplier<Softmax> softmax) {
        LayerOp<DfnLayer> op = new LayerOp<>() {
            @Override
            public Tensor forward(DfnLayer layer, Inputs inputs) {
                return new DfnPaths(kernels.get(), softmax.get()).forward(DfnKind.INSTANCE.cast(layer), inputs);
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return Optional.empty();
            }

            @Override
            public Map<String, Tensor> backward(DfnLayer layer, Inputs inputs, Tensor dy) {
                return new DfnPaths(kernels.get(), softmax.get()).backward(DfnKind.INSTANCE.cast(layer), inputs, dy);
            }
        };
        @SuppressWarnings("unchecked")
        LayerOp<L> cast = (LayerOp<L>) (LayerOp<?>) op;
        return Optional.of(cast);
    }
}
