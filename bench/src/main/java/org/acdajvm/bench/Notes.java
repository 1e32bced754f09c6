package org.acdajvm.bench;

/** The tuning log printed at the end of the report: what was measured, kept and rejected, and why. */
final class Notes {

    private Notes() {
    }

    static final String TEXT = """
            ## Tuning log

            Measured on the 2-core AMD EPYC (Zen 4, AVX-512, 16 float lanes) CI machine with JDK 25.

            Kept:
            - One register-blocked kernel (`VectorGemm.block`, 6 rows x 2 vectors, 12 accumulators, A packed
              row-block-major and read as broadcasts, rows of B addressed through an offset table) serves every
              matrix-shaped stage: generator conv 1 and 2 as implicit GEMMs over a padded input, atoms
              (`Psi^T G`), and the coefficient convolution. Alone, on the table6 coefficient-conv shape, it runs
              at about 105 GFLOP/s on one thread, about 90% of the measured FMA peak.
            - The input is copied once per image into a padded, stride-deinterleaved buffer, so that every tap of
              every stride, dilation and padding mode is a contiguous in-bounds vector load.
            - Atom convolution and coefficient convolution are fused per tile of 2 vectors of pixels of one row:
              `Z` never exists beyond one tile per thread.
            - The accumulators leave the kernel through a scratch array, and the epilogue (BatchNorm, tanh, masked
              store) runs in a separate method. Passing the twelve vectors to a helper the JIT did not inline
              boxed them and cut the coefficient convolution from about 80 to 11 GFLOP/s per thread.
            - tanh is evaluated with IEEE operations only (`VectorMath`), in place on arrays. The Vector API's
              TANH is an SVML intrinsic in C2 code but `Math.tanh` in the interpreter, so results depended on
              JIT warmth and hence on the thread count; a tanh that returned a vector from a non-inlined call
              allocated about 100 MB per table6 call.

            Rejected or not done yet:
            - Blocking the inner dimension of the coefficient convolution (its packed A, 1.5 MB for table6,
              is streamed from L3 per tile): the kernel is within about 25% of peak already in the fused pipeline.
            - The atom convolution runs at 20 to 35 GFLOP/s per thread: it needs two loads per FMA (the atom
              and the input tap). Reusing each input tap for all M atoms at once (12 accumulators for M = 6)
              is the next step.
            """;
}
