package org.acdajvm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;

/**
 * The verdict on one case folder whose outputs someone else's implementation wrote: the one place
 * where {@code acda fuzz} asks "is this right?". Everything else in fuzz only needs the
 * {@link Judgement}, so when the verdict changes (DESIGN section 7: ACCEPTED / SUSPICIOUS /
 * REJECTED, precision modes) only this class changes.
 *
 * <p>It uses the verdict of {@code acda verify} (the tight tier, evaluation order {@code any}, the
 * precision the implementation claims): anything not ACCEPTED is a failure of kind wrong values,
 * whether SUSPICIOUS or REJECTED; the report says which.
 */
final class CaseJudge {

    /**
     * The verdict on a case.
     *
     * @param accepted true when every output checked is within its bound
     * @param kind     why not ({@code null} when accepted): wrong values, missing or mis-shaped output
     * @param summary  one line: the worst tensor and where it is worst
     * @param report   the full report, one line per tensor checked, for {@code report.txt}
     */
    record Judgement(boolean accepted, FailureKind kind, String summary, String report) {
    }

    private CaseJudge() {
    }

    /**
     * Judges the output {@code y.npy} (the file the case names as expected) and, with
     * {@code withGrads}, every gradient file of the case's gradients folder, against the oracle.
     *
     * @param precision the precision the implementation claims: fp32, tf32, bf16 or fp16
     * @throws IOException when the case itself (case.json, weights, x.npy, dy.npy) cannot be read:
     *                     that is fuzz's own folder, so it is not the implementation's failure
     */
    static Judgement judge(Path caseDir, boolean withGrads, String precision) throws IOException {
        Precision prec = checkPrecision(precision);
        CaseFolder.Description d = CaseFolder.read(caseDir);
        AcdaLayer layer = CaseFolder.loadLayer(d, false);
        Tensor x = Npy.read(d.inputPath(), false);
        OracleResult oracle = AcdaOracle.forward(layer, x);
        ErrorBounds.Evaluation order = ErrorBounds.Evaluation.ANY;

        List<String> lines = new ArrayList<>();
        FailureKind kind = check("y", d.expectedPath(), ErrorReport.Reference.of(oracle, order, prec), lines);
        if (withGrads) {
            if (d.gradientsPath() == null) {
                throw new IllegalArgumentException(caseDir + "/case.json names no gradients folder");
            }
            Tensor dy = Npy.read(d.upstreamPath(), false);
            AcdaOracleBackward.Gradients g = AcdaOracleBackward.backward(layer, x, dy);
            for (Map.Entry<String, AcdaOracleBackward.Gradient> e : g.byKey().entrySet()) {
                FailureKind k = check("grad " + e.getKey(), d.gradientsPath().resolve(e.getKey() + ".npy"),
                        e.getValue().reference(prec), lines);
                kind = worse(kind, k);
            }
        }
        String summary = lines.stream().filter(l -> !l.contains(": ACCEPTED: ")).findFirst().orElse(lines.get(0));
        return new Judgement(kind == null, kind, summary, String.join("\n", lines) + "\n");
    }

    /** Refuses a precision the verdict does not judge (a usage error, before anything runs). */
    static Precision checkPrecision(String precision) {
        return Precision.parse(precision, "--precision");
    }

    /** Checks one output file; adds its line to {@code lines} and returns why it failed, or null. */
    private static FailureKind check(String name, Path file, ErrorReport.Reference ref, List<String> lines) {
        int[] shape = ref.shape();
        if (!Files.isRegularFile(file)) {
            lines.add(name + ": missing: the command wrote no " + file.getFileName() + " (expected shape "
                    + Arrays.toString(shape) + ")");
            return FailureKind.MISSING_OUTPUT;
        }
        Npy.Doubles actual;
        try {
            actual = Npy.readDoubles(file);
        } catch (IOException | RuntimeException e) {
            lines.add(name + ": unreadable: " + file.getFileName() + " is not a float32/float64 .npy file: "
                    + e.getMessage());
            return FailureKind.MISSHAPED_OUTPUT;
        }
        if (!Arrays.equals(actual.shape(), shape)) {
            lines.add(name + ": mis-shaped: " + file.getFileName() + " has shape " + Arrays.toString(actual.shape())
                    + ", expected " + Arrays.toString(shape));
            return FailureKind.MISSHAPED_OUTPUT;
        }
        ErrorReport r = ErrorReport.compare(ref, actual.data(), actual.shape(), ErrorReport.Tier.TIGHT);
        lines.add(name + ": " + r.describe());
        return r.accepted() ? null : FailureKind.WRONG_VALUES;
    }

    /** The kind a case is filed under when several outputs fail: missing before mis-shaped before wrong. */
    private static FailureKind worse(FailureKind a, FailureKind b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return rank(a) >= rank(b) ? a : b;
    }

    private static int rank(FailureKind k) {
        return switch (k) {
            case MISSING_OUTPUT -> 3;
            case MISSHAPED_OUTPUT -> 2;
            default -> 1;
        };
    }
}
