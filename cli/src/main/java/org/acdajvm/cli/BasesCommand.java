package org.acdajvm.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import javax.imageio.ImageIO;

import org.acdajvm.basis.FourierBessel;
import org.acdajvm.io.AtomicFiles;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code acda bases}: the multi-scale Fourier-Bessel bases as a table, and optionally a PNG grid. */
@Command(name = "bases", mixinStandardHelpOptions = true,
        description = {"Prints the multi-scale Fourier-Bessel bases Psi[t][u] of an ACDA layer (DESIGN section 4) as "
                + "K x K tables, and with --png writes them as an image: one row per scale, one tile per basis, "
                + "red positive, blue negative, white zero, on one colour scale for all tiles."})
final class BasesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = {"-k", "--kernel-size"}, paramLabel = "K", required = true, description = "kernel size K, odd >= 3")
    int kernelSize;

    @Option(names = {"-b", "--per-scale"}, paramLabel = "B", description = "bases per scale, 1..6 (default: ${DEFAULT-VALUE})")
    int perScale = 6;

    @Option(names = "--png", paramLabel = "FILE", description = "also write the bases as a PNG grid")
    Path png;

    @Option(names = "--cell", paramLabel = "PX", description = "pixels per kernel tap in the PNG, 2..64 (default: ${DEFAULT-VALUE})")
    int cell = 16;

    @Option(names = "--quiet", description = "do not print the tables")
    boolean quiet;

    @Override
    public Integer call() throws IOException {
        if (cell < 2 || cell > 64) {
            throw new IllegalArgumentException("--cell = " + cell + " is not allowed: expected 2..64");
        }
        double[][] psi = FourierBessel.multiScale(kernelSize, perScale);
        int scales = (kernelSize - 1) / 2;
        PrintWriter out = spec.commandLine().getOut();
        out.printf(Locale.ROOT, "Fourier-Bessel bases for K=%d, B=%d: T=%d bases of %d taps (scales L=1..%d)%n", kernelSize, perScale,
                psi.length, kernelSize * kernelSize, scales);
        if (!quiet) {
            for (int t = 0; t < psi.length; t++) {
                int l = t / perScale + 1;
                FourierBessel.Scale s = FourierBessel.singleScale(l);
                out.printf(Locale.ROOT, "%nt=%d  scale L=%d (%dx%d, c=%.12f)  mode %s%n", t, l, 2 * l + 1, 2 * l + 1,
                        s.normalisation(), s.modes().get(t % perScale));
                for (int a = 0; a < kernelSize; a++) {
                    StringBuilder row = new StringBuilder();
                    for (int b = 0; b < kernelSize; b++) {
                        row.append(String.format(Locale.ROOT, "%11.7f", psi[t][a * kernelSize + b]));
                    }
                    out.println(row);
                }
            }
        }
        if (png != null) {
            BufferedImage img = render(psi, kernelSize, perScale, cell);
            AtomicFiles.write(png, o -> {
                if (!ImageIO.write(img, "png", o)) {
                    throw new IOException("no PNG writer in this Java runtime");
                }
            });
            out.printf("%nwrote %s (%dx%d pixels, %d rows of %d tiles)%n", png, img.getWidth(), img.getHeight(), scales,
                    perScale);
        }
        out.flush();
        return AcdaCli.EXIT_OK;
    }

    /** One row per scale, one tile per basis; a gap of one cell between tiles. */
    static BufferedImage render(double[][] psi, int k, int perScale, int cell) {
        int scales = (k - 1) / 2;
        double max = 0;
        for (double[] p : psi) {
            for (double v : p) {
                max = Math.max(max, Math.abs(v));
            }
        }
        int tile = k * cell;
        int w = perScale * tile + (perScale + 1) * cell;
        int h = scales * tile + (scales + 1) * cell;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, 0x808080);
            }
        }
        for (int t = 0; t < psi.length; t++) {
            int row = t / perScale;
            int col = t % perScale;
            int x0 = cell + col * (tile + cell);
            int y0 = cell + row * (tile + cell);
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    int rgb = colour(psi[t][a * k + b] / max);
                    for (int dy = 0; dy < cell; dy++) {
                        for (int dx = 0; dx < cell; dx++) {
                            img.setRGB(x0 + b * cell + dx, y0 + a * cell + dy, rgb);
                        }
                    }
                }
            }
        }
        return img;
    }

    /** Diverging map: -1 blue, 0 white, +1 red. */
    static int colour(double v) {
        double c = Math.max(-1, Math.min(1, v));
        int fade = (int) Math.round(255 * (1 - Math.abs(c)));
        return c >= 0 ? (255 << 16) | (fade << 8) | fade : (fade << 16) | (fade << 8) | 255;
    }
}
