package org.acdajvm.pac;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.oracle.AcdaFilter;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** On every golden case, ACDA through the oracle core equals {@link AcdaOracle#forward} exactly (y, S, E, variance, chains). */
class AcdaFilterGoldenTest {

    @Test
    void theFilterIsBitIdenticalOnTheGoldenCases() throws Exception {
        Path root = Path.of(AcdaFilterGoldenTest.class.getResource("/golden").toURI());
        List<Path> dirs;
        try (Stream<Path> s = Files.list(root)) {
            dirs = s.filter(Files::isDirectory).sorted().toList();
        }
        assertTrue(dirs.size() >= 6, "golden cases found: " + dirs);
        for (Path dir : dirs) {
            CaseFolder.Description d = CaseFolder.read(dir);
            AcdaLayer layer = CaseFolder.loadLayer(d, false);
            Tensor x = Npy.read(d.inputPath(), false);
            OracleResult old = AcdaOracle.forward(layer, x);
            assertEquals(old, AcdaFilter.forward(layer, x), dir.getFileName().toString());
        }
    }
}
