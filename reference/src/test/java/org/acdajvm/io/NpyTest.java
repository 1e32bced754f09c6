package org.acdajvm.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsShapeAndBits() throws IOException {
        float[] data = {1.5f, -0f, Float.MIN_VALUE, Float.MAX_VALUE, -3.25f, 7f};
        Tensor t = Tensor.wrap(data.clone(), 1, 2, 3);
        Path f = dir.resolve("t.npy");
        Npy.write(f, t);
        Tensor back = Npy.read(f, false);
        assertArrayEquals(new int[] {1, 2, 3}, back.shape());
        for (int i = 0; i < data.length; i++) {
            assertEquals(Float.floatToRawIntBits(data[i]), Float.floatToRawIntBits(back.data()[i]));
        }
        assertEquals(0, Files.size(f) % 64 == 0 ? 0 : (Files.size(f) - 4L * data.length) % 64,
                "data starts at a multiple of 64 bytes");
    }

    @Test
    void writesTheHeaderNumpyWrites() {
        // numpy.save of a float32 array of shape (2, 3) writes exactly this header text.
        String expected = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
        String header = new String(Npy.header("<f4", new int[] {2, 3}), StandardCharsets.ISO_8859_1);
        assertTrue(header.substring(10).startsWith(expected), header);
        assertEquals(128, Npy.header("<f4", new int[] {2, 3}).length, "numpy 2.4 writes 128 header bytes for this shape");
        assertTrue(new String(Npy.header("<f4", new int[] {5}), StandardCharsets.ISO_8859_1).contains("'shape': (5,)"));
        assertTrue(new String(Npy.header("<f4", new int[] {}), StandardCharsets.ISO_8859_1).contains("'shape': ()"));
    }

    @Test
    void readsVersions2And3AndFloat64WhenNarrowing() throws IOException {
        Path v2 = write("v2.npy", 2, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", floats(1f, 2f));
        assertArrayEquals(new float[] {1f, 2f}, Npy.read(v2, false).data());
        Path v3 = write("v3.npy", 3, "{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (1, 1), }", floats(4f));
        assertArrayEquals(new float[] {4f}, Npy.read(v3, false).data());
        Path f8 = write("f8.npy", 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", doubles(0.1, -2.5));
        assertArrayEquals(new float[] {0.1f, -2.5f}, Npy.read(f8, true).data());
        assertError(f8, false, "dtype '<f8' is not supported", "narrow");
    }

    @Test
    void malformedFilesAreNamedErrors() throws IOException {
        assertError(Files.write(dir.resolve("empty.npy"), new byte[0]), false, "too short");
        assertError(Files.write(dir.resolve("magic.npy"), "NOTNUMPY00000000".getBytes(StandardCharsets.ISO_8859_1)), false,
                "magic string");
        assertError(write("v9.npy", 9, "{}", new byte[0]), false, "format version 9");
        assertError(write("fortran.npy", 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", floats(1, 2, 3, 4)),
                false, "Fortran-order");
        assertError(write("i4.npy", 1, "{'descr': '<i4', 'fortran_order': False, 'shape': (1,), }", floats(1)), false,
                "dtype '<i4' is not supported");
        assertError(write("be.npy", 1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", floats(1)), false,
                "not little-endian");
        assertError(write("trunc.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", floats(1, 2)), false,
                "truncated", "needs 12 data bytes", "has 8");
        assertError(write("extra.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", floats(1, 2)), false,
                "4 bytes after");
        assertError(write("keys.npy", 1, "{'descr': '<f4', 'shape': (1,), }", floats(1)), false, "must be exactly");
        assertError(write("dup.npy", 1, "{'descr': '<f4', 'descr': '<f4', 'shape': (1,), }", floats(1)), false,
                "duplicate key");
        assertError(write("neg.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", floats(1)), false,
                "malformed header");
        assertError(write("junk.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), } x", floats(1)), false,
                "unexpected text");
    }

    @Test
    void aLyingHeaderIsRejectedBeforeAllocation() throws IOException {
        // 10^12 elements declared in a 100-byte file: must fail on the size check, not with OutOfMemoryError.
        Path f = write("huge.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }", floats(1));
        assertError(f, false, "declares more elements");
        Path g = write("big.npy", 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000, 1000), }", floats(1));
        assertError(g, false, "truncated");
        // A header length larger than the file.
        ByteBuffer b = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0}).putInt(Integer.MAX_VALUE);
        assertError(Files.write(dir.resolve("hdr.npy"), b.array()), false, "more than the 65536 accepted");
    }

    @Test
    void aFailedWriteLeavesNoFile() throws IOException {
        Path target = dir.resolve("out.npy");
        Files.writeString(target, "previous content");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(target, out -> {
            out.write(new byte[100]);
            throw new IOException("disk full (simulated)");
        }));
        assertTrue(e.getMessage().contains("simulated"));
        assertEquals("previous content", Files.readString(target), "the target is untouched");
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file is left behind");
        }
    }

    private Path write(String name, int major, String dict, byte[] data) throws IOException {
        byte[] text = (dict + "\n").getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int pre = major == 1 ? 10 : 12;
        ByteBuffer b = ByteBuffer.allocate(pre + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        b.put(text).put(data);
        return Files.write(dir.resolve(name), b.array());
    }

    static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : v) {
            b.putFloat(f);
        }
        return b.array();
    }

    static byte[] doubles(double... v) {
        ByteBuffer b = ByteBuffer.allocate(8 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double f : v) {
            b.putDouble(f);
        }
        return b.array();
    }

    private static void assertError(Path f, boolean narrow, String... fragments) {
        TensorFormatException e = assertThrows(TensorFormatException.class, () -> Npy.read(f, narrow));
        assertTrue(e.getMessage().startsWith(f.toString()), "message names the file: " + e.getMessage());
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "'" + e.getMessage() + "' should contain '" + s + "'");
        }
        assertTrue(Arrays.stream(fragments).allMatch(e.getMessage()::contains));
    }
}
