package org.acdajvm.opencl;

/** Run in a child JVM by {@link OpenClInfrastructureTest}: prints the backend's unavailability reason, or AVAILABLE. */
public final class UnavailableProbe {

    private UnavailableProbe() {
    }

    public static void main(String[] args) {
        try (OpenClBackend b = new OpenClBackend()) {
            System.out.println("REASON " + b.unavailableReason().orElse("AVAILABLE"));
            System.out.println("DESCRIPTION " + b.description());
        }
    }
}
