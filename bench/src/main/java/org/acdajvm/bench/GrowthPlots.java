package org.acdajvm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToDoubleFunction;

import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

import org.acdajvm.io.AtomicFiles;

/** PNG plots (XChart, log-log) of time against H*W, C and K, one series per backend. */
final class GrowthPlots {

    private GrowthPlots() {
    }

    /** Writes the plots that have data into {@code dir}; returns their file names. */
    static List<String> write(Path dir, ForkResults results) throws IOException {
        Files.createDirectories(dir);
        List<String> files = new ArrayList<>();
        plot(dir, results, "hw-", "time against H*W (C=O=32, K=5, N=1)", "H*W (output pixels)",
                c -> (double) c.height() * c.width(), "growth-hw.png", files);
        plot(dir, results, "c-", "time against C (C=O, 32x32, K=5, N=1)", "C = O", c -> c.channels(), "growth-c.png", files);
        plot(dir, results, "k-", "time against K (C=O=64, 56x56, N=1)", "K", c -> c.kernelSize(), "growth-k.png", files);
        return files;
    }

    private static void plot(Path dir, ForkResults results, String prefix, String title, String xLabel,
                             ToDoubleFunction<BenchConfig> x, String file, List<String> files) throws IOException {
        XYChart chart = new XYChartBuilder().width(800).height(520).title(title).xAxisTitle(xLabel)
                .yAxisTitle("time per forward (ms, median)").build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setMarkerSize(7);
        int series = 0;
        for (String[] m : new String[][] {{"forwardVector", "ACDA, vector"}, {"plainConvVector", "plain conv, vector"},
                {"forwardScalar", "ACDA, scalar"}}) {
            List<Double> xs = new ArrayList<>();
            List<Double> ys = new ArrayList<>();
            for (String c : BenchConfig.names(prefix)) {
                Optional<ForkResults.Spread> r = results.summary(m[0], c);
                if (r.isPresent()) {
                    xs.add(x.applyAsDouble(BenchConfig.of(c)));
                    ys.add(r.get().median());
                }
            }
            if (xs.size() >= 2) {
                XYSeries s = chart.addSeries(m[1], xs, ys);
                s.setMarker(SeriesMarkers.CIRCLE);
                series++;
            }
        }
        if (series == 0) {
            return;
        }
        Path target = dir.resolve(file);
        AtomicFiles.write(target, o -> BitmapEncoder.saveBitmap(chart, o, BitmapEncoder.BitmapFormat.PNG));
        files.add(file);
    }
}
