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
     * The chains of {@link StageCompare#chains} (accumulating: {@code c = a*b + c}), kept out of the benchmark's loop
     * ({@code DONT_INLINE}): inlined there, the same loop ran at half speed on a Zen 1 (AVX2), 17 to 21 GFLOP/s
     * where a C loop of the same FMAs and this method compiled alone run at 35 to 37 (bench/TUNING.md).
     */
    @CompilerControl(CompilerControl.Mode.DONT_INLINE)
    private float chains() {
        return StageCompare.chains(a, b);
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
