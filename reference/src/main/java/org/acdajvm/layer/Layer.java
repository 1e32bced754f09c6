package org.acdajvm.layer;

import java.util.Map;

import org.acdajvm.tensor.Tensor;

/**
 * One layer of the family of per-pixel convolutions (DESIGN section 8): its hyper-parameters and its
 * parameters, immutable. Every layer is a per-pixel filter {@code Wpix[n,p][o,c,u]}; what differs is how
 * the filter is made. The {@link LayerKind} of a layer parses, builds, checks and runs the oracle for it.
 */
public interface Layer {

    /** The kind of this layer (its name, settings, inputs and oracle). */
    LayerKind<?> kind();

    /** The parameters keyed as the reference PyTorch module's {@code state_dict()}, in its order (callers must not modify them). */
    Map<String, Tensor> stateDict();

    /** One line for reports, e.g. {@code C=16 O=16 K=7 s=1 d=1 zeros ...}. */
    String summary();
}
