package org.acdajvm.contract;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.io.SafeTensors;
import org.acdajvm.io.TensorFormatException;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.tensor.Tensor;

/**
 * Fuzzing of the three readers that take other people's files: {@code .npy}, {@code .safetensors}
 * and {@code case.json}. A mutated file (truncated, bytes overwritten, header text edited, sizes
 * lied about, NaN payloads) must either read as a well-formed result or fail with the documented
 * {@link TensorFormatException} naming the file: never another exception, never a hang, never an
 * allocation beyond what the file holds (the readers check every declared size against the file
 * length first; a 10^12-element header is one of the mutations).
 */
class ReaderFuzzProperties {

    private static Path dir;
    private static int files;

    @BeforeContainer
    static void createFolder() throws IOException {
        dir = Files.createTempDirectory("acda-fuzz");
    }

    @AfterContainer
    static void deleteFolder() throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** One mutation: overwrite {@code count} bytes at {@code at} with {@code value}, then keep {@code keep} bytes. */
    record Mutation(double at, int count, byte value, double keep) {
        byte[] apply(byte[] in) {
            byte[] b = in.clone();
            int start = (int) (at * b.length);
            for (int i = start; i < Math.min(b.length, start + count); i++) {
                b[i] = value;
            }
            return Arrays.copyOf(b, Math.max(0, Math.min(b.length, (int) Math.round(keep * b.length))));
        }
    }

    @Provide
    Arbitrary<Mutation> mutations() {
        return Combinators.combine(Arbitraries.doubles().between(0, 1), Arbitraries.integers().between(0, 6),
                Arbitraries.bytes(), Arbitraries.oneOf(Arbitraries.just(1.0), Arbitraries.doubles().between(0, 1)))
                .as(Mutation::new);
    }

    /** Header text edits that lie: sizes, dtypes, orders, garbage. */
    @Provide
    Arbitrary<String> npyHeaders() {
        return Arbitraries.of(
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999, 1), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }",
                "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }",
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }",
                "{'descr': '>f4', 'fortran_order': False, 'shape': (2, 3), }",
                "{'descr': '<i2', 'fortran_order': False, 'shape': (12,), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (-6,), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (6), }",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'extra': 1}",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3) ",
                "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }, {}",
                "",
                "not a dict at all");
    }

    @Property(tries = 1000)
    void npyReaderEndsInDataOrTheDocumentedError(@ForAll("mutations") Mutation m, @ForAll("npyHeaders") String header,
                                                 @ForAll boolean useHeader) throws IOException {
        byte[] valid = npyBytes(useHeader ? header : "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }",
                new float[] {1, Float.NaN, Float.POSITIVE_INFINITY, -0f, 5, 6});
        Path f = write(m.apply(valid));
        try {
            Tensor t = Npy.read(f, false);
            assertEquals(Tensor.elementCount(t.shape()), t.size());
            assertTrue(Files.size(f) >= 4L * t.size(), "read more elements than the file holds");
        } catch (TensorFormatException e) {
            assertTrue(e.getMessage().startsWith(f.toString()), "the error names the file: " + e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> safetensorsHeaders() {
        return Arbitraries.of(
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,4000000000000]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,9223372036854775807]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[24,0]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[-4,20]}}",
                "{\"a\":{\"dtype\":\"BF16\",\"shape\":[12],\"data_offsets\":[0,24]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},\"b\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[8,20]}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]},\"__metadata__\":{\"k\":1}}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":\"big\",\"data_offsets\":[0,24]}}",
                "{\"a\":[1,2,3]}",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}",
                "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
                "");
    }

    @Property(tries = 1000)
    void safetensorsReaderEndsInDataOrTheDocumentedError(@ForAll("mutations") Mutation m,
                                                         @ForAll("safetensorsHeaders") String header,
                                                         @ForAll boolean useHeader, @ForAll long declaredLength)
            throws IOException {
        String json = useHeader ? header : "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + 24).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(declaredLength % 7 == 0 ? declaredLength : h.length).put(h);
        for (float v : new float[] {1, 2, Float.NaN, 4, 5, Float.NEGATIVE_INFINITY}) {
            b.putFloat(v);
        }
        Path f = write(m.apply(b.array()));
        try {
            Map<String, Tensor> r = SafeTensors.read(f, false);
            for (Tensor t : r.values()) {
                assertTrue(Files.size(f) >= 4L * t.size(), "read more elements than the file holds");
            }
        } catch (TensorFormatException e) {
            assertTrue(e.getMessage().startsWith(f.toString()), "the error names the file: " + e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> caseEdits() {
        return Arbitraries.of("\"stride\" : 1", "\"padding\" : \"zeros\"", "\"bias\" : true", "\"weights\" : \"w\"",
                "\"format\" : \"acda-case\"", "\"kernel_size\" : 5", "{", "}", ",");
    }

    @Provide
    Arbitrary<String> caseReplacements() {
        return Arbitraries.of("\"stride\" : -1", "\"stride\" : 1.5", "\"stride\" : \"1\"", "\"padding\" : \"reflect\"",
                "\"bias\" : 1", "\"weights\" : \"../../etc/passwd\"", "\"weights\" : \"/abs\"", "\"format\" : \"other\"",
                "\"kernel_size\" : 4", "\"kernel_size\" : 99999999999", "\"unknown\" : 1", "", "{{", "]", ", \"atoms\" : 0");
    }

    @Property(tries = 1000)
    void caseReaderEndsInADescriptionOrTheDocumentedError(@ForAll("caseEdits") String target,
                                                          @ForAll("caseReplacements") String replacement,
                                                          @ForAll("mutations") Mutation m) throws IOException {
        String json = CaseFolder.toJson(AcdaConfig.builder(2, 3, 5).build(), "w", "x.npy", "y.npy");
        String edited = json.replace(target, replacement);
        byte[] bytes = m.count() % 3 == 0 ? m.apply(edited.getBytes(StandardCharsets.UTF_8))
                : edited.getBytes(StandardCharsets.UTF_8);
        Path folder = Files.createDirectory(dir.resolve("case" + files++));
        Files.write(folder.resolve("case.json"), bytes);
        try {
            CaseFolder.Description d = CaseFolder.read(folder);
            assertTrue(d.weightsPath().normalize().startsWith(folder), "file names stay inside the case folder");
        } catch (TensorFormatException e) {
            assertTrue(e.getMessage().contains("case.json"), "the error names the file: " + e.getMessage());
        }
    }

    @Property(tries = 20)
    void nanAndInfinityPayloadsReadAsTheyAre(@ForAll("payloads") float[] values) throws IOException {
        Path f = dir.resolve("payload" + files++ + ".npy");
        Npy.write(f, Tensor.wrap(values.clone(), values.length));
        float[] back = Npy.read(f, false).data();
        for (int i = 0; i < values.length; i++) {
            assertEquals(Float.floatToRawIntBits(values[i]), Float.floatToRawIntBits(back[i]), "element " + i);
        }
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("t", Tensor.wrap(values.clone(), values.length));
        Path s = dir.resolve("payload" + files++ + ".safetensors");
        SafeTensors.write(s, m, Map.of());
        assertArrayEquals(values, SafeTensors.read(s, false).get("t").data());
    }

    @Provide
    Arbitrary<float[]> payloads() {
        return Arbitraries.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, -0f, Float.MIN_VALUE,
                Float.MAX_VALUE, 1f).array(float[].class).ofMinSize(1).ofMaxSize(20);
    }

    private static byte[] npyBytes(String dict, float[] data) {
        byte[] text = (dict + "\n").getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(10 + text.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}).putShort((short) text.length).put(text);
        for (float v : data) {
            b.putFloat(v);
        }
        return b.array();
    }

    private static Path write(byte[] bytes) {
        try {
            return Files.write(dir.resolve("f" + files++), bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
