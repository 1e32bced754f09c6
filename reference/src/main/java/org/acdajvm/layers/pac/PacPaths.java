package org.acdajvm.layers.pac;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.FilterGeometry;
import org.acdajvm.layers.conv.TapConv;
import org.acdajvm.tensor.Tensor;

/**
 * The float32 forward and backward of the four PAC layers on a {@link TapConv} (the scalar or the vector
 * kernels), written once for every backend: the adapting kernel {@code Kf} once per (pixel, tap)
 * ({@link PacKernelScalar}, or the input {@code kernel} as given), then
 * <ul>
 * <li>{@code pac-conv}: the {@code Kf}-weighted conv;</li>
 * <li>{@code pac-pool}: the local filter with {@code Kf} ({@code pool_mode = average}: {@code Kf} normalised);</li>
 * <li>{@code pac-transposed}: the adjoint of the conv over its output grid whose tap {@code v} at pixel {@code p}
 *     lands on {@code q = s p + d v - pad} and is weighted by the kernel {@code K[q][K*K-1-v]} the guidance makes
 *     centred at {@code q} (a stride-1 kernel, padding {@code d(K-1)/2}, over the output grid: its tap
 *     {@code K*K-1-v} points back at {@code p}'s place {@code s p + d(K-1)/2 - pad}); the oracle's convention
 *     ({@code PacFilter}). The kernel is re-indexed onto the conv's grid once, and the layer is the conv's input
 *     gradient; its backward is the conv's forward (for {@code dz}) and the conv's weight and kernel gradients
 *     with the roles of input and upstream gradient exchanged;</li>
 * <li>{@code pac-kernel}: {@code Kf} itself, {@code [N, G K^2, H', W']}.</li>
 * </ul>
 * The kernel's backward gives the guidance's gradient and {@code inv_alpha}'s, {@code inv_lambda}'s.
 */
public final class PacPaths {

    /** Workspace slots ({@link TapConv#scratch}): the conv-grid kernel, the output-grid kernel, their gradients. */
    private static final int KF = 0;
    private static final int KF_OUTPUT_GRID = 1;
    private static final int DKF = 2;
    private static final int DKF_OUTPUT_GRID = 3;

    private final TapConv kernels;

    public PacPaths(TapConv kernels) {
        this.kernels = kernels;
    }

    /** The kernel's settings and scalars of {@code layer}. */
    public static PacKernelScalar.Spec spec(PacLayer layer) {
        PacConfig c = layer.config();
        return new PacKernelScalar.Spec(c.kernelType() == PacConfig.KernelType.GAUSSIAN ? PacKernelScalar.Function.GAUSSIAN
                : PacKernelScalar.Function.INVERSE, layer.invAlpha(), layer.invLambda(), PacConfig.INVERSE_EPS,
                c.channelWise(), c.normalizeKernel());
    }

    /** The conv's geometry: for conv, pool and kernel over {@code x}'s grid; for the transpose, the conv it is the adjoint of. */
    public static FilterGeometry geometry(PacConfig c, Tensor x) {
        int n = x.dim(0);
        int h = x.dim(2);
        int w = x.dim(3);
        return switch (c.variant()) {
            case TRANSPOSED -> new FilterGeometry(n, c.outChannels(), c.outSize(h), c.outSize(w), c.inChannels(),
                    c.kernelSize(), c.stride(), c.dilation(), c.padding(), PaddingMode.ZEROS, h, w);
            case POOL, KERNEL -> FilterGeometry.of(n, c.inChannels(), h, w, c.inChannels(), c.kernelSize(), c.stride(),
                    c.dilation(), c.padding(), c.paddingMode());
            case CONV -> FilterGeometry.of(n, c.inChannels(), h, w, c.outChannels(), c.kernelSize(), c.stride(),
                    c.dilation(), c.padding(), c.paddingMode());
        };
    }

    /** The transpose's kernel grid: a stride-1 kernel centred on each pixel of its output grid (padding {@code d(K-1)/2}). */
    static FilterGeometry transposedKernelGrid(PacConfig c, FilterGeometry conv) {
        int pad = c.dilation() * (c.kernelSize() - 1) / 2;
        return new FilterGeometry(conv.batch(), 1, conv.inH(), conv.inW(), 1, c.kernelSize(), 1, c.dilation(), pad,
                PaddingMode.ZEROS, conv.inH(), conv.inW());
    }

    /** The forward: a new output tensor. */
    public Tensor forward(PacLayer layer, Inputs inputs) {
        int[] out = layer.kind().checkInputs(layer, inputs);
        PacConfig c = layer.config();
        Tensor x = inputs.x();
        FilterGeometry g = geometry(c, x);
        boolean perChannel = c.channelWise();
        Tensor y = Tensor.zeros(out);
        switch (c.variant()) {
            case KERNEL -> computeKernel(g, layer, x.data(), y.data());
            case CONV -> kernels.forward(g, x.data(), layer.param(PacLayer.WEIGHT).data(), c.bias() ? layer.biasOrZeros() : null,
                    kernel(layer, inputs, g), perChannel, y.data());
            case POOL -> kernels.localFilter(g, kernel(layer, inputs, g), perChannel, x.data(), y.data());
            case TRANSPOSED -> {
                kernels.backward(g, null, layer.param(PacLayer.WEIGHT).data(), kernel(layer, inputs, g), false, x.data(),
                        y.data(), null, null, null);
                if (c.bias()) {
                    addBias(y.data(), layer.biasOrZeros(), g.batch(), g.inC(), g.inPlane());
                }
            }
        }
        return y;
    }

    /**
     * The backward: new gradients keyed as the oracle's, {@code x} first, then {@code guidance} or {@code kernel}
     * (whichever was given), then the parameters in state-dict order ({@code pac-kernel}: {@code x} is the guidance).
     */
    public Map<String, Tensor> backward(PacLayer layer, Inputs inputs, Tensor dy) {
        int[] out = layer.kind().checkInputs(layer, inputs);
        dy.requireShape("upstream gradient dy", out);
        PacConfig c = layer.config();
        Tensor x = inputs.x();
        FilterGeometry g = geometry(c, x);
        boolean perChannel = c.channelWise();
        Map<String, Tensor> grads = new LinkedHashMap<>();
        if (c.variant() == PacConfig.Variant.KERNEL) {
            Tensor df = Tensor.zeros(x.shape());
            float[] s = kernelBackward(g, layer, x.data(), dy.data(), df.data());
            grads.put(Inputs.X, df);
            putScalars(grads, layer, s);
            return grads;
        }
        float[] kf = kernel(layer, inputs, g);
        int kfSize = g.batch() * c.kernelChannels() * g.taps() * g.outPlane();
        float[] dkf = kernels.scratch(DKF, kfSize);
        Arrays.fill(dkf, 0, kfSize, 0f);
        Tensor dx = Tensor.zeros(x.shape());
        Tensor dw = c.variant() == PacConfig.Variant.POOL ? null : Tensor.zeros(layer.param(PacLayer.WEIGHT).shape());
        Tensor db = c.bias() ? Tensor.zeros(c.outChannels()) : null;
        switch (c.variant()) {
            case CONV -> kernels.backward(g, x.data(), layer.param(PacLayer.WEIGHT).data(), kf, perChannel, dy.data(),
                    dx.data(), dw.data(), db == null ? null : db.data(), dkf);
            case POOL -> kernels.localFilterBackward(g, kf, perChannel, x.data(), dy.data(), dx.data(), dkf);
            case TRANSPOSED -> {
                float[] w = layer.param(PacLayer.WEIGHT).data();
                kernels.forward(g, dy.data(), w, null, kf, false, dx.data());
                kernels.backward(g, dy.data(), w, kf, false, x.data(), null, dw.data(), null, dkf);
                if (db != null) {
                    sumPlanes(dy.data(), db.data(), g.batch(), g.inC(), g.inPlane());
                }
            }
            default -> throw new IllegalStateException(c.variant().id);
        }
        grads.put(Inputs.X, dx);
        float[] s = {0f, 0f};
        if (inputs.has(PacKind.GUIDANCE)) {
            Tensor f = inputs.require(PacKind.GUIDANCE);
            Tensor df = Tensor.zeros(f.shape());
            FilterGeometry gk = g;
            float[] dk = dkf;
            if (c.variant() == PacConfig.Variant.TRANSPOSED) {
                gk = transposedKernelGrid(c, g);
                dk = toOutputGrid(g, 1, dkf, kernels.scratch(DKF_OUTPUT_GRID, g.batch() * g.taps() * g.inPlane()));
            }
            s = kernelBackward(gk, layer, f.data(), dk, df.data());
            grads.put(PacKind.GUIDANCE, df);
        } else {
            Tensor k = inputs.require(PacKind.KERNEL);
            Tensor dk = Tensor.zeros(k.shape());
            if (c.variant() == PacConfig.Variant.TRANSPOSED) {
                toOutputGrid(g, 1, dkf, dk.data());
            } else {
                System.arraycopy(dkf, 0, dk.data(), 0, dk.size());
            }
            grads.put(PacKind.KERNEL, dk);
        }
        if (dw != null) {
            grads.put(PacLayer.WEIGHT, dw);
        }
        if (db != null) {
            grads.put(PacLayer.BIAS, db);
        }
        putScalars(grads, layer, s);
        return grads;
    }

    private static void putScalars(Map<String, Tensor> grads, PacLayer layer, float[] s) {
        if (layer.config().inverse()) {
            grads.put(PacLayer.INV_ALPHA, Tensor.wrap(new float[] {s[0]}, 1));
            grads.put(PacLayer.INV_LAMBDA, Tensor.wrap(new float[] {s[1]}, 1));
        }
    }

    /** The kernel of {@code g} from guidance {@code f} into {@code kf}, rows handed out by the kernels' {@link TapConv#forRows}. */
    private void computeKernel(FilterGeometry g, PacLayer layer, float[] f, float[] kf) {
        PacKernelScalar.Spec spec = spec(layer);
        int gc = layer.config().guidanceChannels();
        if (kernels.adaptingKernel(g, fast(spec), f, gc, kf)) {
            return;
        }
        kernels.forRows(g.outH(), (h0, h1) -> PacKernelScalar.forward(g, spec, f, gc, kf, h0, h1));
    }

    /** The kernel's backward: adds {@code dL/df} into {@code df}; returns {@code {dL/d inv_alpha, dL/d inv_lambda}}. */
    private float[] kernelBackward(FilterGeometry g, PacLayer layer, float[] f, float[] dkf, float[] df) {
        PacKernelScalar.Spec spec = spec(layer);
        int gc = layer.config().guidanceChannels();
        float[] s = kernels.adaptingKernelBackward(g, fast(spec), f, gc, dkf, df);
        return s != null ? s : PacKernelScalar.backward(g, spec, f, gc, dkf, df);
    }

    private static TapConv.AdaptingKernel fast(PacKernelScalar.Spec s) {
        return new TapConv.AdaptingKernel(s.function() == PacKernelScalar.Function.INVERSE, s.alpha(), s.lambda(),
                (float) s.eps(), s.channelWise(), s.normalise());
    }

    /** {@code Kf [N, KC, K*K, outH, outW]} on the conv's grid, from the guidance or the input {@code kernel}. */
    private float[] kernel(PacLayer layer, Inputs inputs, FilterGeometry g) {
        PacConfig c = layer.config();
        boolean transposed = c.variant() == PacConfig.Variant.TRANSPOSED;
        float[] k;
        if (inputs.has(PacKind.GUIDANCE)) {
            FilterGeometry kg = transposed ? transposedKernelGrid(c, g) : g;
            k = kernels.scratch(transposed ? KF_OUTPUT_GRID : KF, g.batch() * c.kernelChannels() * kg.taps() * kg.outPlane());
            computeKernel(kg, layer, inputs.require(PacKind.GUIDANCE).data(), k);
        } else {
            k = inputs.require(PacKind.KERNEL).data();
        }
        return transposed ? toConvGrid(g, 1, k, kernels.scratch(KF, g.batch() * g.taps() * g.outPlane())) : k;
    }

    /**
     * The transpose's kernel {@code K[n, kc, u, q]} (output grid) as the conv's {@code kf[n, kc, v, p]}: tap
     * {@code v = K*K-1-u} of pixel {@code p} is {@code (u, q = s p + d v - pad)}; taps outside the output grid read no input.
     */
    static float[] toConvGrid(FilterGeometry g, int kcs, float[] big, float[] small) {
        Arrays.fill(small, 0, g.batch() * kcs * g.taps() * g.outPlane(), 0f);
        reindex(g, kcs, big, small, true);
        return small;
    }

    /** The adjoint of {@link #toConvGrid} (a gradient with respect to the conv-grid kernel back onto the output grid). */
    static float[] toOutputGrid(FilterGeometry g, int kcs, float[] small, float[] big) {
        Arrays.fill(big, 0, g.batch() * kcs * g.taps() * g.inPlane(), 0f);
        reindex(g, kcs, big, small, false);
        return big;
    }

    private static void reindex(FilterGeometry g, int kcs, float[] big, float[] small, boolean toSmall) {
        int k = g.k();
        int taps = g.taps();
        for (int n = 0; n < g.batch(); n++) {
            for (int kc = 0; kc < kcs; kc++) {
                int smallBase = (n * kcs + kc) * taps * g.outPlane();
                int bigBase = (n * kcs + kc) * taps * g.inPlane();
                for (int a = 0; a < k; a++) {
                    for (int b = 0; b < k; b++) {
                        int v = a * k + b;
                        int u = taps - 1 - v;
                        for (int h = 0; h < g.outH(); h++) {
                            int qr = g.row(h, a);
                            if (qr < 0) {
                                continue;
                            }
                            for (int w = 0; w < g.outW(); w++) {
                                int qc = g.col(w, b);
                                if (qc < 0) {
                                    continue;
                                }
                                int si = smallBase + v * g.outPlane() + h * g.outW() + w;
                                int bi = bigBase + u * g.inPlane() + qr * g.inW() + qc;
                                if (toSmall) {
                                    small[si] = big[bi];
                                } else {
                                    big[bi] += small[si];
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    private static void addBias(float[] out, float[] bias, int batch, int channels, int plane) {
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < channels; o++) {
                int base = (n * channels + o) * plane;
                for (int i = 0; i < plane; i++) {
                    out[base + i] += bias[o];
                }
            }
        }
    }

    private static void sumPlanes(float[] t, float[] sums, int batch, int channels, int plane) {
        for (int n = 0; n < batch; n++) {
            for (int o = 0; o < channels; o++) {
                float s = 0f;
                int base = (n * channels + o) * plane;
                for (int i = 0; i < plane; i++) {
                    s += t[base + i];
                }
                sums[o] += s;
            }
        }
    }
}
