package org.acdajvm.oracle;

import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/** An input batch {@code [N, C, H, W]} widened to double (exactly), read with a padding mode. */
final class Images {

    final int batch;
    final int channels;
    final int height;
    final int width;
    final double[] data;

    Images(int batch, int channels, int height, int width, double[] data) {
        this.batch = batch;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.data = data;
    }

    static Images of(Tensor x) {
        double[] d = new double[x.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = x.data()[i];
        }
        return new Images(x.dim(0), x.dim(1), x.dim(2), x.dim(3), d);
    }

    Images copy() {
        return new Images(batch, channels, height, width, data.clone());
    }

    /** Flat index of {@code [n, c, h, w]}, in range. */
    int index(int n, int c, int h, int w) {
        return ((n * channels + c) * height + h) * width + w;
    }

    /** {@code xp[n, c, h, w]}: 0 outside the image with zero padding, the wrapped value with circular padding. */
    double read(PaddingMode padding, int n, int c, int h, int w) {
        int hh = padding.index(h, height);
        int ww = padding.index(w, width);
        return hh < 0 || ww < 0 ? 0.0 : data[index(n, c, hh, ww)];
    }
}
