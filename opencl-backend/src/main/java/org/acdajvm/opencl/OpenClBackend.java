package org.acdajvm.opencl;

import java.util.Optional;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * The {@code opencl} backend: {@link AcdaForwardOpenCl} on one OpenCL device, found through
 * {@link java.util.ServiceLoader}.
 *
 * <p>The device is the one {@link OpenClDevices#select} picks for the selector given to the
 * constructor, or else for the system property {@value OpenClDevices#DEVICE_PROPERTY} (an index or a
 * name substring; default: the first GPU, else the first device). Construction does no work; the
 * context, queue and programs are created on the first {@link #forward} and kept, with the device
 * buffers, until {@link #close()}.
 */
public final class OpenClBackend implements AcdaBackend {

    private final String selector;
    private AcdaForwardOpenCl engine;
    private boolean closed;

    /** The device named by the system property {@value OpenClDevices#DEVICE_PROPERTY}, or the default device. */
    public OpenClBackend() {
        this(System.getProperty(OpenClDevices.DEVICE_PROPERTY));
    }

    /**
     * @param deviceSelector an index into {@link OpenClDevices#list()}, a substring of a device or platform name,
     *                       a type ({@code gpu}, {@code cpu}), or {@code null} for the default device
     */
    public OpenClBackend(String deviceSelector) {
        this.selector = deviceSelector;
    }

    @Override
    public String name() {
        return "opencl";
    }

    @Override
    public Optional<String> unavailableReason() {
        try {
            OpenClDevices.select(selector);
            return Optional.empty();
        } catch (IllegalStateException e) {
            return Optional.of(e.getMessage());
        }
    }

    @Override
    public Tensor forward(AcdaLayer layer, Tensor x) {
        if (layer == null) {
            throw new IllegalArgumentException("layer is null");
        }
        AcdaShapes.checkInput(layer.config(), x);
        return engine().forward(layer, x);
    }

    @Override
    public String description() {
        Optional<String> reason = unavailableReason();
        if (reason.isPresent()) {
            return "opencl (unavailable: " + reason.get() + ")";
        }
        return "opencl (two-layer, float32) on " + OpenClDevices.select(selector).label();
    }

    /** The device this backend runs on (selected now if not yet). */
    public ClDevice device() {
        return engine != null ? engine.device() : OpenClDevices.select(selector);
    }

    /** Device time per stage of the last forward, from profiling events, with the end-to-end time beside it. */
    public KernelTimes lastTimes() {
        return engine == null ? KernelTimes.NONE : engine.lastTimes();
    }

    /** Device time of all kernels of the last forward, transfers excluded. */
    public long lastKernelNanos() {
        return lastTimes().kernelNanos();
    }

    /** Device and host staging buffers allocated so far: a repeated call of the same shape allocates none. */
    public long allocations() {
        return engine == null ? 0 : engine.allocations();
    }

    /** The engine, opened on first use. */
    AcdaForwardOpenCl engine() {
        if (closed) {
            throw new IllegalStateException("the opencl backend is closed");
        }
        if (engine == null) {
            Optional<String> reason = unavailableReason();
            if (reason.isPresent()) {
                throw new IllegalStateException("backend 'opencl' cannot run here: " + reason.get());
            }
            engine = new AcdaForwardOpenCl(OpenClDevices.select(selector));
        }
        return engine;
    }

    @Override
    public void close() {
        closed = true;
        if (engine != null) {
            AcdaForwardOpenCl e = engine;
            engine = null;
            e.close();
        }
    }
}
