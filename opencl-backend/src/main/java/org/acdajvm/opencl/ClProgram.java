package org.acdajvm.opencl;

import static org.lwjgl.opencl.CL10.CL_KERNEL_LOCAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_KERNEL_WORK_GROUP_SIZE;
import static org.lwjgl.opencl.CL10.CL_PROGRAM_BUILD_LOG;
import static org.lwjgl.opencl.CL10.clBuildProgram;
import static org.lwjgl.opencl.CL10.clCreateKernel;
import static org.lwjgl.opencl.CL10.clCreateProgramWithSource;
import static org.lwjgl.opencl.CL10.clGetKernelWorkGroupInfo;
import static org.lwjgl.opencl.CL10.clGetProgramBuildInfo;
import static org.lwjgl.opencl.CL10.clReleaseKernel;
import static org.lwjgl.opencl.CL10.clReleaseProgram;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * A built OpenCL program and the kernels created from it. It owns them all: {@link #close()}
 * releases the kernels (newest first), then the program.
 */
final class ClProgram implements AutoCloseable {

    /** Classpath folder of the kernel sources. */
    static final String RESOURCES = "/org/acdajvm/opencl/";

    private final String name;
    private final String options;
    private final ClDevice device;
    private final long program;
    private final Map<String, Long> kernels = new LinkedHashMap<>();
    private boolean closed;

    private ClProgram(String name, String options, ClDevice device, long program) {
        this.name = name;
        this.options = options;
        this.device = device;
        this.program = program;
    }

    /**
     * Builds {@code sources} (concatenated in order) for the context's device.
     *
     * @param name    what the program is called in messages (its resource names)
     * @param options build options, e.g. {@code -D K=7}
     * @throws ClBuildException with the full build log when the build fails
     */
    static ClProgram build(ClContext ctx, String name, String options, String... sources) {
        long program;
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer err = stack.mallocInt(1);
            program = clCreateProgramWithSource(ctx.context(), sources, err);
            ClStatus.check(err.get(0), "clCreateProgramWithSource(" + name + ")");
        }
        long device = ctx.device().deviceId();
        int status = clBuildProgram(program, device, options, null, 0L);
        if (status != ClStatus.CL_SUCCESS) {
            String log;
            try {
                log = buildLog(program, device);
            } catch (RuntimeException e) {
                log = "(the build log could not be read: " + e.getMessage() + ")";
            }
            clReleaseProgram(program);
            throw new ClBuildException(name, options, ctx.device().label(), status, log);
        }
        return new ClProgram(name, options, ctx.device(), program);
    }

    /** The text of classpath resources under {@link #RESOURCES}, e.g. {@code atoms.cl}. */
    static String source(String resource) {
        try (InputStream in = ClProgram.class.getResourceAsStream(RESOURCES + resource)) {
            if (in == null) {
                throw new IllegalStateException("kernel source " + RESOURCES + resource + " is not on the class path");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("reading kernel source " + RESOURCES + resource, e);
        }
    }

    private static String buildLog(long program, long device) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            ClStatus.check(clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size),
                    "clGetProgramBuildInfo(CL_PROGRAM_BUILD_LOG)");
            ByteBuffer log = MemoryUtil.memAlloc((int) Math.max(1, size.get(0)));
            try {
                ClStatus.check(clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log, null),
                        "clGetProgramBuildInfo(CL_PROGRAM_BUILD_LOG)");
                byte[] bytes = new byte[log.remaining()];
                log.get(bytes);
                int end = bytes.length;
                while (end > 0 && bytes[end - 1] == 0) {
                    end--;
                }
                return new String(bytes, 0, end, StandardCharsets.UTF_8);
            } finally {
                MemoryUtil.memFree(log);
            }
        }
    }

    /** The kernel called {@code kernelName}, created on first use. */
    long kernel(String kernelName) {
        if (closed) {
            throw new IllegalStateException("program " + name + " is released");
        }
        Long k = kernels.get(kernelName);
        if (k == null) {
            try (MemoryStack stack = MemoryStack.stackPush()) {
                IntBuffer err = stack.mallocInt(1);
                long created = clCreateKernel(program, kernelName, err);
                ClStatus.check(err.get(0), "clCreateKernel(" + kernelName + ")");
                k = created;
                kernels.put(kernelName, k);
            }
        }
        return k;
    }

    /** {@code CL_KERNEL_WORK_GROUP_SIZE}: the largest work-group this kernel can run with on the device. */
    long workGroupSize(String kernelName) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer v = stack.mallocPointer(1);
            ClStatus.check(clGetKernelWorkGroupInfo(kernel(kernelName), device.deviceId(), CL_KERNEL_WORK_GROUP_SIZE, v,
                    null), "clGetKernelWorkGroupInfo(" + kernelName + ", CL_KERNEL_WORK_GROUP_SIZE)");
            return v.get(0);
        }
    }

    /** {@code CL_KERNEL_LOCAL_MEM_SIZE}: local memory one work-group of this kernel uses, in bytes. */
    long localMemBytes(String kernelName) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LongBuffer v = stack.mallocLong(1);
            ClStatus.check(clGetKernelWorkGroupInfo(kernel(kernelName), device.deviceId(), CL_KERNEL_LOCAL_MEM_SIZE, v,
                    null), "clGetKernelWorkGroupInfo(" + kernelName + ", CL_KERNEL_LOCAL_MEM_SIZE)");
            return v.get(0);
        }
    }

    String name() {
        return name;
    }

    String options() {
        return options;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        List<Long> all = new ArrayList<>(kernels.values());
        kernels.clear();
        int first = ClStatus.CL_SUCCESS;
        for (int i = all.size() - 1; i >= 0; i--) {
            int s = clReleaseKernel(all.get(i));
            first = first == ClStatus.CL_SUCCESS ? s : first;
        }
        int p = clReleaseProgram(program);
        ClStatus.check(first, "clReleaseKernel(" + name + ")");
        ClStatus.check(p, "clReleaseProgram(" + name + ")");
    }
}
