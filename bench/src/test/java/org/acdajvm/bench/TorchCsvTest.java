package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;

class TorchCsvTest {

    private static final List<String> ZEN5 = List.of(
            "# oneDNN plain conv2d through PyTorch 1.13.0a0 (mkldnn True), float32; 2026-12-02 05:13 UTC",
            "# machine: AMD EPYC; cpu family 26; 2 cores",
            "# load average (1, 5, 15 min): 0.45 0.97 1.26 at start, 2.96 1.54 1.44 at end; a VM shared",
            "config,threads,shape,median_ms,best_ms,gflops_median,gflops_best",
            "table6-k3,1,N=1 C=O=256 100x100 K=3,69.537,66.277,169.6,178.0",
            "table6-k3,2,N=1 C=O=256 100x100 K=3,40.000,38.000,295.0,310.5");

    private static final TorchCsv.MachineId HERE_ZEN5 = new TorchCsv.MachineId("AMD EPYC", "26", 2);
    private static final TorchCsv.MachineId HERE_XEON = new TorchCsv.MachineId("Intel(R) Xeon(R) Processor", "6", 2);

    @Test
    void readsTheMachineTheLoadAndTheRowsByColumnName() {
        TorchCsv t = TorchCsv.parse(ZEN5);
        assertEquals(Optional.of(HERE_ZEN5), t.machine());
        assertTrue(t.what().startsWith("oneDNN plain conv2d"));
        assertTrue(t.comment("load average").orElseThrow().contains("2.96 1.54 1.44 at end"));
        assertEquals(List.of(1, 2), t.threadCounts());
        assertEquals(295.0, TorchCsv.number(t.row("table6-k3", 2).orElseThrow(), "gflops_median"));
        assertEquals(169.6, TorchCsv.number(t.row("table6-k3", 1).orElseThrow(), "gflops_median"));
        assertEquals(Optional.empty(), t.row("table6-k3", 4));
        assertEquals(Optional.empty(), t.row("resnet-k3", 2));
        assertThrows(IllegalArgumentException.class, () -> TorchCsv.number(t.row("table6-k3", 2).orElseThrow(), "nope"));
    }

    @Test
    void theSameCpuGivesNoNoteAnotherCpuIsNamed() {
        TorchCsv t = TorchCsv.parse(ZEN5);
        Path file = Path.of("bench", "pytorch", "onednn-plain-conv.csv");
        assertTrue(t.sameMachine(HERE_ZEN5));
        assertEquals("", t.machineNote(file, HERE_ZEN5));
        // A VM of the same CPU with more cores is the same CPU.
        assertTrue(t.sameMachine(new TorchCsv.MachineId("AMD EPYC", "26", 4)));

        assertFalse(t.sameMachine(HERE_XEON));
        String note = t.machineNote(file, HERE_XEON);
        assertTrue(note.contains("Another machine"), note);
        assertTrue(note.contains("AMD EPYC (cpu family 26)"), note);
        assertTrue(note.contains("Intel(R) Xeon(R) Processor (cpu family 6)"), note);
        assertTrue(note.contains("no ratio"), note);
        // Same model name, another family (a different generation under the same marketing name).
        assertFalse(t.sameMachine(new TorchCsv.MachineId("AMD EPYC", "25", 2)));
    }

    @Test
    void aCsvThatNamesNoMachineIsNeverTakenForThisOne() {
        TorchCsv old = TorchCsv.parse(List.of("# PyTorch 1.13.0a0, 2 threads, on Intel(R) Xeon(R) Processor (2 cores), 2026-12-01",
                "config,shape,pytorch_acda_ms,pytorch_plain_conv_ms", "k-3,N=1 C=O=64 56x56 K=3,43.936,1.443"));
        assertEquals(Optional.empty(), old.machine());
        assertFalse(old.sameMachine(HERE_ZEN5));
        assertTrue(old.machineNote(Path.of("x.csv"), HERE_ZEN5).contains("names no machine"));
        assertEquals(List.of(), old.threadCounts());
        assertTrue(old.row("k-3", 2).isPresent(), "no threads column: any thread count matches");
    }

    @Test
    void malformedCsvsAreErrors() {
        assertThrows(IllegalArgumentException.class, () -> TorchCsv.parse(List.of("# only comments")));
        assertThrows(IllegalArgumentException.class, () -> TorchCsv.parse(List.of("a,b", "1,2,3")));
    }

    @Test
    void thisMachineIsReadFromCpuinfo() {
        List<String> cpuinfo = List.of("processor\t: 0", "vendor_id\t: AuthenticAMD", "cpu family\t: 26", "model\t\t: 2",
                "model name\t: AMD EPYC", "processor\t: 1", "cpu family\t: 99", "model name\t: other");
        assertEquals(HERE_ZEN5, Machine.fromCpuinfo(cpuinfo, "amd64", 2));
        assertEquals(new TorchCsv.MachineId("aarch64", "", 8), Machine.fromCpuinfo(List.of(), "aarch64", 8));
    }
}
