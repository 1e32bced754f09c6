package org.acdajvm.oracle;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * Runs {@link AcdaOracle} on every core: the output pixels of one image are independent, so rows of
 * them are handed to threads, each calling the oracle's own {@link AcdaOracle#pixel} with its own
 * work arrays. Every element is computed by the same code, in the same order, as in the sequential
 * {@link AcdaOracle#forward}: the result is bit-identical (asserted in {@code OracleRunnerTest}). The
 * generator of each image is computed once, sequentially, before its pixels.
 */
public final class OracleRunner {

    private OracleRunner() {
    }

    /** The oracle's forward on {@code threads} threads, at every pixel. */
    public static OracleResult forward(AcdaLayer layer, Tensor x, int threads) {
        return forward(layer, x, threads, null, null);
    }

    /**
     * The oracle's forward on {@code threads} threads at the pixels {@code selected} accepts (all when
     * {@code null}); {@code progress}, when not null, is told each finished row.
     */
    public static OracleResult forward(AcdaLayer layer, Tensor x, int threads, PixelSelection selected, Progress progress) {
        AcdaShapes.checkInput(layer.config(), x);
        if (threads < 1) {
            throw new IllegalArgumentException("threads = " + threads + " is not allowed: expected >= 1");
        }
        Params p = Params.of(layer);
        Images img = Images.of(x);
        AcdaOracle.Output out = AcdaOracle.Output.of(p.config, img);
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "acda-oracle");
            t.setDaemon(true);
            return t;
        });
        try {
            int rowsTotal = img.batch * out.outH();
            AtomicInteger done = new AtomicInteger();
            for (int n = 0; n < img.batch; n++) {
                AcdaOracle.Generator gen = AcdaOracle.generator(p, img, n, out.outH(), out.outW());
                double[][][][] genVariance = new ForwardRounding(p, 0).generator(img, n, gen).value();
                AtomicInteger nextRow = new AtomicInteger();
                int image = n;
                List<Future<?>> tasks = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    tasks.add(pool.submit(() -> {
                        AcdaOracle.PixelWork work = new AcdaOracle.PixelWork(p, out);
                        for (int ho = nextRow.getAndIncrement(); ho < out.outH(); ho = nextRow.getAndIncrement()) {
                            for (int wo = 0; wo < out.outW(); wo++) {
                                if (selected == null || selected.contains(image, ho, wo)) {
                                    AcdaOracle.pixel(p, img, image, gen, genVariance, ho, wo, work, out);
                                }
                            }
                            if (progress != null) {
                                progress.rowDone(done.incrementAndGet(), rowsTotal);
                            }
                        }
                    }));
                }
                for (Future<?> f : tasks) {
                    f.get();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("the oracle was interrupted", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            pool.shutdownNow();
        }
        return out.result(p.config, selected);
    }

    /** Told as rows of output pixels finish (from the worker threads). */
    public interface Progress {
        void rowDone(int done, int total);
    }
}
