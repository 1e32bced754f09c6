package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import org.acdajvm.io.Npy;
import org.acdajvm.io.SafeTensors;
import org.acdajvm.io.Weights;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.ConvToAcda;
import org.acdajvm.tensor.Tensor;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda convert-conv}: a trained plain convolution as an ACDA layer. */
@Command(name = "convert-conv", mixinStandardHelpOptions = true,
        description = {"Turns a plain convolution weight [O, C, K, K] into an ACDA layer that reproduces it as closely "
                + "as the bases allow (least-squares projection on the bases, best rank-M factorisation by SVD; the "
                + "generator outputs the constant atoms), and prints the relative approximation error.",
                "--weight takes a .npy file, or FILE.safetensors:KEY (the key may be omitted when the file holds one tensor)."})
final class ConvertConvCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--weight", paramLabel = "FILE[:KEY]", required = true, description = "the convolution weight [O, C, K, K]")
    String weight;

    @Option(names = "--bias", paramLabel = "FILE[:KEY]", description = "the convolution bias [O] (default: no bias)")
    String bias;

    @Option(names = {"-k", "--kernel-size"}, paramLabel = "K", required = true, description = "kernel size; must match the weight")
    int kernelSize;

    @Option(names = {"-m", "--atoms"}, paramLabel = "M", required = true, description = "number of atoms M")
    int atoms;

    @Option(names = {"-b", "--per-scale"}, paramLabel = "B", description = "bases per scale, 1..6 (default: ${DEFAULT-VALUE})")
    int perScale = 6;

    @Option(names = "--seed", description = "seed of the generator's first convolution (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--out", paramLabel = "FILE", required = true,
            description = "the ACDA weights to write (.safetensors; its folder must exist)")
    Path out;

    @Option(names = "--narrow-f64", description = "accept a float64 weight and bias, rounding them to float32")
    boolean narrowF64;

    @Override
    public Integer call() throws IOException {
        Tensor w = load(weight, "--weight", narrowF64);
        w.requireRank("--weight", 4, "[O, C, K, K]");
        if (w.dim(2) != kernelSize || w.dim(3) != kernelSize) {
            throw new IllegalArgumentException("--weight has shape " + w.shapeString() + " but --kernel-size is " + kernelSize);
        }
        requireFinite(w, "--weight " + weight);
        Tensor b = bias == null ? null : load(bias, "--bias", narrowF64);
        if (b != null) {
            requireFinite(b, "--bias " + bias);
        }
        AcdaConfig cfg = AcdaConfig.builder(w.dim(1), w.dim(0), kernelSize).atoms(atoms).basesPerScale(perScale)
                .bias(b != null).build();
        // The projected weight is (O*C) x K^2 with rows in the span of the T bases: its rank is at most
        // min(O*C, T), and atoms beyond the rank only make the file larger.
        int rank = (int) Math.min((long) w.dim(0) * w.dim(1), cfg.bases());
        if (atoms > rank) {
            throw new IllegalArgumentException("--atoms M = " + atoms + " is more than the rank the conversion can use: the "
                    + "projected weight is " + (w.dim(0) * w.dim(1)) + " x " + (kernelSize * kernelSize) + " in the span of "
                    + cfg.bases() + " bases, so its rank is at most " + rank + "; use -m " + rank + " or fewer");
        }
        ConvToAcda.Result r = ConvToAcda.convert(w, b, cfg, seed);
        Map<String, Tensor> sd = r.layer().stateDict();
        long bytes = 0;
        for (Tensor t : sd.values()) {
            bytes += 4L * t.size();
        }
        Path folder = out.toAbsolutePath().getParent();
        if (folder != null && Files.isDirectory(folder) && Files.getFileStore(folder).getUsableSpace() < bytes + (1 << 20)) {
            throw new IOException("cannot write " + out + ": it needs about " + Memory.bytes(bytes) + ", and "
                    + folder + " has " + Memory.bytes(Files.getFileStore(folder).getUsableSpace()) + " free");
        }
        Weights.writeSafeTensors(out, sd);
        PrintWriter pw = spec.commandLine().getOut();
        pw.printf(Locale.ROOT, "%s -> %s (%s, %s)%n", weight, out, cfg.summary(), Memory.bytes(bytes));
        pw.printf(Locale.ROOT, "relative approximation error |W - Wc|_F / |W|_F = %.6g (of which %.6g from the bases' span)%n",
                r.relativeError(), r.spanError());
        StringBuilder sv = new StringBuilder();
        for (int i = 0; i < Math.min(r.singularValues().length, 12); i++) {
            sv.append(String.format(Locale.ROOT, " %.4g", r.singularValues()[i]));
        }
        pw.printf("singular values of the projected weight:%s%s%n", sv, r.singularValues().length > 12 ? " ..." : "");
        pw.flush();
        return AcdaCli.EXIT_OK;
    }

    /** A NaN or infinity would reach the SVD, which then reports that it "did not converge": name the element instead. */
    static void requireFinite(Tensor t, String what) {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
            if (!Float.isFinite(d[i])) {
                int[] shape = t.shape();
                int[] idx = new int[shape.length];
                int rest = i;
                for (int k = shape.length - 1; k >= 0; k--) {
                    idx[k] = rest % shape[k];
                    rest /= shape[k];
                }
                StringBuilder at = new StringBuilder();
                for (int v : idx) {
                    at.append(at.isEmpty() ? "" : ", ").append(v);
                }
                throw new IllegalArgumentException(what + ": element (" + at + ") of " + t.shapeString() + " is " + d[i]
                        + ": expected finite values");
            }
        }
    }

    /** A tensor from {@code file.npy} or {@code file.safetensors[:key]}. */
    static Tensor load(String spec, String option, boolean narrowF64) throws IOException {
        int colon = spec.lastIndexOf(':');
        String file = spec;
        String key = null;
        if (colon > 0 && spec.substring(0, colon).endsWith(".safetensors")) {
            file = spec.substring(0, colon);
            key = spec.substring(colon + 1);
        }
        Path path = Path.of(file);
        if (!Files.exists(path)) {
            throw new java.nio.file.NoSuchFileException(file, null, option);
        }
        if (file.endsWith(".npy")) {
            return Npy.read(path, narrowF64);
        }
        Map<String, Tensor> all = SafeTensors.read(path, narrowF64);
        if (key == null) {
            if (all.size() != 1) {
                throw new IllegalArgumentException(option + " " + file + " holds " + all.size() + " tensors " + all.keySet()
                        + ": name one as FILE.safetensors:KEY");
            }
            return all.values().iterator().next();
        }
        Tensor t = all.get(key);
        if (t == null) {
            throw new IllegalArgumentException(option + ": " + file + " has no tensor '" + key + "'; it has " + all.keySet());
        }
        return t;
    }
}
