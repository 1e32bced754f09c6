package org.acdajvm.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
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
import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.Layers;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layer.Settings;
import org.acdajvm.tensor.Tensor;

/**
 * A test-vector folder (DESIGN section 11): {@code case.json} with the layer's hyper-parameters
 * and the names of the other files, the weights ({@code weights.safetensors} or a folder of
 * {@code <key>.npy}), the inputs ({@code x.npy}, and e.g. {@code guidance.npy}), and optionally the
 * expected output {@code y.npy}.
 *
 * <p>Version 1 is ACDA's, with the settings at the top level:
 * <pre>
 * {
 *   "format": "acda-case", "version": 1, "layer": "acda",
 *   "in_channels": 16, "out_channels": 16, "kernel_size": 7, "stride": 1, "dilation": 1,
 *   "padding": "zeros", "bases_per_scale": 6, "atoms": 6, "generator_kernel_size": 3, "bias": true,
 *   "weights": "weights.safetensors", "input": "x.npy", "expected": "y.npy"
 * }
 * </pre>
 * Every key is required except {@code expected}, {@code upstream}, {@code gradients} and
 * {@code comment}.
 *
 * <p>Version 2 serves every layer of {@link Layers}: the layer's settings (its
 * {@link LayerKind#settings()}, every one written out, as JSON numbers, booleans or strings as the
 * setting's default is) under {@code "settings"}, and its named inputs under {@code "inputs"}:
 * <pre>
 * {
 *   "format": "acda-case", "version": 2, "layer": "pac-conv",
 *   "settings": {"in_channels": 4, "out_channels": 4, "kernel_size": 3, ...},
 *   "weights": "weights.safetensors", "inputs": {"x": "x.npy", "guidance": "guidance.npy"},
 *   "expected": "y.npy", "upstream": "dy.npy", "gradients": "grads"
 * }
 * </pre>
 * {@code format}, {@code version}, {@code layer}, {@code settings} and {@code inputs} (with
 * {@code "x"}) are required; {@code weights} may be left out for a layer without parameters.
 *
 * <p>In both, {@code "upstream": "dy.npy"} names the upstream gradient {@code dL/dy} and
 * {@code "gradients": "grads"} a folder holding {@code <input>.npy} per input that takes a gradient
 * ({@code x.npy} is {@code dL/dx}) and one {@code <state-dict key>.npy} per parameter gradient.
 * An unknown key, a value of the wrong type and a file name outside the folder are errors that name
 * the file and the key.
 */
public final class CaseFolder {

    public static final String CASE_FILE = "case.json";
    private static final Set<String> REQUIRED = Set.of("format", "version", "layer", "in_channels", "out_channels",
            "kernel_size", "stride", "dilation", "padding", "bases_per_scale", "atoms", "generator_kernel_size", "bias",
            "weights", "input");
    private static final Set<String> OPTIONAL = Set.of("expected", "upstream", "gradients", "comment");
    private static final Set<String> REQUIRED_V2 = Set.of("format", "version", "layer", "settings", "inputs");
    private static final Set<String> OPTIONAL_V2 = Set.of("weights", "expected", "upstream", "gradients", "comment");
    /** Where version 2's settings come from, in messages: {@code case.json: settings: 'kernel_size' = ...}. */
    static final String SETTINGS_SOURCE = "settings";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    /**
     * A parsed ACDA {@code case.json} (version 1, or version 2 of layer {@code acda}).
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

    /**
     * A parsed {@code case.json} of any layer and either version.
     *
     * @param folder    the case folder (file names below are relative to it)
     * @param version   1 or 2
     * @param kind      the layer kind
     * @param settings  every setting of the layer, as {@link Settings} whose messages start with {@code settings}
     * @param weights   weights file or folder name, or {@code null} for a layer without parameters
     * @param inputs    input name to file name, {@code "x"} first
     * @param expected  expected output file name, or {@code null}
     * @param upstream  upstream gradient file name, or {@code null}
     * @param gradients expected gradients folder name, or {@code null}
     */
    public record Case(Path folder, int version, LayerKind<?> kind, Settings settings, String weights,
                       Map<String, String> inputs, String expected, String upstream, String gradients) {
        public Case {
            inputs = Collections.unmodifiableMap(new LinkedHashMap<>(inputs));
        }

        /** The weights' path, or {@code null} for a layer without parameters. */
        public Path weightsPath() {
            return weights == null ? null : folder.resolve(weights);
        }

        public Path inputPath(String name) {
            String f = inputs.get(name);
            return f == null ? null : folder.resolve(f);
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

        /** The {@code case.json} file, for messages. */
        public Path file() {
            return folder.resolve(CASE_FILE);
        }

        /**
         * The layer: its weights (none when the case names none), checked against its settings by
         * {@link LayerKind#load}. A wrong setting is reported against {@code case.json}, anything else
         * against the weights.
         */
        public Layer loadLayer(boolean narrowF64) throws IOException {
            Map<String, Tensor> sd = weights == null ? Map.of() : new LinkedHashMap<>(Weights.read(weightsPath(), narrowF64));
            try {
                return kind.load(settings, sd);
            } catch (IllegalArgumentException e) {
                String m = String.valueOf(e.getMessage());
                throw m.startsWith(SETTINGS_SOURCE + ":") || weights == null ? new TensorFormatException(file(), m)
                        : new TensorFormatException(weightsPath(), m);
            }
        }

        /** Reads every input the case names, in its order ({@code "x"} first). */
        public Inputs readInputs(boolean narrowF64) throws IOException {
            Inputs.Builder b = Inputs.builder();
            for (Map.Entry<String, String> e : inputs.entrySet()) {
                b.put(e.getKey(), Npy.read(folder.resolve(e.getValue()), narrowF64));
            }
            return b.build();
        }
    }

    private CaseFolder() {
    }

    /**
     * Reads and validates {@code folder/case.json} of an ACDA case (version 1, or version 2 of layer
     * {@code acda}).
     *
     * @throws TensorFormatException naming the file, for a case of another layer too
     */
    public static Description read(Path folder) throws IOException {
        Case c = readCase(folder);
        if (c.kind() != AcdaKind.INSTANCE) {
            throw new TensorFormatException(c.file(), "'layer' = \"" + c.kind().name() + "\": this reader takes "
                    + "acda cases only");
        }
        if (c.weights() == null) {
            throw new TensorFormatException(c.file(), "missing key 'weights'");
        }
        AcdaConfig config;
        try {
            config = AcdaKind.INSTANCE.config(c.settings());
        } catch (IllegalArgumentException e) {
            throw new TensorFormatException(c.file(), e.getMessage());
        }
        return new Description(folder, config, c.weights(), c.inputs().get(Inputs.X), c.expected(), c.upstream(),
                c.gradients());
    }

    /** Reads and validates {@code folder/case.json}, version 1 or 2, of any layer. */
    public static Case readCase(Path folder) throws IOException {
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
        // The layout decides the version: version 2 keeps the settings under "settings", version 1 at the top level.
        return root.has("settings") ? readV2(folder, file, root) : readV1(folder, file, root);
    }

    private static Case readV1(Path folder, Path file, JsonNode root) throws TensorFormatException {
        checkKeys(file, root, REQUIRED, OPTIONAL);
        JsonNode version = root.get("version");
        // Exactly the integer 1: asInt() would also take 1.7 and "1", and a later version 1.5 must not pass as 1.
        if (!"acda-case".equals(root.get("format").asText()) || !version.isIntegralNumber() || !version.canConvertToInt()
                || version.asInt() != 1) {
            throw new TensorFormatException(file, "'format' must be \"acda-case\" and 'version' the integer 1, found "
                    + root.get("format") + " and " + version + " (the settings are at the top level, as in version 1; "
                    + "version 2 puts them under \"settings\")");
        }
        if (!"acda".equals(root.get("layer").asText())) {
            throw new TensorFormatException(file, "'layer' = " + root.get("layer") + " is not supported in version 1: "
                    + "expected \"acda\" (other layers' cases are version 2, with \"settings\" and \"inputs\")");
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
        Settings settings = Settings.of(acdaSettings(config).asMap(), SETTINGS_SOURCE);
        return new Case(folder, 1, AcdaKind.INSTANCE, settings, fileName(file, root, "weights"),
                Map.of(Inputs.X, fileName(file, root, "input")), expected, upstream, gradients);
    }

    private static Case readV2(Path folder, Path file, JsonNode root) throws TensorFormatException {
        checkKeys(file, root, REQUIRED_V2, OPTIONAL_V2);
        JsonNode version = root.get("version");
        if (!"acda-case".equals(root.get("format").asText()) || !version.isIntegralNumber() || !version.canConvertToInt()
                || version.asInt() != 2) {
            throw new TensorFormatException(file, "'format' must be \"acda-case\" and 'version' the integer 2, found "
                    + root.get("format") + " and " + version + " (a case with \"settings\" is version 2)");
        }
        String layerName = text(file, root, "layer");
        LayerKind<?> kind;
        try {
            kind = Layers.get(layerName);
        } catch (IllegalArgumentException e) {
            throw new TensorFormatException(file, "'layer' = \"" + layerName + "\" is unknown: expected one of "
                    + Layers.names());
        }
        JsonNode s = root.get("settings");
        if (!s.isObject()) {
            throw new TensorFormatException(file, "'settings' must be a JSON object of the layer's settings, found " + s);
        }
        List<String> keys = new ArrayList<>();
        kind.settings().forEach(k -> keys.add(k.key()));
        List<String> unknown = new ArrayList<>();
        s.fieldNames().forEachRemaining(k -> {
            if (!keys.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            throw new TensorFormatException(file, "'settings' has unknown key(s) " + unknown + ": layer " + kind.name()
                    + " takes " + keys);
        }
        Map<String, String> values = new LinkedHashMap<>();
        for (Settings.Setting k : kind.settings()) {
            JsonNode v = s.get(k.key());
            if (v == null) {
                throw new TensorFormatException(file, "'settings' lacks '" + k.key() + "' (" + k.help() + "): a case "
                        + "writes every setting of layer " + kind.name() + ", defaults included");
            }
            values.put(k.key(), settingText(file, k, v));
        }
        JsonNode in = root.get("inputs");
        if (!in.isObject()) {
            throw new TensorFormatException(file, "'inputs' must be a JSON object of input name to file name, e.g. "
                    + "{\"x\": \"x.npy\"}, found " + in);
        }
        List<String> names = new ArrayList<>();
        kind.inputs().forEach(i -> names.add(i.name()));
        Map<String, String> inputs = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = in.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!names.contains(e.getKey())) {
                throw new TensorFormatException(file, "'inputs' names '" + e.getKey() + "', which is not an input of "
                        + "layer " + kind.name() + ": expected " + names);
            }
            if (!e.getValue().isTextual()) {
                throw new TensorFormatException(file, "'inputs." + e.getKey() + "' must be a file name, found "
                        + e.getValue());
            }
            inputs.put(e.getKey(), checkName(file, "inputs." + e.getKey(), e.getValue().asText()));
        }
        if (!inputs.containsKey(Inputs.X)) {
            throw new TensorFormatException(file, "'inputs' lacks \"x\", the main input [N, C, H, W]");
        }
        Map<String, String> ordered = new LinkedHashMap<>();
        ordered.put(Inputs.X, inputs.get(Inputs.X));
        ordered.putAll(inputs);
        String weights = root.has("weights") ? fileName(file, root, "weights") : null;
        String expected = root.has("expected") ? fileName(file, root, "expected") : null;
        String upstream = root.has("upstream") ? fileName(file, root, "upstream") : null;
        String gradients = root.has("gradients") ? fileName(file, root, "gradients") : null;
        if ((upstream == null) != (gradients == null)) {
            throw new TensorFormatException(file, "'upstream' and 'gradients' go together: give both or neither");
        }
        return new Case(folder, 2, kind, Settings.of(values, SETTINGS_SOURCE), weights, ordered, expected, upstream,
                gradients);
    }

    private static void checkKeys(Path file, JsonNode root, Set<String> required, Set<String> optional)
            throws TensorFormatException {
        List<String> unknown = new ArrayList<>();
        root.fieldNames().forEachRemaining(k -> {
            if (!required.contains(k) && !optional.contains(k)) {
                unknown.add(k);
            }
        });
        if (!unknown.isEmpty()) {
            throw new TensorFormatException(file, "unknown key(s) " + unknown + "; the keys are " + required
                    + " and optionally " + optional);
        }
        for (String k : required) {
            if (!root.has(k)) {
                throw new TensorFormatException(file, "missing key '" + k + "'");
            }
        }
    }

    /** The JSON type a setting is written as: that of its default (a required setting takes any scalar). */
    private enum JsonType {
        NUMBER, BOOLEAN, STRING, ANY;

        static JsonType of(Settings.Setting s) {
            String d = s.defaultValue();
            if (d == null) {
                return ANY;
            }
            if (d.equals("true") || d.equals("false")) {
                return BOOLEAN;
            }
            return number(d) ? NUMBER : STRING;
        }

        /** A JSON number's spelling (as {@link Settings} and {@link Double#toString} write them). */
        static boolean number(String v) {
            return JSON_NUMBER.matcher(v).matches();
        }
    }

    private static final java.util.regex.Pattern JSON_NUMBER =
            java.util.regex.Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** A setting's JSON value as text for {@link Settings}; its JSON type must be its default's. */
    private static String settingText(Path file, Settings.Setting k, JsonNode v) throws TensorFormatException {
        JsonType t = JsonType.of(k);
        boolean ok = switch (t) {
            case NUMBER -> v.isNumber();
            case BOOLEAN -> v.isBoolean();
            case STRING -> v.isTextual();
            case ANY -> v.isNumber() || v.isBoolean() || v.isTextual();
        };
        if (!ok) {
            String expected = switch (t) {
                case NUMBER -> "a number";
                case BOOLEAN -> "true or false";
                case STRING -> "a string";
                case ANY -> "a number, true, false or a string";
            };
            throw new TensorFormatException(file, "'settings." + k.key() + "' must be " + expected + " (" + k.help()
                    + "), found " + v);
        }
        return v.asText();
    }

    /** ACDA's settings for {@code c}, in the kind's key names (those of version 1). */
    private static Settings acdaSettings(AcdaConfig c) {
        return Settings.empty().with("in_channels", c.inChannels()).with("out_channels", c.outChannels())
                .with("kernel_size", c.kernelSize()).with("stride", c.stride()).with("dilation", c.dilation())
                .with("padding", c.padding().id()).with("bases_per_scale", c.basesPerScale()).with("atoms", c.atoms())
                .with("generator_kernel_size", c.generatorKernel()).with("bias", c.bias());
    }

    /**
     * The version-2 {@code case.json} content for a layer: its settings (every one, defaults filled in;
     * numbers, booleans and strings as each setting's default is) and the file names.
     *
     * @param weights   weights file or folder name, or {@code null} for a layer without parameters
     * @param inputs    input name to file name, {@code "x"} among them
     * @param expected  expected output file name, or {@code null}
     * @param upstream  upstream gradient file name, or {@code null} (with {@code gradients})
     * @param gradients gradients folder name, or {@code null} (with {@code upstream})
     */
    public static String toJson(LayerKind<?> kind, Settings settings, String weights, Map<String, String> inputs,
                                String expected, String upstream, String gradients) {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", "acda-case");
        n.put("version", 2);
        n.put("layer", kind.name());
        ObjectNode s = n.putObject("settings");
        for (Settings.Setting k : kind.settings()) {
            String v = settings.text(k.key(), kind.settings());
            JsonType t = JsonType.of(k);
            if ((t == JsonType.BOOLEAN || t == JsonType.ANY) && (v.equals("true") || v.equals("false"))) {
                s.put(k.key(), Boolean.parseBoolean(v));
            } else if ((t == JsonType.NUMBER || t == JsonType.ANY) && JsonType.number(v)) {
                try {
                    s.put(k.key(), Long.parseLong(v));
                } catch (NumberFormatException e) {
                    s.put(k.key(), Double.parseDouble(v));
                }
            } else {
                s.put(k.key(), v);
            }
        }
        if (weights != null) {
            n.put("weights", weights);
        }
        ObjectNode in = n.putObject("inputs");
        inputs.forEach(in::put);
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

    /** The version-1 {@code case.json} content for a config and file names, as a JSON object. */
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
