package org.acdajvm.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.acdajvm.tensor.Tensor;

/**
 * NumPy {@code .npy} files (format versions 1.0, 2.0 and 3.0), as specified in
 * {@code numpy/lib/format.py}.
 *
 * <p>Read: little-endian {@code <f4}, and {@code <f8} when narrowing to float32 is requested; C
 * order only. The header is parsed and checked against the file's length before the data array is
 * allocated, so a lying header cannot make the reader allocate more than the file holds. Write:
 * {@code <f4}, version 1.0, atomically.
 *
 * <p>This is written here rather than taken from a library because no maintained Java library
 * validates untrusted headers this way (sizes checked before allocation, every malformation a
 * named error), which an oracle reading other people's test vectors needs.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** Largest header accepted; NumPy itself refuses headers over 10,000 bytes by default. */
    public static final int MAX_HEADER_BYTES = 1 << 16;

    private Npy() {
    }

    /** What a {@code .npy} header declares. */
    public record Header(int major, int minor, String descr, boolean fortranOrder, int[] shape, long dataOffset,
                         long elementCount) {
        /** Bytes per element of the declared dtype. */
        public int itemSize() {
            return Integer.parseInt(descr.substring(2));
        }
    }

    /**
     * Reads a float32 tensor.
     *
     * @param narrowF64 accept {@code <f8} data and round it to float32 (values beyond float32's range are an error)
     * @throws TensorFormatException for any malformed or unsupported file, naming the file and the problem
     * @throws NoSuchFileException   if the file does not exist
     */
    public static Tensor read(Path file, boolean narrowF64) throws IOException {
        try (FileChannel ch = RawData.open(file)) {
            Header h = readHeader(file, ch);
            boolean f8 = h.descr().equals("<f8");
            if (!h.descr().equals("<f4") && !(f8 && narrowF64)) {
                throw new TensorFormatException(file, "dtype '" + h.descr() + "' is not supported: expected '<f4' (float32)"
                        + (f8 ? ", or pass --narrow-f64 to round '<f8' (float64) to float32" : ""));
            }
            int n = checkedCount(file, h);
            return Tensor.wrap(RawData.floats(file, ch, h.dataOffset(), n, f8, ""), h.shape());
        }
    }

    /** The element count of a C-order array a Java array can hold, or a named error. */
    private static int checkedCount(Path file, Header h) throws TensorFormatException {
        if (h.fortranOrder()) {
            throw new TensorFormatException(file, "Fortran-order (column-major) arrays are not supported; save with "
                    + "numpy.ascontiguousarray(a) first");
        }
        if (h.elementCount() > Tensor.MAX_ELEMENTS) {
            throw new TensorFormatException(file, "shape " + java.util.Arrays.toString(h.shape()) + " has "
                    + h.elementCount() + " elements, more than a tensor can hold (" + Tensor.MAX_ELEMENTS + ")");
        }
        return (int) h.elementCount();
    }

    /** An array read in double precision, row-major. */
    public record Doubles(int[] shape, double[] data) {
    }

    /**
     * Reads a {@code <f4} or {@code <f8} file without rounding: float32 data is widened exactly. For
     * reference outputs (oracle, golden files) that are compared in double.
     */
    public static Doubles readDoubles(Path file) throws IOException {
        try (FileChannel ch = RawData.open(file)) {
            Header h = readHeader(file, ch);
            boolean f8 = h.descr().equals("<f8");
            if (!f8 && !h.descr().equals("<f4")) {
                throw new TensorFormatException(file, "dtype '" + h.descr() + "' is not supported: expected '<f4' or '<f8'");
            }
            int n = checkedCount(file, h);
            return new Doubles(h.shape(), RawData.doubles(file, ch, h.dataOffset(), n, f8));
        }
    }

    /** Reads and validates the header only (any dtype), checking the declared size against the file length. */
    public static Header readHeader(Path file) throws IOException {
        try (FileChannel ch = RawData.open(file)) {
            return readHeader(file, ch);
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer pre = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        pre.limit((int) Math.min(12, size));
        RawData.readFully(file, ch, pre, 0);
        pre.flip();
        if (pre.remaining() < 10) {
            throw new TensorFormatException(file, "file is " + size + " bytes, too short for a .npy header");
        }
        byte[] magic = new byte[6];
        pre.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new TensorFormatException(file, "not a .npy file (the magic string \\x93NUMPY is missing)");
        }
        int major = pre.get() & 0xff;
        int minor = pre.get() & 0xff;
        long headerLen;
        int preamble;
        if (major == 1) {
            headerLen = pre.getShort() & 0xffff;
            preamble = 10;
        } else if (major == 2 || major == 3) {
            if (pre.remaining() < 4) {
                throw new TensorFormatException(file, "file is " + size + " bytes, too short for a version " + major
                        + " .npy header");
            }
            headerLen = pre.getInt() & 0xffffffffL;
            preamble = 12;
        } else {
            throw new TensorFormatException(file, "format version " + major + "." + minor + " is not supported: expected 1.0, 2.0 or 3.0");
        }
        if (headerLen > MAX_HEADER_BYTES) {
            throw new TensorFormatException(file, "header declares " + headerLen + " bytes, more than the " + MAX_HEADER_BYTES
                    + " accepted");
        }
        if (preamble + headerLen > size) {
            throw new TensorFormatException(file, "truncated: the header declares " + headerLen + " bytes but the file has only "
                    + (size - preamble) + " after the preamble");
        }
        ByteBuffer hb = ByteBuffer.allocate((int) headerLen);
        RawData.readFully(file, ch, hb, preamble);
        String text = major == 3 ? Utf8.decode(file, hb.array(), "the version 3 header")
                : new String(hb.array(), StandardCharsets.ISO_8859_1);
        Map<String, Object> dict;
        try {
            dict = new HeaderParser(text).parseDict();
        } catch (IllegalArgumentException e) {
            throw new TensorFormatException(file, "malformed header " + abbreviate(text) + ": " + e.getMessage());
        }
        if (!dict.keySet().equals(java.util.Set.of("descr", "fortran_order", "shape"))) {
            throw new TensorFormatException(file, "header keys " + dict.keySet()
                    + " must be exactly descr, fortran_order and shape");
        }
        if (!(dict.get("descr") instanceof String descr)) {
            throw new TensorFormatException(file, "header 'descr' must be a string such as '<f4'");
        }
        if (!(dict.get("fortran_order") instanceof Boolean fortran)) {
            throw new TensorFormatException(file, "header 'fortran_order' must be True or False");
        }
        if (!(dict.get("shape") instanceof int[] shape)) {
            throw new TensorFormatException(file, "header 'shape' must be a tuple of integers");
        }
        if (!descr.matches("[<>|=][a-zA-Z][0-9]{1,2}")) {
            throw new TensorFormatException(file, "dtype '" + descr + "' is not supported: expected '<f4' (float32)");
        }
        if (descr.startsWith(">") || descr.startsWith("=")) {
            throw new TensorFormatException(file, "dtype '" + descr + "' is not little-endian: expected '<f4' (float32)");
        }
        if (!List.of("<f4", "<f8", "<i8").contains(descr)) {
            throw new TensorFormatException(file, "dtype '" + descr + "' is not supported: expected '<f4' (float32)");
        }
        long count = 1;
        for (int d : shape) {
            count *= d;                      // d < 2^31 and count <= 2^32 before: cannot overflow
            if (count > 1L << 32) {
                throw new TensorFormatException(file, "shape " + java.util.Arrays.toString(shape)
                        + " declares more elements than any file this reader accepts");
            }
        }
        long offset = preamble + headerLen;
        int itemSize = Integer.parseInt(descr.substring(2));
        long expected = count * itemSize;
        long actual = size - offset;
        if (actual < expected) {
            throw new TensorFormatException(file, "truncated: shape " + java.util.Arrays.toString(shape) + " of " + descr
                    + " needs " + expected + " data bytes, the file has " + actual);
        }
        if (actual > expected) {
            throw new TensorFormatException(file, "the file has " + (actual - expected) + " bytes after the "
                    + expected + " data bytes that shape " + java.util.Arrays.toString(shape) + " of " + descr + " needs");
        }
        return new Header(major, minor, descr, fortran, shape, offset, count);
    }

    /** Writes {@code t} as a {@code <f4}, C-order, version 1.0 file, atomically ({@link AtomicFiles#write}). */
    public static void write(Path file, Tensor t) throws IOException {
        AtomicFiles.write(file, out -> write(out, t));
    }

    /**
     * Writes {@code t} as the bytes of a {@code <f4}, C-order, version 1.0 file to {@code out}
     * (standard output, or the scratch case folders of {@code acda fuzz}, which make their own atomicity),
     * flushing but not closing it.
     */
    public static void write(OutputStream out, Tensor t) throws IOException {
        byte[] header = header("<f4", t.shape());
        OutputStream o = new BufferedOutputStream(out, 1 << 16);
        o.write(header);
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : t.data()) {
            if (!buf.hasRemaining()) {
                o.write(buf.array(), 0, buf.position());
                buf.clear();
            }
            buf.putFloat(v);
        }
        o.write(buf.array(), 0, buf.position());
        o.flush();
    }

    /** The bytes of a version 1.0 header (magic, length, dict padded so the data starts at a multiple of 64). */
    static byte[] header(String descr, int[] shape) {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, 'shape': (");
        for (int i = 0; i < shape.length; i++) {
            dict.append(shape[i]);
            if (shape.length == 1 || i < shape.length - 1) {
                dict.append(i < shape.length - 1 ? ", " : ",");
            }
        }
        dict.append("), }");
        int total = 10 + dict.length() + 1;
        int padded = (total + 63) / 64 * 64;
        dict.append(" ".repeat(padded - total)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return b.array();
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return "'" + (t.length() > 120 ? t.substring(0, 120) + "..." : t) + "'";
    }

    /**
     * A strict parser for the header's Python literal: a dict with string keys whose values are
     * strings, {@code True}/{@code False}, or tuples of non-negative integers.
     */
    static final class HeaderParser {
        private final String s;
        private int i;

        HeaderParser(String s) {
            this.s = s;
        }

        Map<String, Object> parseDict() {
            skip();
            expect('{');
            Map<String, Object> m = new LinkedHashMap<>();
            skip();
            while (peek() != '}') {
                String key = string();
                skip();
                expect(':');
                skip();
                Object value = value();
                if (m.put(key, value) != null) {
                    throw new IllegalArgumentException("duplicate key '" + key + "'");
                }
                skip();
                if (peek() == ',') {
                    i++;
                    skip();
                } else if (peek() != '}') {
                    throw new IllegalArgumentException("expected ',' or '}' at offset " + i);
                }
            }
            expect('}');
            skip();
            if (i != s.length()) {
                throw new IllegalArgumentException("unexpected text after the dict at offset " + i);
            }
            return m;
        }

        private Object value() {
            char c = peek();
            if (c == '\'' || c == '"') {
                return string();
            }
            if (c == '(') {
                return tuple();
            }
            if (s.startsWith("True", i)) {
                i += 4;
                return Boolean.TRUE;
            }
            if (s.startsWith("False", i)) {
                i += 5;
                return Boolean.FALSE;
            }
            throw new IllegalArgumentException("unexpected value at offset " + i);
        }

        private int[] tuple() {
            expect('(');
            List<Integer> dims = new ArrayList<>();
            skip();
            while (peek() != ')') {
                int start = i;
                while (i < s.length() && Character.isDigit(s.charAt(i))) {
                    i++;
                }
                if (start == i) {
                    throw new IllegalArgumentException("expected a non-negative integer in the shape at offset " + start);
                }
                if (i < s.length() && s.charAt(i) == 'L') {
                    i++;                                   // Python 2 long suffix, written by old NumPy
                }
                String digits = s.substring(start, i).replace("L", "");
                if (digits.length() > 10 || Long.parseLong(digits) > Integer.MAX_VALUE) {
                    throw new IllegalArgumentException("dimension " + digits + " is too large");
                }
                dims.add(Integer.parseInt(digits));
                skip();
                if (peek() == ',') {
                    i++;
                    skip();
                } else if (peek() != ')') {
                    throw new IllegalArgumentException("expected ',' or ')' in the shape at offset " + i);
                }
                if (dims.size() > 32) {
                    throw new IllegalArgumentException("shape has more than 32 dimensions");
                }
            }
            expect(')');
            return dims.stream().mapToInt(Integer::intValue).toArray();
        }

        private String string() {
            char q = peek();
            if (q != '\'' && q != '"') {
                throw new IllegalArgumentException("expected a quoted string at offset " + i);
            }
            int end = s.indexOf(q, i + 1);
            if (end < 0) {
                throw new IllegalArgumentException("unterminated string at offset " + i);
            }
            String v = s.substring(i + 1, end);
            i = end + 1;
            return v;
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
                i++;
            }
        }

        private char peek() {
            if (i >= s.length()) {
                throw new IllegalArgumentException("unexpected end of header");
            }
            return s.charAt(i);
        }

        private void expect(char c) {
            if (peek() != c) {
                throw new IllegalArgumentException("expected '" + c + "' at offset " + i + ", found '" + peek() + "'");
            }
            i++;
        }
    }
}
