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
import org.acdajvm.layers.involution.InvolutionConfig;
import org.acdajvm.layers.involution.InvolutionKind;
import org.acdajvm.layers.involution.InvolutionLayer;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
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
 * Involution beside plain conv and ACDA on the vector backend, one layer of the same shape each: N = 1, C = O = 64,
 * 56 x 56, K = 3 or 7, stride 1, zero padding; involution with G = 4 groups and reduction r = 4 (hidden width 16).
 * Multiply-adds per output pixel: plain conv {@code O C K^2}; involution {@code C R + R G K^2 + C K^2} (the two 1x1
 * convs and the local filter: 1024 + 576 + 576 at K = 3, 1024 + 3136 + 3136 at K = 7). And the vector forward against
 * its oracle on a small shape (N = 1, C = 16, 16 x 16, K = 3, G = 4, r = 4): the oracle builds every pixel's
 * {@code Wpix [C][C][K^2]} with its bounds, in double. Every involution op is checked against the oracle's tight
 * verdict in setup (ACCEPTED required).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
// The incubating Vector API must be enabled in the forked JVM, as everywhere else.
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:+UseParallelGC", "-Xms6g", "-Xmx6g", "-XX:+AlwaysPreTouch"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class InvolutionBenchmark {

    static final int CHANNELS = 64;
    static final int SIDE = 56;
    static final int GROUPS = 4;
    static final int REDUCTION = 4;

    @SuppressWarnings("unchecked")
    static LayerKind<Layer> erase(LayerKind<?> k) {
        return (LayerKind<Layer>) k;
    }

    static Tensor random(int[] shape, long seed) {
        Tensor t = Tensor.zeros(shape);
        AcdaInit.fill(t, new java.util.SplittableRandom(seed), -1, 1);
        return t;
    }

    /** Throws unless the vector op's forward is ACCEPTED by the oracle on {@code in}. */
    static void checkAgainstOracle(LayerOp<Layer> op, InvolutionLayer layer, Inputs in) {
        OracleResult ref = InvolutionKind.INSTANCE.oracleForward(layer, in);
        ErrorReport r = ErrorReport.compare(ref, op.forward(layer, in), ErrorBounds.Evaluation.ANY);
        if (r.verdict() != ErrorReport.Verdict.ACCEPTED) {
            throw new IllegalStateException("benchmark self-check failed for involution: " + r.describe());
        }
    }

    /** The three layers of the same shape on the vector backend. */
    @State(Scope.Benchmark)
    public static class Shape {
        @Param({"3", "7"})
        public int kernelSize;

        InvolutionLayer involution;
        ConvLayer conv;
        AcdaLayer acda;
        Inputs in;
        Tensor dy;
        AcdaBackend vector;
        LayerOp<Layer> involutionOp;
        LayerOp<Layer> convOp;

        @Setup(Level.Trial)
        public void setup() {
            int k = kernelSize;
            involution = InvolutionKind.random(new InvolutionConfig(CHANNELS, k, 1, 1, PaddingMode.ZEROS, GROUPS, REDUCTION), 51);
            in = InvolutionKind.INSTANCE.randomInputs(involution, 1, SIDE, SIDE, 52);
            dy = random(InvolutionKind.INSTANCE.checkInputs(involution, in), 53);
            conv = ConvKind.random(new ConvConfig(CHANNELS, CHANNELS, k, 1, 1, (k - 1) / 2, PaddingMode.ZEROS, true), 54);
            acda = AcdaInit.randomized(AcdaConfig.builder(CHANNELS, CHANNELS, k).build(), 55);
            vector = Backends.require("vector");
            involutionOp = vector.op(erase(InvolutionKind.INSTANCE)).orElseThrow();
            convOp = vector.op(erase(ConvKind.INSTANCE)).orElseThrow();
            // The oracle on the full shape would take minutes: judge the op on a 16 x 16 crop of the same layer.
            Tensor crop = SelfCheck.crop(in.x(), 16);
            checkAgainstOracle(involutionOp, involution, Inputs.of(crop));
            SelfCheck.againstOracle(vector, acda, in.x());
        }

        @TearDown(Level.Trial)
        public void close() {
            vector.close();
        }
    }

    @Benchmark
    public Tensor involutionForward(Shape s) {
        return s.involutionOp.forward(s.involution, s.in);
    }

    @Benchmark
    public Map<String, Tensor> involutionBackward(Shape s) {
        return s.involutionOp.backward(s.involution, s.in, s.dy);
    }

    @Benchmark
    public Tensor plainConvForward(Shape s) {
        return s.convOp.forward(s.conv, s.in);
    }

    @Benchmark
    public Tensor acdaForward(Shape s) {
        return s.vector.forward(s.acda, s.in.x());
    }

    /** A small shape for the vector path against its oracle. */
    @State(Scope.Benchmark)
    public static class Small {
        InvolutionLayer layer;
        Inputs in;
        AcdaBackend vector;
        LayerOp<Layer> op;

        @Setup(Level.Trial)
        public void setup() {
            layer = InvolutionKind.random(new InvolutionConfig(16, 3, 1, 1, PaddingMode.ZEROS, GROUPS, REDUCTION), 61);
            in = InvolutionKind.INSTANCE.randomInputs(layer, 1, 16, 16, 62);
            vector = Backends.require("vector");
            op = vector.op(erase(InvolutionKind.INSTANCE)).orElseThrow();
            checkAgainstOracle(op, layer, in);
        }

        @TearDown(Level.Trial)
        public void close() {
            vector.close();
        }
    }

    @Benchmark
    public Tensor smallVectorForward(Small s) {
        return s.op.forward(s.layer, s.in);
    }

    @Benchmark
    public OracleResult smallOracleForward(Small s) {
        return InvolutionKind.INSTANCE.oracleForward(s.layer, s.in);
    }
}
