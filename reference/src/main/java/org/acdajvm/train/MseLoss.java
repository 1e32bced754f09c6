package org.acdajvm.train;

import org.acdajvm.tensor.Tensor;

/** Mean squared error {@code L = (1/n) sum_i (y_i - t_i)^2} over all {@code n} elements, and its gradient. */
public final class MseLoss {

    private MseLoss() {
    }

    /** The loss, accumulated in double (tensors of the same shape; not modified). */
    public static double loss(Tensor y, Tensor target) {
        target.requireShape("target", y.shape());
        double s = 0;
        float[] a = y.data();
        float[] t = target.data();
        for (int i = 0; i < a.length; i++) {
            double d = (double) a[i] - t[i];
            s += d * d;
        }
        return s / a.length;
    }

    /** {@code dL/dy = 2 (y - t) / n}, a new tensor of {@code y}'s shape. */
    public static Tensor gradient(Tensor y, Tensor target) {
        target.requireShape("target", y.shape());
        Tensor g = Tensor.zeros(y.shape());
        float scale = 2f / y.size();
        for (int i = 0; i < y.size(); i++) {
            g.data()[i] = (y.data()[i] - target.data()[i]) * scale;
        }
        return g;
    }
}
