package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The oneDNN worker's output as {@code acda bench} reads it; no Python is run here. */
class OnednnRoundsTest {

    private static final String WORKER = "{\"torch\": \"1.13.0a0+git\", \"mkldnn\": true, \"times\": {\"small\": "
            + "[0.0001, 0.00012, 9e-05], \"resnet-k3\": [0.0105, 0.0099], \"k-3\": [0.0008]}}";

    @Test
    void theWorkersJsonGivesMillisecondsPerConfiguration() throws IOException {
        OnednnRounds.Measured m = OnednnRounds.parse(WORKER);
        assertEquals("1.13.0a0+git", m.torch());
        assertTrue(m.mkldnn());
        assertEquals(List.of("small", "resnet-k3", "k-3"), List.copyOf(m.millis().keySet()));
        assertArrayEquals(new double[] {0.1, 0.12, 0.09}, m.millis().get("small"), 1e-12);
        assertArrayEquals(new double[] {10.5, 9.9}, m.millis().get("resnet-k3"), 1e-12);
    }

    @Test
    void onlyTheRequestedConfigurationsGoIntoTheRound() throws IOException {
        ForkResults r = new ForkResults();
        List<String> added = OnednnRounds.record(OnednnRounds.parse(WORKER), 2, List.of("resnet-k3", "table6-k3", "small"), r);
        assertEquals(List.of("resnet-k3", "small"), added);
        assertEquals(10.2, r.roundMedians(OnednnRounds.METHOD, "resnet-k3").get(2), 1e-12);
        assertTrue(r.forks(OnednnRounds.METHOD, "k-3").isEmpty());
    }

    @Test
    void outputThatIsNotTheWorkersIsRefusedWithWhatItWas() {
        IOException e = assertThrows(IOException.class, () -> OnednnRounds.parse("Traceback (most recent call last):"));
        assertTrue(e.getMessage().contains("not its JSON") && e.getMessage().contains("Traceback"), e.getMessage());
        e = assertThrows(IOException.class, () -> OnednnRounds.parse("{\"torch\": \"1\", \"times\": {\"small\": [nan]}}"));
        assertTrue(e.getMessage().contains("small"), e.getMessage());
        e = assertThrows(IOException.class, () -> OnednnRounds.parse("{\"torch\": \"1\", \"times\": {\"small\": [0.0]}}"));
        assertTrue(e.getMessage().contains("no positive times for small"), e.getMessage());
        e = assertThrows(IOException.class, () -> OnednnRounds.parse("{\"torch\": \"1\", \"times\": {}}"));
        assertTrue(e.getMessage().contains("no times"), e.getMessage());
    }

    @Test
    void aMissingScriptIsAReasonNotAnError() {
        OnednnRounds.Python p = OnednnRounds.python(Path.of("no-such-dir", "x.py"));
        assertEquals(null, p.command());
        assertEquals("no " + Path.of("no-such-dir", "x.py"), p.reason());
    }
}
