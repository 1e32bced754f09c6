package org.acdajvm.opencl;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Programs built on one context, keyed by (sources, build options): each specialisation is built
 * once and reused by every later call. Owns the programs; {@link #close()} releases them newest first.
 */
final class ClProgramCache implements AutoCloseable {

    /** Prepended to every program: helpers shared by all kernels. */
    static final String COMMON = "common.cl";

    private final ClContext ctx;
    private final Map<String, ClProgram> programs = new LinkedHashMap<>();
    private final Map<String, String> sources = new LinkedHashMap<>();
    private int builds;

    ClProgramCache(ClContext ctx) {
        this.ctx = ctx;
    }

    /** The program of {@code common.cl} + {@code resource} built with {@code options}, built on first request. */
    ClProgram get(String resource, String options) {
        String key = resource + " " + options;
        ClProgram p = programs.get(key);
        if (p == null) {
            p = ClProgram.build(ctx, resource, options, source(COMMON), source(resource));
            programs.put(key, p);
            builds++;
        }
        return p;
    }

    private String source(String resource) {
        return sources.computeIfAbsent(resource, ClProgram::source);
    }

    /** Programs built so far. */
    int builds() {
        return builds;
    }

    @Override
    public void close() {
        List<ClProgram> all = new ArrayList<>(programs.values());
        programs.clear();
        RuntimeException first = null;
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                all.get(i).close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
