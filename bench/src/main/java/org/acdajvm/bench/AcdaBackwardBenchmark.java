package org.acdajvm.bench;

import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One ACDA backward per operation (all gradients of DESIGN section 6 for a random upstream
 * gradient) beside one forward of the same layer in the same fork, so that the backward/forward
 * ratio comes from one JVM on one stretch of machine time. The vector backward is checked in setup
 * against the scalar one (itself checked against the oracle's backward by the contract suite),
 * tensor by tensor, {@code max |err| / max |grad| <= 1e-4}.
 *
 * <p>Configurations are {@link BenchConfig}'s; {@code k-3} is the resnet-like N=1 C=O=64 56x56 K=3
 * layer the issue times PyTorch's autograd on ({@code bench/pytorch/acda_backward_torch.py}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// The incubating Vector API must be enabled in the forked JVM, as everywhere else.
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class AcdaBackwardBenchmark {

    /** The layer, input and upstream gradient of one configuration, and the vector backend checked on them. */
    @State(Scope.Benchmark)
    public static class Case {
        @Param({"small", "k-3", "k-7"})
        public String config;

        AcdaLayer layer;
        Tensor x;
        Tensor dy;
        Tensor y;
        AcdaBackend vector;

        @Setup(Level.Trial)
        public void setup() {
            BenchConfig bc = BenchConfig.of(config);
            layer = AcdaInit.randomized(bc.layer(), 42);
            x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
            vector = Backends.require("vector");
            y = vector.forward(layer, x);
            dy = Tensor.zeros(y.shape());
            AcdaInit.fill(dy, new SplittableRandom(44), -1, 1);
            if (!SelfCheck.enabled()) {
                return;
            }
            try (AcdaBackend scalar = Backends.require("scalar")) {
                Map<String, Tensor> expected = scalar.backward(layer, x, dy);
                Map<String, Tensor> actual = vector.backward(layer, x, dy);
                expected.forEach((key, e) -> {
                    double maxErr = 0;
                    double maxAbs = 0;
                    for (int i = 0; i < e.size(); i++) {
                        maxErr = Math.max(maxErr, Math.abs(e.data()[i] - actual.get(key).data()[i]));
                        maxAbs = Math.max(maxAbs, Math.abs(e.data()[i]));
                    }
                    if (!(maxErr <= 1e-4 * maxAbs)) {
                        throw new IllegalStateException("self-check: vector backward's " + key + " differs from the scalar "
                                + "backward's by " + maxErr + " (max |grad| " + maxAbs + ") on " + config);
                    }
                });
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            vector.close();
        }
    }

    @Benchmark
    public Map<String, Tensor> backwardVector(Case c) {
        return c.vector.backward(c.layer, c.x, c.dy);
    }

    @Benchmark
    public Tensor forwardVector(Case c) {
        return c.vector.forward(c.layer, c.x);
    }
}
