package org.acdajvm.bench;

import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.backend.LayerOp;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.ConvConfig;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.conv.ConvLayer;
import org.acdajvm.layers.dfn.DfnConfig;
import org.acdajvm.layers.dfn.DfnKind;
import org.acdajvm.layers.dfn.DfnLayer;
import org.acdajvm.oracle.OracleResult;
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
 * Dynamic local filtering beside plain conv and ACDA on the vector backend, one layer of the same shape each: N = 1,
 * C = O = 64, 56 x 56, K = 3 or 7, "same" padding, stride 1, zero padding; the filter {@code [1, K^2, 56, 56]} with
 * softmax. Multiply-adds per output pixel: dynamic filtering {@code C K^2} (plus {@code K^2} exps for the softmax),
 * plain conv {@code O C K^2}, so it is {@code O} = 64 times less work than the conv and bound by memory and the
 * softmax. Also the oracle against the vector path on a small shape (N = 1, C = 8, 16 x 16, K = 3), the cost of
 * checking. Every dynamic-filter op is checked against the scalar backend on a crop in setup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class DfnForwardBenchmark {

    static final int CHANNELS = 64;
    static final int SIDE = 56;

    @SuppressWarnings("unchecked")
    static LayerKind<Layer> erase(LayerKind<?> k) {
        return (LayerKind<Layer>) k;
    }

    static Tensor random(int[] shape, long seed) {
        Tensor t = Tensor.zeros(shape);
        AcdaInit.fill(t, new java.util.SplittableRandom(seed), -1, 1);
        return t;
    }

    /** The three layers of one shape and the vector backend's ops. */
    @State(Scope.Benchmark)
    public static class Shape {
        @Param({"3", "7"})
        public int kernelSize;

        DfnLayer dfn;
        Inputs dfnIn;
        Tensor dfnDy;
        ConvLayer conv;
        Inputs convIn;
        AcdaLayer acda;
        AcdaBackend vector;
        LayerOp<Layer> dfnOp;
        LayerOp<Layer> convOp;

        @Setup(Level.Trial)
        public void setup() {
            int k = kernelSize;
            dfn = new DfnLayer(new DfnConfig(CHANNELS, k, 1, 1, (k - 1) / 2, PaddingMode.ZEROS, true));
            dfnIn = DfnKind.INSTANCE.randomInputs(dfn, 1, SIDE, SIDE, 51);
            dfnDy = random(DfnKind.INSTANCE.checkInputs(dfn, dfnIn), 52);
            conv = ConvKind.random(new ConvConfig(CHANNELS, CHANNELS, k, 1, 1, (k - 1) / 2, PaddingMode.ZEROS, true), 53);
            convIn = Inputs.of(dfnIn.x());
            acda = AcdaInit.randomized(AcdaConfig.builder(CHANNELS, CHANNELS, k).build(), 54);
            vector = Backends.require("vector");
            dfnOp = vector.op(erase(DfnKind.INSTANCE)).orElseThrow();
            convOp = vector.op(erase(ConvKind.INSTANCE)).orElseThrow();
            try (AcdaBackend scalar = Backends.require("scalar")) {
                LayerOp<Layer> s = scalar.op(erase(DfnKind.INSTANCE)).orElseThrow();
                Inputs.Builder b = Inputs.builder();
                dfnIn.all().forEach((name, t) -> b.put(name, SelfCheck.crop(t, SelfCheck.CROP)));
                Inputs crop = b.build();
                same(s.forward(dfn, crop), dfnOp.forward(dfn, crop), "y");
                Tensor dy = random(DfnKind.INSTANCE.checkInputs(dfn, crop), 55);
                Map<String, Tensor> gs = s.backward(dfn, crop, dy);
                Map<String, Tensor> gv = dfnOp.backward(dfn, crop, dy);
                gs.forEach((key, t) -> same(t, gv.get(key), "d" + key));
            }
        }

        private static void same(Tensor expected, Tensor actual, String what) {
            double max = 0;
            for (float f : expected.data()) {
                max = Math.max(max, Math.abs(f));
            }
            for (int i = 0; i < expected.size(); i++) {
                if (!(Math.abs(expected.data()[i] - actual.data()[i]) <= 1e-4 * max + 1e-6)) {
                    throw new IllegalStateException("benchmark self-check failed for dynamic-filter " + what + " at " + i + ": "
                            + actual.data()[i] + " vs the scalar path's " + expected.data()[i]);
                }
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            vector.close();
        }
    }

    /** A small shape for the oracle (N = 1, C = 8, 16 x 16, K = 3, softmax). */
    @State(Scope.Benchmark)
    public static class Small {
        DfnLayer dfn;
        Inputs in;
        AcdaBackend vector;
        LayerOp<Layer> op;

        @Setup(Level.Trial)
        public void setup() {
            dfn = new DfnLayer(new DfnConfig(8, 3, 1, 1, 1, PaddingMode.ZEROS, true));
            in = DfnKind.INSTANCE.randomInputs(dfn, 1, 16, 16, 61);
            vector = Backends.require("vector");
            op = vector.op(erase(DfnKind.INSTANCE)).orElseThrow();
        }

        @TearDown(Level.Trial)
        public void close() {
            vector.close();
        }
    }

    @Benchmark
    public Tensor dfnForward(Shape s) {
        return s.dfnOp.forward(s.dfn, s.dfnIn);
    }

    @Benchmark
    public Map<String, Tensor> dfnBackward(Shape s) {
        return s.dfnOp.backward(s.dfn, s.dfnIn, s.dfnDy);
    }

    @Benchmark
    public Tensor plainConvForward(Shape s) {
        return s.convOp.forward(s.conv, s.convIn);
    }

    @Benchmark
    public Tensor acdaForward(Shape s) {
        return s.vector.forward(s.acda, s.convIn.x());
    }

    @Benchmark
    public Tensor dfnSmallVectorForward(Small s) {
        return s.op.forward(s.dfn, s.in);
    }

    @Benchmark
    public OracleResult dfnSmallOracleForward(Small s) {
        return DfnKind.INSTANCE.oracleForward(s.dfn, s.in);
    }
}
