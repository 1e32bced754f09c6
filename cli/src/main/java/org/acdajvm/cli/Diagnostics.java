package org.acdajvm.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

import org.lwjgl.system.Configuration;

/**
 * What reaches stderr besides our own one-line messages: nothing, unless {@code --verbose}.
 *
 * <ul>
 *   <li>LWJGL prints a block of "Failed to load a library ... Possible solutions" lines when there
 *       is no OpenCL loader; the opencl backend already reports that as its one-line reason, so
 *       LWJGL's debug stream ({@code Configuration.DEBUG_STREAM}) is dropped unless verbose.</li>
 *   <li>{@code java.util.logging} (which {@code System.Logger} uses) prints two lines per record with
 *       a time stamp and a class name; our warnings become one line {@code acda: warning: ...}, and
 *       records of other libraries are shown only when verbose.</li>
 * </ul>
 * The JVM's own "WARNING: Using incubator modules" line is printed before {@code main} and cannot be
 * turned off from Java (nor by any JVM option); the launcher {@code ./acda} drops exactly that line.
 */
final class Diagnostics {

    private static volatile boolean verbose;
    private static boolean installed;

    private Diagnostics() {
    }

    /** Whether {@code --verbose} was given. */
    static boolean verbose() {
        return verbose;
    }

    static void setVerbose(boolean v) {
        verbose = v;
        Logger.getLogger("").setLevel(v ? Level.FINE : Level.INFO);
    }

    /**
     * Routes LWJGL's debug output and java.util.logging through our filter. Must run before LWJGL is
     * first used (its debug stream is read once, when LWJGL initialises).
     */
    static synchronized void install() {
        if (installed) {
            return;
        }
        installed = true;
        OutputStream toStderrWhenVerbose = new OutputStream() {
            @Override
            public void write(int b) {
                if (verbose) {
                    System.err.write(b);
                }
            }

            @Override
            public void write(byte[] b, int off, int len) {
                if (verbose) {
                    System.err.write(b, off, len);
                }
            }

            @Override
            public void flush() {
                System.err.flush();
            }
        };
        Configuration.DEBUG_STREAM.set(new PrintStream(toStderrWhenVerbose, true));
        Logger root = LogManager.getLogManager().getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        root.addHandler(new OneLineHandler());
        root.setLevel(verbose ? Level.FINE : Level.INFO);
    }

    /** One line per record: ours at WARNING and above always, everything else only when verbose. */
    private static final class OneLineHandler extends Handler {
        @Override
        public void publish(LogRecord r) {
            boolean ours = r.getLoggerName() != null && r.getLoggerName().startsWith("org.acdajvm");
            if (!verbose && !(ours && r.getLevel().intValue() >= Level.WARNING.intValue())) {
                return;
            }
            String level = r.getLevel().intValue() >= Level.WARNING.intValue() ? "warning: " : "";
            String message = r.getMessage();
            if (r.getParameters() != null && r.getParameters().length > 0) {
                message = java.text.MessageFormat.format(message, r.getParameters());
            }
            System.err.println("acda: " + level + message + (verbose && !ours ? " [" + r.getLoggerName() + "]" : ""));
            if (verbose && r.getThrown() != null) {
                r.getThrown().printStackTrace(System.err);
            }
        }

        @Override
        public void flush() {
            System.err.flush();
        }

        @Override
        public void close() {
        }
    }
}
