package org.acdajvm.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeSet;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The values {@code acda fuzz} may draw for each {@link FuzzParam}, and the smaller values the
 * shrinker may try. A {@code --space} file narrows or widens the defaults, one key per parameter:
 * <pre>
 * {"kernel_size": [3], "padding": ["zeros"], "in_channels": {"min": 1, "max": 64}, "bias": false}
 * </pre>
 * An integer parameter takes a list of values, one value, or {@code {"min": a, "max": b}} (every
 * value the layer allows between); a choice takes a list of names (or one), {@code bias} true/false.
 * A key not given keeps its default. Unknown keys and values the layer does not support are errors
 * that name them.
 */
final class FuzzSpace {

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
    /** Integer ranges wider than this are refused (the space is held as a list of values). */
    private static final int MAX_VALUES = 1 << 16;

    private final Map<FuzzParam, int[]> allowed;

    private FuzzSpace(Map<FuzzParam, int[]> allowed) {
        this.allowed = allowed;
    }

    /** The default space: every value of {@link FuzzParam}'s default ranges that the layer allows. */
    static FuzzSpace defaults() {
        Map<FuzzParam, int[]> m = new EnumMap<>(FuzzParam.class);
        for (FuzzParam p : FuzzParam.values()) {
            m.put(p, range(p, p.defaultMin, p.defaultMax));
        }
        return new FuzzSpace(m);
    }

    /** The defaults with the keys of a {@code --space} file replaced. */
    static FuzzSpace parse(Path file) throws IOException {
        String text = Files.readString(file);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("--space " + file + ": not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("--space " + file + ": must be a JSON object, e.g. {\"kernel_size\": [3]}");
        }
        return defaults().with((ObjectNode) root, "--space " + file);
    }

    /** This space with the parameters named in {@code root} replaced. */
    FuzzSpace with(ObjectNode root, String where) {
        Map<FuzzParam, int[]> m = new EnumMap<>(allowed);
        Iterator<Map.Entry<String, JsonNode>> it = root.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            FuzzParam p = FuzzParam.byKey(e.getKey());
            if (p == null) {
                List<String> keys = Arrays.stream(FuzzParam.values()).map(q -> q.key).toList();
                throw new IllegalArgumentException(where + ": unknown key '" + e.getKey() + "'; the keys are " + keys);
            }
            m.put(p, values(p, e.getValue(), where + ": '" + p.key + "'"));
        }
        return new FuzzSpace(m);
    }

    private static int[] values(FuzzParam p, JsonNode v, String where) {
        if (v.isObject() && !p.isChoice()) {
            JsonNode lo = v.get("min");
            JsonNode hi = v.get("max");
            if (lo == null || hi == null || v.size() != 2 || !lo.canConvertToInt() || !hi.canConvertToInt()
                    || !lo.isIntegralNumber() || !hi.isIntegralNumber()) {
                throw new IllegalArgumentException(where + " must be {\"min\": a, \"max\": b} with integers, found " + v);
            }
            if (lo.asInt() > hi.asInt() || (long) hi.asInt() - lo.asInt() >= MAX_VALUES) {
                throw new IllegalArgumentException(where + ": min " + lo.asInt() + " must be <= max " + hi.asInt()
                        + " and the range at most " + MAX_VALUES + " values wide");
            }
            int[] r = range(p, lo.asInt(), hi.asInt());
            if (r.length == 0) {
                throw new IllegalArgumentException(where + ": no value in " + v + " is supported by the layer");
            }
            return r;
        }
        List<JsonNode> items = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(items::add);
        } else {
            items.add(v);
        }
        if (items.isEmpty()) {
            throw new IllegalArgumentException(where + " must allow at least one value");
        }
        TreeSet<Integer> codes = new TreeSet<>();
        for (JsonNode item : items) {
            codes.add(code(p, item, where));
        }
        return codes.stream().mapToInt(Integer::intValue).toArray();
    }

    private static int code(FuzzParam p, JsonNode item, String where) {
        if (p == FuzzParam.BIAS) {
            if (!item.isBoolean()) {
                throw new IllegalArgumentException(where + " takes true or false, found " + item);
            }
            return item.asBoolean() ? 1 : 0;
        }
        if (p.isChoice()) {
            int c = item.isTextual() ? p.code(item.asText()) : -1;
            if (c < 0) {
                throw new IllegalArgumentException(where + ": " + item + " is not one of " + p.choices);
            }
            return c;
        }
        if (!item.isIntegralNumber() || !item.canConvertToInt() || !p.allows(item.asInt())) {
            throw new IllegalArgumentException(where + ": " + item + " is not a value the layer supports"
                    + (p == FuzzParam.KERNEL_SIZE || p == FuzzParam.GENERATOR_KERNEL ? " (odd sizes only)" : ""));
        }
        return item.asInt();
    }

    private static int[] range(FuzzParam p, int lo, int hi) {
        List<Integer> r = new ArrayList<>();
        for (long v = lo; v <= hi; v++) {
            if (p.allows((int) v)) {
                r.add((int) v);
            }
        }
        return r.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The allowed values (codes) of a parameter, ascending: simplest first. */
    int[] allowed(FuzzParam p) {
        return allowed.get(p).clone();
    }

    /**
     * Draws one case. Integers take their smallest allowed value a fifth of the time and their
     * largest a tenth (the borders are where bugs live: 1-pixel images, one channel), else any
     * allowed value with equal chance; choices are equally likely.
     */
    FuzzCase draw(SplittableRandom rng) {
        int[] v = new int[FuzzParam.values().length];
        for (FuzzParam p : FuzzParam.values()) {
            int[] a = allowed.get(p);
            double u = rng.nextDouble();
            int i;
            if (p.isChoice() || a.length <= 2) {
                i = rng.nextInt(a.length);
            } else if (u < 0.2) {
                i = 0;
            } else if (u < 0.3) {
                i = a.length - 1;
            } else {
                i = rng.nextInt(a.length);
            }
            v[p.ordinal()] = a[i];
        }
        return new FuzzCase(v, rng.nextLong(), Map.of());
    }

    /**
     * The values the shrinker tries in place of {@code current}, simplest first: every smaller
     * allowed value when there are at most 12 (so that a bug that needs an odd width or C = 9 is
     * found at its smallest), else the 8 smallest, then a half and a quarter of the way down, and
     * the next smaller one.
     */
    int[] smaller(FuzzParam p, int current) {
        int[] below = Arrays.stream(allowed.get(p)).filter(x -> x < current).toArray();
        if (below.length <= 12) {
            return below;
        }
        TreeSet<Integer> pick = new TreeSet<>();
        for (int i = 0; i < 8; i++) {
            pick.add(below[i]);
        }
        pick.add(below[below.length / 2]);
        pick.add(below[below.length * 3 / 4]);
        pick.add(below[below.length - 1]);
        return pick.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The space as JSON (what a run used, for its report). */
    void toJson(ObjectNode o) {
        for (FuzzParam p : FuzzParam.values()) {
            var arr = o.putArray(p.key);
            for (int c : allowed.get(p)) {
                if (p == FuzzParam.BIAS) {
                    arr.add(c == 1);
                } else if (p.isChoice()) {
                    arr.add(p.format(c));
                } else {
                    arr.add(c);
                }
            }
        }
    }
}
