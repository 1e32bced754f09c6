package org.acdajvm.opencl;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.lwjgl.system.MemoryUtil;

/**
 * Device buffers and host staging buffers kept between calls, one per role ({@code x}, {@code Z},
 * {@code coef}, ...), grow-only: a call reuses a buffer when it is large enough and otherwise
 * replaces it by one of the new size. A second call of the same shape (or a smaller one) therefore
 * allocates nothing, which {@link #allocations()} makes observable.
 */
final class ClWorkspace implements AutoCloseable {

    private final ClContext ctx;
    private final Map<String, ClBuffer> buffers = new LinkedHashMap<>();
    private final Map<String, FloatBuffer> staging = new LinkedHashMap<>();
    private long allocations;

    ClWorkspace(ClContext ctx) {
        this.ctx = ctx;
    }

    /** The device buffer for {@code role} with room for at least {@code floats} floats. */
    ClBuffer device(String role, long flags, long floats) {
        long bytes = Math.max(1, floats) * Float.BYTES;
        ClBuffer b = buffers.get(role);
        if (b != null && b.bytes() >= bytes) {
            return b;
        }
        if (b != null) {
            buffers.remove(role);
            b.close();
        }
        ClBuffer fresh = ClBuffer.allocate(ctx, role, flags, bytes);
        buffers.put(role, fresh);
        allocations++;
        return fresh;
    }

    /** A direct host buffer for {@code role} with room for at least {@code floats} floats, cleared to position 0. */
    FloatBuffer host(String role, int floats) {
        FloatBuffer b = staging.get(role);
        if (b == null || b.capacity() < floats) {
            if (b != null) {
                staging.remove(role);
                MemoryUtil.memFree(b);
            }
            b = MemoryUtil.memAllocFloat(Math.max(1, floats));
            staging.put(role, b);
            allocations++;
        }
        b.clear();
        return b;
    }

    /** Device and host buffers allocated so far (replacements included). */
    long allocations() {
        return allocations;
    }

    /** Bytes currently held on the device. */
    long deviceBytes() {
        return buffers.values().stream().mapToLong(ClBuffer::bytes).sum();
    }

    /** Releases every buffer, newest first; the first failure is rethrown after all were tried. */
    @Override
    public void close() {
        RuntimeException first = null;
        List<ClBuffer> all = new ArrayList<>(buffers.values());
        buffers.clear();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        List<FloatBuffer> hosts = new ArrayList<>(staging.values());
        staging.clear();
        for (int i = hosts.size() - 1; i >= 0; i--) {
            MemoryUtil.memFree(hosts.get(i));
        }
        if (first != null) {
            throw first;
        }
    }
}
