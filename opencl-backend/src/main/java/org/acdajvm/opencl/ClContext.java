package org.acdajvm.opencl;

import static org.lwjgl.opencl.CL10.CL_CONTEXT_PLATFORM;
import static org.lwjgl.opencl.CL10.CL_QUEUE_PROFILING_ENABLE;
import static org.lwjgl.opencl.CL10.clCreateCommandQueue;
import static org.lwjgl.opencl.CL10.clCreateContext;
import static org.lwjgl.opencl.CL10.clReleaseCommandQueue;
import static org.lwjgl.opencl.CL10.clReleaseContext;

import java.nio.IntBuffer;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * An OpenCL context on one device and its in-order command queue, created with
 * {@code CL_QUEUE_PROFILING_ENABLE} so every kernel can be timed by its event. Owns both handles
 * and releases them in reverse order of creation.
 */
final class ClContext implements AutoCloseable {

    private final ClDevice device;
    private final long context;
    private final long queue;
    private boolean closed;

    private ClContext(ClDevice device, long context, long queue) {
        this.device = device;
        this.context = context;
        this.queue = queue;
    }

    static ClContext open(ClDevice device) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            PointerBuffer props = stack.mallocPointer(3);
            props.put(CL_CONTEXT_PLATFORM).put(device.platformId()).put(0L).flip();
            long context = clCreateContext(props, device.deviceId(), null, 0L, err);
            ClStatus.check(err.get(0), "clCreateContext(" + device.name() + ")");
            long queue = clCreateCommandQueue(context, device.deviceId(), CL_QUEUE_PROFILING_ENABLE, err);
            if (err.get(0) != ClStatus.CL_SUCCESS) {
                clReleaseContext(context);
                ClStatus.check(err.get(0), "clCreateCommandQueue(" + device.name() + ", CL_QUEUE_PROFILING_ENABLE)");
            }
            return new ClContext(device, context, queue);
        }
    }

    ClDevice device() {
        return device;
    }

    long context() {
        requireOpen();
        return context;
    }

    long queue() {
        requireOpen();
        return queue;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("the OpenCL context on " + device.name() + " is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        int q = clReleaseCommandQueue(queue);
        int c = clReleaseContext(context);
        ClStatus.check(q, "clReleaseCommandQueue");
        ClStatus.check(c, "clReleaseContext");
    }
}
