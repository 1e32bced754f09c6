package org.acdajvm.cli;

/**
 * How one run of a user's implementation on a case folder failed ({@code acda fuzz}). Each kind is
 * counted and shrunk on its own: a case that shrinks into another kind of failure is not a smaller
 * instance of the same bug.
 */
enum FailureKind {
    /** The output (or a gradient) is outside the verdict's bound. */
    WRONG_VALUES("wrong values", "wrong-values"),
    /** The command exited with a non-zero status. */
    CRASH("crash / non-zero exit", "crash"),
    /** The command ran past the per-run time limit and was killed. */
    TIMEOUT("timeout", "timeout"),
    /** The command exited with 0 but did not write an output the case names. */
    MISSING_OUTPUT("missing output", "missing-output"),
    /** An output has the wrong shape, or is not a readable {@code .npy} file. */
    MISSHAPED_OUTPUT("mis-shaped output", "misshaped-output");

    private final String label;
    private final String slug;

    FailureKind(String label, String slug) {
        this.label = label;
        this.slug = slug;
    }

    /** Words for reports: {@code wrong values}, {@code crash / non-zero exit}, ... */
    String label() {
        return label;
    }

    /** A file-name and JSON form: {@code wrong-values}, {@code crash}, ... */
    String slug() {
        return slug;
    }
}
