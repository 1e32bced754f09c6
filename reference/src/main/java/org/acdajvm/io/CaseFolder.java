package org.acdajvm.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

/**
 * A test-vector folder (DESIGN section 11): {@code case.json} with the layer's hyper-parameters
 * and the names of the other files, the weights ({@code weights.safetensors} or a folder of
 * {@code <key>.npy}), the input {@code x.npy}, and optionally the expected output {@code y.npy}.
 *
 * <pre>
 * {
 *   "format": "acda-case", "version": 1, "layer": "acda",
 *   "in_channels": 16, "out_channels": 16, "kernel_size": 7, "stride": 1, "dilation": 1,
 *   "padding": "zeros", "bases_per_scale": 6, "atoms": 6, "generator_kernel_size": 3, "bias": true,
 *   "weights": "weights.safetensors", "input": "x.npy", "expected": "y.npy"
 * }
 * </pre>
 * With gradients, {@code "upstream": "dy.npy"} names the upstream gradient {@code dL/dy} and
 * {@code "gradients": "grads"} a folder holding {@code x.npy} ({@code dL/dx}) and one
 * {@code <state-dict key>.npy} per parameter gradient.
 * Every key is required except {@code expected}, {@code upstream}, {@code gradients} and
 * {@code comment}; an unknown key is an error that names it.
 */
public final class CaseFolder {

    public static final String CASE_FILE = "case.json";
    private static final Set<String> REQUIRED = Set.of("format", "version", "layer", "in_channels", "out_channels",
            "kernel_size", "stride", "dilation", "padding", "bases_per_scale", "atoms", "generator_kernel_size", "bias",
            "weights", "input");
    private static final Set<String> OPTIONAL = Set.of("expected", "upstream", "gradients", "comment");
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /**
     * A parsed {@code case.json}.
     *
     * @param folder   the case folder (file names below are relative to it)
     * @param config   the layer's hyper-parameters
     * @param weights  weights file or folder name
     * @param input    input file name
     * @param expected expected output file name, or {@code null}
     * @param upstream upstream gradient file name, or {@code null}
     * @param gradients expected gradients folder name, or {@code null}
     */
    public record Description(Path folder, AcdaConfig config, String weights, String input, String expected,
                              String upstream, String gradients) {
        public Path weightsPath() {
            return folder.resolve(weights);
        }

        public Path inputPath() {
            return folder.resolve(input);
        }

        public Path expectedPath() {
            return expected == null ? null : folder.resolve(expected);
        }

        public Path upstreamPath() {
            return upstream == null ? null : folder.resolve(upstream);
        }

        public Path gradientsPath() {
            return gradients == null ? null : folder.resolve(gradients);
        }
    }

    private CaseFolder() {
    }

    /** Reads and validates {@code folder/case.json}. */
    public static Description read(Path folder) throws IOException {
        Path file = folder.resolve(CASE_FILE);
        if (!Files.isDirectory(folder)) {
            throw Files.exists(folder) ? new TensorFormatException(folder, "is not a folder: expected a case folder")
                    : new NoSuchFileException(folder.toString(), null, "the case folder does not exist");
        }
        // readAttributes, not isRegularFile: a file we may not read is "permission denied", not "no such file".
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(file, BasicFileAttributes.class);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "a case folder needs a case.json");
        }
        if (!attributes.isRegularFile()) {
            throw new TensorFormatException(file, "is not a regular file: expected the case's JSON description");
        }
        if (Files.size(file) > 1 << 20) {
            throw new TensorFormatException(file, "case.json is larger than 1 MiB");
        }
        JsonNode root;
        try {
            root = JSON.readTree(Utf8.decode(file, Files.readAllBytes(file), "case.json"));
        } catch (JsonProcessingException e) {
            throw new TensorFormatException(file, "not valid JSON: " + JsonErrors.describe(e));
        }
        if (root == null || !root.isObject()) {
            throw new TensorFormatException(file, "must be a JSON object");
        }
        List<String> unknown = new ArrayList<>();
        root.fieldNames().forEachRemaining(k -> {
            if (!REQUIRED.contains(k) && !OPTIONAL.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            throw new TensorFormatException(file, "unknown key(s) " + unknown + "; the keys are " + REQUIRED
                    + " and optionally " + OPTIONAL);
        }
        for (String k : REQUIRED) {
            if (!root.has(k)) {
                throw new TensorFormatException(file, "missing key '" + k + "'");
            }
        }
        JsonNode version = root.get("version");
        // Exactly the integer 1: asInt() would also take 1.7 and "1", and a later version 1.5 must not pass as 1.
        if (!"acda-case".equals(root.get("format").asText()) || !version.isIntegralNumber() || !version.canConvertToInt()
                || version.asInt() != 1) {
            throw new TensorFormatException(file, "'format' must be \"acda-case\" and 'version' the integer 1, found "
                    + root.get("format") + " and " + version);
        }
        if (!"acda".equals(root.get("layer").asText())) {
            throw new TensorFormatException(file, "'layer' = " + root.get("layer") + " is not supported: expected \"acda\"");
        }
        AcdaConfig config;
        try {
            config = new AcdaConfig(integer(file, root, "in_channels"), integer(file, root, "out_channels"),
                    integer(file, root, "kernel_size"), integer(file, root, "stride"), integer(file, root, "dilation"),
                    PaddingMode.parse(text(file, root, "padding"), "padding"), integer(file, root, "bases_per_scale"),
                    integer(file, root, "atoms"), integer(file, root, "generator_kernel_size"), bool(file, root, "bias"));
        } catch (IllegalArgumentException e) {
            throw new TensorFormatException(file, e.getMessage());
        }
        String expected = root.has("expected") ? fileName(file, root, "expected") : null;
        String upstream = root.has("upstream") ? fileName(file, root, "upstream") : null;
        String gradients = root.has("gradients") ? fileName(file, root, "gradients") : null;
        if ((upstream == null) != (gradients == null)) {
            throw new TensorFormatException(file, "'upstream' and 'gradients' go together: give both or neither");
        }
        return new Description(folder, config, fileName(file, root, "weights"), fileName(file, root, "input"), expected,
                upstream, gradients);
    }

    /** The {@code case.json} content for a config and file names, as a JSON object. */
    public static String toJson(AcdaConfig c, String weights, String input, String expected) {
        return toJson(c, weights, input, expected, null, null);
    }

    /** As {@link #toJson(AcdaConfig, String, String, String)}, with the gradient files (both or neither). */
    public static String toJson(AcdaConfig c, String weights, String input, String expected, String upstream,
                                String gradients) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "acda-case");
        n.put("version", 1);
        n.put("layer", "acda");
        n.put("in_channels", c.inChannels());
        n.put("out_channels", c.outChannels());
        n.put("kernel_size", c.kernelSize());
        n.put("stride", c.stride());
        n.put("dilation", c.dilation());
        n.put("padding", c.padding().id());
        n.put("bases_per_scale", c.basesPerScale());
        n.put("atoms", c.atoms());
        n.put("generator_kernel_size", c.generatorKernel());
        n.put("bias", c.bias());
        n.put("weights", weights);
        n.put("input", input);
        if (expected != null) {
            n.put("expected", expected);
        }
        if (upstream != null) {
            n.put("upstream", upstream);
            n.put("gradients", gradients);
        }
        try {
            return JSON.writeValueAsString(n) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Loads the layer a case describes: its weights, checked against its hyper-parameters. */
    public static AcdaLayer loadLayer(Description d, boolean narrowF64) throws IOException {
        Map<String, Tensor> sd = new LinkedHashMap<>(Weights.read(d.weightsPath(), narrowF64));
        try {
            return new AcdaLayer(d.config(), sd);
        } catch (IllegalArgumentException e) {
            throw new TensorFormatException(d.weightsPath(), e.getMessage());
        }
    }

    private static int integer(Path file, JsonNode root, String key) throws TensorFormatException {
        JsonNode v = root.get(key);
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw new TensorFormatException(file, "'" + key + "' must be an integer, found " + v);
        }
        return v.asInt();
    }

    private static boolean bool(Path file, JsonNode root, String key) throws TensorFormatException {
        JsonNode v = root.get(key);
        if (!v.isBoolean()) {
            throw new TensorFormatException(file, "'" + key + "' must be true or false, found " + v);
        }
        return v.asBoolean();
    }

    private static String text(Path file, JsonNode root, String key) throws TensorFormatException {
        JsonNode v = root.get(key);
        if (!v.isTextual()) {
            throw new TensorFormatException(file, "'" + key + "' must be a string, found " + v);
        }
        return v.asText();
    }

    private static String fileName(Path file, JsonNode root, String key) throws TensorFormatException {
        return checkName(file, key, text(file, root, key));
    }

    /** File names in a case stay inside the case folder. */
    private static String checkName(Path file, String key, String name) throws TensorFormatException {
        Path p = Path.of(name);
        if (name.isBlank() || p.isAbsolute() || p.normalize().startsWith("..")) {
            throw new TensorFormatException(file, "'" + key + "' = \"" + name + "\" must name a file inside the case folder");
        }
        return name;
    }
}
