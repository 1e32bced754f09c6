package org.acdajvm.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;

/**
 * Little-endian float32/float64 payloads read from a file channel in chunks, shared by the
 * {@code .npy} and {@code .safetensors} readers. Callers have already checked that the file holds
 * {@code count} elements at {@code offset}.
 */
final class RawData {

    private static final int CHUNK = 1 << 16;

    private RawData() {
    }

    /**
     * Opens a file to read, with errors that name it: missing, a folder, a device or fifo (which
     * could block forever), or not readable.
     */
    static FileChannel open(Path file) throws IOException {
        BasicFileAttributes a;
        try {
            a = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, e.getReason());
        }
        if (a.isDirectory()) {
            throw new TensorFormatException(file, "is a folder: expected a file");
        }
        if (!a.isRegularFile()) {
            throw new TensorFormatException(file, "is not a regular file (a device, fifo or socket): expected a file");
        }
        try {
            return FileChannel.open(file, StandardOpenOption.READ);
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(file.toString(), null, "cannot be read");
        }
    }

    /** Fills {@code buf} from its position to its limit, from file position {@code position}. */
    static void readFully(Path file, FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new TensorFormatException(file, "truncated: ended at byte " + pos);
            }
            pos += r;
        }
    }

    /**
     * {@code count} elements as float32; float64 data ({@code f8}) is rounded, and a finite value
     * beyond float32's range is an error naming {@code what} and the element.
     */
    static float[] floats(Path file, FileChannel ch, long offset, int count, boolean f8, String what) throws IOException {
        float[] out = new float[count];
        int item = f8 ? 8 : 4;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK * item).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < count; start += CHUNK) {
            int len = Math.min(CHUNK, count - start);
            buf.clear().limit(len * item);
            readFully(file, ch, buf, offset + (long) start * item);
            buf.flip();
            for (int i = 0; i < len; i++) {
                if (f8) {
                    double v = buf.getDouble();
                    float f = (float) v;
                    if (Double.isFinite(v) && !Float.isFinite(f)) {
                        throw new TensorFormatException(file, what + "element " + (start + i) + " = " + v
                                + " is beyond float32's range and cannot be narrowed");
                    }
                    out[start + i] = f;
                } else {
                    out[start + i] = buf.getFloat();
                }
            }
        }
        return out;
    }

    /** {@code count} elements as double (float32 data widened exactly). */
    static double[] doubles(Path file, FileChannel ch, long offset, int count, boolean f8) throws IOException {
        double[] out = new double[count];
        int item = f8 ? 8 : 4;
        ByteBuffer buf = ByteBuffer.allocate(CHUNK * item).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < count; start += CHUNK) {
            int len = Math.min(CHUNK, count - start);
            buf.clear().limit(len * item);
            readFully(file, ch, buf, offset + (long) start * item);
            buf.flip();
            for (int i = 0; i < len; i++) {
                out[start + i] = f8 ? buf.getDouble() : buf.getFloat();
            }
        }
        return out;
    }
}
