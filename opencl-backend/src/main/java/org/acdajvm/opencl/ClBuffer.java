package org.acdajvm.opencl;

import static org.lwjgl.opencl.CL10.clCreateBuffer;
import static org.lwjgl.opencl.CL10.clReleaseMemObject;

import java.nio.IntBuffer;

import org.lwjgl.system.MemoryStack;

/** One device buffer ({@code cl_mem}); its owner is a {@link ClWorkspace}. */
final class ClBuffer implements AutoCloseable {

    private final String role;
    private final long mem;
    private final long bytes;
    private boolean closed;

    private ClBuffer(String role, long mem, long bytes) {
        this.role = role;
        this.mem = mem;
        this.bytes = bytes;
    }

    static ClBuffer allocate(ClContext ctx, String role, long flags, long bytes) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            long mem = clCreateBuffer(ctx.context(), flags, bytes, err);
            ClStatus.check(err.get(0), "clCreateBuffer(" + role + ", " + bytes + " bytes)");
            return new ClBuffer(role, mem, bytes);
        }
    }

    long mem() {
        if (closed) {
            throw new IllegalStateException("buffer " + role + " is released");
        }
        return mem;
    }

    long bytes() {
        return bytes;
    }

    String role() {
        return role;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            ClStatus.check(clReleaseMemObject(mem), "clReleaseMemObject(" + role + ")");
        }
    }
}
