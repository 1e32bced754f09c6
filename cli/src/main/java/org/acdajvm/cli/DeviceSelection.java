package org.acdajvm.cli;

import org.acdajvm.opencl.OpenClDevices;

/**
 * {@code --device}: sets the system property the opencl backend reads when it is created, for the
 * duration of one command, and restores the previous value afterwards (commands run in-process in
 * tests).
 */
final class DeviceSelection implements AutoCloseable {

    static final String DESCRIPTION = "OpenCL device for the opencl backend: an index or a name substring from "
            + "'acda devices' (default: the first GPU, else the first device)";

    private final boolean changed;
    private final String previous;

    private DeviceSelection(String device) {
        changed = device != null;
        previous = System.getProperty(OpenClDevices.DEVICE_PROPERTY);
        if (changed) {
            System.setProperty(OpenClDevices.DEVICE_PROPERTY, device);
        }
    }

    /** Selects {@code device} (nothing changes when it is {@code null}) until {@link #close()}. */
    static DeviceSelection apply(String device) {
        return new DeviceSelection(device);
    }

    @Override
    public void close() {
        if (!changed) {
            return;
        }
        if (previous == null) {
            System.clearProperty(OpenClDevices.DEVICE_PROPERTY);
        } else {
            System.setProperty(OpenClDevices.DEVICE_PROPERTY, previous);
        }
    }
}
