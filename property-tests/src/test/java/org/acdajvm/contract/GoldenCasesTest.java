package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.oracle.Precision;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * The third link of the chain of oracles: the oracle against an independent implementation.
 * Each folder under {@code src/test/resources/golden} is a case written by {@code acda make-case}
 * (weights as {@code <key>.npy}); {@code y_torch.npy} beside it is the output of the same layer
 * computed by PyTorch in float64 ({@code bench/pytorch/acda_torch.py golden}: conv2d, batch_norm,
 * tanh, einsum, unfold, conv2d, none of it shared with this code). The two must agree to double
 * precision; the float32 {@code y.npy} the case carries, and every backend that can run here, must be
 * within the bound of PyTorch's values.
 */
class GoldenCasesTest {

    private int backendsChecked;

    @Test
    void theOracleAgreesWithPyTorchInDouble() throws IOException, URISyntaxException {
        Path root = Path.of(GoldenCasesTest.class.getResource("/golden").toURI());
        List<Path> cases;
        try (Stream<Path> s = Files.list(root)) {
            cases = s.filter(Files::isDirectory).sorted().toList();
        }
        assertTrue(cases.size() >= 6, "golden cases found: " + cases);
        for (Path dir : cases) {
            CaseFolder.Description d = CaseFolder.read(dir);
            AcdaLayer layer = CaseFolder.loadLayer(d, false);
            Tensor x = Npy.read(d.inputPath(), false);
            OracleResult oracle = AcdaOracle.forward(layer, x);
            Npy.Doubles torch = Npy.readDoubles(dir.resolve("y_torch.npy"));
            assertArrayEquals(oracle.shape(), torch.shape(), dir + ": output shape");
            Tensor y32 = Npy.read(d.expectedPath(), false);
            double worst = 0;
            for (int i = 0; i < oracle.size(); i++) {
                double tol = 1e-12 * (oracle.sumAbs()[i] + 1);
                double diff = Math.abs(oracle.y()[i] - torch.data()[i]);
                worst = Math.max(worst, diff / tol);
                assertTrue(diff <= tol, dir.getFileName() + " element " + i + ": oracle " + oracle.y()[i] + ", PyTorch "
                        + torch.data()[i] + ", |diff| " + diff);
            }
            // PyTorch's own float32 output (the case's y.npy) passes the tight verdict, any evaluation order.
            ErrorReport torch32 = ErrorReport.compare(oracle, y32, ErrorBounds.Evaluation.ANY);
            assertTrue(torch32.accepted(), dir.getFileName() + ", PyTorch float32: " + torch32.describe());
            System.out.printf("golden %-18s PyTorch float32 y.npy: %s, tight ratio %.3g%n", dir.getFileName(),
                    torch32.verdict(), torch32.maxRatio());
            System.out.printf("golden %-18s %s: max |oracle - PyTorch| / (1e-12 (S + 1)) = %.3g%n", dir.getFileName(),
                    d.config().summary(), worst);
            // Every backend that can run here, against PyTorch's float64 output with the oracle's bound.
            for (AcdaBackend b : Backends.all()) {
                try (b) {
                    if (b.unavailableReason().isPresent()) {
                        continue;
                    }
                    Tensor y = b.forward(layer, x);
                    ErrorReport.Reference ours = ErrorReport.Reference.of(oracle, b.evaluation(), Precision.FP32);
                    ErrorReport r = ErrorReport.compare(new ErrorReport.Reference(oracle.shape(), torch.data(), ours.tight(),
                            ours.worstCase(), "vs PyTorch float64"), ErrorReport.widen(y), y.shape(), ErrorReport.Tier.TIGHT);
                    assertTrue(r.accepted(), dir.getFileName() + ", backend " + b.name() + ": " + r.describe());
                    backendsChecked++;
                }
            }
        }
        assertTrue(backendsChecked >= 3 * cases.size(), "backend checks: " + backendsChecked);
    }
}
