package org.acdajvm.vector;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs a loop over output rows on a fixed set of threads (the caller's included), handing out
 * chunks of rows dynamically. Each thread gets its own workspace, by index. A row is always
 * computed whole by one thread, so results do not depend on the thread count.
 */
final class RowParallel implements AutoCloseable {

    /** The body of the loop: rows {@code [rowStart, rowEnd)} with the calling thread's workspace. */
    @FunctionalInterface
    interface Body<W> {
        void run(int rowStart, int rowEnd, W workspace);
    }

    /**
     * Chunks handed out per thread by {@link #run(int, Object[], Body)}: few enough that threads seldom
     * write neighbouring rows at the same time (a row boundary shares a cache line of the output), enough
     * to keep the threads busy to the end.
     */
    static final int CHUNKS_PER_THREAD = 4;

    private final int threads;
    private final ExecutorService pool;

    RowParallel(int threads) {
        if (threads < 1 || threads > 1024) {
            throw new IllegalArgumentException("threads = " + threads + " is not allowed: expected 1..1024");
        }
        this.threads = threads;
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "acda-vector");
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    /** Runs {@code body} over {@code rows} rows; {@code workspaces} has one entry per thread. */
    <W> void run(int rows, W[] workspaces, Body<W> body) {
        run(rows, CHUNKS_PER_THREAD, workspaces, body);
    }

    /**
     * As {@link #run(int, Object[], Body)} with {@code chunksPerThread} chunks per thread: more for rows
     * that take long (the threads finish at most one chunk apart).
     */
    <W> void run(int rows, int chunksPerThread, W[] workspaces, Body<W> body) {
        int t = Math.min(threads, rows);
        if (t <= 1) {
            body.run(0, rows, workspaces[0]);
            return;
        }
        int chunk = Math.max(1, rows / (t * chunksPerThread));
        AtomicInteger next = new AtomicInteger();
        List<Future<?>> futures = new ArrayList<>(t - 1);
        for (int i = 1; i < t; i++) {
            W ws = workspaces[i];
            futures.add(pool.submit(() -> drain(rows, chunk, next, body, ws)));
        }
        Throwable failure = null;
        try {
            drain(rows, chunk, next, body, workspaces[0]);
        } catch (RuntimeException | Error e) {
            failure = e;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                failure = failure == null ? e.getCause() : failure;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = failure == null ? e : failure;
            }
        }
        if (failure instanceof RuntimeException re) {
            throw re;
        }
        if (failure instanceof Error er) {
            throw er;
        }
        if (failure != null) {
            throw new IllegalStateException("vector forward interrupted", failure);
        }
    }

    private static <W> void drain(int rows, int chunk, AtomicInteger next, Body<W> body, W ws) {
        for (int r0 = next.getAndAdd(chunk); r0 < rows; r0 = next.getAndAdd(chunk)) {
            body.run(r0, Math.min(rows, r0 + chunk), ws);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
