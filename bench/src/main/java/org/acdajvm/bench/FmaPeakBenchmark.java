package org.acdajvm.bench;

import java.util.concurrent.TimeUnit;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.CompilerControl;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * This machine's fused multiply-add peak on the Vector API: twelve independent accumulator chains
 * (enough to cover the FMA latency on every current x86 and ARM core), no memory traffic. One
 * operation is one vector FMA, so the score in ops/us times {@code 2 * lanes} is GFLOP/s per thread.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// The incubating Vector API must be enabled in the forked JVM.
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class FmaPeakBenchmark {

    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    static final int ITERATIONS = 1024;
    static final int CHAINS = 12;

    /** Non-final so that the JIT cannot fold the loop; each chain grows by {@code a*b} a step, 0.05 in all. */
    public float a = 1e-4f;
    public float b = 0.5f;

    /** Lanes of the preferred species: GFLOP/s = ops/us * 2 * lanes / 1000. */
    public static int lanes() {
        return S.length();
    }

    /**
     * The chains accumulate ({@code c = a*b + c}): C2 has only the {@code vfmadd231ps} form, so {@code c = c*a + b}
     * cost a register move per FMA and, with 16 registers, spilled two chains; and kept out of the benchmark's loop
     * ({@code DONT_INLINE}): inlined there, the same loop ran at half speed on a Zen 1 (AVX2), 17 to 21 GFLOP/s
     * where a C loop of the same FMAs and this method compiled alone run at 35 to 37 (bench/TUNING.md).
     */
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private float chains() {
        FloatVector va = FloatVector.broadcast(S, a);
        FloatVector vb = FloatVector.broadcast(S, b);
        FloatVector c0 = FloatVector.broadcast(S, 0.1f);
        FloatVector c1 = FloatVector.broadcast(S, 0.2f);
        FloatVector c2 = FloatVector.broadcast(S, 0.3f);
        FloatVector c3 = FloatVector.broadcast(S, 0.4f);
        FloatVector c4 = FloatVector.broadcast(S, 0.5f);
        FloatVector c5 = FloatVector.broadcast(S, 0.6f);
        FloatVector c6 = FloatVector.broadcast(S, 0.7f);
        FloatVector c7 = FloatVector.broadcast(S, 0.8f);
        FloatVector c8 = FloatVector.broadcast(S, 0.9f);
        FloatVector c9 = FloatVector.broadcast(S, 1.0f);
        FloatVector c10 = FloatVector.broadcast(S, 1.1f);
        FloatVector c11 = FloatVector.broadcast(S, 1.2f);
        for (int i = 0; i < ITERATIONS; i++) {
            c0 = va.fma(vb, c0);
            c1 = va.fma(vb, c1);
            c2 = va.fma(vb, c2);
            c3 = va.fma(vb, c3);
            c4 = va.fma(vb, c4);
            c5 = va.fma(vb, c5);
            c6 = va.fma(vb, c6);
            c7 = va.fma(vb, c7);
            c8 = va.fma(vb, c8);
            c9 = va.fma(vb, c9);
            c10 = va.fma(vb, c10);
            c11 = va.fma(vb, c11);
        }
        return c0.add(c1).add(c2).add(c3).add(c4).add(c5).add(c6).add(c7).add(c8).add(c9).add(c10).add(c11)
                .reduceLanes(jdk.incubator.vector.VectorOperators.ADD);
    }

    @Benchmark
    @Threads(1)
    @OperationsPerInvocation(ITERATIONS * CHAINS)
    public float fmaPeakOneThread() {
        return chains();
    }

    @Benchmark
    @Threads(Threads.MAX)
    @OperationsPerInvocation(ITERATIONS * CHAINS)
    public float fmaPeakAllThreads() {
        return chains();
    }
}
