package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.acdajvm.io.AtomicFiles;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.io.Weights;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaKind;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda make-case}: test vectors for someone else's kernel. */
@Command(name = "make-case", mixinStandardHelpOptions = true,
        description = {"Writes a case folder: case.json (every hyper-parameter), the weights (state-dict keys of the "
                + "reference PyTorch layer), random inputs (x.npy, and e.g. guidance.npy) and the oracle's output y.npy "
                + "(float32). An acda case is case.json version 1 unless --case-version 2; other layers' are version 2.",
                "With --with-grads also dy.npy (a random upstream gradient) and grads/ (the gradient of every input that "
                        + "takes one, x.npy first, and of every parameter).",
                "The folder is written under a temporary name and renamed into place: it appears whole or not at all."})
final class MakeCaseCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LayerOptions layer;

    @Mixin
    InputOptions input;

    @Option(names = "--weights-format", paramLabel = "FORMAT",
            description = "safetensors (weights.safetensors) or npy (a folder weights/ of <key>.npy) (default: ${DEFAULT-VALUE})")
    String weightsFormat = "safetensors";

    @Option(names = "--with-grads", description = "also write a random upstream gradient dy.npy and the oracle's "
            + "gradients of the inputs and of every parameter (folder grads/, float32)")
    boolean withGrads;

    @Option(names = "--case-version", paramLabel = "V",
            description = "the case.json version: 1 (acda only, the settings at the top level) or 2 (\"settings\" and "
                    + "\"inputs\") (default: 1 for acda, which every reader of acda cases knows, 2 for other layers)")
    Integer caseVersion;

    @Option(names = "--backend", paramLabel = "NAME", description = "compute y (and with --with-grads the gradients, "
            + "with the backend's backward) with this backend instead of the oracle, e.g. for shapes where the oracle is "
            + "slow (default: ${DEFAULT-VALUE})")
    String backend = "oracle";

    @Option(names = "--out", paramLabel = "DIR", required = true,
            description = "the case folder to create (must not exist; its parent must, unless --parents)")
    Path out;

    @Option(names = "--parents", description = "create the missing parent folders of --out")
    boolean parents;

    @Option(names = "--quiet", description = "no progress bar (it is drawn only on a terminal anyway)")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        boolean npy = switch (weightsFormat.toLowerCase(Locale.ROOT)) {
            case "npy" -> true;
            case "safetensors" -> false;
            default -> throw new IllegalArgumentException("--weights-format = '" + weightsFormat
                    + "' is not allowed: expected safetensors or npy");
        };
        Path target = out.toAbsolutePath();
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            throw new IllegalArgumentException("--out " + out + " already exists: choose a new folder");
        }
        Path parent = target.getParent();
        if (parent != null && !Files.isDirectory(parent)) {
            if (!parents || Files.exists(parent)) {
                throw new IllegalArgumentException("--out " + out + ": the folder " + parent + (Files.exists(parent)
                        ? " is not a folder" : " does not exist (create it, or pass --parents)"));
            }
            Files.createDirectories(parent);
        }
        LayerKind<?> kind = layer.kind();
        int version = caseVersion == null ? (kind == AcdaKind.INSTANCE ? 1 : 2) : caseVersion;
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("--case-version = " + version + " is not allowed: expected 1 or 2");
        }
        if (version == 1 && kind != AcdaKind.INSTANCE) {
            throw new IllegalArgumentException("--case-version 1 is acda's: a case of layer " + kind.name()
                    + " is version 2");
        }
        BoundLayer<?> l = BoundLayer.of(input.layer(kind, layer));
        input.checkSizes();
        double fw = 1;
        if (l.layer() instanceof AcdaLayer acda) {
            AcdaConfig cfg = acda.config();
            Memory.require(Memory.layerBytes(cfg, input.batch, input.height, input.width, withGrads),
                    "make-case" + (withGrads ? " --with-grads" : "") + " for input [" + input.batch + ", " + cfg.inChannels()
                            + ", " + input.height + ", " + input.width + "]", "-n/--batch, --height, --width or the channels");
            fw = Progress.forwardWeight(cfg, input.batch, input.height, input.width);
        }
        Inputs in = input.inputs(l);
        List<Progress.Stage> stages = new ArrayList<>(List.of(new Progress.Stage(backend + " forward", fw)));
        if (withGrads) {
            stages.add(new Progress.Stage(backend + " backward", fw * Progress.BACKWARD_PER_FORWARD));
        }
        Tensor y;
        Map<String, Tensor> stateDict = l.layer().stateDict();
        String weights = stateDict.isEmpty() ? null : npy ? "weights" : "weights.safetensors";
        try (Progress progress = Progress.start(spec.commandLine().getErr(), quiet, stages);
             AcdaBackend b = Backends.require(backend)) {
            BoundLayer.Op op = l.requireOp(b, "--backend");
            if (withGrads) {
                op.backwardUnavailableReason().ifPresent(r -> {
                    throw new IllegalArgumentException("--with-grads --backend " + backend + ": " + r);
                });
            }
            progress.next();
            y = op.forward(in);
            AtomicFiles.writeFolder(target, tmp -> {
                if (weights != null && npy) {
                    Weights.writeFolder(tmp.resolve(weights), stateDict);
                } else if (weights != null) {
                    Weights.writeSafeTensors(tmp.resolve(weights), stateDict);
                }
                Map<String, String> inputFiles = new LinkedHashMap<>();
                for (var e : in.all().entrySet()) {
                    inputFiles.put(e.getKey(), e.getKey() + ".npy");
                    Npy.write(tmp.resolve(e.getKey() + ".npy"), e.getValue());
                }
                Npy.write(tmp.resolve("y.npy"), y);
                if (withGrads) {
                    Tensor dy = Tensor.zeros(y.shape());
                    AcdaInit.fill(dy, new java.util.SplittableRandom(input.seed + 2), -1, 1);
                    Npy.write(tmp.resolve("dy.npy"), dy);
                    progress.next();
                    Map<String, Tensor> g = op.backward(in, dy);
                    // createDirectory, not createDirectories: after an interrupt removed tmp it must not come back.
                    Files.createDirectory(tmp.resolve("grads"));
                    for (var e : g.entrySet()) {
                        Npy.write(tmp.resolve("grads").resolve(e.getKey() + ".npy"), e.getValue());
                    }
                }
                String json;
                if (version == 1) {
                    AcdaConfig cfg = ((AcdaLayer) l.layer()).config();
                    json = withGrads ? CaseFolder.toJson(cfg, weights, "x.npy", "y.npy", "dy.npy", "grads")
                            : CaseFolder.toJson(cfg, weights, "x.npy", "y.npy");
                } else {
                    json = CaseFolder.toJson(kind, l.settings(), weights, inputFiles, "y.npy", withGrads ? "dy.npy" : null,
                            withGrads ? "grads" : null);
                }
                AtomicFiles.write(tmp.resolve(CaseFolder.CASE_FILE), o -> o.write(json.getBytes(StandardCharsets.UTF_8)));
            });
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf("wrote %s: %s, %s, y %s%s%s%n", out, l.title(),
                inputsLine(in), y.shapeString(),
                withGrads ? ", dy and the gradients in grads/" : "", backend.equals("oracle") ? ""
                        : " (computed by backend " + backend + ")");
        pw.flush();
        return AcdaCli.EXIT_OK;
    }

    /** {@code x [1, 3, 8, 8]}, or every input so. */
    private static String inputsLine(Inputs in) {
        StringBuilder s = new StringBuilder();
        in.all().forEach((name, t) -> s.append(s.isEmpty() ? "" : ", ").append(name).append(' ').append(t.shapeString()));
        return s.toString();
    }
}
