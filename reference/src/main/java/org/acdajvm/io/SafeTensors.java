package org.acdajvm.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.acdajvm.tensor.Tensor;

/**
 * The {@code .safetensors} format (Hugging Face): an 8-byte little-endian header length
 * {@code N}, {@code N} bytes of JSON mapping each tensor name to its {@code dtype},
 * {@code shape} and {@code data_offsets} (relative to the data buffer), then the data buffer.
 *
 * <p>Read: {@code F32}; {@code F64} when narrowing is requested; {@code I64} only for
 * {@code *.num_batches_tracked} entries, which are skipped. Everything declared is checked
 * (offsets in range, sizes matching shapes, no overlaps or holes, no duplicate names) before any
 * tensor is allocated. Write: {@code F32}, header padded to 8 bytes, atomically.
 */
public final class SafeTensors {

    /** Largest JSON header accepted (the Rust reference implementation's limit is 100 MB). */
    public static final long MAX_HEADER_BYTES = 100L << 20;
    private static final String METADATA = "__metadata__";

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    static {
        JSON.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(16).maxNumberLength(40).build());
    }

    private SafeTensors() {
    }

    /** One entry of the header. */
    public record Entry(String name, String dtype, int[] shape, long begin, long end) {
        long elements() {
            long n = 1;
            for (int d : shape) {
                n *= d;
            }
            return n;
        }
    }

    /**
     * Reads every float tensor of the file, in header order.
     *
     * @param narrowF64 accept {@code F64} tensors and round them to float32
     * @throws TensorFormatException naming the file, and the tensor where one is at fault
     */
    public static Map<String, Tensor> read(Path file, boolean narrowF64) throws IOException {
        try (FileChannel ch = RawData.open(file)) {
            List<Entry> entries = readHeader(file, ch);
            long dataStart = 8 + headerLength(file, ch);
            Map<String, Tensor> out = new LinkedHashMap<>();
            for (Entry e : entries) {
                switch (e.dtype()) {
                    case "I64" -> {
                        if (!e.name().endsWith("num_batches_tracked")) {
                            throw new TensorFormatException(file, "tensor '" + e.name()
                                    + "' has dtype I64: only F32 tensors (and F64 with narrowing) are supported");
                        }
                    }
                    case "F64" -> {
                        if (!narrowF64) {
                            throw new TensorFormatException(file, "tensor '" + e.name()
                                    + "' has dtype F64: expected F32, or pass --narrow-f64 to round F64 to float32");
                        }
                        out.put(e.name(), readTensor(file, ch, dataStart, e, true));
                    }
                    case "F32" -> out.put(e.name(), readTensor(file, ch, dataStart, e, false));
                    default -> throw new IllegalStateException("unreachable: dtype checked in readHeader");
                }
            }
            return out;
        }
    }

    /** Reads and validates the header: every entry, checked against the file's length. */
    public static List<Entry> readHeader(Path file) throws IOException {
        try (FileChannel ch = RawData.open(file)) {
            return readHeader(file, ch);
        }
    }

    private static long headerLength(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new TensorFormatException(file, "file is " + size + " bytes, too short for a safetensors header length");
        }
        ByteBuffer b = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        RawData.readFully(file, ch, b, 0);
        long n = b.flip().getLong();
        if (n < 2 || n > MAX_HEADER_BYTES) {
            throw new TensorFormatException(file, "header length " + Long.toUnsignedString(n) + " is outside 2.." + MAX_HEADER_BYTES);
        }
        if (8 + n > size) {
            throw new TensorFormatException(file, "truncated: the header declares " + n + " bytes but the file has only "
                    + (size - 8) + " after the length");
        }
        return n;
    }

    private static List<Entry> readHeader(Path file, FileChannel ch) throws IOException {
        long n = headerLength(file, ch);
        ByteBuffer hb = ByteBuffer.allocate((int) n);
        RawData.readFully(file, ch, hb, 8);
        String text = Utf8.decode(file, hb.array(), "the JSON header");
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new TensorFormatException(file, "header is not valid JSON: " + JsonErrors.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw new TensorFormatException(file, "header must be a JSON object of tensor entries");
        }
        long bufferSize = ch.size() - 8 - n;
        List<Entry> entries = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (f.getKey().equals(METADATA)) {
                JsonNode meta = f.getValue();
                if (!meta.isObject()) {
                    throw new TensorFormatException(file, "'__metadata__' must be an object of strings");
                }
                for (JsonNode v : meta) {
                    if (!v.isTextual()) {
                        throw new TensorFormatException(file, "'__metadata__' must be an object of strings, found " + v);
                    }
                }
                continue;
            }
            entries.add(entry(file, f.getKey(), f.getValue(), bufferSize));
        }
        // Offsets must tile the buffer: sorted by begin, each starts where the previous ended.
        List<Entry> sorted = new ArrayList<>(entries);
        sorted.sort(Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long at = 0;
        for (Entry e : sorted) {
            if (e.begin() < at) {
                throw new TensorFormatException(file, "tensor '" + e.name() + "' data [" + e.begin() + ", " + e.end()
                        + ") overlaps the previous tensor's, which ends at " + at);
            }
            if (e.begin() > at) {
                throw new TensorFormatException(file, "data bytes [" + at + ", " + e.begin()
                        + ") belong to no tensor (a hole before '" + e.name() + "')");
            }
            at = e.end();
        }
        if (at != bufferSize) {
            throw new TensorFormatException(file, "the data buffer has " + bufferSize + " bytes but the tensors cover "
                    + at);
        }
        return entries;
    }

    private static Entry entry(Path file, String name, JsonNode node, long bufferSize) throws TensorFormatException {
        if (!node.isObject()) {
            throw new TensorFormatException(file, "entry '" + name + "' must be an object with dtype, shape and data_offsets");
        }
        JsonNode dtype = node.get("dtype");
        JsonNode shape = node.get("shape");
        JsonNode offsets = node.get("data_offsets");
        if (dtype == null || !dtype.isTextual() || shape == null || !shape.isArray() || offsets == null
                || !offsets.isArray() || node.size() != 3) {
            throw new TensorFormatException(file, "entry '" + name
                    + "' must have exactly a string 'dtype', an array 'shape' and an array 'data_offsets'");
        }
        String dt = dtype.asText();
        int item = switch (dt) {
            case "F32" -> 4;
            case "F64", "I64" -> 8;
            default -> throw new TensorFormatException(file, "tensor '" + name + "' has dtype " + dt
                    + ": only F32 tensors (and F64 with narrowing) are supported");
        };
        if (shape.size() > 32) {
            throw new TensorFormatException(file, "tensor '" + name + "' has more than 32 dimensions");
        }
        int[] dims = new int[shape.size()];
        long count = 1;
        for (int i = 0; i < dims.length; i++) {
            JsonNode d = shape.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0 || d.asLong() > Integer.MAX_VALUE) {
                throw new TensorFormatException(file, "tensor '" + name + "' shape " + shape
                        + " must hold integers in 0.." + Integer.MAX_VALUE);
            }
            dims[i] = (int) d.asLong();
            count *= dims[i];
            if (count > 1L << 40) {
                throw new TensorFormatException(file, "tensor '" + name + "' shape " + shape + " is too large");
            }
        }
        if (offsets.size() != 2 || !offsets.get(0).isIntegralNumber() || !offsets.get(1).isIntegralNumber()
                || !offsets.get(0).canConvertToLong() || !offsets.get(1).canConvertToLong()) {
            throw new TensorFormatException(file, "tensor '" + name + "' data_offsets " + offsets
                    + " must be two integers [begin, end]");
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > bufferSize) {
            throw new TensorFormatException(file, "tensor '" + name + "' data_offsets [" + begin + ", " + end
                    + "] are outside the data buffer of " + bufferSize + " bytes");
        }
        if (end - begin != count * item) {
            throw new TensorFormatException(file, "tensor '" + name + "' shape " + Arrays.toString(dims) + " of " + dt
                    + " needs " + count * item + " bytes but data_offsets give " + (end - begin));
        }
        if (count > Tensor.MAX_ELEMENTS) {
            throw new TensorFormatException(file, "tensor '" + name + "' has " + count
                    + " elements, more than a tensor can hold");
        }
        return new Entry(name, dt, dims, begin, end);
    }

    private static Tensor readTensor(Path file, FileChannel ch, long dataStart, Entry e, boolean f8) throws IOException {
        return Tensor.wrap(RawData.floats(file, ch, dataStart + e.begin(), (int) e.elements(), f8,
                "tensor '" + e.name() + "' "), e.shape());
    }

    /**
     * Writes tensors as {@code F32}, in the map's order, atomically.
     *
     * @param metadata optional string metadata (may be empty)
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject(METADATA);
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals(METADATA)) {
                throw new IllegalArgumentException("a tensor may not be named " + METADATA);
            }
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", "F32");
            ArrayNode shape = entry.putArray("shape");
            for (int d : e.getValue().shape()) {
                shape.add(d);
            }
            long bytes = 4L * e.getValue().size();
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = JSON.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] headerBytes = Arrays.copyOf(json, padded);
        Arrays.fill(headerBytes, json.length, padded, (byte) ' ');
        AtomicFiles.write(file, out -> {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
            out.write(len.array());
            out.write(headerBytes);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            for (Tensor t : tensors.values()) {
                for (float v : t.data()) {
                    if (!buf.hasRemaining()) {
                        out.write(buf.array(), 0, buf.position());
                        buf.clear();
                    }
                    buf.putFloat(v);
                }
            }
            out.write(buf.array(), 0, buf.position());
        });
    }
}
