package org.acdajvm.layers.conv;

/**
 * The two float32 kernels every member of the family is run with once its adapting kernel is known: the
 * tap-weighted conv ({@link ConvForwardScalar}, {@link ConvBackwardScalar}) and the local filter
 * ({@link LocalFilterScalar}, PAC pool). The layers' orchestrations ({@link ConvPaths},
 * {@code layers.pac.PacPaths}) are written once against this interface; the scalar backend passes
 * {@link #SCALAR}, the vector backend its Vector API implementation. Array layouts are those of the scalar
 * methods; gradients are added into the arrays given (callers pass zeros), {@code null} means not wanted.
 */
public interface TapConv {

    /** {@link ConvForwardScalar#forward}. */
    void forward(FilterGeometry g, float[] x, float[] w, float[] bias, float[] kf, boolean perChannel, float[] y);

    /** {@link ConvBackwardScalar#backward}. */
    void backward(FilterGeometry g, float[] x, float[] w, float[] kf, boolean perChannel, float[] dy, float[] dx,
                  float[] dw, float[] db, float[] dkf);

    /** {@link LocalFilterScalar#forward}. */
    void localFilter(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] y);

    /** {@link LocalFilterScalar#backward}. */
    void localFilterBackward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] dy, float[] dx, float[] dkf);

    /** {@link LocalFilterScalar#forward(FilterGeometry, float[], int, float[], float[])}: {@code groups} filters, channel {@code c} uses {@code c / (C/groups)}. */
    default void localFilter(FilterGeometry g, float[] kf, int groups, float[] x, float[] y) {
        LocalFilterScalar.forward(g, kf, groups, x, y);
    }

    /** {@link LocalFilterScalar#backward(FilterGeometry, float[], int, float[], float[], float[], float[])}. */
    default void localFilterBackward(FilterGeometry g, float[] kf, int groups, float[] x, float[] dy, float[] dx, float[] dkf) {
        LocalFilterScalar.backward(g, kf, groups, x, dy, dx, dkf);
    }

    /**
     * {@code v[n,c,p] = max(v[n,c,p] * mul[c] + add[c], 0)} in place (a folded BatchNorm then ReLU), {@code v} laid out
     * {@code [batch, channels, plane]}; the scalar form is one float multiply, one add and a max per element.
     */
    default void affineRelu(float[] v, int batch, int channels, int plane, float[] mul, float[] add) {
        for (int n = 0; n < batch; n++) {
            for (int c = 0; c < channels; c++) {
                int off = (n * channels + c) * plane;
                for (int i = 0; i < plane; i++) {
                    v[off + i] = Math.max(v[off + i] * mul[c] + add[c], 0f);
                }
            }
        }
    }

    /**
     * The local filter with {@code kf} shared by every image when {@code sharedByBatch} ({@code [KC, K*K, outH, outW]};
     * TVConv); {@link LocalFilterScalar#forward(FilterGeometry, float[], boolean, boolean, float[], float[])}.
     */
    default void localFilter(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x, float[] y) {
        LocalFilterScalar.forward(g, kf, perChannel, sharedByBatch, x, y);
    }

    /** The local filter's backward, {@code dkf} summed over the images when {@code sharedByBatch}. */
    default void localFilterBackward(FilterGeometry g, float[] kf, boolean perChannel, boolean sharedByBatch, float[] x,
                                     float[] dy, float[] dx, float[] dkf) {
        LocalFilterScalar.backward(g, kf, perChannel, sharedByBatch, x, dy, dx, dkf);
    }

    /** A loop body over rows {@code [from, to)}. */
    @FunctionalInterface
    interface Rows {
        void run(int from, int to);
    }

    /**
     * Runs {@code body} over rows {@code [0, count)}: in one call here; the vector kernels hand chunks of rows to
     * their threads. Each row must be independent of the others (its own outputs only).
     */
    default void forRows(int count, Rows body) {
        body.run(0, count);
    }

    /**
     * A float array of at least {@code size} elements for workspace {@code slot} (contents unspecified): a new
     * one here; the vector kernels keep one per slot and hand it out again, so that a layer's per-call buffers
     * (its adapting kernel, that kernel's gradient) are not reallocated on every call. A slot's array is valid
     * until the next request for the same slot.
     */
    default float[] scratch(int slot, int size) {
        return new float[size];
    }

    /**
     * PAC's adapting kernel as {@code layers.pac.PacKernelScalar} defines it ({@code exp(-0.5 d2)}, or
     * {@code alpha + (d2 + eps)^(lambda/2)}; 0 at taps outside the image with zero padding; optionally normalised
     * over in-image taps).
     */
    record AdaptingKernel(boolean inverse, float alpha, float lambda, float eps, boolean channelWise, boolean normalise) {
    }

    /**
     * The adapting kernel into {@code kf [N, KC, K*K, outH, outW]} from guidance {@code f [N, G, H, W]}, when these
     * kernels have a fast path for it; {@code false} (and nothing written) when they have none, and the caller
     * computes it.
     */
    default boolean adaptingKernel(FilterGeometry g, AdaptingKernel k, float[] f, int gc, float[] kf) {
        return false;
    }

    /**
     * The backward of {@link #adaptingKernel}: adds {@code dL/df} into {@code df [N, G, H, W]} for
     * {@code dkf = dL/dKf} and returns {@code {dL/d alpha, dL/d lambda}} (zeros for the gaussian), when these
     * kernels have a fast path for it; {@code null} (nothing written) otherwise.
     */
    default float[] adaptingKernelBackward(FilterGeometry g, AdaptingKernel k, float[] f, int gc, float[] dkf, float[] df) {
        return null;
    }

    /** The readable scalar kernels. */
    TapConv SCALAR = new TapConv() {
        @Override
        public void forward(FilterGeometry g, float[] x, float[] w, float[] bias, float[] kf, boolean perChannel, float[] y) {
            ConvForwardScalar.forward(g, x, w, bias, kf, perChannel, y);
        }

        @Override
        public void backward(FilterGeometry g, float[] x, float[] w, float[] kf, boolean perChannel, float[] dy, float[] dx,
                             float[] dw, float[] db, float[] dkf) {
            ConvBackwardScalar.backward(g, x, w, kf, perChannel, dy, dx, dw, db, dkf);
        }

        @Override
        public void localFilter(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] y) {
            LocalFilterScalar.forward(g, kf, perChannel, x, y);
        }

        @Override
        public void localFilterBackward(FilterGeometry g, float[] kf, boolean perChannel, float[] x, float[] dy, float[] dx,
                                        float[] dkf) {
            LocalFilterScalar.backward(g, kf, perChannel, x, dy, dx, dkf);
        }
    };
}
