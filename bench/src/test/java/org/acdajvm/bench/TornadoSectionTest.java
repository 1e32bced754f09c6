package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Optional;

import org.junit.jupiter.api.Test;

class TornadoSectionTest {

    private static final String OLD = TornadoSection.BEGIN + "\nold numbers\n" + TornadoSection.END;
    private static final String NEW = TornadoSection.BEGIN + "\nnew numbers\n" + TornadoSection.END;

    @Test
    void replacesOnlyTheMarkedSection() {
        String doc = "# Results\n\nvector table\n\n" + OLD + "\n\n## Notes\nkept\n";
        assertEquals("# Results\n\nvector table\n\n" + NEW + "\n\n## Notes\nkept\n", TornadoSection.splice(doc, NEW));
    }

    @Test
    void appendsTheSectionWhenAbsent() {
        assertEquals("# Results\n\ntable\n\n" + NEW + "\n", TornadoSection.splice("# Results\n\ntable\n\n\n", NEW));
        assertEquals(NEW + "\n", TornadoSection.splice("", NEW));
    }

    @Test
    void extractsTheSectionWithItsMarkers() {
        assertEquals(Optional.of(OLD), TornadoSection.extract("a\n" + OLD + "\nb"));
        assertEquals(Optional.empty(), TornadoSection.extract("no section"));
    }

    @Test
    void damagedMarkersAreErrorsNotSilentDuplicates() {
        for (String doc : new String[] {TornadoSection.BEGIN + " no end", "no begin " + TornadoSection.END,
                TornadoSection.END + " reversed " + TornadoSection.BEGIN, OLD + "\n" + OLD}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TornadoSection.splice(doc, NEW));
            assertTrue(e.getMessage().contains("damaged"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> TornadoSection.splice("doc", "no markers"));
    }
}
