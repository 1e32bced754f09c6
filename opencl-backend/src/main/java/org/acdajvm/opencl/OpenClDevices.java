package org.acdajvm.opencl;

import static org.lwjgl.opencl.CL10.CL_DEVICE_GLOBAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_LOCAL_MEM_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_CLOCK_FREQUENCY;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_COMPUTE_UNITS;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_MEM_ALLOC_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS;
import static org.lwjgl.opencl.CL10.CL_DEVICE_MAX_WORK_ITEM_SIZES;
import static org.lwjgl.opencl.CL10.CL_DEVICE_NAME;
import static org.lwjgl.opencl.CL10.CL_DEVICE_NOT_FOUND;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE;
import static org.lwjgl.opencl.CL10.CL_DEVICE_TYPE_ALL;
import static org.lwjgl.opencl.CL10.CL_DEVICE_VENDOR;
import static org.lwjgl.opencl.CL10.CL_DEVICE_VERSION;
import static org.lwjgl.opencl.CL10.CL_PLATFORM_NAME;
import static org.lwjgl.opencl.CL10.CL_PLATFORM_VERSION;
import static org.lwjgl.opencl.CL10.clGetDeviceIDs;
import static org.lwjgl.opencl.CL10.clGetDeviceInfo;
import static org.lwjgl.opencl.CL10.clGetPlatformIDs;
import static org.lwjgl.opencl.CL10.clGetPlatformInfo;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.Configuration;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.Platform;

/**
 * The OpenCL devices of this machine, over every platform, and the choice of one by a selector.
 *
 * <p>The listing is taken once per process. When there is nothing to list, {@link Listing#problem()}
 * says why in a sentence a user can act on: the OpenCL loader {@code libOpenCL.so} is missing, no
 * platform (ICD) is installed, or the platforms have no device.
 */
public final class OpenClDevices {

    /** System property selecting the device: an index into {@link #list()} or a substring of the name. */
    public static final String DEVICE_PROPERTY = "acda.opencl.device";

    static final String INSTALL_HINT = "install an ICD, e.g. apt-get install pocl-opencl-icd ocl-icd-libopencl1";
    static final String LOADER_HINT = "install the OpenCL loader and an ICD, e.g. apt-get install pocl-opencl-icd "
            + "ocl-icd-libopencl1";

    /** The devices found, or an empty list and the reason. */
    public record Listing(List<ClDevice> devices, Optional<String> problem) {
    }

    private static Listing cached;

    private OpenClDevices() {
    }

    /** Every device of every platform, in platform order then device order; taken once per process. */
    public static synchronized Listing list() {
        if (cached == null) {
            cached = enumerate();
        }
        return cached;
    }

    /**
     * The device {@code selector} names: blank or {@code null} picks the first GPU, else the first
     * accelerator, else the first device; digits pick by {@link ClDevice#index()}; anything else
     * picks the first device whose name, vendor or platform contains it (case-insensitive) or
     * whose type is it ({@code gpu}, {@code cpu}).
     *
     * @throws IllegalStateException with a sentence saying why when there is no device, or none matches
     */
    public static ClDevice select(String selector) {
        Listing listing = list();
        if (listing.problem().isPresent()) {
            throw new IllegalStateException(listing.problem().get());
        }
        List<ClDevice> devices = listing.devices();
        String s = selector == null ? "" : selector.strip();
        if (s.isEmpty()) {
            return devices.stream().filter(ClDevice::isGpu).findFirst()
                    .or(() -> devices.stream().filter(ClDevice::isAccelerator).findFirst())
                    .orElse(devices.getFirst());
        }
        if (s.chars().allMatch(Character::isDigit)) {
            int i = s.length() > 6 ? Integer.MAX_VALUE : Integer.parseInt(s);
            if (i < devices.size()) {
                return devices.get(i);
            }
            throw new IllegalStateException("OpenCL device index " + s + " (from " + DEVICE_PROPERTY + " or --device) "
                    + "is out of range: found " + devices.size() + " device(s) " + devices);
        }
        return devices.stream().filter(d -> d.matches(s)).findFirst().orElseThrow(() -> new IllegalStateException(
                "no OpenCL device matches '" + s + "' (from " + DEVICE_PROPERTY + " or --device): found " + devices));
    }

    private static Listing enumerate() {
        useTheLoaderSoname();
        try {
            return enumerateDevices();
        } catch (LinkageError | IllegalStateException e) {
            // LWJGL's OpenCL class loads libOpenCL when first touched: an UnsatisfiedLinkError (or, on a
            // second touch, NoClassDefFoundError) means the loader library itself is missing, unless it
            // is LWJGL's own JNI library (natives for another architecture on the class path) that failed.
            String why = e.getClass().getSimpleName() + ": " + firstLine(e.getMessage());
            if (why.toLowerCase(Locale.ROOT).contains("liblwjgl")) {
                return new Listing(List.of(), Optional.of("LWJGL's native library could not be loaded (" + why + ") on "
                        + System.getProperty("os.name") + " " + System.getProperty("os.arch")
                        + ": the build selects LWJGL natives by the property lwjgl.natives (natives-linux for x86-64, "
                        + "natives-linux-arm64 for aarch64)"));
            }
            return new Listing(List.of(), Optional.of("the OpenCL loader library "
                    + Optional.ofNullable(Configuration.OPENCL_LIBRARY_NAME.get()).orElse("libOpenCL.so") + " could not be loaded ("
                    + why + "): " + LOADER_HINT));
        }
    }

    /**
     * LWJGL looks for {@code libOpenCL.so}, which on Debian and Ubuntu only the development package
     * ({@code ocl-icd-opencl-dev}) provides; the run-time package has the loader under its soname
     * {@code libOpenCL.so.1}, the name every program linked with {@code -lOpenCL} loads. On Linux,
     * unless the user named a library with {@code -Dorg.lwjgl.opencl.libname}, ask for the soname.
     * Must run before LWJGL's OpenCL classes are first touched.
     */
    private static void useTheLoaderSoname() {
        if (Platform.get() == Platform.LINUX && Configuration.OPENCL_LIBRARY_NAME.get() == null) {
            Configuration.OPENCL_LIBRARY_NAME.set("libOpenCL.so.1");
        }
    }

    private static Listing enumerateDevices() {
        List<ClDevice> devices = new ArrayList<>();
        List<String> emptyPlatforms = new ArrayList<>();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer count = stack.mallocInt(1);
            int status = clGetPlatformIDs(null, count);
            // The ICD loader answers CL_PLATFORM_NOT_FOUND_KHR (-1001) when no ICD is registered.
            if (status == -1001 || (status == ClStatus.CL_SUCCESS && count.get(0) == 0)) {
                return new Listing(List.of(), Optional.of("no OpenCL platform found: " + INSTALL_HINT));
            }
            ClStatus.check(status, "clGetPlatformIDs");
            PointerBuffer platforms = stack.mallocPointer(count.get(0));
            ClStatus.check(clGetPlatformIDs(platforms, (IntBuffer) null), "clGetPlatformIDs");
            for (int pi = 0; pi < platforms.capacity(); pi++) {
                long platform = platforms.get(pi);
                String platformName = platformString(platform, CL_PLATFORM_NAME);
                String platformVersion = platformString(platform, CL_PLATFORM_VERSION);
                status = clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, null, count);
                if (status == CL_DEVICE_NOT_FOUND || (status == ClStatus.CL_SUCCESS && count.get(0) == 0)) {
                    emptyPlatforms.add(platformName);
                    continue;
                }
                ClStatus.check(status, "clGetDeviceIDs(" + platformName + ")");
                PointerBuffer ids = stack.mallocPointer(count.get(0));
                ClStatus.check(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, ids, (IntBuffer) null),
                        "clGetDeviceIDs(" + platformName + ")");
                for (int di = 0; di < ids.capacity(); di++) {
                    devices.add(describe(devices.size(), platform, platformName, platformVersion, ids.get(di)));
                }
            }
        }
        if (devices.isEmpty()) {
            return new Listing(List.of(), Optional.of("OpenCL platform(s) " + emptyPlatforms
                    + " found, but no device on any of them: " + INSTALL_HINT));
        }
        return new Listing(List.copyOf(devices), Optional.empty());
    }

    private static ClDevice describe(int index, long platform, String platformName, String platformVersion, long device) {
        int dims = deviceInt(device, CL_DEVICE_MAX_WORK_ITEM_DIMENSIONS);
        long[] itemSizes = new long[dims];
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer sizes = stack.mallocPointer(dims);
            ClStatus.check(clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_ITEM_SIZES, sizes, null),
                    "clGetDeviceInfo(CL_DEVICE_MAX_WORK_ITEM_SIZES)");
            for (int i = 0; i < dims; i++) {
                itemSizes[i] = sizes.get(i);
            }
        }
        return new ClDevice(index, platformName, platformVersion, deviceString(device, CL_DEVICE_NAME),
                deviceString(device, CL_DEVICE_VENDOR), deviceString(device, CL_DEVICE_VERSION),
                deviceLong(device, CL_DEVICE_TYPE), deviceInt(device, CL_DEVICE_MAX_COMPUTE_UNITS),
                deviceInt(device, CL_DEVICE_MAX_CLOCK_FREQUENCY), deviceLong(device, CL_DEVICE_GLOBAL_MEM_SIZE),
                deviceLong(device, CL_DEVICE_LOCAL_MEM_SIZE), deviceLong(device, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                deviceSize(device, CL_DEVICE_MAX_WORK_GROUP_SIZE), itemSizes, platform, device);
    }

    private static String platformString(long platform, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            ClStatus.check(clGetPlatformInfo(platform, param, (ByteBuffer) null, size), "clGetPlatformInfo(" + param + ")");
            ByteBuffer value = stack.malloc((int) size.get(0));
            ClStatus.check(clGetPlatformInfo(platform, param, value, null), "clGetPlatformInfo(" + param + ")");
            return decode(value);
        }
    }

    static String deviceString(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer size = stack.mallocPointer(1);
            ClStatus.check(clGetDeviceInfo(device, param, (ByteBuffer) null, size), "clGetDeviceInfo(" + param + ")");
            ByteBuffer value = stack.malloc((int) size.get(0));
            ClStatus.check(clGetDeviceInfo(device, param, value, null), "clGetDeviceInfo(" + param + ")");
            return decode(value);
        }
    }

    private static int deviceInt(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            IntBuffer value = stack.mallocInt(1);
            ClStatus.check(clGetDeviceInfo(device, param, value, null), "clGetDeviceInfo(" + param + ")");
            return value.get(0);
        }
    }

    private static long deviceLong(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LongBuffer value = stack.mallocLong(1);
            ClStatus.check(clGetDeviceInfo(device, param, value, null), "clGetDeviceInfo(" + param + ")");
            return value.get(0);
        }
    }

    private static long deviceSize(long device, int param) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer value = stack.mallocPointer(1);
            ClStatus.check(clGetDeviceInfo(device, param, value, null), "clGetDeviceInfo(" + param + ")");
            return value.get(0);
        }
    }

    /** A NUL-terminated info string, without its terminator and surrounding blanks. */
    private static String decode(ByteBuffer value) {
        byte[] bytes = new byte[value.remaining()];
        value.get(bytes);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] == 0) {
            end--;
        }
        return new String(bytes, 0, end, StandardCharsets.UTF_8).strip();
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "no message";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
