package org.acdajvm.io;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A tensor or weights file that cannot be read as what it claims to be: truncated, a lying or
 * oversized header, an unsupported dtype, Fortran order, overlapping offsets, and so on. The
 * message names the file and what was wrong; it is raised before any large allocation.
 */
public class TensorFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    public TensorFormatException(Path file, String problem) {
        super(file + ": " + problem);
    }

    public TensorFormatException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
    }
}
