package org.acdajvm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.backend.LayerOp;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.Layers;
import org.acdajvm.layer.Settings;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code acda layers}: the capability map, generated from the registry ({@link Layers}) and each backend's
 * {@code op(kind)}, so that it cannot drift from the code: which backend runs which pass of which layer.
 */
@Command(name = "layers", mixinStandardHelpOptions = true,
        description = {"Prints the layers x backends x passes matrix: 'yes' where the backend implements the pass of "
                + "the layer, '-' where it does not (a backend that cannot run here is marked, with the reason once "
                + "below), then each layer's description and inputs.",
                "With a layer's NAME, its settings (--set KEY=VALUE and case.json's \"settings\"), defaults and inputs."})
final class LayersCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "one layer: list its settings")
    String name;

    @Option(names = "--json", description = "print the matrix and the layers as one JSON object")
    boolean json;

    /** What one backend offers: its name, why it cannot run here (or null), and per layer its passes. */
    private record Column(String name, String unavailable, String description, List<boolean[]> passes) {
    }

    @Override
    public Integer call() throws JsonProcessingException {
        if (name != null && !Layers.names().contains(name)) {
            throw new IllegalArgumentException("NAME = '" + name + "' is not a layer: expected one of " + Layers.names());
        }
        List<LayerKind<?>> kinds = name == null ? Layers.all() : List.of(Layers.get(name));
        List<Column> columns = new ArrayList<>();
        for (AcdaBackend b : Backends.all()) {
            try (b) {
                Optional<String> reason = b.unavailableReason();
                List<boolean[]> passes = new ArrayList<>();
                for (LayerKind<?> k : kinds) {
                    Optional<? extends LayerOp<?>> op = b.op(k);
                    passes.add(new boolean[] {op.isPresent(), op.isPresent() && op.get().backwardUnavailableReason().isEmpty()});
                }
                columns.add(new Column(b.name(), reason.orElse(null), reason.isPresent() ? null : b.description(), passes));
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(json(kinds, columns));
        } else if (name == null) {
            text(out, kinds, columns);
        } else {
            one(out, kinds.getFirst(), columns);
        }
        out.flush();
        return AcdaCli.EXIT_OK;
    }

    private static void text(PrintWriter out, List<LayerKind<?>> kinds, List<Column> columns) {
        int nameWidth = "layer".length();
        for (LayerKind<?> k : kinds) {
            nameWidth = Math.max(nameWidth, k.name().length());
        }
        StringBuilder header = new StringBuilder(String.format("%-" + nameWidth + "s  %-8s", "layer", "pass"));
        for (Column c : columns) {
            header.append("  ").append(String.format("%-" + width(c) + "s", c.name() + (c.unavailable() != null ? "*" : "")));
        }
        out.println(header.toString().stripTrailing());
        for (int i = 0; i < kinds.size(); i++) {
            for (int pass = 0; pass < 2; pass++) {
                StringBuilder row = new StringBuilder(String.format("%-" + nameWidth + "s  %-8s",
                        pass == 0 ? kinds.get(i).name() : "", pass == 0 ? "forward" : "backward"));
                for (Column c : columns) {
                    String cell = c.passes().get(i)[pass] ? "yes" : "-";
                    row.append("  ").append(String.format("%-" + width(c) + "s", cell));
                }
                out.println(row.toString().stripTrailing());
            }
        }
        boolean first = true;
        for (Column c : columns) {
            if (c.unavailable() != null) {
                out.println((first ? "\n" : "") + "* " + c.name() + " cannot run here: " + c.unavailable());
                first = false;
            }
        }
        out.println();
        for (LayerKind<?> k : kinds) {
            out.printf("%-" + nameWidth + "s  %s%n", k.name(), k.description());
            out.printf("%-" + nameWidth + "s  inputs: %s%n", "", inputs(k));
        }
        out.println();
        out.println("'acda layers NAME' lists a layer's settings; '--layer NAME' selects it in check, forward, make-case "
                + "and verify.");
    }

    private static int width(Column c) {
        return Math.max(3, c.name().length() + 1);
    }

    private static String inputs(LayerKind<?> k) {
        List<String> s = new ArrayList<>();
        for (LayerKind.InputSpec i : k.inputs()) {
            s.add(i.name() + " " + i.layout());
        }
        return String.join(", ", s);
    }

    private static void one(PrintWriter out, LayerKind<?> k, List<Column> columns) {
        out.println(k.name() + ": " + k.description());
        out.println();
        out.println("inputs (forward --input NAME=FILE; case.json \"inputs\"):");
        int w = 0;
        int lw = 0;
        for (LayerKind.InputSpec i : k.inputs()) {
            w = Math.max(w, i.name().length());
            lw = Math.max(lw, i.layout().length());
        }
        for (LayerKind.InputSpec i : k.inputs()) {
            out.printf("  %-" + w + "s  %-" + lw + "s  %s%n", i.name(), i.layout(), i.help());
        }
        out.println();
        out.println("settings (--set KEY=VALUE, or the option shown; case.json \"settings\"):");
        int kw = "key".length();
        int dw = "default".length();
        int ow = "option".length();
        for (Settings.Setting s : k.settings()) {
            kw = Math.max(kw, s.key().length());
            dw = Math.max(dw, String.valueOf(s.defaultValue()).length());
            ow = Math.max(ow, option(k, s).length());
        }
        String f = "  %-" + kw + "s  %-" + dw + "s  %-" + ow + "s  %s%n";
        out.printf(f, "key", "default", "option", "meaning");
        for (Settings.Setting s : k.settings()) {
            out.printf(f, s.key(), s.defaultValue() == null ? "(required)" : s.defaultValue(), option(k, s), s.help());
        }
        out.println();
        List<String> runs = new ArrayList<>();
        for (Column c : columns) {
            boolean[] p = c.passes().getFirst();
            runs.add(c.name() + ": " + (p[0] ? p[1] ? "forward, backward" : "forward" : "-")
                    + (c.unavailable() != null ? " (cannot run here)" : ""));
        }
        out.println("backends: " + String.join("; ", runs));
    }

    private static String option(LayerKind<?> k, Settings.Setting s) {
        String o = LayerOptions.optionOf(k, s.key());
        return o == null ? "-" : o;
    }

    private static String json(List<LayerKind<?>> kinds, List<Column> columns) throws JsonProcessingException {
        ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = m.createObjectNode();
        ArrayNode bs = root.putArray("backends");
        for (Column c : columns) {
            ObjectNode b = bs.addObject();
            b.put("name", c.name());
            b.put("available", c.unavailable() == null);
            if (c.unavailable() != null) {
                b.put("reason", c.unavailable());
            } else {
                b.put("description", c.description());
            }
        }
        ArrayNode ls = root.putArray("layers");
        for (int i = 0; i < kinds.size(); i++) {
            LayerKind<?> k = kinds.get(i);
            ObjectNode l = ls.addObject();
            l.put("name", k.name());
            l.put("description", k.description());
            ArrayNode in = l.putArray("inputs");
            for (LayerKind.InputSpec s : k.inputs()) {
                in.addObject().put("name", s.name()).put("layout", s.layout()).put("help", s.help());
            }
            ArrayNode st = l.putArray("settings");
            for (Settings.Setting s : k.settings()) {
                ObjectNode o = st.addObject().put("key", s.key()).put("default", s.defaultValue()).put("help", s.help());
                String opt = LayerOptions.optionOf(k, s.key());
                if (opt != null) {
                    o.put("option", opt);
                }
            }
            ObjectNode ops = l.putObject("ops");
            for (Column c : columns) {
                boolean[] p = c.passes().get(i);
                ops.putObject(c.name()).put("forward", p[0]).put("backward", p[1]);
            }
        }
        return m.writeValueAsString(root);
    }
}
