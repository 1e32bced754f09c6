package org.acdajvm.testkit.contracts;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import net.jqwik.api.Arbitrary;

import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;

/**
 * What a layer tells {@link LayerContract}: its kind, how to generate cases, which symmetry it has, and the
 * cases whose answer is known without the oracle. A layer joins the contract with one spec and one abstract
 * {@code <Layer>Contract} that returns it; a backend joins a layer's contract with a 3-line subclass.
 *
 * @param <L> the layer class
 */
public interface LayerSpec<L extends Layer> {

    /** The layer kind, as registered in {@link org.acdajvm.layer.Layers}. */
    LayerKind<L> kind();

    /**
     * Random cases over the layer's whole range of settings (every padding, stride, option), small enough
     * for the double oracle to be quick; the seed space must be large, so that jqwik never generates
     * them exhaustively (the properties' minimum counts assume their full tries).
     */
    Arbitrary<LayerCase> cases();

    /**
     * When the layer commutes with cyclic shifts of its grid inputs: the settings under which it does (e.g.
     * {@code padding_mode = circular}, {@code stride = 1}), the inputs that shift together, and cases that
     * have those settings. Empty for a layer that is not equivariant (e.g. TVConv, whose maps are per pixel).
     */
    default Optional<Equivariance> equivariance() {
        return Optional.empty();
    }

    /**
     * At least {@link LayerContract#MINIMUM_KNOWN_CASES} cases with their answers computed without the oracle,
     * deterministic (seeded), covering different settings.
     */
    List<KnownCase> knownCases();

    /**
     * The largest {@code max |err| / max |grad|} per gradient tensor the float32 backward may show on
     * {@link #cases()} (see {@link org.acdajvm.testkit.GradientCompare#assertRelativeError}), or
     * {@code Double.POSITIVE_INFINITY} to only report it (the verdict still judges every element).
     */
    default double gradientRelativeError() {
        return Double.POSITIVE_INFINITY;
    }

    /**
     * Translation equivariance as a layer declares it: under {@code settings} (a subset of
     * {@link LayerKind#settingsOf}, checked on every case), shifting the inputs {@code shifted} cyclically by
     * {@code (dy, dx)} shifts the output by the same amount; {@code cases} all have those settings and an
     * output of the input's height and width.
     *
     * @param settings the settings (case.json key names and values) under which the layer is equivariant
     * @param shifted  the names of the inputs that live on the pixel grid and shift together ({@code "x"} first);
     *                 those a case does not have are left out
     * @param cases    cases with those settings
     */
    record Equivariance(Map<String, String> settings, List<String> shifted, Arbitrary<LayerCase> cases) {
    }
}
