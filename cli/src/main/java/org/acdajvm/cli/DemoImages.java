package org.acdajvm.cli;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

import javax.imageio.ImageIO;

import org.acdajvm.io.AtomicFiles;
import org.acdajvm.tensor.Tensor;

/** The pictures of {@code acda demo}: maps as grey-scale PNGs and the loss curves as a plot (javax.imageio only). */
final class DemoImages {

    private DemoImages() {
    }

    /**
     * Writes channel 0 of image 0 of {@code t} ({@code [N, C, H, W]}) as a grey-scale PNG, {@code lo}
     * black and {@code hi} white (clamped), each pixel drawn {@code zoom x zoom}.
     */
    static void writeMap(Path file, Tensor t, double lo, double hi, int zoom) throws IOException {
        int h = t.dim(2);
        int w = t.dim(3);
        BufferedImage img = new BufferedImage(w * zoom, h * zoom, BufferedImage.TYPE_BYTE_GRAY);
        for (int i = 0; i < h; i++) {
            for (int j = 0; j < w; j++) {
                double v = (t.get(0, 0, i, j) - lo) / (hi - lo);
                int g = (int) Math.round(255 * Math.max(0, Math.min(1, v)));
                int rgb = (g << 16) | (g << 8) | g;
                for (int a = 0; a < zoom; a++) {
                    for (int b = 0; b < zoom; b++) {
                        img.setRGB(j * zoom + b, i * zoom + a, rgb);
                    }
                }
            }
        }
        write(file, img);
    }

    /**
     * A grid of maps (channel 0 of image 0 of each), {@code grid[row][col]}, each drawn with its own
     * {@code [lo, hi]} range from {@code ranges[col]}, with a 4-pixel white gap between tiles.
     */
    static void writeGrid(Path file, Tensor[][] grid, double[][] ranges) throws IOException {
        int h = grid[0][0].dim(2);
        int w = grid[0][0].dim(3);
        int gap = 4;
        int rows = grid.length;
        int cols = grid[0].length;
        BufferedImage img = new BufferedImage(cols * (w + gap) - gap, rows * (h + gap) - gap, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.dispose();
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                Tensor t = grid[r][c];
                for (int i = 0; i < h; i++) {
                    for (int j = 0; j < w; j++) {
                        double v = (t.get(0, 0, i, j) - ranges[c][0]) / (ranges[c][1] - ranges[c][0]);
                        int gray = (int) Math.round(255 * Math.max(0, Math.min(1, v)));
                        img.setRGB(c * (w + gap) + j, r * (h + gap) + i, (gray << 16) | (gray << 8) | gray);
                    }
                }
            }
        }
        write(file, img);
    }

    /** A plot of two loss curves against the step, log-scaled loss axis. */
    static void writeLossPlot(Path file, String nameA, double[] a, String nameB, double[] b, double floor) throws IOException {
        int width = 720;
        int height = 420;
        int left = 80;
        int right = 20;
        int top = 30;
        int bottom = 50;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (double[] curve : new double[][] {a, b}) {
            for (double v : curve) {
                lo = Math.min(lo, v);
                hi = Math.max(hi, v);
            }
        }
        lo = Math.min(lo, floor);
        double logLo = Math.floor(Math.log10(lo) * 4) / 4;
        double logHi = Math.ceil(Math.log10(hi) * 4) / 4;
        if (logHi <= logLo) {
            logHi = logLo + 0.25;
        }
        int steps = Math.max(2, Math.max(a.length, b.length));
        int pw = width - left - right;
        int ph = height - top - bottom;
        g.setColor(new Color(230, 230, 230));
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        for (double e = Math.ceil(logLo * 4) / 4; e <= logHi + 1e-9; e += 0.25) {
            int y = top + (int) Math.round(ph * (logHi - e) / (logHi - logLo));
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, left + pw, y);
            g.setColor(Color.DARK_GRAY);
            g.drawString(String.format(Locale.ROOT, "%.2g", Math.pow(10, e)), 8, y + 4);
        }
        g.setColor(Color.DARK_GRAY);
        g.drawRect(left, top, pw, ph);
        for (int s = 0; s <= 4; s++) {
            int x = left + pw * s / 4;
            g.drawString(Integer.toString((steps - 1) * s / 4 + 1), x - 8, top + ph + 18);
        }
        g.drawString("step", left + pw / 2 - 12, height - 12);
        g.drawString("MSE (log scale)", left, top - 10);
        // The loss of predicting 0 everywhere, for scale.
        int yf = top + (int) Math.round(ph * (logHi - Math.log10(floor)) / (logHi - logLo));
        g.setColor(Color.GRAY);
        g.setStroke(new BasicStroke(1f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[] {4f, 4f}, 0f));
        g.drawLine(left, yf, left + pw, yf);
        g.drawString("output 0 everywhere", left + pw - 130, yf - 4);
        Color[] colours = {new Color(200, 60, 40), new Color(30, 90, 200)};
        String[] names = {nameA, nameB};
        double[][] curves = {a, b};
        g.setStroke(new BasicStroke(2f));
        for (int c = 0; c < 2; c++) {
            g.setColor(colours[c]);
            int px = -1;
            int py = -1;
            for (int s = 0; s < curves[c].length; s++) {
                int x = left + (int) Math.round(pw * (double) s / (steps - 1));
                double lv = Math.max(logLo, Math.min(logHi, Math.log10(curves[c][s])));
                int y = top + (int) Math.round(ph * (logHi - lv) / (logHi - logLo));
                if (px >= 0) {
                    g.drawLine(px, py, x, y);
                }
                px = x;
                py = y;
            }
            g.drawString(names[c], left + 12, top + 18 + 16 * c);
        }
        g.dispose();
        write(file, img);
    }

    private static void write(Path file, BufferedImage img) throws IOException {
        AtomicFiles.write(file, o -> {
            if (!ImageIO.write(img, "png", o)) {
                throw new IOException("no PNG writer in this JDK");
            }
        });
    }
}
