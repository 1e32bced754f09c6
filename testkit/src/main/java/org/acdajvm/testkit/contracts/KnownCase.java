package org.acdajvm.testkit.contracts;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;

/**
 * A case whose answer is written down without the library's oracle (by hand, or by an independent
 * computation in the layer contract: a plain convolution, an average pool), so it holds even if the oracle
 * were wrong. The contract checks the oracle against it to double precision and the backend against it within
 * the tight bound.
 *
 * @param name     what the case is (e.g. {@code "constant guidance = plain conv, K=3 s=2"})
 * @param layer    the layer
 * @param inputs   the named inputs
 * @param expected the expected output, flat in the output's {@code [N, O, H', W']} order
 */
public record KnownCase(String name, Layer layer, Inputs inputs, double[] expected) {

    @Override
    public String toString() {
        return name + " " + layer.summary() + " inputs " + inputs;
    }
}
