package org.acdajvm.train;

import java.util.HashMap;
import java.util.Map;

import org.acdajvm.tensor.Tensor;

/**
 * Stochastic gradient descent with momentum, as PyTorch's {@code SGD(lr, momentum)}:
 * {@code v = mu v + g; p = p - lr v} per element, with a velocity per parameter key.
 * Optionally the step is bounded: when the norm of {@code lr v} over all parameters exceeds
 * {@code maxStep}, the whole step is scaled down to that norm (a safeguard against the first
 * large gradients of a freshly initialised layer, which would otherwise throw tanh into saturation).
 */
public final class SgdMomentum {

    private final double lr;
    private final double momentum;
    private final double maxStep;
    private final Map<String, float[]> velocity = new HashMap<>();

    /**
     * @param lr       learning rate, {@code > 0}
     * @param momentum {@code mu} in {@code [0, 1)}
     * @param maxStep  the largest Euclidean norm of one step, or {@code Double.POSITIVE_INFINITY}
     */
    public SgdMomentum(double lr, double momentum, double maxStep) {
        if (!(lr > 0) || !(momentum >= 0 && momentum < 1) || !(maxStep > 0)) {
            throw new IllegalArgumentException("lr = " + lr + ", momentum = " + momentum + ", maxStep = " + maxStep
                    + ": expected lr > 0, 0 <= momentum < 1, maxStep > 0");
        }
        this.lr = lr;
        this.momentum = momentum;
        this.maxStep = maxStep;
    }

    /**
     * One step: updates every tensor of {@code params} in place with the gradient of the same key
     * (keys of {@code grads} without a parameter, such as {@code "x"}, are ignored).
     *
     * @return the norm of the step taken
     */
    public double step(Map<String, Tensor> params, Map<String, Tensor> grads) {
        double norm2 = 0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            Tensor g = grads.get(e.getKey());
            if (g == null) {
                continue;
            }
            g.requireShape("gradient of " + e.getKey(), e.getValue().shape());
            float[] v = velocity.computeIfAbsent(e.getKey(), k -> new float[g.size()]);
            float[] gd = g.data();
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (momentum * v[i] + gd[i]);
                norm2 += (lr * v[i]) * (lr * v[i]);
            }
        }
        double norm = Math.sqrt(norm2);
        double scale = norm > maxStep ? maxStep / norm : 1.0;
        for (Map.Entry<String, Tensor> e : params.entrySet()) {
            float[] v = velocity.get(e.getKey());
            if (v == null) {
                continue;
            }
            float[] p = e.getValue().data();
            for (int i = 0; i < p.length; i++) {
                p[i] -= (float) (lr * scale * v[i]);
            }
        }
        return norm * scale;
    }
}
