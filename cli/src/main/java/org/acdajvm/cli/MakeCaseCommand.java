package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
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
import org.acdajvm.layer.AcdaLayer;
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
                + "reference PyTorch layer), a random input x.npy and the oracle's output y.npy (float32).",
                "With --with-grads also dy.npy (a random upstream gradient) and grads/ (dL/dx and every parameter's gradient).",
                "The folder is written under a temporary name and renamed into place: it appears whole or not at all."})
final class MakeCaseCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    LayerOptions layer;

    @Option(names = "--layer", paramLabel = "KIND", description = "layer kind; only acda so far (default: ${DEFAULT-VALUE})")
    String kind = "acda";

    @Mixin
    InputOptions input;

    @Option(names = "--weights-format", paramLabel = "FORMAT",
            description = "safetensors (weights.safetensors) or npy (a folder weights/ of <key>.npy) (default: ${DEFAULT-VALUE})")
    String weightsFormat = "safetensors";

    @Option(names = "--with-grads", description = "also write a random upstream gradient dy.npy and the oracle's "
            + "gradients of x and of every parameter (folder grads/, float32)")
    boolean withGrads;

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
        if (!kind.equals("acda")) {
            throw new IllegalArgumentException("--layer = '" + kind + "' is not supported: expected acda");
        }
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
        AcdaConfig cfg = layer.config();
        AcdaLayer l = input.layer(cfg);
        Memory.require(Memory.layerBytes(cfg, input.batch, input.height, input.width, withGrads),
                "make-case" + (withGrads ? " --with-grads" : "") + " for input [" + input.batch + ", " + cfg.inChannels()
                        + ", " + input.height + ", " + input.width + "]", "-n/--batch, --height, --width or the channels");
        Tensor x = input.input(cfg);
        double fw = Progress.forwardWeight(cfg, input.batch, input.height, input.width);
        List<Progress.Stage> stages = new ArrayList<>(List.of(new Progress.Stage("oracle forward", fw)));
        if (withGrads) {
            stages.add(new Progress.Stage("oracle backward", fw * Progress.BACKWARD_PER_FORWARD));
        }
        Tensor y;
        String weights = npy ? "weights" : "weights.safetensors";
        try (Progress progress = Progress.start(spec.commandLine().getErr(), quiet, stages);
             AcdaBackend b = Backends.require(backend)) {
            if (withGrads) {
                b.backwardUnavailableReason().ifPresent(r -> {
                    throw new IllegalArgumentException("--with-grads --backend " + backend + ": " + r);
                });
            }
            progress.next();
            y = b.forward(l, x);
            AtomicFiles.writeFolder(target, tmp -> {
                if (npy) {
                    Weights.writeFolder(tmp.resolve(weights), l.stateDict());
                } else {
                    Weights.writeSafeTensors(tmp.resolve(weights), l.stateDict());
                }
                Npy.write(tmp.resolve("x.npy"), x);
                Npy.write(tmp.resolve("y.npy"), y);
                if (withGrads) {
                    Tensor dy = Tensor.zeros(y.shape());
                    AcdaInit.fill(dy, new java.util.SplittableRandom(input.seed + 2), -1, 1);
                    Npy.write(tmp.resolve("dy.npy"), dy);
                    progress.next();
                    Map<String, Tensor> g = b.backward(l, x, dy);
                    // createDirectory, not createDirectories: after an interrupt removed tmp it must not come back.
                    Files.createDirectory(tmp.resolve("grads"));
                    for (var e : g.entrySet()) {
                        Npy.write(tmp.resolve("grads").resolve(e.getKey() + ".npy"), e.getValue());
                    }
                }
                String json = withGrads ? CaseFolder.toJson(cfg, weights, "x.npy", "y.npy", "dy.npy", "grads")
                        : CaseFolder.toJson(cfg, weights, "x.npy", "y.npy");
                AtomicFiles.write(tmp.resolve(CaseFolder.CASE_FILE), o -> o.write(json.getBytes(StandardCharsets.UTF_8)));
            });
        }
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf("wrote %s: %s, x %s, y %s%s%s%n", out, cfg.summary(), x.shapeString(), y.shapeString(),
                withGrads ? ", dy and the gradients in grads/" : "", backend.equals("oracle") ? ""
                        : " (computed by backend " + backend + ")");
        pw.flush();
        return AcdaCli.EXIT_OK;
    }
}
