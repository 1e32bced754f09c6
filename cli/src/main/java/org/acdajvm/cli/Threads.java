package org.acdajvm.cli;

import org.acdajvm.backend.VectorBackend;

/** The {@code --threads} option: passed to the backends through their system property. */
final class Threads {

    private Threads() {
    }

    static void apply(Integer threads) {
        if (threads == null) {
            return;
        }
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("--threads = " + threads + " is not allowed: expected 1..1024");
        }
        System.setProperty(VectorBackend.THREADS_PROPERTY, Integer.toString(threads));
    }
}
