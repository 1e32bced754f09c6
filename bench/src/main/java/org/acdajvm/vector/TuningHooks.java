package org.acdajvm.vector;

/** Temporary: selects an experimental variant of {@link AcdaForwardVector} for interleaved A/B runs. */
public final class TuningHooks {
    private TuningHooks() {
    }

    public static void experiment(AcdaForwardVector f, int v) {
        f.experiment = v;
    }
}
