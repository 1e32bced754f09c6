package org.acdajvm.testkit.contracts;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;

/**
 * One generated test case: a layer config, an input size and a seed. The layer has every
 * parameter random (BatchNorm statistics and output bias included); the input is uniform in
 * {@code [-1, 1)}.
 */
public record AcdaCase(AcdaConfig config, int batch, int height, int width, long seed) {

    public AcdaLayer layer() {
        return AcdaInit.randomized(config, seed);
    }

    public Tensor input() {
        return AcdaInit.input(config, batch, height, width, seed ^ 0x9E3779B97F4A7C15L);
    }

    @Override
    public String toString() {
        return "N=" + batch + " " + height + "x" + width + " " + config.summary() + " seed=" + seed;
    }
}
