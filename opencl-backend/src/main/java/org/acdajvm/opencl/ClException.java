package org.acdajvm.opencl;

/**
 * An OpenCL call failed. The message names the call and the status symbolically, e.g.
 * {@code clEnqueueNDRangeKernel(coef_conv) failed: CL_INVALID_WORK_GROUP_SIZE (-54)}.
 */
public class ClException extends IllegalStateException {

    private final String call;
    private final int status;

    public ClException(String call, int status) {
        this(call, status, "");
    }

    protected ClException(String call, int status, String detail) {
        super(call + " failed: " + ClStatus.name(status) + " (" + status + ")" + detail);
        this.call = call;
        this.status = status;
    }

    /** The failed call, as named by its caller. */
    public String call() {
        return call;
    }

    /** The OpenCL status code. */
    public int status() {
        return status;
    }

    /** The symbolic name of {@link #status()}. */
    public String statusName() {
        return ClStatus.name(status);
    }
}
