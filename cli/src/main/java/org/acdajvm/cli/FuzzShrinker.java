package org.acdajvm.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.acdajvm.layer.AcdaLayer;

/**
 * Shrinks a failing case to a smallest one that fails the same way, re-running the user's command
 * on every candidate: first the hyper-parameters in {@link FuzzParam}'s order (N, C, O, H, W, K,
 * atoms, bases, stride, dilation, then the simplifying choices), each to its smallest value that
 * still fails, round after round until a round changes nothing, so that no single parameter can
 * be made smaller; then the values: whole tensors set to zero where the case still fails (the
 * generator's biases and BatchNorm shifts as a group first), then the input element by element
 * (halves first, then quarters, ..., then single elements). Weights are not shrunk element-wise:
 * a kernel author reads the input of a minimal case, rarely its 64 generator channels.
 *
 * <p>Why not jqwik's engine, which the property tests use: its shrinking is reachable only through
 * {@code Shrinkable.shrink()}, which jqwik 1.9.3 marks {@code @API(status = INTERNAL)}, or by
 * running a whole property inside the JUnit Platform engine; and it shrinks generically (every
 * integer towards its target by halving, combinations of parameters in an order of its own, up to
 * thousands of steps). Here every step starts the user's program (a JVM, a Python interpreter,
 * a GPU context: a second or more), so the order and the number of candidates matter more than
 * generality: this shrinker tries the values a kernel author would (C = 9 after C = 8, an odd
 * width, K = 3 before K = 5), never re-runs a candidate, and needs a few dozen runs for the cases
 * of the test suite. It is deterministic: the same failing case and the same command give the same
 * minimal case.
 */
final class FuzzShrinker {

    /**
     * The tensors tried at zero, in this order, a group at a time and, when the group together makes
     * the failure go away, one by one (the input last: it is then shrunk element by element).
     */
    private static final List<List<String>> ZERO_GROUPS = List.of(List.of(AcdaLayer.BIAS),
            List.of(AcdaLayer.CONV1_BIAS, AcdaLayer.CONV2_BIAS, AcdaLayer.BN1_BIAS, AcdaLayer.BN2_BIAS,
                    AcdaLayer.BN1_MEAN, AcdaLayer.BN2_MEAN),
            List.of(AcdaLayer.CONV2_WEIGHT), List.of(AcdaLayer.CONV1_WEIGHT), List.of(AcdaLayer.COEF),
            List.of(FuzzCase.INPUT));

    /**
     * The result of shrinking.
     *
     * @param minimal  the smallest failing run found (its folder is kept)
     * @param runs     how many times the command was started while shrinking
     * @param steps    what was made smaller, in order ({@code "C 13 -> 9"}, {@code "zeroed bias"}, ...)
     * @param complete false when the run budget or the time limit stopped shrinking early
     */
    record Result(FuzzRunner.Outcome minimal, int runs, List<String> steps, boolean complete) {
    }

    private final FuzzRunner runner;
    private final FuzzSpace space;
    private final int maxRuns;
    private final BooleanSupplier outOfTime;

    private FuzzRunner.Outcome current;
    private final Set<String> passed = new HashSet<>();
    private final List<String> steps = new ArrayList<>();
    private int runs;
    private boolean stopped;

    /**
     * @param maxRuns   at most this many runs of the command
     * @param outOfTime asked before every run; true stops shrinking (the caller also draws its progress line there)
     */
    FuzzShrinker(FuzzRunner runner, FuzzSpace space, int maxRuns, BooleanSupplier outOfTime) {
        this.runner = runner;
        this.space = space;
        this.maxRuns = maxRuns;
        this.outOfTime = outOfTime;
    }

    Result shrink(FuzzRunner.Outcome failing) throws IOException, InterruptedException {
        current = failing;
        for (boolean changed = true; changed && !stopped; ) {
            changed = false;
            for (FuzzParam p : FuzzParam.values()) {
                changed |= shrinkParam(p);
            }
        }
        for (List<String> group : ZERO_GROUPS) {
            List<String> keys = group.stream().filter(k -> !k.equals(AcdaLayer.BIAS) || current.fuzzCase().config().bias())
                    .filter(k -> !allZero(current.fuzzCase(), k)).toList();
            if (keys.isEmpty() || tryZeros(keys)) {
                continue;
            }
            for (String key : keys.size() > 1 ? keys : List.<String>of()) {
                tryZeros(List.of(key));
            }
        }
        shrinkInputElements();
        return new Result(current, runs, List.copyOf(steps), !stopped);
    }

    /** Sets the tensors {@code keys} to zero if the case still fails so. */
    private boolean tryZeros(List<String> keys) throws IOException, InterruptedException {
        FuzzCase c = current.fuzzCase();
        for (String key : keys) {
            BitSet all = new BitSet();
            all.set(0, c.size(key));
            c = c.withZeros(key, all);
        }
        if (tryCase(c)) {
            steps.add("zeroed " + String.join(", ", keys));
            return true;
        }
        return false;
    }

    private static boolean allZero(FuzzCase c, String key) {
        BitSet z = c.zeros().get(key);
        return z != null && z.cardinality() == c.size(key);
    }

    /** Moves one parameter to its smallest failing value; true when it changed. */
    private boolean shrinkParam(FuzzParam p) throws IOException, InterruptedException {
        boolean changed = false;
        for (boolean again = true; again && !stopped; ) {
            again = false;
            int now = current.fuzzCase().get(p);
            for (int v : space.smaller(p, now)) {
                if (tryCase(current.fuzzCase().with(p, v))) {
                    steps.add(p.symbol + " " + p.format(now) + " -> " + p.format(v));
                    again = changed = true;
                    break;
                }
            }
        }
        return changed;
    }

    /** Zeroes the input's remaining elements in ever smaller chunks where the case still fails. */
    private void shrinkInputElements() throws IOException, InterruptedException {
        int size = current.fuzzCase().size(FuzzCase.INPUT);
        for (int chunk = Math.max(1, size / 2); !stopped; chunk /= 2) {
            List<Integer> left = nonZeroInput(size);
            for (int start = 0; start < left.size() && !stopped; start += chunk) {
                BitSet b = new BitSet();
                for (int i = start; i < Math.min(left.size(), start + chunk); i++) {
                    b.set(left.get(i));
                }
                if (tryCase(current.fuzzCase().withZeros(FuzzCase.INPUT, b))) {
                    steps.add("zeroed " + b.cardinality() + " element(s) of x");
                }
            }
            if (chunk == 1) {
                break;
            }
        }
    }

    private List<Integer> nonZeroInput(int size) {
        BitSet z = current.fuzzCase().zeros().getOrDefault(FuzzCase.INPUT, new BitSet());
        List<Integer> left = new ArrayList<>();
        for (int i = 0; i < size; i++) {
            if (!z.get(i)) {
                left.add(i);
            }
        }
        return left;
    }

    /** Runs a candidate; when it fails the same way it becomes the current case. */
    private boolean tryCase(FuzzCase c) throws IOException, InterruptedException {
        if (stopped || passed.contains(c.identity())) {
            return false;
        }
        if (runs >= maxRuns || outOfTime.getAsBoolean()) {
            stopped = true;
            return false;
        }
        runs++;
        FuzzRunner.Outcome o = runner.run(c);
        if (o.kind() == current.kind()) {
            runner.discard(current);
            current = o;
            return true;
        }
        runner.discard(o);
        passed.add(c.identity());
        return false;
    }
}
