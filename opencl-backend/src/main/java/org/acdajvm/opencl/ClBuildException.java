package org.acdajvm.opencl;

/** A program failed to build; the message carries the program, the build options and the device's full build log. */
public final class ClBuildException extends ClException {

    private final String log;

    ClBuildException(String program, String options, String device, int status, String log) {
        super("clBuildProgram(" + program + ")", status, " on " + device + " with options [" + options + "]; build log:\n"
                + (log.isBlank() ? "(the device returned an empty build log)" : log.strip()));
        this.log = log;
    }

    /** The device's build log, unabridged. */
    public String log() {
        return log;
    }
}
