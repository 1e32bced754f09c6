package org.acdajvm.layer;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A layer's hyper-parameters as {@code key = value} text, in the key names of {@code case.json} (and of the
 * command line's {@code --set key=value}): one parser for the file, the command line, weight hints and
 * make-case. A layer's {@link LayerKind#settings()} lists the keys it takes, with their defaults; the typed
 * getters here turn a bad value into one message that names the key, where it came from, and what was expected.
 */
public final class Settings {

    /** One setting a layer takes: its key, its default ({@code null}: required) and one line of help. */
    public record Setting(String key, String defaultValue, String help) {
    }

    private final Map<String, String> values;
    private final String source;

    private Settings(Map<String, String> values, String source) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
        this.source = source;
    }

    /**
     * Settings from {@code values}, with {@code source} naming where they came from in messages
     * ({@code "--set"}, {@code "case.json"}, ...).
     */
    public static Settings of(Map<String, String> values, String source) {
        return new Settings(values, source);
    }

    /** No settings (every default). */
    public static Settings empty() {
        return new Settings(Map.of(), "settings");
    }

    /** These settings with {@code key = value} added or replaced. */
    public Settings with(String key, Object value) {
        Map<String, String> m = new LinkedHashMap<>(values);
        m.put(key, String.valueOf(value));
        return new Settings(m, source);
    }

    /** These settings with {@code other}'s added on top (other wins). */
    public Settings withAll(Settings other) {
        Map<String, String> m = new LinkedHashMap<>(values);
        m.putAll(other.values);
        return new Settings(m, source);
    }

    /** Where these settings came from, for messages. */
    public String source() {
        return source;
    }

    public Map<String, String> asMap() {
        return values;
    }

    public boolean has(String key) {
        return values.containsKey(key);
    }

    /**
     * Checks that every key given is one {@code kind} takes, and that every required one is there.
     *
     * @throws IllegalArgumentException naming the unknown or missing key and the keys the layer takes
     */
    public Settings requireKnown(String layerName, List<Setting> known) {
        List<String> keys = new ArrayList<>();
        for (Setting s : known) {
            keys.add(s.key());
        }
        for (String k : values.keySet()) {
            if (!keys.contains(k)) {
                throw new IllegalArgumentException(source + ": '" + k + "' is not a setting of layer " + layerName
                        + ": expected one of " + keys);
            }
        }
        for (Setting s : known) {
            if (s.defaultValue() == null && !values.containsKey(s.key())) {
                throw new IllegalArgumentException(source + ": layer " + layerName + " needs the setting '" + s.key()
                        + "' (" + s.help() + ")");
            }
        }
        return this;
    }

    /** The value of {@code key}, or the default of {@code known}'s entry for it. */
    public String text(String key, List<Setting> known) {
        String v = values.get(key);
        if (v != null) {
            return v.trim();
        }
        for (Setting s : known) {
            if (s.key().equals(key) && s.defaultValue() != null) {
                return s.defaultValue();
            }
        }
        throw new IllegalArgumentException(source + ": the setting '" + key + "' is missing");
    }

    /** An integer in {@code [min, max]}. */
    public int integer(String key, List<Setting> known, int min, int max) {
        String v = text(key, known);
        int i;
        try {
            i = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(source + ": '" + key + "' = '" + v + "' is not an integer: expected "
                    + min + ".." + max);
        }
        if (i < min || i > max) {
            throw new IllegalArgumentException(source + ": '" + key + "' = " + i + " is out of range: expected "
                    + min + ".." + max);
        }
        return i;
    }

    /** An odd integer in {@code [min, max]}. */
    public int oddInteger(String key, List<Setting> known, int min, int max) {
        int i = integer(key, known, min, max);
        if (i % 2 == 0) {
            throw new IllegalArgumentException(source + ": '" + key + "' = " + i + " is even: expected an odd number in "
                    + min + ".." + max);
        }
        return i;
    }

    /** A finite real number in {@code [min, max]}. */
    public double real(String key, List<Setting> known, double min, double max) {
        String v = text(key, known);
        double d;
        try {
            d = Double.parseDouble(v);
        } catch (NumberFormatException e) {
            d = Double.NaN;
        }
        if (!Double.isFinite(d) || d < min || d > max) {
            throw new IllegalArgumentException(source + ": '" + key + "' = '" + v + "' is not a number in [" + min + ", "
                    + max + "]");
        }
        return d;
    }

    /** {@code true} or {@code false}. */
    public boolean bool(String key, List<Setting> known) {
        String v = text(key, known).toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(source + ": '" + key + "' = '" + v + "' is not true or false");
        };
    }

    /** One of {@code choices} (case-insensitive), returned in the choice's spelling. */
    public String choice(String key, List<Setting> known, List<String> choices) {
        String v = text(key, known);
        for (String c : choices) {
            if (c.equalsIgnoreCase(v)) {
                return c;
            }
        }
        throw new IllegalArgumentException(source + ": '" + key + "' = '" + v + "' is not one of " + choices);
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
