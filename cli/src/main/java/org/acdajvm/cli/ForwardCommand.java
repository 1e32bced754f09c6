package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.io.Weights;
import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaStateDict;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layer.Settings;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda forward}: runs a layer on an input file and writes the output. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Runs a layer (acda unless --layer) on its inputs and writes the output as a float32 .npy "
                + "(atomically).",
                "The layer comes from --weights (a .safetensors file or a folder of <key>.npy, keys as the reference "
                        + "PyTorch layer's state dict) plus the settings the shapes do not fix, or from --case DIR. For "
                        + "acda the shapes give C, O, K, B, M, g and the bias, and options given are checked against "
                        + "them; other layers take their settings from the options and the layer's defaults, and the "
                        + "weights are checked against them."})
final class ForwardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    /** Optional for picocli: a layer without parameters (pac-pool) needs neither; {@link #forward} says so otherwise. */
    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Source source;

    static final class Source {
        @Option(names = "--weights", paramLabel = "FILE_OR_DIR",
                description = "weights: .safetensors file or folder of <key>.npy (not for a layer without parameters)")
        Path weights;

        @Option(names = "--case", paramLabel = "DIR", description = "a case folder (case.json, weights, x.npy)")
        Path caseDir;
    }

    @Option(names = "--input", paramLabel = "[NAME=]FILE",
            description = "an input .npy, float32 (with --weights; a case names its own): FILE is x [N, C, H, W], "
                    + "NAME=FILE another of the layer's inputs, e.g. guidance=f.npy (repeatable)")
    List<String> inputs = new ArrayList<>();

    @Option(names = "--output", paramLabel = "Y.npy", required = true,
            description = "where to write the output [N, O, H', W'] (its folder must exist); - for standard output")
    Path output;

    @Option(names = "--quiet", description = "no progress bar for --backend oracle (drawn only on a terminal anyway)")
    boolean quiet;

    @Option(names = "--backend", paramLabel = "NAME", description = "backend to run (default: ${DEFAULT-VALUE})")
    String backend = "vector";

    @Mixin
    LayerOptions layerOptions;

    @Option(names = "--prefix", paramLabel = "P", description = "take only keys starting with P (P removed), e.g. 'layer1.conv.'")
    String prefix;

    @Option(names = "--narrow-f64", description = "accept float64 tensors, rounding them to float32")
    boolean narrowF64;

    @Option(names = "--threads", paramLabel = "T",
            description = "threads of the multi-threaded backends (default: all available processors)")
    Integer threads;

    @Option(names = "--device", paramLabel = "DEVICE", description = DeviceSelection.DESCRIPTION)
    String device;

    @Override
    public Integer call() throws IOException {
        Threads.apply(threads);
        try (DeviceSelection _ = DeviceSelection.apply(device)) {
            return forward();
        }
    }

    private int forward() throws IOException {
        if (device != null && !backend.equals("opencl")) {
            throw new IllegalArgumentException("--device selects an OpenCL device, for --backend opencl only; the backend "
                    + "here is '" + backend + "'");
        }
        boolean toStdout = output.toString().equals("-");
        // The summary goes to stderr when the data goes to stdout, so that the .npy stream stays clean.
        PrintWriter out = toStdout ? spec.commandLine().getErr() : spec.commandLine().getOut();
        BoundLayer<?> layer;
        Inputs in;
        String note = "";
        if (source == null) {
            source = new Source();
        }
        if (source.caseDir != null) {
            if (!inputs.isEmpty()) {
                throw new IllegalArgumentException("--input cannot be combined with --case: the case names its own inputs");
            }
            CaseFolder.Case c = CaseFolder.readCase(source.caseDir);
            List<String> given = layerOptions.givenOptions();
            if (layerOptions.layer != null && given.size() == 1 && layerOptions.layer.equals(c.kind().name())) {
                given = List.of();                 // --layer naming the case's own layer is no conflict
            }
            if (!given.isEmpty()) {
                throw new IllegalArgumentException(given.getFirst() + " cannot be combined with --case: the case names "
                        + "its layer (" + c.kind().name() + ") and every setting");
            }
            layer = BoundLayer.of(c.loadLayer(narrowF64));
            in = c.readInputs(narrowF64);
        } else {
            LayerKind<?> kind = layerOptions.kind();
            if (source.weights == null && !withoutParameters(kind)) {
                throw new CommandLine.ParameterException(spec.commandLine(), "Missing required argument: --weights "
                        + "FILE_OR_DIR or --case DIR (only a layer without parameters, such as pac-pool, needs neither)");
            }
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("--input X.npy is required with --weights");
            }
            Map<String, Tensor> sd = source.weights == null ? Map.of()
                    : AcdaStateDict.stripPrefix(Weights.read(source.weights, narrowF64), prefix);
            if (kind == AcdaKind.INSTANCE) {
                layer = BoundLayer.of(acdaFromWeights(sd));
                if (!((AcdaLayer) layer.layer()).config().bias()) {
                    note = ", without bias: " + source.weights + " has no 'bias'";
                }
            } else {
                try {
                    layer = BoundLayer.of(layerOptions.build(kind, s -> kind.load(s, sd)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(e.getMessage() + " (the settings of layer " + kind.name()
                            + " come from the options and its defaults: 'acda layers " + kind.name() + "' lists them)", e);
                }
            }
            in = readInputs(inputs, narrowF64);
        }
        layer.checkInputs(in);
        Tensor x = in.x();
        if (layer.layer() instanceof AcdaLayer acda) {
            Memory.require(Memory.layerBytes(acda.config(), x.dim(0), x.dim(2), x.dim(3), false), "forward on input "
                    + x.shapeString(), "the input's size");
        }
        try (AcdaBackend b = Backends.require(backend)) {
            BoundLayer.Op op = layer.requireOp(b, "--backend");
            long t0 = System.nanoTime();
            Tensor y;
            try (Progress p = Progress.start(spec.commandLine().getErr(), quiet || !backend.equals("oracle"),
                    List.of(new Progress.Stage(backend + " forward", 1)))) {
                p.next();
                y = op.forward(in);
            }
            long t1 = System.nanoTime();
            if (toStdout) {
                Npy.write(System.out, y);
            } else {
                Npy.write(output, y);
            }
            out.printf(java.util.Locale.ROOT, "%s: %s -> %s %s in %.1f ms (%s%s)%n", layer.title(),
                    CheckCommand.shapes(in), toStdout ? "stdout" : output, y.shapeString(), (t1 - t0) / 1e6, b.name(), note);
            out.flush();
        }
        return AcdaCli.EXIT_OK;
    }

    /** Whether {@code kind} with the options' settings loads from an empty state dict (it has no parameters). */
    private boolean withoutParameters(LayerKind<?> kind) {
        try {
            return layerOptions.build(kind, s -> kind.load(s, Map.of())).stateDict().isEmpty();
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * ACDA from its weights: C, O, K, B, M, g and the bias from the shapes, the stride, dilation and padding
     * mode from the options (or their defaults), and every other option given checked against the shapes.
     */
    private AcdaLayer acdaFromWeights(Map<String, Tensor> sd) {
        LayerOptions o = layerOptions;
        Settings given = o.settings(AcdaKind.INSTANCE);
        List<Settings.Setting> known = AcdaKind.INSTANCE.settings();
        AcdaLayer l = o.build(AcdaKind.INSTANCE, s -> AcdaStateDict.load(sd, new AcdaStateDict.Hints(
                s.integer("stride", known, 1, Integer.MAX_VALUE), s.integer("dilation", known, 1, Integer.MAX_VALUE),
                PaddingMode.parse(s.text("padding", known), s.source() + ": 'padding'"),
                given.has("kernel_size") ? s.integer("kernel_size", known, 1, Integer.MAX_VALUE) : 0,
                given.has("bases_per_scale") ? s.integer("bases_per_scale", known, 1, Integer.MAX_VALUE) : 0,
                given.has("atoms") ? s.integer("atoms", known, 1, Integer.MAX_VALUE) : 0,
                given.has("in_channels") ? s.integer("in_channels", known, 1, Integer.MAX_VALUE) : 0,
                given.has("out_channels") ? s.integer("out_channels", known, 1, Integer.MAX_VALUE) : 0)));
        Settings actual = AcdaKind.INSTANCE.settingsOf(l);
        for (LayerOptions.Given g : o.given(AcdaKind.INSTANCE)) {
            String a = actual.text(g.key(), known);
            if (!a.equalsIgnoreCase(g.value().trim())) {
                throw new IllegalArgumentException(g.option().replaceAll(".*/", "") + " " + g.value() + " does not match "
                        + "the weights " + source.weights + ": they give " + g.key() + " = " + a);
            }
        }
        return l;
    }

    /**
     * The inputs named on the command line: {@code FILE} is {@code x}, {@code NAME=FILE} the input NAME
     * (a name is letters, digits and {@code _}; write {@code ./a=b.npy} for a file whose name has an '=').
     */
    static Inputs readInputs(List<String> specs, boolean narrowF64) throws IOException {
        Map<String, Path> files = new LinkedHashMap<>();
        for (String spec : specs) {
            int eq = spec.indexOf('=');
            String name = eq > 0 && spec.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*") ? spec.substring(0, eq)
                    : Inputs.X;
            String file = name.equals(Inputs.X) && !spec.startsWith("x=") ? spec : spec.substring(eq + 1);
            if (file.isEmpty()) {
                throw new IllegalArgumentException("--input " + spec + " names no file: expected NAME=FILE.npy");
            }
            if (files.put(name, Path.of(file)) != null) {
                throw new IllegalArgumentException("--input gives '" + name + "' twice: one file per input");
            }
        }
        if (!files.containsKey(Inputs.X)) {
            throw new IllegalArgumentException("--input X.npy is required: the main input x [N, C, H, W] (given: "
                    + files.keySet() + ")");
        }
        Inputs.Builder b = Inputs.builder();
        for (Map.Entry<String, Path> e : files.entrySet()) {
            b.put(e.getKey(), Npy.read(e.getValue(), narrowF64));
        }
        return b.build();
    }
}
