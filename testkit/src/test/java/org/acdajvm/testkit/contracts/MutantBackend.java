package org.acdajvm.testkit.contracts;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.LayerOp;
import org.acdajvm.backend.ScalarBackend;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.conv.ConvLayer;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.tensor.Tensor;

/**
 * Backends with one planted bug each in the scalar backend's plain conv, for {@link MutantContractsTest}: the
 * contract must fail on every one of them. Registered (test scope only) through {@code META-INF/services}.
 */
public abstract class MutantBackend implements AcdaBackend {

    // Made on first use, not in the constructor: ServiceLoader constructs every backend whenever Backends looks one up.
    private AcdaBackend scalar;

    /** The correct op this mutant wraps. */
    protected final LayerOp<ConvLayer> good() {
        if (scalar == null) {
            scalar = new ScalarBackend();
        }
        return scalar.op(ConvKind.INSTANCE).orElseThrow();
    }

    @Override
    public Optional<String> unavailableReason() {
        return Optional.empty();
    }

    @Override
    public Tensor forward(AcdaLayer layer, Tensor x) {
        throw new UnsupportedOperationException("a conv-only mutant");
    }

    @Override
    public <L extends Layer> Optional<LayerOp<L>> op(LayerKind<L> kind) {
        if (kind != ConvKind.INSTANCE) {
            return Optional.empty();
        }
        LayerOp<ConvLayer> mutant = new LayerOp<>() {
            @Override
            public Tensor forward(ConvLayer layer, Inputs inputs) {
                return mutateForward(layer, inputs);
            }

            @Override
            public ErrorBounds.Evaluation evaluation() {
                return good().evaluation();
            }

            @Override
            public Optional<String> backwardUnavailableReason() {
                return good().backwardUnavailableReason();
            }

            @Override
            public Map<String, Tensor> backward(ConvLayer layer, Inputs inputs, Tensor dy) {
                return mutateBackward(layer, inputs, dy);
            }
        };
        @SuppressWarnings("unchecked")
        LayerOp<L> op = (LayerOp<L>) mutant;
        return Optional.of(op);
    }

    protected Tensor mutateForward(ConvLayer layer, Inputs inputs) {
        return good().forward(layer, inputs);
    }

    protected Map<String, Tensor> mutateBackward(ConvLayer layer, Inputs inputs, Tensor dy) {
        return good().backward(layer, inputs, dy);
    }

    @Override
    public void close() {
        if (scalar != null) {
            scalar.close();
        }
    }

    /** Writes into its input x after computing a correct output. */
    public static final class WritesInput extends MutantBackend {
        @Override
        public String name() {
            return "mutant-writes-input";
        }

        @Override
        protected Tensor mutateForward(ConvLayer layer, Inputs inputs) {
            Tensor y = good().forward(layer, inputs);
            inputs.x().data()[0] += 1f;
            return y;
        }
    }

    /** Every second call, its first output element moves by one ulp. */
    public static final class Nondeterministic extends MutantBackend {
        private int calls;

        @Override
        public String name() {
            return "mutant-nondeterministic";
        }

        @Override
        protected Tensor mutateForward(ConvLayer layer, Inputs inputs) {
            Tensor y = good().forward(layer, inputs);
            if (calls++ % 2 == 1) {
                y.data()[0] = Math.nextUp(y.data()[0]);
            }
            return y;
        }
    }

    /** Its last output element is off by 1e-3 relative (an index error at a border would be far larger). */
    public static final class WrongElement extends MutantBackend {
        @Override
        public String name() {
            return "mutant-wrong-element";
        }

        @Override
        protected Tensor mutateForward(ConvLayer layer, Inputs inputs) {
            Tensor y = good().forward(layer, inputs);
            float[] d = y.data();
            d[d.length - 1] += 1e-3f * (1 + Math.abs(d[d.length - 1]));
            return y;
        }
    }

    /** Rejects bad inputs without saying which. */
    public static final class UnnamedErrors extends MutantBackend {
        @Override
        public String name() {
            return "mutant-unnamed-errors";
        }

        @Override
        protected Tensor mutateForward(ConvLayer layer, Inputs inputs) {
            try {
                return good().forward(layer, inputs);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("bad shape");
            }
        }
    }

    /** Its weight gradient is 0.1% too large. */
    public static final class WrongGradient extends MutantBackend {
        @Override
        public String name() {
            return "mutant-wrong-gradient";
        }

        @Override
        protected Map<String, Tensor> mutateBackward(ConvLayer layer, Inputs inputs, Tensor dy) {
            Map<String, Tensor> g = new LinkedHashMap<>(good().backward(layer, inputs, dy));
            Tensor w = g.get(ConvLayer.WEIGHT).copy();
            for (int i = 0; i < w.size(); i++) {
                w.data()[i] *= 1.001f;
            }
            g.put(ConvLayer.WEIGHT, w);
            return g;
        }
    }
}
