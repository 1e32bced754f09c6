package org.acdajvm.tornado;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import org.acdajvm.backend.TornadoSetup;

import uk.ac.manchester.tornado.api.TornadoRuntime;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.runtime.TornadoRuntimeProvider;

/**
 * Finding TornadoVM and its devices. Every entry point first checks that TornadoVM's classes are
 * there at all, so that this backend, found on a class path without TornadoVM, reports a reason
 * instead of failing with a linkage error.
 */
public final class TornadoDevices {

    /** System property choosing the device: {@code backend:device}, the indices {@code tornado --devices} prints. */
    public static final String DEVICE_PROPERTY = "acda.tornado.device";

    /** TornadoVM's option that, when true (its default), runs a task graph that failed to compile as Java on the host. */
    static final String BAILOUT_PROPERTY = "tornado.recover.bailout";

    private static final String HOW_TO_RUN = "run the JVM with TornadoVM's flags: java @$TORNADOVM_HOME/tornado-argfile ...";

    private TornadoDevices() {
    }

    /** Empty when a TornadoVM device can be used here; otherwise why not. */
    static Optional<String> unavailableReason(String selector) {
        try {
            Class.forName("uk.ac.manchester.tornado.api.TaskGraph", false, TornadoDevices.class.getClassLoader());
        } catch (ClassNotFoundException | LinkageError e) {
            return Optional.of("TornadoVM is not on the module path (" + HOW_TO_RUN + ")");
        }
        try {
            select(selector);
            return Optional.empty();
        } catch (IllegalStateException | IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        } catch (RuntimeException | LinkageError e) {
            // The cause chain holds TornadoVM's own reason (e.g. "No OpenCL platforms found"); the flags
            // hint only when the flags are really missing.
            return Optional.of(TornadoSetup.startFailure(e, TornadoSetup.flagsPresent()));
        }
    }

    /**
     * The device for {@code selector} ({@code backend:device} indices, or {@code null} for TornadoVM's
     * default device).
     *
     * @throws IllegalArgumentException for a malformed or out-of-range selector, naming the devices there are
     * @throws IllegalStateException    if TornadoVM has no device
     */
    static TornadoDevice select(String selector) {
        forbidSilentFallback();
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        if (runtime.getNumBackends() == 0) {
            throw new IllegalStateException("TornadoVM found no backend (no OpenCL, PTX or SPIR-V driver with a device)");
        }
        if (selector == null || selector.isBlank()) {
            TornadoDevice d = runtime.getDefaultDevice();
            if (d == null) {
                throw new IllegalStateException("TornadoVM has no default device");
            }
            return d;
        }
        String[] parts = selector.trim().split(":");
        int b;
        int d;
        try {
            if (parts.length != 2) {
                throw new NumberFormatException();
            }
            b = Integer.parseInt(parts[0]);
            d = Integer.parseInt(parts[1]);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(DEVICE_PROPERTY + " = '" + selector
                    + "' is not a device: expected backend:device indices, one of " + list());
        }
        if (b < 0 || b >= runtime.getNumBackends() || d < 0 || d >= runtime.getBackend(b).getNumDevices()) {
            throw new IllegalArgumentException(DEVICE_PROPERTY + " = '" + selector + "' is out of range: expected one of "
                    + list());
        }
        return runtime.getBackend(b).getDevice(d);
    }

    /** Every device as {@code backend:device name}, e.g. {@code 0:0 pthread-skylake (OpenCL)}. */
    public static List<String> list() {
        TornadoRuntime runtime = TornadoRuntimeProvider.getTornadoRuntime();
        List<String> names = new ArrayList<>();
        for (int b = 0; b < runtime.getNumBackends(); b++) {
            var backend = runtime.getBackend(b);    // TornadoVM's backend (OpenCL, PTX, ...), not ours
            for (int d = 0; d < backend.getNumDevices(); d++) {
                names.add(b + ":" + d + " " + backend.getDevice(d).getPhysicalDevice().getDeviceName() + " ("
                        + backend.getBackendType() + ")");
            }
        }
        return names;
    }

    /** A short label of the device for {@code selector}: its name and TornadoVM backend. */
    static String label(String selector) {
        return label(select(selector));
    }

    static String label(TornadoDevice device) {
        return device.getPhysicalDevice().getDeviceName() + " (TornadoVM " + device.getTornadoVMBackend() + ")";
    }

    /** TornadoVM's version, from the name of the jar its API came from (e.g. {@code 5.2.0}), or {@code ?}. */
    static String tornadoVersion() {
        try {
            var source = uk.ac.manchester.tornado.api.TaskGraph.class.getProtectionDomain().getCodeSource();
            String jar = Path.of(source.getLocation().toURI()).getFileName().toString();
            return jar.replaceFirst("^tornado-api-", "").replaceFirst("\\.jar$", "");
        } catch (Exception | LinkageError e) {
            return "?";
        }
    }

    /**
     * Makes TornadoVM throw, rather than run the Java code sequentially on the host, when a kernel
     * fails to compile, unless the user set the option: a silent fallback would report host times as
     * device times, and a {@code KernelContext} kernel run as plain Java computes one element only.
     * Must run before TornadoVM reads its options (the first use of its runtime).
     */
    static void forbidSilentFallback() {
        if (System.getProperty(BAILOUT_PROPERTY) == null) {
            System.setProperty(BAILOUT_PROPERTY, "false");
        }
    }
}
