package org.acdajvm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import javax.imageio.ImageIO;

import org.acdajvm.io.CaseFolder;
import org.acdajvm.io.Npy;
import org.acdajvm.io.Weights;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.opencl.ClDevice;
import org.acdajvm.opencl.OpenClDevices;
import org.acdajvm.oracle.AcdaOracle;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.ErrorReport;
import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The {@code acda} command end to end, in-process: output, files and exit codes. */
class AcdaCliTest {

    @TempDir
    Path dir;

    record Result(int code, String out, String err) {
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = AcdaCli.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Result(code, out.toString(), err.toString());
    }

    @Test
    void checkPassesEveryBackendAndPrintsOneRowEach() {
        Result r = run("check", "--kernel-size", "5", "--in-channels", "3", "--out-channels", "4", "--height", "9",
                "--width", "7", "--stride", "2", "--padding", "circular");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().contains("C=3 O=4 K=5 s=2 d=1 circular"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("oracle ") && l.endsWith("ok")), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("scalar ") && l.endsWith("ok")), r.out());
        assertTrue(r.out().contains("PASS"), r.out());
    }

    @Test
    void checkOfOneBackendAndBadArguments() {
        Result r = run("check", "--backends", "scalar", "-k", "3", "--in-channels", "2", "--out-channels", "2",
                "--height", "5", "--width", "5");
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(r.out().lines().anyMatch(l -> l.startsWith("oracle ")), r.out());

        assertUsageError(run("check", "--kernel-size", "4"), "kernel size K = 4 is not allowed: expected an odd integer");
        assertUsageError(run("check", "--backends", "nosuch"), "backend = 'nosuch' is unknown");
        assertUsageError(run("check", "--padding", "reflect"), "--padding = 'reflect'");
        assertUsageError(run("check", "--height", "0"), "must be >= 1");
        assertUsageError(run("check", "--bogus"), "Unknown option: '--bogus'");
        assertUsageError(run("check", "--stride", "x"), "Invalid value for option '--stride'");
        assertUsageError(run(), "a command is required");
    }

    @Test
    void forwardWithWeightsFileAndCaseFolderMatchesTheOracle() throws IOException {
        AcdaConfig cfg = AcdaConfig.builder(3, 2, 5).stride(2).padding(PaddingMode.CIRCULAR).atoms(3).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 4);
        Tensor x = AcdaInit.input(cfg, 2, 9, 8, 5);
        Weights.writeSafeTensors(dir.resolve("w.safetensors"), layer.stateDict());
        Npy.write(dir.resolve("x.npy"), x);

        Result r = run("forward", "--weights", dir.resolve("w.safetensors").toString(), "--input",
                dir.resolve("x.npy").toString(), "--output", dir.resolve("y.npy").toString(), "--stride", "2",
                "--padding", "circular");
        assertEquals(0, r.code(), r.out() + r.err());
        Tensor y = Npy.read(dir.resolve("y.npy"), false);
        ErrorReport rep = ErrorReport.compare(AcdaOracle.forward(layer, x), y, ErrorBounds.Evaluation.TWO_LAYER);
        assertTrue(rep.accepted(), rep.describe());

        Path c = dir.resolve("case");
        Files.createDirectories(c);
        Weights.writeFolder(c.resolve("weights"), layer.stateDict());
        Npy.write(c.resolve("x.npy"), x);
        Files.writeString(c.resolve(CaseFolder.CASE_FILE), CaseFolder.toJson(cfg, "weights", "x.npy", null));
        Result r2 = run("forward", "--case", c.toString(), "--output", dir.resolve("y2.npy").toString(), "--backend", "oracle");
        assertEquals(0, r2.code(), r2.out() + r2.err());
        assertTrue(ErrorReport.compare(AcdaOracle.forward(layer, x), Npy.read(dir.resolve("y2.npy"), false),
                ErrorBounds.Evaluation.TWO_LAYER).accepted());
    }

    @Test
    void forwardErrorsAreOneLineAndLeaveNoOutputFile() throws IOException {
        AcdaConfig cfg = AcdaConfig.builder(3, 2, 3).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 4);
        Path w = dir.resolve("w.safetensors");
        Weights.writeSafeTensors(w, layer.stateDict());
        Npy.write(dir.resolve("x4.npy"), Tensor.zeros(1, 4, 5, 5));
        Path out = dir.resolve("y.npy");
        assertUsageError(run("forward", "--weights", w.toString(), "--input", dir.resolve("x4.npy").toString(), "--output",
                out.toString()), "expected C = 3");
        assertFalse(Files.exists(out));
        assertUsageError(run("forward", "--weights", dir.resolve("nope.safetensors").toString(), "--input", "x.npy",
                "--output", out.toString()), "nope.safetensors");
        assertUsageError(run("forward", "--weights", w.toString(), "--output", out.toString()), "--input X.npy is required");
        assertUsageError(run("forward", "--input", "x.npy", "--output", out.toString()), "Missing required argument");
        Files.writeString(dir.resolve("bad.npy"), "garbage");
        assertUsageError(run("forward", "--weights", w.toString(), "--input", dir.resolve("bad.npy").toString(),
                "--output", out.toString()), "bad.npy: file is 7 bytes, too short");
        assertFalse(Files.exists(out));
    }

    @Test
    void basesPrintsTablesAndWritesAPng() throws IOException {
        Path png = dir.resolve("b.png");
        Result r = run("bases", "--kernel-size", "5", "--per-scale", "3", "--png", png.toString(), "--cell", "4");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("T=6 bases of 25 taps"), r.out());
        assertTrue(r.out().contains("t=0  scale L=1 (3x3, c=2.861714150705)  mode (0,1)"), r.out());
        // Element 0 of L=1 padded into 5x5: the centre is 0.6731052.
        assertTrue(r.out().contains("  0.673105"), r.out());
        BufferedImage img = ImageIO.read(png.toFile());
        BasesCommand.Layout lay = BasesCommand.Layout.of(5, 3, 4, BasesCommand.labels(5, 3));
        assertEquals(lay.width(), img.getWidth());
        assertEquals(lay.height(), img.getHeight());
        assertTrue(r.out().contains("wrote " + png + " (" + img.getWidth() + "x" + img.getHeight()), r.out());
        assertUsageError(run("bases", "--kernel-size", "6"), "kernel size K = 6");
        assertUsageError(run("bases", "--kernel-size", "5", "--per-scale", "0"), "B = 0");
    }

    /**
     * Every tile is labelled (index, scale, Bessel order, zero index, cos/sin), a colour scale runs
     * from blue to red below the tiles, and a tap outside a scale's support does not look like a
     * zero tap.
     */
    @Test
    void basesPngLabelsTilesDrawsAColourScaleAndMarksTapsOutsideTheSupport() {
        int k = 5;
        int b = 3;
        int cell = 8;
        var labels = BasesCommand.labels(k, b);
        assertEquals(6, labels.size());
        assertEquals("t=0 L=1", labels.get(0)[0]);
        assertEquals("k=0 q=1", labels.get(0)[1]);
        assertEquals("k=1 q=1 cos", labels.get(1)[1]);
        assertEquals("k=1 q=1 sin", labels.get(2)[1]);
        assertEquals("t=3 L=2", labels.get(3)[0]);
        double[][] psi = org.acdajvm.basis.FourierBessel.multiScale(k, b);
        BufferedImage img = BasesCommand.render(psi, k, b, cell);
        BasesCommand.Layout lay = BasesCommand.Layout.of(k, b, cell, labels);
        for (int t = 0; t < psi.length; t++) {
            int x0 = lay.gap() + (t % b) * (lay.column() + lay.gap());
            int y0 = lay.gap() + (t / b) * (lay.labelHeight() + k * cell + lay.gap());
            // The label strip above the tile holds exactly the pixels of its text.
            BufferedImage expected = new BufferedImage(img.getWidth(), img.getHeight(), BufferedImage.TYPE_INT_RGB);
            int line = (BitmapFont.HEIGHT + 2) * lay.font();
            BitmapFont.draw(expected, labels.get(t)[0], x0, y0, lay.font(), 0xFFFFFF);
            BitmapFont.draw(expected, labels.get(t)[1], x0, y0 + line, lay.font(), 0xFFFFFF);
            int textPixels = 0;
            for (int y = y0; y < y0 + lay.labelHeight(); y++) {
                for (int x = x0; x < x0 + lay.column(); x++) {
                    boolean text = (expected.getRGB(x, y) & 0xFFFFFF) == 0xFFFFFF;
                    assertEquals(text ? BasesCommand.TEXT : BasesCommand.BACKGROUND, img.getRGB(x, y) & 0xFFFFFF,
                            "tile " + t + " label pixel (" + x + ", " + y + ")");
                    textPixels += text ? 1 : 0;
                }
            }
            assertTrue(textPixels > 50, "tile " + t + " has a label");
            int ty = y0 + lay.labelHeight();
            int l = t / b + 1;
            for (int a = 0; a < k; a++) {
                for (int c = 0; c < k; c++) {
                    int rgb = img.getRGB(x0 + c * cell + cell / 2, ty + a * cell + cell / 2) & 0xFFFFFF;
                    boolean outside = Math.abs(a - 2) > l || Math.abs(c - 2) > l;
                    if (outside) {
                        assertTrue(rgb == BasesCommand.OUTSIDE_LIGHT || rgb == BasesCommand.OUTSIDE_DARK,
                                "tap (" + a + ", " + c + ") of tile " + t + " is outside the support: hatched");
                    } else if (psi[t][a * k + c] == 0) {
                        assertEquals(0xFFFFFF, rgb, "a zero tap inside the support is white");
                    }
                }
            }
        }
        // The centre of a k = 1 mode is exactly zero (J_1(0) = 0): the case the hatching must not be confused with.
        assertEquals(0.0, psi[1][2 * k + 2]);
        int barY = lay.legendTop() + 1;
        assertEquals(BasesCommand.colour(-1), img.getRGB(lay.gap(), barY) & 0xFFFFFF, "the scale starts blue");
        assertEquals(BasesCommand.colour(1), img.getRGB(img.getWidth() - lay.gap() - 1, barY) & 0xFFFFFF, "and ends red");
        int mid = img.getRGB(img.getWidth() / 2, barY);
        assertTrue((mid & 0xFF) > 0xF0 && (mid >> 8 & 0xFF) > 0xF0 && (mid >> 16 & 0xFF) > 0xF0, "white in the middle");
    }

    /** Exit 0 either way: with a device it is listed and marked as the one in use, without one the reason is printed. */
    @Test
    void devicesListsTheOpenClDevicesOrSaysWhyThereAreNone() {
        Result r = run("devices");
        assertEquals(0, r.code(), r.out() + r.err());
        OpenClDevices.Listing listing = OpenClDevices.list();
        if (listing.problem().isPresent()) {
            assertTrue(r.out().startsWith("acda devices: no OpenCL device found: " + listing.problem().get()), r.out());
            return;
        }
        ClDevice first = listing.devices().getFirst();
        assertTrue(r.out().contains(listing.devices().size() + " OpenCL device(s)"), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.contains(first.platformName()) && l.contains(first.name())
                && l.contains(first.type())), r.out());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("*")), "the device in use is marked: " + r.out());
        assertTrue(r.out().contains("global mem") && r.out().contains("local mem") && r.out().contains("max work-group"),
                r.out());
    }

    @Test
    void checkRunsTheOpenClBackendOnTheChosenDevice() {
        Result bad = run("check", "--backends", "scalar,opencl", "--device", "no-such-device", "-k", "3", "--in-channels",
                "2", "--out-channels", "2", "--height", "6", "--width", "5");
        assertEquals(1, bad.code(), "a backend asked for by name that cannot run fails the check: " + bad.out() + bad.err());
        assertTrue(bad.out().lines().anyMatch(l -> l.startsWith("opencl ") && l.endsWith("unavailable")), bad.out());
        assertTrue(bad.out().lines().anyMatch(l -> l.startsWith("scalar ") && l.endsWith("ok")), bad.out());
        assertTrue(bad.out().contains("FAIL: 1 backend(s) checked (requested but unavailable: opencl)"), bad.out());
        assertEquals(null, System.getProperty(OpenClDevices.DEVICE_PROPERTY), "--device is restored after the command");
        if (OpenClDevices.list().problem().isPresent()) {
            return;
        }
        assertTrue(bad.out().contains("no OpenCL device matches 'no-such-device'"), bad.out());
        Result r = run("check", "--backends", "opencl", "--device", "0", "-k", "5", "--in-channels", "3",
                "--out-channels", "4", "--height", "11", "--width", "9", "--stride", "2", "--padding", "circular");
        assertEquals(0, r.code(), r.out() + r.err());
        assertTrue(r.out().lines().anyMatch(l -> l.startsWith("opencl ") && l.endsWith("ok")), r.out());
        assertTrue(r.out().contains(OpenClDevices.list().devices().getFirst().name()), "the note names the device: " + r.out());
    }

    private static void assertUsageError(Result r, String fragment) {
        assertEquals(2, r.code(), "exit code; out: " + r.out() + " err: " + r.err());
        assertTrue(r.err().contains(fragment), "stderr '" + r.err() + "' should contain '" + fragment + "'");
        assertEquals(1, r.err().strip().lines().count(), "one line on stderr: " + r.err());
    }
}
