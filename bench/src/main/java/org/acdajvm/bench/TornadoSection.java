package org.acdajvm.bench;

import java.util.Optional;

/**
 * The TornadoVM part of {@code bench/RESULTS.md}, between {@value #BEGIN} and {@value #END}. It is
 * measured separately ({@code ./acda bench --only-tornado}, which needs a TornadoVM installation)
 * and spliced into the report, so that neither run erases what the other one measured.
 */
final class TornadoSection {

    static final String BEGIN = "<!-- tornado:begin -->";
    static final String END = "<!-- tornado:end -->";

    private TornadoSection() {
    }

    /**
     * The section of {@code document}, markers included, or empty if it has none.
     *
     * @throws IllegalArgumentException if the markers are unbalanced or out of order
     */
    static Optional<String> extract(String document) {
        int[] range = range(document);
        return range == null ? Optional.empty() : Optional.of(document.substring(range[0], range[1]));
    }

    /**
     * {@code document} with its section replaced by {@code section} (which must carry both markers),
     * or with {@code section} appended after a blank line when it has none.
     *
     * @throws IllegalArgumentException if either has unbalanced or out-of-order markers
     */
    static String splice(String document, String section) {
        if (!section.startsWith(BEGIN) || !section.endsWith(END)) {
            throw new IllegalArgumentException("section must start with " + BEGIN + " and end with " + END);
        }
        int[] range = range(document);
        if (range == null) {
            String base = document.stripTrailing();
            return (base.isEmpty() ? "" : base + "\n\n") + section + "\n";
        }
        return document.substring(0, range[0]) + section + document.substring(range[1]);
    }

    /** Start of {@link #BEGIN} and end of {@link #END}, or null when neither is there. */
    private static int[] range(String document) {
        int begin = document.indexOf(BEGIN);
        int end = document.indexOf(END);
        if (begin < 0 && end < 0) {
            return null;
        }
        if (begin < 0 || end < 0 || end < begin || document.indexOf(BEGIN, begin + 1) >= 0
                || document.indexOf(END, end + 1) >= 0) {
            throw new IllegalArgumentException("the report's TornadoVM section is damaged: expected one " + BEGIN
                    + " followed by one " + END);
        }
        return new int[] {begin, end + END.length()};
    }
}
