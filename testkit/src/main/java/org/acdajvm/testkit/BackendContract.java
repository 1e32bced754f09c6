package org.acdajvm.testkit;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.tensor.Tensor;

/**
 * What every contract class shares: the backend under test (named by the subclass's
 * {@link BackendUnderTest}), and the counts of what each property compared, which
 * {@link ContractAccounting} prints and checks against the property's {@link MinimumCompared} after it
 * ran. jqwik makes one instance per property, so the counts are per property.
 */
public abstract class BackendContract {

    private AcdaBackend backend;
    private long cases;
    private long elements;
    private String skipped;
    private double worstGradientRelative;

    /**
     * What one property compared; {@code skipped} names why it compared nothing on purpose (the backend
     * declares no backward), or is {@code null}; {@code worstGradientRelativeError} is the largest
     * {@code max |err| / max |grad|} seen (0 when no gradient was compared).
     */
    public record Counts(long cases, long elements, String skipped, double worstGradientRelativeError) {
    }

    /** The backend's name, from the subclass's {@link BackendUnderTest}. */
    public final String backendName() {
        BackendUnderTest a = getClass().getAnnotation(BackendUnderTest.class);
        if (a == null) {
            throw new IllegalStateException(getClass().getName() + " needs a @BackendUnderTest(\"name\") annotation");
        }
        return a.value();
    }

    /** The backend, opened on first use; fails (with its reason) if it cannot run here. */
    protected final AcdaBackend backend() {
        if (backend == null) {
            backend = Backends.require(backendName());
        }
        return backend;
    }

    /** Counts one case whose output {@code y} was compared element by element. */
    protected final void counted(Tensor y) {
        counted(y.size());
    }

    /** Counts one case in which {@code compared} elements were compared. */
    protected final void counted(long compared) {
        cases++;
        elements += compared;
    }

    /** Adds {@code compared} elements to the current property's count, without counting a case. */
    protected final void countElements(long compared) {
        elements += compared;
    }

    /** Records why this property compares nothing on purpose (the op has no backward). */
    protected final void skipped(String reason) {
        skipped = reason;
    }

    /** Records a gradient's relative error, for the printed line. */
    protected final void gradientRelativeError(double relative) {
        worstGradientRelative = Math.max(worstGradientRelative, relative);
    }

    /** Closes the backend and returns the counts; called by {@link ContractAccounting} after each property. */
    final Counts finish() {
        if (backend != null) {
            backend.close();
            backend = null;
        }
        Counts counts = new Counts(cases, elements, skipped, worstGradientRelative);
        skipped = null;
        return counts;
    }
}
