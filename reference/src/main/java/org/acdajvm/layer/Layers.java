package org.acdajvm.layer;

import java.util.ArrayList;
import java.util.List;

/**
 * The registry of layer kinds, in listing order ({@code acda layers}, {@code --layer NAME}). A new layer
 * joins by one line here.
 */
public final class Layers {

    private static final List<LayerKind<?>> ALL = List.of(
            AcdaKind.INSTANCE,
            org.acdajvm.layers.conv.ConvKind.INSTANCE,
            org.acdajvm.layers.pac.PacKind.CONV,
            org.acdajvm.layers.pac.PacKind.TRANSPOSED,
            org.acdajvm.layers.pac.PacKind.POOL,
            org.acdajvm.layers.pac.PacKind.KERNEL_ONLY,
            org.acdajvm.layers.dfn.DfnKind.INSTANCE,
            org.acdajvm.layers.involution.InvolutionKind.INSTANCE,
            org.acdajvm.layers.tvconv.TvConvKind.INSTANCE);

    private Layers() {
    }

    /** Every layer kind, in listing order. */
    public static List<LayerKind<?>> all() {
        return ALL;
    }

    /** The names of every layer kind. */
    public static List<String> names() {
        List<String> names = new ArrayList<>();
        for (LayerKind<?> k : ALL) {
            names.add(k.name());
        }
        return names;
    }

    /**
     * The layer kind called {@code name}.
     *
     * @throws IllegalArgumentException naming the known layers
     */
    public static LayerKind<?> get(String name) {
        for (LayerKind<?> k : ALL) {
            if (k.name().equals(name)) {
                return k;
            }
        }
        throw new IllegalArgumentException("layer = '" + name + "' is unknown: expected one of " + names());
    }
}
