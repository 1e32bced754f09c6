package org.acdajvm.cli;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
                + "K x K tables, and with --png writes them as an image: one row per scale, one tile per basis "
                + "labelled with its index t, scale L, Bessel order k, zero index q and cos/sin; red positive, blue "
                + "negative, white zero, on one colour scale for all tiles (drawn below them); taps outside a scale's "
                + "support hatched grey."})
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
        if (png != null) {
            // A PNG too large for an image or for the heap fails before any output.
            Layout layout = Layout.of(kernelSize, perScale, cell, labels(kernelSize, perScale));
            Memory.require(layout.bytes(), "the PNG of " + layout.width() + " x " + layout.height() + " pixels",
                    "--cell (now " + cell + ") or -k");
        }
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

    static final int BACKGROUND = 0xE8E8E8;
    static final int TEXT = 0x000000;
    /** The two greys of the hatching that marks taps outside a scale's support (zero by definition, not by value). */
    static final int OUTSIDE_LIGHT = 0xB4B4B4;
    static final int OUTSIDE_DARK = 0x7C7C7C;

    /** Two label lines per basis: {@code t=3 L=1} and the Bessel order k, zero index q and angular part. */
    static List<String[]> labels(int k, int perScale) {
        List<String[]> out = new ArrayList<>();
        int scales = (k - 1) / 2;
        for (int l = 1; l <= scales; l++) {
            FourierBessel.Scale s = FourierBessel.singleScale(l);
            for (int e = 0; e < perScale; e++) {
                FourierBessel.Mode m = s.modes().get(e);
                String angular = switch (m.angular()) {
                    case NONE -> "";
                    case COS -> " cos";
                    case SIN -> " sin";
                };
                out.add(new String[] {"t=" + out.size() + " L=" + l, "k=" + m.k() + " q=" + m.q() + angular});
            }
        }
        return out;
    }

    /** The layout of the PNG, from which both the memory estimate and the drawing work. */
    record Layout(int k, int perScale, int cell, int font, int gap, int labelHeight, int column, int width, int height,
                  int legendTop) {
        static Layout of(int k, int perScale, int cell, List<String[]> labels) {
            int font = cell >= 12 ? 2 : 1;
            int line = (BitmapFont.HEIGHT + 2) * font;
            int labelHeight = 2 * line + 2 * font;
            int labelWidth = 0;
            for (String[] l : labels) {
                labelWidth = Math.max(labelWidth, Math.max(BitmapFont.width(l[0], font), BitmapFont.width(l[1], font)));
            }
            long tile = (long) k * cell;
            int gap = Math.max(cell, 4 * font);
            long column = Math.max(tile, labelWidth);
            int scales = (k - 1) / 2;
            long gridWidth = perScale * column + (perScale + 1L) * gap;
            long legendWidth = 2L * gap + legendTextWidth(font, line, gap);
            long width = Math.max(gridWidth, legendWidth);
            long legendTop = scales * (labelHeight + tile) + (scales + 1L) * gap;
            long height = legendTop + Math.max(6, cell) + 2L * line + 2L * gap;
            if (width * height > Integer.MAX_VALUE - 16) {
                throw new IllegalArgumentException("the PNG would be " + width + " x " + height + " pixels, more than an "
                        + "image can hold: lower --cell (now " + cell + ") or -k");
            }
            return new Layout(k, perScale, cell, font, gap, labelHeight, (int) column, (int) width, (int) height,
                    (int) legendTop);
        }

        /** Heap for the image (4 bytes a pixel) and the PNG encoder's buffers (about as much again). */
        long bytes() {
            return (long) width * height * 4 * 2;
        }
    }

    private static int legendTextWidth(int font, int line, int gap) {
        return line + gap / 2 + BitmapFont.width("zero", font) + 2 * gap + line + gap / 2
                + BitmapFont.width("outside support", font);
    }

    /**
     * One row per scale, one tile per basis with its label above it, then a colour scale: red
     * positive, blue negative, white zero, on one scale for all tiles; taps outside a scale's
     * {@code (2L+1) x (2L+1)} support are hatched grey, so that they do not look like zero taps.
     */
    static BufferedImage render(double[][] psi, int k, int perScale, int cell) {
        List<String[]> labels = labels(k, perScale);
        Layout lay = Layout.of(k, perScale, cell, labels);
        double max = 0;
        for (double[] p : psi) {
            for (double v : p) {
                max = Math.max(max, Math.abs(v));
            }
        }
        BufferedImage img = new BufferedImage(lay.width(), lay.height(), BufferedImage.TYPE_INT_RGB);
        fill(img, 0, 0, lay.width(), lay.height(), BACKGROUND);
        int tile = k * cell;
        int centre = (k - 1) / 2;
        int hatch = Math.max(1, cell / 4);
        for (int t = 0; t < psi.length; t++) {
            int row = t / perScale;
            int col = t % perScale;
            int l = row + 1;
            int x0 = lay.gap() + col * (lay.column() + lay.gap());
            int y0 = lay.gap() + row * (lay.labelHeight() + tile + lay.gap());
            int line = (BitmapFont.HEIGHT + 2) * lay.font();
            BitmapFont.draw(img, labels.get(t)[0], x0, y0, lay.font(), TEXT);
            BitmapFont.draw(img, labels.get(t)[1], x0, y0 + line, lay.font(), TEXT);
            int ty = y0 + lay.labelHeight();
            for (int a = 0; a < k; a++) {
                for (int b = 0; b < k; b++) {
                    boolean outside = Math.abs(a - centre) > l || Math.abs(b - centre) > l;
                    int rgb = colour(psi[t][a * k + b] / max);
                    for (int dy = 0; dy < cell; dy++) {
                        for (int dx = 0; dx < cell; dx++) {
                            int px = x0 + b * cell + dx;
                            int py = ty + a * cell + dy;
                            img.setRGB(px, py, !outside ? rgb
                                    : ((px / hatch + py / hatch) % 2 == 0 ? OUTSIDE_LIGHT : OUTSIDE_DARK));
                        }
                    }
                }
            }
        }
        drawLegend(img, lay, max);
        return img;
    }

    /** The colour bar from -max to +max with its three values, and the swatches for zero and outside. */
    private static void drawLegend(BufferedImage img, Layout lay, double max) {
        int font = lay.font();
        int line = (BitmapFont.HEIGHT + 2) * font;
        int x0 = lay.gap();
        int barWidth = lay.width() - 2 * lay.gap();
        int barHeight = Math.max(6, lay.cell());
        int y = lay.legendTop();
        for (int i = 0; i < barWidth; i++) {
            fill(img, x0 + i, y, 1, barHeight, colour(-1 + 2.0 * i / Math.max(1, barWidth - 1)));
        }
        y += barHeight + font * 2;
        String hi = String.format(Locale.ROOT, "%.3g", max);
        BitmapFont.draw(img, "-" + hi, x0, y, font, TEXT);
        BitmapFont.draw(img, "0", x0 + barWidth / 2 - BitmapFont.width("0", font) / 2, y, font, TEXT);
        BitmapFont.draw(img, "+" + hi, x0 + barWidth - BitmapFont.width("+" + hi, font), y, font, TEXT);
        y += line + lay.gap() / 2;
        int box = line - 2 * font;
        int x = x0;
        fill(img, x, y, box, box, TEXT);                        // a frame, so that white shows on the background
        fill(img, x + 1, y + 1, box - 2, box - 2, 0xFFFFFF);
        x += box + lay.gap() / 2;
        BitmapFont.draw(img, "zero", x, y, font, TEXT);
        x += BitmapFont.width("zero", font) + 2 * lay.gap();
        int hatch = Math.max(1, lay.cell() / 4);
        for (int dy = 0; dy < box; dy++) {
            for (int dx = 0; dx < box; dx++) {
                int px = x + dx;
                int py = y + dy;
                if (px < img.getWidth() && py < img.getHeight()) {
                    img.setRGB(px, py, (px / hatch + py / hatch) % 2 == 0 ? OUTSIDE_LIGHT : OUTSIDE_DARK);
                }
            }
        }
        x += box + lay.gap() / 2;
        BitmapFont.draw(img, "outside support", x, y, font, TEXT);
    }

    private static void fill(BufferedImage img, int x, int y, int w, int h, int rgb) {
        for (int py = Math.max(0, y); py < Math.min(img.getHeight(), y + h); py++) {
            for (int px = Math.max(0, x); px < Math.min(img.getWidth(), x + w); px++) {
                img.setRGB(px, py, rgb);
            }
        }
    }

    /** Diverging map: -1 blue, 0 white, +1 red. */
    static int colour(double v) {
        double c = Math.max(-1, Math.min(1, v));
        int fade = (int) Math.round(255 * (1 - Math.abs(c)));
        return c >= 0 ? (255 << 16) | (fade << 8) | fade : (fade << 16) | (fade << 8) | 255;
    }
}
