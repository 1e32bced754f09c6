package org.acdajvm.train;

import java.util.Arrays;
import java.util.Map;

import org.acdajvm.tensor.Tensor;

/**
 * Full-batch training of one layer on one (input, target) pair with {@link MseLoss} and
 * {@link SgdMomentum}, for at most a given number of steps, stopping early once the loss has not
 * improved by {@code minImprovement} (relative) over the last {@code patience} steps.
 */
public final class Trainer {

    /** A layer being trained: its forward, its gradients, and its parameters (updated in place by the optimiser). */
    public interface Model {
        /** @param x input {@code [N, C, H, W]} (not modified) */
        Tensor forward(Tensor x);

        /** The parameters' gradients (and {@code "x"}, ignored) for the upstream gradient {@code dy}. */
        Map<String, Tensor> gradients(Tensor x, Tensor dy);

        /** The parameters, keyed like the gradients; the optimiser writes into these tensors. */
        Map<String, Tensor> parameters();

        /** Called after every optimiser step, for models that must rebuild themselves from their parameters. */
        default void updated() {
        }
    }

    /** Told after every step: the step number (from 1), its loss, the largest step count. */
    @FunctionalInterface
    public interface Listener {
        void step(int step, double loss, int maxSteps);
    }

    /** The loss before each step taken ({@code losses.length} steps) and after the last. */
    public record Result(double[] losses, double finalLoss) {
        public int steps() {
            return losses.length;
        }
    }

    private Trainer() {
    }

    /**
     * Trains {@code model} in place.
     *
     * @param maxSteps       at most this many steps
     * @param patience       stop when the best loss of the last {@code patience} steps is not below
     *                       {@code (1 - minImprovement)} times the best before them
     */
    public static Result train(Model model, Tensor x, Tensor target, SgdMomentum sgd, int maxSteps, int patience,
                               double minImprovement, Listener listener) {
        double[] losses = new double[maxSteps];
        int steps = 0;
        double best = Double.POSITIVE_INFINITY;
        int bestAt = 0;
        for (int s = 0; s < maxSteps; s++) {
            Tensor y = model.forward(x);
            double loss = MseLoss.loss(y, target);
            if (!Double.isFinite(loss)) {
                throw new IllegalStateException("training diverged at step " + (s + 1) + ": loss " + loss);
            }
            losses[s] = loss;
            steps = s + 1;
            if (loss < best * (1 - minImprovement)) {
                best = loss;
                bestAt = s;
            }
            Map<String, Tensor> grads = model.gradients(x, MseLoss.gradient(y, target));
            sgd.step(model.parameters(), grads);
            model.updated();
            if (listener != null) {
                listener.step(steps, loss, maxSteps);
            }
            if (s - bestAt >= patience) {
                break;
            }
        }
        double finalLoss = MseLoss.loss(model.forward(x), target);
        return new Result(Arrays.copyOf(losses, steps), finalLoss);
    }
}
