package org.acdajvm.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** The check a forwardInto benchmark runs in its setup. */
class SelfCheckTest {

    private static Tensor expected() {
        Tensor e = Tensor.zeros(1, 2, 3, 4);
        for (int i = 0; i < e.size(); i++) {
            e.data()[i] = i - 5.5f;
        }
        return e;
    }

    @Test
    void anOutputWrittenInFullIsReturned() {
        Tensor e = expected();
        Tensor y = SelfCheck.intoOutput("into", e, t -> System.arraycopy(e.data(), 0, t.data(), 0, e.size()));
        assertEquals(e, y);
    }

    @Test
    void anElementLeftAloneOrChangedIsNamed() {
        Tensor e = expected();
        IllegalStateException left = assertThrows(IllegalStateException.class,
                () -> SelfCheck.intoOutput("into", e, t -> System.arraycopy(e.data(), 0, t.data(), 0, e.size() - 1)));
        assertTrue(left.getMessage().contains("into wrote NaN at element 23"), left.getMessage());
        IllegalStateException sign = assertThrows(IllegalStateException.class, () -> SelfCheck.intoOutput("into", e, t -> {
            System.arraycopy(e.data(), 0, t.data(), 0, e.size());
            t.data()[3] = Math.nextUp(t.data()[3]);
        }));
        assertTrue(sign.getMessage().contains("at element 3"), sign.getMessage());
    }
}
