package org.acdajvm.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.backend.LayerOp;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.tvconv.TvConvConfig;
import org.acdajvm.layers.tvconv.TvConvKind;
import org.acdajvm.layers.tvconv.TvConvLayer;
import org.acdajvm.layers.tvconv.TvConvPaths;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.PlainConvVector;
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
 * TVConv's vector forward, with the filter computed on the fly (the weight net every call) and precomputed (inference),
 * beside plain conv and ACDA of the same shape on the vector backend, and the oracle (run it on {@code small} only).
 * Shapes: {@code small} N=1 C=8 16x16 K=3 (weight net ca=4 mid=8, 2 blocks); {@code k3}, {@code k7}: N=1 C=O=64
 * 56x56 with K=3 / 7 (weight net ca=4 mid=16, 2 blocks: lighter than the paper's 64 hidden channels, 3 blocks; the
 * precomputed path does not depend on it). TVConv is depthwise; plain conv and ACDA here are dense C -> O = 64 -> 64.
 * The TVConv vector op is checked against the oracle on a small layer in setup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TvConvBenchmark {

    @State(Scope.Benchmark)
    public static class Shape {
        @Param({"small", "k3", "k7"})
        public String shape;

        TvConvLayer tvconv;
        Inputs inputs;
        Tensor x;
        AcdaBackend vector;
        LayerOp<TvConvLayer> op;
        TvConvPaths.Inference inference;
        float[] filter;
        AcdaLayer acda;
        PlainConvVector plain;
        Tensor weight;
        float[] bias;
        AcdaBackend oracle;

        @Setup(Level.Trial)
        public void setup() {
            boolean small = shape.equals("small");
            int c = small ? 8 : 64;
            int k = shape.equals("k7") ? 7 : 3;
            int size = small ? 16 : 56;
            tvconv = TvConvKind.random(new TvConvConfig(c, k, 1, PaddingMode.ZEROS, size, size, 4, small ? 8 : 16, 2, false), 42);
            inputs = TvConvKind.INSTANCE.randomInputs(tvconv, 1, size, size, 43);
            x = inputs.x();
            vector = Backends.require("vector");
            op = vector.op(TvConvKind.INSTANCE).orElseThrow();
            inference = (TvConvPaths.Inference) op;
            filter = inference.precompute(tvconv);
            oracle = Backends.require("oracle");
            selfCheck();
            acda = AcdaInit.randomized(AcdaConfig.builder(c, c, k).build(), 44);
            plain = new PlainConvVector(Runtime.getRuntime().availableProcessors());
            weight = Tensor.zeros(c, c, k, k);
            AcdaInit.fill(weight, new SplittableRandom(7), -0.1, 0.1);
            bias = new float[c];
        }

        /** The vector op against the oracle's tight verdict, on a small layer. */
        private void selfCheck() {
            TvConvLayer l = TvConvKind.random(new TvConvConfig(4, 3, 1, PaddingMode.ZEROS, 9, 11, 3, 6, 2, true), 5);
            Inputs in = TvConvKind.INSTANCE.randomInputs(l, 2, 9, 11, 6);
            ErrorReport r = ErrorReport.compare(TvConvKind.INSTANCE.oracleForward(l, in), op.forward(l, in),
                    ErrorBounds.Evaluation.ANY);
            if (!r.accepted()) {
                throw new IllegalStateException("the tvconv vector op fails its oracle: " + r.describe());
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            plain.close();
            vector.close();
            oracle.close();
        }
    }

    @Benchmark
    public Tensor tvconvVectorOnTheFly(Shape s) {
        return s.op.forward(s.tvconv, s.inputs);
    }

    @Benchmark
    public Tensor tvconvVectorPrecomputed(Shape s) {
        return s.inference.forward(s.tvconv, s.filter, s.inputs);
    }

    @Benchmark
    public Tensor plainConvVector(Shape s) {
        return s.plain.forward(s.x, s.weight, s.bias, 1, 1, PaddingMode.ZEROS);
    }

    @Benchmark
    public Tensor acdaVector(Shape s) {
        return s.vector.forward(s.acda, s.x);
    }

    /** The oracle (double, with both bounds' ingredients): run with {@code -p shape=small}. */
    @Benchmark
    public Object tvconvOracle(Shape s) {
        return TvConvKind.INSTANCE.oracleForward(s.tvconv, s.inputs);
    }
}
