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
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
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
 * PAC beside plain conv and ACDA on the vector backend, one layer of the same shape each: N = 1,
 * C = O = 64, 56 x 56, K = 3 or 7, "same" padding, stride 1, zero padding, bias; PAC's guidance has 3
 * channels (an RGB image), gaussian kernel, not normalised. PAC conv's forward and backward, plain conv's
 * forward and backward, ACDA's forward. Multiply-adds per output pixel: plain conv {@code O C K^2}, PAC conv
 * the same plus {@code C K^2} products of the weighted tile and {@code 3 K^2} for its kernel; GFLOP/s below
 * count {@code 2 O C K^2} per pixel for both. Every op is checked against the scalar backend on a crop in setup.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// The incubating Vector API must be enabled in the forked JVM, as everywhere else.
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class FamilyForwardBenchmark {

    static final int BATCH = 1;
    static final int CHANNELS = 64;
    static final int SIDE = 56;
    static final int GUIDANCE = 3;

    /** The three layers and their inputs, and the vector backend's ops. */
    @State(Scope.Benchmark)
    public static class Shape {
        @Param({"3", "7"})
        public int kernelSize;

        PacLayer pac;
        Inputs pacIn;
        Tensor pacDy;
        ConvLayer conv;
        Inputs convIn;
        Tensor convDy;
        AcdaLayer acda;
        Tensor x;
        AcdaBackend vector;
        LayerOp<Layer> pacOp;
        LayerOp<Layer> convOp;

        @SuppressWarnings("unchecked")
        private static LayerKind<Layer> erase(LayerKind<?> k) {
            return (LayerKind<Layer>) k;
        }

        @Setup(Level.Trial)
        public void setup() {
            int k = kernelSize;
            pac = PacKind.random(new PacConfig(PacConfig.Variant.CONV, CHANNELS, CHANNELS, k, 1, 1, (k - 1) / 2,
                    PaddingMode.ZEROS, 0, PacConfig.KernelType.GAUSSIAN, false, false, GUIDANCE, true), 41);
            pacIn = PacKind.CONV.randomInputs(pac, BATCH, SIDE, SIDE, 42);
            conv = ConvKind.random(new ConvConfig(CHANNELS, CHANNELS, k, 1, 1, (k - 1) / 2, PaddingMode.ZEROS, true), 43);
            convIn = Inputs.of(pacIn.x());
            AcdaConfig ac = AcdaConfig.builder(CHANNELS, CHANNELS, k).build();
            acda = AcdaInit.randomized(ac, 44);
            x = pacIn.x();
            pacDy = random(PacKind.CONV.checkInputs(pac, pacIn), 45);
            convDy = random(ConvKind.INSTANCE.checkInputs(conv, convIn), 46);
            vector = Backends.require("vector");
            pacOp = vector.op(erase(PacKind.CONV)).orElseThrow();
            convOp = vector.op(erase(ConvKind.INSTANCE)).orElseThrow();
            try (AcdaBackend scalar = Backends.require("scalar")) {
                check(scalar, erase(PacKind.CONV), pac, crop(pacIn));
                check(scalar, erase(ConvKind.INSTANCE), conv, crop(convIn));
            }
            SelfCheck.againstOracle(vector, acda, x);
        }

        private static Tensor random(int[] shape, long seed) {
            Tensor t = Tensor.zeros(shape);
            AcdaInit.fill(t, new java.util.SplittableRandom(seed), -1, 1);
            return t;
        }

        private static Inputs crop(Inputs in) {
            Inputs.Builder b = Inputs.builder();
            in.all().forEach((name, t) -> b.put(name, SelfCheck.crop(t, SelfCheck.CROP)));
            return b.build();
        }

        /** Throws unless the vector op's forward and backward agree with the scalar backend's on {@code in}. */
        private void check(AcdaBackend scalar, LayerKind<Layer> kind, Layer layer, Inputs in) {
            LayerOp<Layer> s = scalar.op(kind).orElseThrow();
            LayerOp<Layer> v = vector.op(kind).orElseThrow();
            same(s.forward(layer, in), v.forward(layer, in), kind.name() + " y");
            Tensor dy = random(kind.checkInputs(layer, in), 47);
            Map<String, Tensor> gs = s.backward(layer, in, dy);
            Map<String, Tensor> gv = v.backward(layer, in, dy);
            gs.forEach((key, t) -> same(t, gv.get(key), kind.name() + " d" + key));
        }

        private static void same(Tensor expected, Tensor actual, String what) {
            double max = 0;
            for (float f : expected.data()) {
                max = Math.max(max, Math.abs(f));
            }
            for (int i = 0; i < expected.size(); i++) {
                if (!(Math.abs(expected.data()[i] - actual.data()[i]) <= 1e-4 * max + 1e-6)) {
                    throw new IllegalStateException("benchmark self-check failed for " + what + " at " + i + ": "
                            + actual.data()[i] + " vs the scalar path's " + expected.data()[i]);
                }
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            vector.close();
        }
    }

    @Benchmark
    public Tensor pacConvForward(Shape s) {
        return s.pacOp.forward(s.pac, s.pacIn);
    }

    @Benchmark
    public Map<String, Tensor> pacConvBackward(Shape s) {
        return s.pacOp.backward(s.pac, s.pacIn, s.pacDy);
    }

    @Benchmark
    public Tensor plainConvForward(Shape s) {
        return s.convOp.forward(s.conv, s.convIn);
    }

    @Benchmark
    public Map<String, Tensor> plainConvBackward(Shape s) {
        return s.convOp.backward(s.conv, s.convIn, s.convDy);
    }

    @Benchmark
    public Tensor acdaForward(Shape s) {
        return s.vector.forward(s.acda, s.x);
    }
}
