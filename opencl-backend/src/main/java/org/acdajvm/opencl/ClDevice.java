package org.acdajvm.opencl;

import java.util.Locale;

/**
 * One OpenCL device as found by {@link OpenClDevices#list()}: what {@code acda devices} prints and
 * what the backend sizes its work-groups and buffers by. The native platform and device ids are
 * owned by the OpenCL runtime (root devices need no release) and stay valid for the process.
 */
public final class ClDevice {

    private final int index;
    private final String platformName;
    private final String platformVersion;
    private final String name;
    private final String vendor;
    private final String version;
    private final long type;
    private final int computeUnits;
    private final int clockMhz;
    private final long globalMemBytes;
    private final long localMemBytes;
    private final long maxAllocBytes;
    private final long maxWorkGroupSize;
    private final long[] maxWorkItemSizes;
    private final long platformId;
    private final long deviceId;

    ClDevice(int index, String platformName, String platformVersion, String name, String vendor, String version,
             long type, int computeUnits, int clockMhz, long globalMemBytes, long localMemBytes, long maxAllocBytes,
             long maxWorkGroupSize, long[] maxWorkItemSizes, long platformId, long deviceId) {
        this.index = index;
        this.platformName = platformName;
        this.platformVersion = platformVersion;
        this.name = name;
        this.vendor = vendor;
        this.version = version;
        this.type = type;
        this.computeUnits = computeUnits;
        this.clockMhz = clockMhz;
        this.globalMemBytes = globalMemBytes;
        this.localMemBytes = localMemBytes;
        this.maxAllocBytes = maxAllocBytes;
        this.maxWorkGroupSize = maxWorkGroupSize;
        this.maxWorkItemSizes = maxWorkItemSizes.clone();
        this.platformId = platformId;
        this.deviceId = deviceId;
    }

    /** Position in the listing over all platforms, as accepted by {@code -Dacda.opencl.device=INDEX}. */
    public int index() {
        return index;
    }

    public String platformName() {
        return platformName;
    }

    public String platformVersion() {
        return platformVersion;
    }

    public String name() {
        return name;
    }

    public String vendor() {
        return vendor;
    }

    /** The device's OpenCL version string, e.g. {@code OpenCL 3.0 PoCL ...}. */
    public String version() {
        return version;
    }

    /** {@code GPU}, {@code CPU}, {@code ACCELERATOR}, {@code CUSTOM} or {@code DEFAULT} (several joined by {@code +}). */
    public String type() {
        StringBuilder s = new StringBuilder();
        String[] names = {"DEFAULT", "CPU", "GPU", "ACCELERATOR", "CUSTOM"};
        for (int bit = 0; bit < names.length; bit++) {
            if ((type & (1L << bit)) != 0) {
                s.append(s.isEmpty() ? "" : "+").append(names[bit]);
            }
        }
        return s.isEmpty() ? "type " + type : s.toString();
    }

    public boolean isGpu() {
        return (type & 4L) != 0;
    }

    public boolean isCpu() {
        return (type & 2L) != 0;
    }

    public boolean isAccelerator() {
        return (type & 8L) != 0;
    }

    public int computeUnits() {
        return computeUnits;
    }

    public int clockMhz() {
        return clockMhz;
    }

    public long globalMemBytes() {
        return globalMemBytes;
    }

    public long localMemBytes() {
        return localMemBytes;
    }

    /** {@code CL_DEVICE_MAX_MEM_ALLOC_SIZE}: the largest single buffer. */
    public long maxAllocBytes() {
        return maxAllocBytes;
    }

    public long maxWorkGroupSize() {
        return maxWorkGroupSize;
    }

    /** {@code CL_DEVICE_MAX_WORK_ITEM_SIZES}, one limit per dimension (a copy). */
    public long[] maxWorkItemSizes() {
        return maxWorkItemSizes.clone();
    }

    long platformId() {
        return platformId;
    }

    long deviceId() {
        return deviceId;
    }

    /** {@code name (TYPE, platform)}: the short form used in descriptions and messages. */
    public String label() {
        return name + " (" + type() + ", " + platformName + ")";
    }

    /** True when {@code selector} (case-insensitive) is the type or a substring of the name, vendor or platform. */
    boolean matches(String selector) {
        String s = selector.toLowerCase(Locale.ROOT);
        return name.toLowerCase(Locale.ROOT).contains(s) || vendor.toLowerCase(Locale.ROOT).contains(s)
                || platformName.toLowerCase(Locale.ROOT).contains(s) || type().toLowerCase(Locale.ROOT).equals(s);
    }

    @Override
    public String toString() {
        return "#" + index + " " + label();
    }
}
