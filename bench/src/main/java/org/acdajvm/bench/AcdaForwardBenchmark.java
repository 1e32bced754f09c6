package org.acdajvm.bench;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.backend.VectorBackend;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
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
 * One ACDA forward per operation, on the named shapes of {@link BenchConfig}, per backend, and the
 * plain convolution of the same shape on the Vector API ({@link PlainConvVector}) for comparison.
 * Every state checks its backend against the oracle in setup ({@link SelfCheck}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// The incubating Vector API must be enabled in the forked JVM, as everywhere else.
// LWJGL (the opencl backend) needs native access, without warnings on JDK 25.
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
        "--sun-misc-unsafe-memory-access=allow", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class AcdaForwardBenchmark {

    /** The layer and input of one configuration. */
    @State(Scope.Benchmark)
    public static class Shape {
        @Param({"small"})
        public String config;

        AcdaLayer layer;
        Tensor x;

        @Setup(Level.Trial)
        public void setup() {
            BenchConfig bc = BenchConfig.of(config);
            layer = AcdaInit.randomized(bc.layer(), 42);
            x = AcdaInit.input(bc.layer(), bc.batch(), bc.height(), bc.width(), 43);
        }
    }

    /** A backend by name, checked against the oracle in setup. */
    public abstract static class BackendState {
        AcdaBackend backend;

        abstract String name();

        void open(Shape s) {
            backend = Backends.require(name());
            if (SelfCheck.enabled()) {
                SelfCheck.againstOracle(backend, s.layer, s.x);
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            backend.close();
        }
    }

    /** The vector backend, and the output {@link #forwardVectorInto} writes into (allocated and checked in setup). */
    @State(Scope.Benchmark)
    public static class Vector extends BackendState {
        VectorBackend vector;
        Tensor y;

        @Override
        String name() {
            return "vector";
        }

        @Setup(Level.Trial)
        public void setup(Shape s) {
            open(s);
            vector = (VectorBackend) backend;
            y = SelfCheck.intoOutput("forwardInto", vector.forward(s.layer, s.x), t -> vector.forwardInto(s.layer, s.x, t));
        }
    }

    @State(Scope.Benchmark)
    public static class Scalar extends BackendState {
        @Override
        String name() {
            return "scalar";
        }

        @Setup(Level.Trial)
        public void setup(Shape s) {
            open(s);
        }
    }

    @State(Scope.Benchmark)
    public static class Oracle extends BackendState {
        @Override
        String name() {
            return "oracle";
        }

        @Setup(Level.Trial)
        public void setup(Shape s) {
            open(s);
        }
    }

    /** The OpenCL backend on its default device (PoCL's CPU device on the CI machine); end-to-end time, transfers included. */
    @State(Scope.Benchmark)
    public static class Opencl extends BackendState {
        @Override
        String name() {
            return "opencl";
        }

        @Setup(Level.Trial)
        public void setup(Shape s) {
            open(s);
        }
    }

    /**
     * The TornadoVM backend on TornadoVM's default device, end to end. It is found by name, so this
     * module compiles without TornadoVM; it runs only in a JVM started with TornadoVM's flags, which
     * {@code ./acda bench --only-tornado} gives the forks (see {@link BenchReport}).
     */
    @State(Scope.Benchmark)
    public static class Tornado extends BackendState {
        @Override
        String name() {
            return "tornado";
        }

        @Setup(Level.Trial)
        public void setup(Shape s) {
            open(s);
            // TornadoVM compiles a task graph for the first call of a larger shape: do that here, not in a measured iteration.
            backend.forward(s.layer, s.x);
        }
    }

    /** A plain convolution with a random weight of the same shape, checked against a direct convolution. */
    @State(Scope.Benchmark)
    public static class Plain {
        PlainConvVector conv;
        Tensor weight;
        float[] bias;
        /** The output {@link #plainConvVectorInto} writes into. */
        Tensor y;

        @Setup(Level.Trial)
        public void setup(Shape s) {
            int o = s.layer.config().outChannels();
            int c = s.layer.config().inChannels();
            int k = s.layer.config().kernelSize();
            weight = Tensor.zeros(o, c, k, k);
            AcdaInit.fill(weight, new SplittableRandom(7), -0.1, 0.1);
            bias = new float[o];
            conv = new PlainConvVector(Runtime.getRuntime().availableProcessors());
            y = SelfCheck.intoOutput("plain conv forwardInto", conv.forward(s.x, weight, bias, 1, 1, PaddingMode.ZEROS),
                    t -> conv.forwardInto(s.x, weight, bias, 1, 1, PaddingMode.ZEROS, t));
            if (SelfCheck.enabled()) {
                Tensor crop = SelfCheck.crop(s.x, SelfCheck.CROP);
                SelfCheck.plainConv(crop, weight, bias, conv.forward(crop, weight, bias, 1, 1, PaddingMode.ZEROS));
            }
        }

        @TearDown(Level.Trial)
        public void close() {
            conv.close();
        }
    }

    @Benchmark
    public Tensor forwardVector(Shape s, Vector b) {
        return b.backend.forward(s.layer, s.x);
    }

    /**
     * The vector forward into an output allocated once ({@code forwardInto}): what a loop over many inputs of one
     * shape pays per call; the difference to {@link #forwardVector} is the new output's allocation and zeroing.
     */
    @Benchmark
    public Tensor forwardVectorInto(Shape s, Vector b) {
        b.vector.forwardInto(s.layer, s.x, b.y);
        return b.y;
    }

    @Benchmark
    public Tensor forwardScalar(Shape s, Scalar b) {
        return b.backend.forward(s.layer, s.x);
    }

    @Benchmark
    public Tensor forwardOracle(Shape s, Oracle b) {
        return b.backend.forward(s.layer, s.x);
    }

    @Benchmark
    public Tensor forwardOpencl(Shape s, Opencl b) {
        return b.backend.forward(s.layer, s.x);
    }

    @Benchmark
    public Tensor forwardTornado(Shape s, Tornado b) {
        return b.backend.forward(s.layer, s.x);
    }

    @Benchmark
    public Tensor plainConvVector(Shape s, Plain p) {
        return p.conv.forward(s.x, p.weight, p.bias, 1, 1, PaddingMode.ZEROS);
    }

    /** {@link #plainConvVector} into an output allocated once ({@link PlainConvVector#forwardInto}). */
    @Benchmark
    public Tensor plainConvVectorInto(Shape s, Plain p) {
        p.conv.forwardInto(s.x, p.weight, p.bias, 1, 1, PaddingMode.ZEROS, p.y);
        return p.y;
    }
}
