package org.acdajvm.vector;

import org.acdajvm.layer.PaddingMode;

/**
 * The layout of an input image copied once into a padded, stride-deinterleaved buffer,
 * {@code [C][Hp][s][Wq]}: element {@code (c, row, phase, j)} holds {@code xp[c, row - pad, s*j + phase - pad]},
 * where {@code xp} is the input read with the padding mode (zeros, or wrapped). A convolution tap
 * that reads {@code xp[c, s*h' + rowShift - pad, s*w' + colShift - pad]} for consecutive
 * {@code w'} then reads consecutive elements, for every stride and dilation, and never out of
 * bounds: every stage's loads become plain vector loads.
 */
final class PaddedInput {

    final int channels;
    final int inH;
    final int inW;
    final int stride;
    final int pad;
    final int hp;
    final int wq;

    /**
     * @param pad       padding on every side ({@code >=} the reach of every convolution that reads it)
     * @param tiledOutW output width rounded up to whole tiles
     * @param maxShift  the largest column shift (in padded coordinates) any tap uses
     */
    PaddedInput(int channels, int inH, int inW, int stride, int pad, int tiledOutW, int maxShift) {
        this(channels, inH, inW, stride, pad, tiledOutW + maxShift / stride + 2);
    }

    /**
     * The smallest row stride for {@link #rows} at which every read of a valid pixel, up to padded column
     * {@code lastRead}, stays in its row or (with {@code sharedPadding}) in the next row's left padding, and at least
     * {@code least}.
     */
    static int rowStride(int inW, int pad, int lastRead, int least, boolean sharedPadding) {
        return sharedPadding
                ? Math.max(Math.max(inW + pad, lastRead + 1 - pad), least)
                : Math.max(Math.max(inW + 2 * pad, lastRead + 1), least);
    }

    /**
     * Stride 1 with rows exactly {@code rowStride} floats apart, so that output pixel {@code (h, w)} sits at {@link
     * #base}{@code (h, w) = h * rowStride + w}: a run of consecutive pixels that crosses rows is one run of the
     * buffer (the columns past the output width read the next row's padding). With {@code sharedPadding} (zero
     * padding only) {@code rowStride >= inW + pad}: a row's right padding is the next row's left padding, the
     * zeros at columns {@code 0 .. pad-1} of the row below (and the top padding rows of the next channel, or the
     * buffer's slack, below the last row); otherwise {@code rowStride >= inW + 2 * pad}.
     */
    static PaddedInput rows(int channels, int inH, int inW, int pad, int rowStride, boolean sharedPadding) {
        int least = inW + (sharedPadding ? pad : 2 * pad);
        if (rowStride < least) {
            throw new IllegalArgumentException("row stride " + rowStride + " < " + least);
        }
        return new PaddedInput(channels, inH, inW, 1, pad, rowStride);
    }

    private PaddedInput(int channels, int inH, int inW, int stride, int pad, int wq) {
        this.channels = channels;
        this.inH = inH;
        this.inW = inW;
        this.stride = stride;
        this.pad = pad;
        this.hp = inH + 2 * pad;
        this.wq = wq;
    }

    /** Floats the buffer needs (with slack for the last vector of a tile). */
    int size() {
        return channels * hp * stride * wq + VectorGemm.NR;
    }

    /** Offset of tap {@code (rowShift, colShift)} of channel {@code c} for output pixel (0, 0). */
    int tap(int c, int rowShift, int colShift) {
        return ((c * hp + rowShift) * stride + colShift % stride) * wq + colShift / stride;
    }

    /** What to add to {@link #tap} for output row {@code h} and column {@code w0}. */
    int base(int h, int w0) {
        return stride * stride * h * wq + w0;
    }

    /** Distance between two channels. */
    int channelStride() {
        return hp * stride * wq;
    }

    /** Copies image {@code n} of {@code x} ({@code [N][C][H][W]}) into {@code dst} with the padding mode. */
    void fill(float[] dst, float[] x, int n, PaddingMode mode) {
        for (int c = 0; c < channels; c++) {
            fillChannel(dst, x, n, c, mode);
        }
    }

    /** One channel of {@link #fill}; channels are independent, so callers may fill them in parallel. */
    void fillChannel(float[] dst, float[] x, int n, int c, PaddingMode mode) {
        int plane = inH * inW;
        int src0 = (n * channels + c) * plane;
        for (int row = 0; row < hp; row++) {
            int src = mode.index(row - pad, inH);
            for (int phase = 0; phase < stride; phase++) {
                int d = ((c * hp + row) * stride + phase) * wq;
                if (src < 0) {
                    java.util.Arrays.fill(dst, d, d + wq, 0f);
                    continue;
                }
                int s = src0 + src * inW;
                int j = 0;
                if (stride == 1) {
                    // Left padding, the row itself in one copy, then right padding and the tail.
                    for (; j < pad; j++) {
                        int sc = mode.index(j - pad, inW);
                        dst[d + j] = sc < 0 ? 0f : x[s + sc];
                    }
                    System.arraycopy(x, s, dst, d + pad, inW);
                    j = pad + inW;
                }
                for (; j < wq; j++) {
                    int col = stride * j + phase - pad;
                    int sc = col < inW + pad ? mode.index(col, inW) : -1;
                    dst[d + j] = sc < 0 ? 0f : x[s + sc];
                }
            }
        }
    }

    /**
     * The adjoint of {@link #fillChannel}: adds every element of channel {@code c} of the padded buffer
     * {@code src} into the input element it was read from ({@code dx [N][C][H][W]}, image {@code n}); padding
     * zeros drop their value, wrapped reads add to the element they wrap to. A convolution's input gradient
     * is scattered into a padded buffer with the taps' plain offsets, then folded back by this.
     */
    void foldChannel(float[] src, float[] dx, int n, int c, PaddingMode mode) {
        int dst0 = (n * channels + c) * inH * inW;
        for (int row = 0; row < hp; row++) {
            int r = mode.index(row - pad, inH);
            if (r < 0) {
                continue;
            }
            for (int phase = 0; phase < stride; phase++) {
                int d = ((c * hp + row) * stride + phase) * wq;
                for (int j = 0; j < wq; j++) {
                    int col = stride * j + phase - pad;
                    int sc = col < inW + pad ? mode.index(col, inW) : -1;
                    if (sc >= 0) {
                        dx[dst0 + r * inW + sc] += src[d + j];
                    }
                }
            }
        }
    }
}
