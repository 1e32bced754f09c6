package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.io.Weights;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.AcdaStateDict;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda forward}: runs a layer on an input file and writes the output. */
@Command(name = "forward", mixinStandardHelpOptions = true,
        description = {"Runs an ACDA layer on an input and writes the output as a float32 .npy (atomically).",
                "The layer comes from --weights (a .safetensors file or a folder of <key>.npy, keys as the reference "
                        + "PyTorch layer's state dict) plus the hyper-parameters the shapes do not fix, or from --case DIR."})
final class ForwardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Option(names = "--weights", paramLabel = "FILE_OR_DIR", description = "weights: .safetensors file or folder of <key>.npy")
        Path weights;

        @Option(names = "--case", paramLabel = "DIR", description = "a case folder (case.json, weights, x.npy)")
        Path caseDir;
    }

    @Option(names = "--input", paramLabel = "X.npy", description = "input [N, C, H, W] float32 (with --weights; a case names its own)")
    Path input;

    @Option(names = "--output", paramLabel = "Y.npy", required = true,
            description = "where to write the output [N, O, H', W'] (its folder must exist); - for standard output")
    Path output;

    @Option(names = "--quiet", description = "no progress bar for --backend oracle (drawn only on a terminal anyway)")
    boolean quiet;

    @Option(names = "--backend", paramLabel = "NAME", description = "backend to run (default: ${DEFAULT-VALUE})")
    String backend = "vector";

    @Option(names = "--stride", paramLabel = "S", description = "stride (with --weights; default: ${DEFAULT-VALUE})")
    int stride = 1;

    @Option(names = "--dilation", paramLabel = "D", description = "dilation (with --weights; default: ${DEFAULT-VALUE})")
    int dilation = 1;

    @Option(names = "--padding", paramLabel = "MODE", description = "zeros or circular (with --weights; default: ${DEFAULT-VALUE})")
    String padding = "zeros";

    @Option(names = {"-k", "--kernel-size"}, paramLabel = "K", description = "kernel size; needed only when the weights have no 'bases'")
    int kernelSize;

    @Option(names = {"-b", "--per-scale"}, paramLabel = "B", description = "bases per scale; checked against the weights if given")
    int basesPerScale;

    @Option(names = {"-m", "--atoms"}, paramLabel = "M", description = "atoms; checked against the weights if given")
    int atoms;

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
        AcdaLayer layer;
        Path inputPath;
        String note = "";
        if (source.caseDir != null) {
            if (input != null) {
                throw new IllegalArgumentException("--input cannot be combined with --case: the case names its own input");
            }
            CaseFolder.Description d = CaseFolder.read(source.caseDir);
            layer = CaseFolder.loadLayer(d, narrowF64);
            inputPath = d.inputPath();
        } else {
            if (input == null) {
                throw new IllegalArgumentException("--input X.npy is required with --weights");
            }
            Map<String, Tensor> sd = AcdaStateDict.stripPrefix(Weights.read(source.weights, narrowF64), prefix);
            layer = AcdaStateDict.load(sd, new AcdaStateDict.Hints(stride, dilation,
                    PaddingMode.parse(padding, "--padding"), kernelSize, basesPerScale, atoms, 0, 0));
            if (!layer.config().bias()) {
                note = ", without bias: " + source.weights + " has no 'bias'";
            }
            inputPath = input;
        }
        Tensor x = Npy.read(inputPath, narrowF64);
        AcdaShapes.checkInput(layer.config(), x);
        Memory.require(Memory.layerBytes(layer.config(), x.dim(0), x.dim(2), x.dim(3), false), "forward on input "
                + x.shapeString(), "the input's size");
        try (AcdaBackend b = Backends.require(backend)) {
            long t0 = System.nanoTime();
            Tensor y;
            try (Progress p = Progress.start(spec.commandLine().getErr(), quiet || !backend.equals("oracle"),
                    List.of(new Progress.Stage(backend + " forward", 1)))) {
                p.next();
                y = b.forward(layer, x);
            }
            long t1 = System.nanoTime();
            if (toStdout) {
                Npy.write(System.out, y);
            } else {
                Npy.write(output, y);
            }
            out.printf(java.util.Locale.ROOT, "%s: %s -> %s %s in %.1f ms (%s%s)%n", layer.config().summary(), x.shapeString(),
                    toStdout ? "stdout" : output, y.shapeString(), (t1 - t0) / 1e6, b.name(), note);
            out.flush();
        }
        return AcdaCli.EXIT_OK;
    }
}
