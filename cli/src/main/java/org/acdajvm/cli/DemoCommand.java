package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.io.AtomicFiles;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.train.AcdaModel;
import org.acdajvm.train.MseLoss;
import org.acdajvm.train.PlainConv;
import org.acdajvm.train.SgdMomentum;
import org.acdajvm.train.ToyPatterns;
import org.acdajvm.train.Trainer;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code acda demo}: the toy pattern detection of the ACDA paper (section 3.3, Figure 6). One
 * noisy map with rings at three scales; a plain convolution and an ACDA layer (one input and one
 * output channel, the same kernel size) are each trained with SGD and MSE to mark the ring centres;
 * then both are run on the map shifted by 20 pixels right and down, and the ACDA output is checked
 * to be the shifted ACDA output away from the borders, within the oracle's bound.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"The paper's toy pattern detection (section 3.3, Figure 6): trains a plain convolution and an "
                + "ACDA layer on one synthetic map, prints both final MSEs and checks ACDA's translation equivariance; "
                + "writes PNGs, a loss plot and index.html into --out."})
final class DemoCommand implements Callable<Integer> {

    /** Kernel size of both layers. */
    static final int KERNEL = 13;
    /** The shift of Figure 6(b), right and down. */
    static final int SHIFT = 20;

    @Spec
    CommandSpec spec;

    @Option(names = "--backend", paramLabel = "NAME", description = "backend of the ACDA layer; it needs a backward "
            + "(default: ${DEFAULT-VALUE})")
    String backend = "vector";

    @Option(names = "--seed", description = "seed of the map and of both initialisations (default: ${DEFAULT-VALUE})")
    long seed = 1;

    @Option(names = "--steps", paramLabel = "N", description = "at most N training steps per layer; each stops "
            + "earlier when its loss has not improved by 0.5% in 150 steps (default: ${DEFAULT-VALUE})")
    int steps = 400;

    @Option(names = "--size", paramLabel = "S", description = "the map is S x S pixels (default: ${DEFAULT-VALUE})")
    int size = 128;

    @Option(names = "--out", paramLabel = "DIR", description = "folder for the pictures and index.html, created if "
            + "needed (default: ${DEFAULT-VALUE})")
    Path out = Path.of("demo-out");

    @Option(names = "--threads", paramLabel = "T",
            description = "threads of the multi-threaded backends (default: all available processors)")
    Integer threads;

    @Override
    public Integer call() throws IOException {
        if (steps < 1 || steps > 1_000_000) {
            throw new IllegalArgumentException("--steps = " + steps + " is not allowed: expected 1..1000000");
        }
        if (size < 3 * KERNEL || size > 1024) {
            throw new IllegalArgumentException("--size = " + size + " is not allowed: expected " + 3 * KERNEL + "..1024");
        }
        Threads.apply(threads);
        PrintWriter pw = spec.commandLine().getOut();
        int rings = Math.max(3, (int) Math.round(25.0 * size * size / (128.0 * 128.0)));
        ToyPatterns.Sample sample = ToyPatterns.synthesize(seed, size, rings);
        Tensor x = sample.input();
        Tensor target = sample.target();
        double zeroLoss = MseLoss.loss(Tensor.zeros(target.shape()), target);
        pw.printf(Locale.ROOT, "acda demo: %dx%d map, %d rings of radius %d, %d and %d, seed %d; both layers K=%d, "
                + "1 channel in and out, SGD (momentum 0.9) on MSE, at most %d steps%n", size, size, rings,
                ToyPatterns.RADII[0], ToyPatterns.RADII[1], ToyPatterns.RADII[2], seed, KERNEL, steps);
        pw.printf(Locale.ROOT, "MSE of an output that is 0 everywhere: %.4g%n", zeroLoss);
        pw.flush();

        // The plain convolution: its gradient's curvature is about 2 sum x^2 over a window, so lr 0.05 is stable.
        Tensor w = Tensor.zeros(1, 1, KERNEL, KERNEL);
        AcdaInit.fill(w, new SplittableRandom(seed + 1), -1.0 / KERNEL, 1.0 / KERNEL);
        PlainConv conv = new PlainConv(w, Tensor.zeros(1), PaddingMode.ZEROS);
        Trainer.Model convModel = new Trainer.Model() {
            @Override
            public Tensor forward(Tensor in) {
                return conv.forward(in);
            }

            @Override
            public java.util.Map<String, Tensor> gradients(Tensor in, Tensor dy) {
                return conv.backward(in, dy);
            }

            @Override
            public java.util.Map<String, Tensor> parameters() {
                return conv.parameters();
            }
        };
        long t0 = System.nanoTime();
        Trainer.Result convRun = Trainer.train(convModel, x, target, new SgdMomentum(0.05, 0.9, 0.3), steps, 150, 0.005,
                progress("conv", t0));
        endProgress();
        long t1 = System.nanoTime();
        pw.printf(Locale.ROOT, "plain conv: %d steps in %.1f s, final MSE %.4g%n", convRun.steps(), (t1 - t0) / 1e9,
                convRun.finalLoss());
        pw.flush();

        // ACDA: B = 1 basis per scale keeps the generator (M*T*I*9 multiply-adds per pixel) small enough to train
        // in a minute (B = 2 was slower and, in 400 steps, worse); coef starts at a tenth of the reference init so
        // that the first outputs are near 0, not ~1. lr 0.6 with steps bounded to 0.1 reached the lowest loss in 400
        // steps of those tried (0.1, 0.3, 0.6; lr 0.3 with steps up to 1.0 diverged).
        AcdaConfig cfg = AcdaConfig.builder(1, 1, KERNEL).basesPerScale(1).build();
        AcdaLayer init = AcdaInit.reference(cfg, seed + 2);
        Tensor coef = init.param(AcdaLayer.COEF).copy();
        for (int i = 0; i < coef.size(); i++) {
            coef.data()[i] *= 0.1f;
        }
        init = init.with(AcdaLayer.COEF, coef);
        try (AcdaBackend b = Backends.require(backend)) {
            AcdaModel acda = new AcdaModel(init, b);
            Trainer.Result acdaRun = Trainer.train(acda, x, target, new SgdMomentum(0.6, 0.9, 0.1), steps, 150, 0.005,
                    progress("acda", t1));
            endProgress();
            long t2 = System.nanoTime();
            pw.printf(Locale.ROOT, "ACDA (%s, %s): %d steps in %.1f s, final MSE %.4g%n", cfg.summary(), b.name(),
                    acdaRun.steps(), (t2 - t1) / 1e9, acdaRun.finalLoss());
            pw.flush();

            AcdaLayer layer = acda.layer();
            Tensor yConv = conv.forward(x);
            Tensor yAcda = b.forward(layer, x);
            Tensor xs = ToyPatterns.shift(x, SHIFT, SHIFT);
            Tensor ts = ToyPatterns.shift(target, SHIFT, SHIFT);
            Tensor yConvS = conv.forward(xs);
            Tensor yAcdaS = b.forward(layer, xs);
            Equivariance eq = equivariance(layer, b, x, xs, yAcda, yAcdaS);
            Equivariance eqConv = equivariance(null, null, x, xs, yConv, yConvS);
            pw.printf(Locale.ROOT, "shifted input (%d right, %d down): plain conv MSE %.4g, ACDA MSE %.4g (against the "
                    + "shifted target)%n", SHIFT, SHIFT, MseLoss.loss(yConvS, ts), MseLoss.loss(yAcdaS, ts));
            pw.printf(Locale.ROOT, "equivariance: ACDA(shift x) vs shift(ACDA(x)) at %d pixels at least %d from every "
                    + "border: max |diff| %.3g, max |diff| / bound %.3g: %s (plain conv: max |diff| %.3g)%n", eq.pixels,
                    eq.margin, eq.maxDiff, eq.maxRatio, eq.maxRatio <= 1 ? "OK" : "FAILED", eqConv.maxDiff);

            Files.createDirectories(out);
            // Both outputs on one grey scale, from 0 to the larger of their maxima, so that they compare by eye.
            double hi = Math.max(0.05, Math.max(max(yConv), max(yAcda)));
            DemoImages.writeMap(out.resolve("input.png"), x, -0.3, 1.2, 2);
            DemoImages.writeMap(out.resolve("target.png"), target, 0, 1, 2);
            DemoImages.writeMap(out.resolve("conv.png"), yConv, 0, hi, 2);
            DemoImages.writeMap(out.resolve("acda.png"), yAcda, 0, hi, 2);
            DemoImages.writeMap(out.resolve("input-shifted.png"), xs, -0.3, 1.2, 2);
            DemoImages.writeMap(out.resolve("target-shifted.png"), ts, 0, 1, 2);
            DemoImages.writeMap(out.resolve("conv-shifted.png"), yConvS, 0, hi, 2);
            DemoImages.writeMap(out.resolve("acda-shifted.png"), yAcdaS, 0, hi, 2);
            double[] in = {-0.3, 1.2};
            double[] outs = {0, hi};
            DemoImages.writeGrid(out.resolve("summary.png"), new Tensor[][] {{x, target, yConv, yAcda},
                {xs, ts, yConvS, yAcdaS}}, new double[][] {in, {0, 1}, outs, outs});
            DemoImages.writeLossPlot(out.resolve("loss.png"), "plain conv", convRun.losses(), "ACDA", acdaRun.losses(),
                    zeroLoss);
            String html = html(cfg, b.name(), rings, zeroLoss, convRun, acdaRun, eq, MseLoss.loss(yConvS, ts),
                    MseLoss.loss(yAcdaS, ts));
            AtomicFiles.write(out.resolve("index.html"), o -> o.write(html.getBytes(StandardCharsets.UTF_8)));
            pw.printf("wrote %s: index.html, loss.png, summary.png and 8 maps (input, target, conv, acda, and each "
                    + "shifted)%n", out);
            pw.flush();
            return eq.maxRatio <= 1 ? AcdaCli.EXIT_OK : AcdaCli.EXIT_FAILED;
        }
    }

    private static double max(Tensor t) {
        double m = Double.NEGATIVE_INFINITY;
        for (float v : t.data()) {
            m = Math.max(m, v);
        }
        return m;
    }

    /** The result of comparing an output on the shifted input with the shifted output. */
    record Equivariance(long pixels, int margin, double maxDiff, double maxRatio) {
    }

    /**
     * Compares {@code ys[i, j]} with {@code y[i - SHIFT, j - SHIFT]} where both pixels are at least
     * {@code max(2, pad)} from every border (zero padding: nearer pixels see the border); with a layer,
     * the tolerance is the sum of the oracle's bounds of both elements.
     */
    private static Equivariance equivariance(AcdaLayer layer, AcdaBackend b, Tensor x, Tensor xs, Tensor y, Tensor ys) {
        int h = y.dim(2);
        int w = y.dim(3);
        int margin = Math.max(2, (KERNEL - 1) / 2);
        OracleResult o = layer == null ? null : AcdaOracle.forward(layer, x);
        OracleResult os = layer == null ? null : AcdaOracle.forward(layer, xs);
        long pixels = 0;
        double maxDiff = 0;
        double maxRatio = 0;
        for (int i = SHIFT + margin; i < h - margin; i++) {
            for (int j = SHIFT + margin; j < w - margin; j++) {
                int si = i - SHIFT;
                int sj = j - SHIFT;
                if (si >= h - margin || sj >= w - margin) {
                    continue;
                }
                double diff = Math.abs(ys.get(0, 0, i, j) - y.get(0, 0, si, sj));
                maxDiff = Math.max(maxDiff, diff);
                if (o != null) {
                    double tol = o.bound(si * w + sj, b.evaluation()) + os.bound(i * w + j, b.evaluation());
                    maxRatio = Math.max(maxRatio, diff / tol);
                }
                pixels++;
            }
        }
        return new Equivariance(pixels, margin, maxDiff, maxRatio);
    }

    /** A progress line on stderr (step, loss, time left at the current pace) when stderr is a terminal. */
    private Trainer.Listener progress(String name, long start) {
        if (System.console() == null) {
            return null;
        }
        PrintWriter err = spec.commandLine().getErr();
        return (step, loss, max) -> {
            if (step % 5 != 0 && step != max) {
                return;
            }
            double elapsed = (System.nanoTime() - start) / 1e9;
            double left = elapsed / step * (max - step);
            int bar = 30 * step / max;
            err.printf(Locale.ROOT, "\r%-5s [%-30s] step %d/%d  loss %.4g  %.0f s left  ", name, "#".repeat(bar), step, max,
                    loss, left);
            err.flush();
        };
    }

    private void endProgress() {
        if (System.console() != null) {
            spec.commandLine().getErr().print("\r" + " ".repeat(90) + "\r");
            spec.commandLine().getErr().flush();
        }
    }

    private static String html(AcdaConfig cfg, String backend, int rings, double zeroLoss, Trainer.Result conv,
                               Trainer.Result acda, Equivariance eq, double convShifted, double acdaShifted) {
        StringBuilder s = new StringBuilder();
        s.append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>acda demo</title>\n<style>body{font-family:sans-serif;"
                + "margin:2em} td{text-align:center;padding:4px} img{image-rendering:pixelated}</style></head><body>\n");
        s.append("<h1>Toy pattern detection (ACDA paper, section 3.3, Figure 6)</h1>\n");
        s.append(String.format(Locale.ROOT, "<p>%d rings of radius %d, %d and %d on a noisy map; target 1 at each centre. Both "
                + "layers: one input and one output channel, K = %d, SGD with momentum on MSE. ACDA: %s on backend %s. "
                + "MSE of an output that is 0 everywhere: %.4g.</p>\n", rings, ToyPatterns.RADII[0], ToyPatterns.RADII[1],
                ToyPatterns.RADII[2], KERNEL, cfg.summary(), backend, zeroLoss));
        s.append("<p>Grey scales: input from -0.3 (black) to 1.2 (white); target 0 to 1; both outputs from 0 to the larger "
                + "of their maxima.</p>\n");
        s.append("<table><tr><th></th><th>input</th><th>target</th><th>plain conv</th><th>ACDA</th></tr>\n");
        s.append(String.format(Locale.ROOT, "<tr><th>(a)</th><td><img src=\"input.png\"></td><td><img src=\"target.png\"></td>"
                + "<td><img src=\"conv.png\"><br>MSE %.4g (%d steps)</td><td><img src=\"acda.png\"><br>MSE %.4g (%d steps)</td></tr>\n",
                conv.finalLoss(), conv.steps(), acda.finalLoss(), acda.steps()));
        s.append(String.format(Locale.ROOT, "<tr><th>(b) shifted %d right and down</th><td><img src=\"input-shifted.png\"></td>"
                + "<td><img src=\"target-shifted.png\"></td><td><img src=\"conv-shifted.png\"><br>MSE %.4g</td>"
                + "<td><img src=\"acda-shifted.png\"><br>MSE %.4g</td></tr></table>\n", SHIFT, convShifted, acdaShifted));
        s.append(String.format(Locale.ROOT, "<p>Equivariance: ACDA(shift x) against shift(ACDA(x)) at %d pixels at least %d "
                + "from every border: max |diff| %.3g, max |diff| / bound %.3g (%s).</p>\n", eq.pixels, eq.margin, eq.maxDiff,
                eq.maxRatio, eq.maxRatio <= 1 ? "within the bound" : "BEYOND the bound"));
        s.append("<h2>Loss</h2><p><img src=\"loss.png\"></p>\n<h2>All maps at their size</h2><p><img src=\"summary.png\">"
                + "</p>\n</body></html>\n");
        return s.toString();
    }
}
