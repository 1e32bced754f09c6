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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeTensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTrip() throws IOException {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("a.weight", Tensor.wrap(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        m.put("b", Tensor.wrap(new float[] {-1}, 1));
        m.put("empty", Tensor.zeros(0, 4));
        Path f = dir.resolve("w.safetensors");
        SafeTensors.write(f, m, Map.of("format", "pt"));
        Map<String, Tensor> back = SafeTensors.read(f, false);
        assertEquals(List.of("a.weight", "b", "empty"), List.copyOf(back.keySet()));
        assertEquals(m.get("a.weight"), back.get("a.weight"));
        assertEquals(m.get("b"), back.get("b"));
        assertArrayEquals(new int[] {0, 4}, back.get("empty").shape());
        long headerLen = ByteBuffer.wrap(Files.readAllBytes(f), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLen % 8, "header padded to 8 bytes");
    }

    @Test
    void float64NarrowsOnRequestAndNumBatchesTrackedIsSkipped() throws IOException {
        Path f = file("{\"x\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"bn.num_batches_tracked\":{\"dtype\":\"I64\",\"shape\":[],\"data_offsets\":[16,24]}}",
                cat(NpyTest.doubles(0.5, 1e-3), new byte[8]));
        assertArrayEquals(new float[] {0.5f, 1e-3f}, SafeTensors.read(f, true).get("x").data());
        assertEquals(List.of("x"), List.copyOf(SafeTensors.read(f, true).keySet()));
        assertError(f, "dtype F64", "narrow");
        Path i64 = file("{\"x\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]}}", new byte[8]);
        assertError(i64, "tensor 'x' has dtype I64");
    }

    @Test
    void malformedHeadersAreNamedErrors() throws IOException {
        assertError(Files.write(dir.resolve("short"), new byte[3]), "too short");
        assertError(file("not json", new byte[0]), "not valid JSON");
        assertError(file("[1,2]", new byte[0]), "JSON object");
        assertError(file("{\"x\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}", new byte[2]), "dtype F16");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4]}}", new byte[4]),
                "needs 8 bytes but data_offsets give 4");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[2]),
                "outside the data buffer");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"y\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[2,6]}}", new byte[6]), "overlaps");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]), "hole");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]), "not valid JSON");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", new byte[4]), "shape");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]), "must have exactly");
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[12]),
                "the tensors cover 4");
    }

    @Test
    void lyingSizesAreRejectedBeforeAllocation() throws IOException {
        // 10^12 elements declared: rejected by the size checks, long before any array is made.
        assertError(file("{\"x\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4000000000000]}}",
                new byte[4]), "outside the data buffer");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(Long.MAX_VALUE);
        assertError(Files.write(dir.resolve("len"), b.array()), "header length");
        ByteBuffer c = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000);
        assertError(Files.write(dir.resolve("len2"), c.array()), "truncated");
    }

    private Path file(String json, byte[] data) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h).put(data);
        return Files.write(Files.createTempFile(dir, "st", ".safetensors"), b.array());
    }

    private static byte[] cat(byte[] a, byte[] b) {
        byte[] r = new byte[a.length + b.length];
        System.arraycopy(a, 0, r, 0, a.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    private static void assertError(Path f, String... fragments) {
        TensorFormatException e = assertThrows(TensorFormatException.class, () -> SafeTensors.read(f, false));
        for (String s : fragments) {
            assertTrue(e.getMessage().contains(s), "'" + e.getMessage() + "' should contain '" + s + "'");
        }
    }
}
