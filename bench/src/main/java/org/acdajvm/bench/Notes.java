package org.acdajvm.bench;

/**
 * The last section of the report: where the tuning log lives. The log itself is hand-written and
 * dated, with the machine named, in {@code bench/TUNING.md} (it used to be generated from this
 * string, which went stale as soon as the code changed).
 */
final class Notes {

    private Notes() {
    }

    static final String TEXT = """
            ## Tuning log

            Every tuning step tried on the vector path, kept or rejected, with interleaved ratios and the
            machine it was measured on, is in [TUNING.md](TUNING.md) (hand-written, dated). Variants are
            compared call by call in one JVM with `org.acdajvm.bench.StageCompare`, against a frozen copy
            of the pre-tuning forward (`AcdaForwardVectorBaseline`).
            """;
}
