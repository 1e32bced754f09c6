package org.acdajvm.io;

import com.fasterxml.jackson.core.JsonProcessingException;

/** Jackson's parse errors as messages for a user: what is wrong, without the library's internals. */
final class JsonErrors {

    private JsonErrors() {
    }

    /**
     * The problem Jackson found, without its source location (our message names the file) and
     * without the name of the Jackson setting behind a limit (e.g. "from
     * `StreamReadConstraints.getMaxNestingDepth()`"), which means nothing to someone who wrote a JSON file.
     */
    static String describe(JsonProcessingException e) {
        String m = e.getOriginalMessage();
        if (m == null) {
            return "malformed JSON";
        }
        return m.replaceAll(",? from `[^`]*`", "");
    }
}
