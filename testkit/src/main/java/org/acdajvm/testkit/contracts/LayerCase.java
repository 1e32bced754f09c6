package org.acdajvm.testkit.contracts;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;

/**
 * One generated case of a layer contract: a layer, its named inputs, the seed they came from (it also seeds
 * the upstream gradient of the backward properties), and a description that rebuilds the case by hand.
 *
 * @param layer       the layer (its kind is the contract's)
 * @param inputs      the named inputs, {@code "x"} ({@code [N, C, H, W]}) first
 * @param seed        the seed of the case
 * @param description shapes, settings and seed, for failure messages
 */
public record LayerCase(Layer layer, Inputs inputs, long seed, String description) {

    @Override
    public String toString() {
        return description + " inputs " + inputs;
    }
}
