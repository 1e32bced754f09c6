package org.acdajvm.layer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.tensor.Tensor;

/**
 * The named input tensors of one call, {@code "x"} first (e.g. {@code "guidance"} for PAC, {@code "filter"}
 * for dynamic local filtering). Which names a layer takes, and their shapes, is its {@link LayerKind}'s
 * business ({@link LayerKind#inputs()}, {@link LayerKind#checkInputs}). The tensors are not copied: callers
 * must not modify them while a call runs.
 */
public final class Inputs {

    /** The name of the main input, {@code [N, C, H, W]}. */
    public static final String X = "x";

    private final Map<String, Tensor> byName;

    private Inputs(Map<String, Tensor> byName) {
        this.byName = Collections.unmodifiableMap(byName);
    }

    /** Just {@code x}. */
    public static Inputs of(Tensor x) {
        return builder().put(X, x).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The main input {@code x}. */
    public Tensor x() {
        return require(X);
    }

    /** The input called {@code name}, or {@code null}. */
    public Tensor get(String name) {
        return byName.get(name);
    }

    /** The input called {@code name}; the error names it and the inputs given. */
    public Tensor require(String name) {
        Tensor t = byName.get(name);
        if (t == null) {
            throw new IllegalArgumentException("input '" + name + "' is missing: given " + byName.keySet());
        }
        return t;
    }

    public boolean has(String name) {
        return byName.containsKey(name);
    }

    /** Every input, in order, {@code "x"} first. */
    public Map<String, Tensor> all() {
        return byName;
    }

    /** A deep copy (for tests that check inputs are left untouched). */
    public Inputs copy() {
        Builder b = builder();
        byName.forEach((k, v) -> b.put(k, v.copy()));
        return b.build();
    }

    /** The same inputs with {@code name} replaced or added. */
    public Inputs with(String name, Tensor t) {
        Builder b = builder();
        byName.forEach(b::put);
        b.put(name, t);
        return b.build();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("{");
        byName.forEach((k, v) -> s.append(s.length() > 1 ? ", " : "").append(k).append(' ').append(v.shapeString()));
        return s.append('}').toString();
    }

    /** Builds {@link Inputs}; {@code x} is always listed first. */
    public static final class Builder {
        private final Map<String, Tensor> m = new LinkedHashMap<>();

        public Builder put(String name, Tensor t) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("an input needs a name");
            }
            if (t == null) {
                throw new IllegalArgumentException("input '" + name + "' is null");
            }
            m.put(name, t);
            return this;
        }

        public Inputs build() {
            Map<String, Tensor> ordered = new LinkedHashMap<>();
            if (m.containsKey(X)) {
                ordered.put(X, m.get(X));
            }
            m.forEach(ordered::putIfAbsent);
            return new Inputs(ordered);
        }
    }
}
