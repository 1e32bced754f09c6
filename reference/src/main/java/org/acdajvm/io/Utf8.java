package org.acdajvm.io;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Strict UTF-8 decoding of file headers: a malformed byte is a named error, not a silent replacement. */
final class Utf8 {

    private Utf8() {
    }

    static String decode(Path file, byte[] bytes, String what) throws TensorFormatException {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new TensorFormatException(file, what + " is not valid UTF-8");
        }
    }
}
