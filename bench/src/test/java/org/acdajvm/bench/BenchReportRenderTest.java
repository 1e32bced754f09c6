package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report's tables from synthetic forks: three rounds in which round 2 is a slow minute for every
 * variant alike (the probe included), so that the per-round ratios stay put while the times move.
 */
class BenchReportRenderTest {

    private static final int THREADS = Runtime.getRuntime().availableProcessors();

    private static BenchReport report(Path csvDir) {
        BenchReport r = new BenchReport(false, csvDir.resolve("RESULTS.md"), csvDir.resolve("plots"), csvDir, 3);
        String c = "table6-k3";
        double[][] vector = {{40, 40}, {60, 60}, {42, 42}};
        double[][] plain = {{32, 32}, {48, 48}, {35, 35}};
        double[][] vectorInto = {{38, 38}, {57, 57}, {40, 40}};
        double[][] plainInto = {{30, 30}, {45, 45}, {32, 32}};
        double[] peak = {450, 300, 450};
        double[] dnn = {30, 45, 28};
        for (int round = 1; round <= 3; round++) {
            r.add(new ForkResults.Fork(BenchReport.PEAK_ONE, "small", round, new double[] {250, 250}, Double.NaN));
            r.add(new ForkResults.Fork(BenchReport.PEAK_ALL, c, round, new double[] {peak[round - 1], peak[round - 1]},
                    Double.NaN));
            r.add(new ForkResults.Fork("forwardVector", c, round, vector[round - 1], 10.26e6));
            r.add(new ForkResults.Fork("plainConvVector", c, round, plain[round - 1], 10.26e6));
            r.add(new ForkResults.Fork("forwardVectorInto", c, round, vectorInto[round - 1], 1e3));
            r.add(new ForkResults.Fork("plainConvVectorInto", c, round, plainInto[round - 1], 1e3));
            r.add(new ForkResults.Fork("backwardVector", c, round, new double[] {7 * vector[round - 1][0]}, 14e6));
            // oneDNN slow in round 2 as well (the same minutes), except that its round 3 is a little faster.
            r.add(new ForkResults.Fork(OnednnRounds.METHOD, c, round, new double[] {dnn[round - 1]}, Double.NaN));
        }
        r.add(new ForkResults.Fork("forwardScalar", c, 1, new double[] {12000, 12000, 12000}, 78e6));
        return r;
    }

    private static String render(BenchReport r) {
        return r.render(Map.of(), Map.of(), List.of(), 1);
    }

    private static String line(String md, String start) {
        return md.lines().filter(l -> l.startsWith(start)).findFirst().orElseThrow(() -> new AssertionError(
                "no line starting with '" + start + "' in\n" + md));
    }

    private static void writeOnednn(Path dir, String machineLine) throws IOException {
        Files.write(dir.resolve("onednn-plain-conv.csv"), List.of(
                "# oneDNN plain conv2d through PyTorch 1.13.0a0 (mkldnn True), float32; 2026-12-02 05:13 UTC",
                machineLine,
                "# load average (1, 5, 15 min): 0.45 0.97 1.26 at start, 2.96 1.54 1.44 at end; a VM shared",
                "config,threads,shape,median_ms,best_ms,gflops_median,gflops_best",
                "table6-k3," + THREADS + ",N=1 C=O=256 100x100 K=3,59.0,47.2,200.0,250.0"));
    }

    @Test
    void standardRowGivesMedianSpreadAndPerRoundRatios(@TempDir Path dir) {
        String md = render(report(dir));
        String row = line(md, "| table6-k3 | N=1 C=O=256 100x100 K=3 | vector |");
        // Pooled median of 40 40 60 60 42 42 is 42; per-fork medians 40, 60, 42.
        assertTrue(row.contains("| 42.00 | 40.00–60.00 | 3 × 2 |"), row);
        // ACDA / plain conv per round: 1.25, 1.25, 1.20.
        assertTrue(row.contains("| 1.25 (1.20–1.25) |"), row);
        // vs scalar from round 1 only: 12000 / 40.
        assertTrue(row.contains("| 300.0x |"), row);
        // Of peak per round: the slow round 2 (60 ms against a 300 GFLOP/s probe) is the same 64% as round 1.
        double macs = BenchConfig.of("table6-k3").cost().totalMacs();
        String ofPeak = String.format(Locale.ROOT, "%.0f%% (%.0f–%.0f)", 100 * 2 * macs / 40e6 / 450,
                100 * 2 * macs / 42e6 / 450, 100 * 2 * macs / 40e6 / 450);
        assertTrue(row.contains(ofPeak), row + " should contain " + ofPeak);
        // The forwardInto row: its own time, nothing allocated, and its ratio to the plain conv's forwardInto
        // (38/30, 57/45, 40/32: 1.27, 1.27, 1.25), not to the allocating plain conv.
        String into = line(md, "| table6-k3 | N=1 C=O=256 100x100 K=3 | vector, forwardInto |");
        assertTrue(into.contains("| 40.00 | 38.00–57.00 | 3 × 2 |"), into);
        assertTrue(into.contains("| 0.00 |") && into.contains("| 1.27 (1.25–1.27) |"), into);
        String plainRow = line(md, "| table6-k3 | N=1 C=O=256 100x100 K=3 | plain conv (vector), forwardInto |");
        assertTrue(plainRow.contains("| 32.00 | 30.00–45.00 |"), plainRow);
        String back = line(md, "| table6-k3 | N=1 C=O=256 100x100 K=3 | 294.00 |");
        assertTrue(back.contains("| 7.0x (7.0–7.0) |"), back);
        assertTrue(md.contains("## Standard configurations") && md.contains("## Backward (vector)")
                && md.contains("## The paper's Table 6") && md.contains("## How the cost grows") && md.contains("## Tuning log"), md);
    }

    @Test
    void interleavedOneDnnRatiosArePerRound(@TempDir Path dir) {
        String md = render(report(dir));
        String section = md.substring(md.indexOf("## GFLOP/s against oneDNN"), md.indexOf("## Backward (vector)"));
        String row = line(section, "| table6-k3 | N=1 C=O=256 100x100 K=3 | 30.00 |");
        CostModel cost = BenchConfig.of("table6-k3").cost();
        double work = cost.totalMacs() / cost.plainConvMacs();
        // ACDA over oneDNN per round: work x 30/40, 45/60, 28/42; forwardInto 30/38, 45/57, 28/40; plain 30/32, 45/48,
        // 28/35; plain forwardInto 30/30, 45/45, 28/32.
        String acda = String.format(Locale.ROOT, "**%.2f (%.2f–%.2f)**", work * 0.75, work * 28 / 42, work * 0.75);
        String into = String.format(Locale.ROOT, "%.2f (%.2f–%.2f)", work * 30 / 38, work * 0.7, work * 30 / 38);
        assertTrue(row.contains("| " + acda + " | " + into + " | 0.94 (0.80–0.94) | 1.00 (0.88–1.00) |"), row);
        // oneDNN's own fraction of the round's probe, round 3 (28 ms against 450 GFLOP/s) the highest.
        double plain = 2 * cost.plainConvMacs();
        String ofPeak = String.format(Locale.ROOT, "%.0f%% (%.0f–%.0f)", 100 * plain / 30e6 / 450,
                100 * plain / 30e6 / 450, 100 * plain / 28e6 / 450);
        assertTrue(row.contains(ofPeak), row + " should contain " + ofPeak);
        assertTrue(section.indexOf("Issue 16's goal") < section.indexOf("Interleaved with the forks")
                && section.indexOf("Interleaved with the forks") < section.indexOf("From the CSV of a separate run"), section);
        String standard = line(md, "| table6-k3 | N=1 C=O=256 100x100 K=3 | oneDNN conv2d (PyTorch) |");
        assertTrue(standard.contains("| 30.00 | 28.00–45.00 | 3 × 1 |") && standard.contains("| - |"), standard);
    }

    @Test
    void oneDnnRatioOnlyFromTheSameMachine(@TempDir Path dir) throws IOException {
        TorchCsv.MachineId here = Machine.id();
        writeOnednn(dir, "# machine: " + here.model() + "; cpu family " + here.family() + "; " + THREADS + " cores");
        String md = render(report(dir));
        double acda = 2 * BenchConfig.of("table6-k3").cost().totalMacs() / 42e6;
        String row = line(md, "| table6-k3 | N=1 C=O=256 100x100 K=3 | " + String.format(Locale.ROOT, "%.1f", acda));
        assertTrue(row.contains(String.format(Locale.ROOT, "| 200.0 (250.0) | **%.2f** | %.2f |", acda / 200, acda / 250)), row);
        // The forwardInto columns: ACDA's 40 ms and the plain conv's 32 ms, each against oneDNN's median.
        double acdaInto = 2 * BenchConfig.of("table6-k3").cost().totalMacs() / 40e6;
        double plainInto = 2 * BenchConfig.of("table6-k3").cost().plainConvMacs() / 32e6;
        assertTrue(row.contains(String.format(Locale.ROOT, "| %.2f | %.2f |", acdaInto / 200, plainInto / 200)), row);
        assertFalse(md.contains("Another machine"), md);
        assertTrue(md.contains("2.96 1.54 1.44 at end"), "the CSV's load average is quoted");
    }

    @Test
    void oneDnnFromAnotherMachineIsNamedAndNotCompared(@TempDir Path dir) throws IOException {
        writeOnednn(dir, "# machine: Some Other CPU 9000; cpu family 255; 64 cores");
        String md = render(report(dir));
        String section = md.substring(md.indexOf("## GFLOP/s against oneDNN"), md.indexOf("## Backward (vector)"));
        assertTrue(section.contains("**Another machine:**") && section.contains("Some Other CPU 9000 (cpu family 255)"), section);
        // The CSV's table (the interleaved one above it was measured here, so it keeps its ratios).
        String row = line(section.substring(section.indexOf("From the CSV of a separate run")), "| table6-k3 |");
        assertTrue(row.contains("| 200.0 (250.0) | - | - | - | - | - | - |"), row);
    }

    @Test
    void missingCsvsAreSaidNotInvented(@TempDir Path dir) {
        String md = render(report(dir));
        assertTrue(md.contains("(no readable `" + dir.resolve("onednn-plain-conv.csv") + "`"), md);
        assertTrue(md.contains("(no readable `" + dir.resolve("pytorch-times.csv") + "`"), md);
    }
}
