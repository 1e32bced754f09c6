package org.acdajvm.cli;

import java.util.Locale;

import org.acdajvm.layer.AcdaConfig;

/**
 * Up-front memory checks: where a command knows the sizes it will allocate, it compares an
 * estimate with the heap the JVM may use and refuses with one line saying what to lower, instead of
 * running into an {@link OutOfMemoryError} minutes later.
 */
final class Memory {

    /** Environment variable the launcher adds to the JVM's command line. */
    static final String JAVA_OPTS = "ACDA_JAVA_OPTS";

    private Memory() {
    }

    /**
     * Refuses work that needs about {@code bytes} of heap when that exceeds what this JVM may use.
     *
     * @param what  the work, e.g. "check with input [100000, 16, 32, 32]"
     * @param lower the options to lower, e.g. "-n/--batch, --height, --width"
     * @throws IllegalArgumentException one line with the estimate, the limit and what to do
     */
    static void require(long bytes, String what, String lower) {
        long max = Runtime.getRuntime().maxMemory();
        if (bytes <= max * 0.9) {
            return;
        }
        throw new IllegalArgumentException(what + " needs about " + bytes(bytes) + " of memory, more than the "
                + bytes(max) + " this JVM may use: lower " + lower + ", or raise the limit with " + JAVA_OPTS + "=-Xmx"
                + Math.max(1, (long) Math.ceil(bytes * 1.25 / (1L << 30))) + "g");
    }

    /** The one line for an {@link OutOfMemoryError} that an estimate did not foresee. */
    static String outOfMemory(OutOfMemoryError e) {
        return "out of memory (" + (e.getMessage() == null ? "Java heap space" : e.getMessage()) + ") with the "
                + bytes(Runtime.getRuntime().maxMemory()) + " this JVM may use: lower the sizes, or raise the limit with "
                + JAVA_OPTS + "=-Xmx...";
    }

    /**
     * Heap the oracle, the backward oracle (with {@code grads}) and the backends need for one layer
     * and input: the float32 input (and its copies), per output element the oracle's value and two
     * bound terms in double and a few float32 outputs, and per pixel of one image the generator's
     * intermediate values and atom coefficients with their bound terms in double (the oracle keeps
     * those for one image at a time). An estimate, not a promise: within a factor of about two.
     */
    static long layerBytes(AcdaConfig c, long n, long h, long w, boolean grads) {
        long ho = (h + c.stride() - 1) / c.stride();
        long wo = (w + c.stride() - 1) / c.stride();
        long input = n * c.inChannels() * h * w;
        long outputs = n * c.outChannels() * ho * wo;
        long generator = ho * wo * (4L * c.interChannels() + 4L * c.atoms() * c.bases());
        long bytes = input * 4 * 2 + outputs * (3 * 8 + 4 * 4) + generator * 8;
        return grads ? 2 * bytes + input * 8 * 3 + outputs * 8 * 2 : bytes;
    }

    static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.0f MiB", b / (double) (1L << 20));
        }
        return String.format(Locale.ROOT, "%.0f KiB", b / 1024.0);
    }
}
