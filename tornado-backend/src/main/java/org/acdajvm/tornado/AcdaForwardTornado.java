package org.acdajvm.tornado;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicLong;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;

import uk.ac.manchester.tornado.api.GridScheduler;
import uk.ac.manchester.tornado.api.KernelContext;
import uk.ac.manchester.tornado.api.TaskGraph;
import uk.ac.manchester.tornado.api.TornadoExecutionPlan;
import uk.ac.manchester.tornado.api.TornadoExecutionResult;
import uk.ac.manchester.tornado.api.WorkerGrid1D;
import uk.ac.manchester.tornado.api.common.TornadoDevice;
import uk.ac.manchester.tornado.api.enums.DataTransferMode;
import uk.ac.manchester.tornado.api.enums.ProfilerMode;
import uk.ac.manchester.tornado.api.exceptions.TornadoExecutionPlanException;
import uk.ac.manchester.tornado.api.types.arrays.FloatArray;
import uk.ac.manchester.tornado.api.types.arrays.IntArray;

/**
 * The ACDA forward in the two-layer form (DESIGN section 5) as one TornadoVM task graph on one
 * device, float32. The tasks mirror {@link org.acdajvm.backend.AcdaForwardScalar} one for one
 * (kernels in {@link TornadoKernels}):
 * <pre>
 *   e1 = tanh(bn1(conv1(x)))       conv1   [N, I, H', W']
 *   G  = tanh(bn2(conv2(e1)))      conv2   [N, M*T, H', W']
 *   D  = G Psi                     atoms   [N, M, K*K, H', W']
 *   Z  = atom conv of x with D     atomConv [N, C*M, H', W']
 *   y  = bias + coef Z             coefConv [N, O, H', W']
 * </pre>
 * The sizes, the input and the parameters go to the device on every call; the intermediates
 * {@code e1, G, D, Z} (and the generator's pre-activations, which the kernels also write for the
 * backward, {@link AcdaBackwardTornado}) stay there. The task graph, its execution plan (with TornadoVM's compiled
 * kernels) and its device buffers are kept across calls: a call whose tensors fit the current
 * buffers reuses them; a larger one builds a new plan, in which every buffer that was too small is
 * at least twice its old size (so a sequence of growing shapes compiles a few times, not once per
 * shape). Not thread-safe.
 */
public final class AcdaForwardTornado implements AutoCloseable {

    /**
     * Work-items per work-group; the grids are rounded up to a multiple and the kernels skip the
     * excess. One work-group of a channel-blocked kernel covers one of its pixel blocks.
     */
    private static final int LOCAL_SIZE = TornadoKernels.BLOCK_PIXELS;
    private static final AtomicLong GRAPH_IDS = new AtomicLong();

    private final TornadoDevice device;
    private final boolean profile;
    private Workspace workspace;
    private int plansBuilt;
    private long lastKernelNanos;
    private boolean closed;

    /** Prepares to run on {@code device}; the first {@link #forward} builds the task graph. */
    public AcdaForwardTornado(TornadoDevice device, boolean profile) {
        this.device = device;
        this.profile = profile;
    }

    String deviceName() {
        return TornadoDevices.label(device);
    }

    int plansBuilt() {
        return plansBuilt;
    }

    long lastKernelNanos() {
        return lastKernelNanos;
    }

    /**
     * Forward of {@code layer} on {@code x}.
     *
     * @param layer the layer (not modified)
     * @param x     input {@code [N, C, H, W]} (not modified)
     * @return a new tensor {@code [N, O, ceil(H/s), ceil(W/s)]}
     * @throws IllegalArgumentException for an input that does not fit the layer, or a shape whose
     *                                  tensors have more elements than an {@code int} indexes
     */
    public Tensor forward(AcdaLayer layer, Tensor x) {
        if (closed) {
            throw new IllegalStateException("the tornado backend is closed");
        }
        AcdaConfig cfg = layer.config();
        int[] outShape = AcdaShapes.checkInput(cfg, x);
        long[] need = Sizes.of(cfg, x, outShape);
        if (workspace == null || !workspace.fits(need)) {
            Workspace old = workspace;
            workspace = null;
            long[] capacity = need.clone();
            if (old != null) {
                old.close();
                for (int i = 0; i < capacity.length; i++) {
                    capacity[i] = need[i] <= old.capacity[i] ? old.capacity[i]
                            : Math.max(need[i], Math.min(Integer.MAX_VALUE - 64L * LOCAL_SIZE, 2 * old.capacity[i]));
                }
            }
            workspace = new Workspace(capacity);
            plansBuilt++;
        }
        Workspace w = workspace;

        int[] dims = new int[TornadoKernels.DIMS];
        dims[TornadoKernels.BATCH] = outShape[0];
        dims[TornadoKernels.IN_C] = x.dim(1);
        dims[TornadoKernels.IN_H] = x.dim(2);
        dims[TornadoKernels.IN_W] = x.dim(3);
        dims[TornadoKernels.OUT_C] = outShape[1];
        dims[TornadoKernels.OUT_H] = outShape[2];
        dims[TornadoKernels.OUT_W] = outShape[3];
        dims[TornadoKernels.INTER] = cfg.interChannels();
        dims[TornadoKernels.ATOMS] = cfg.atoms();
        dims[TornadoKernels.BASES] = cfg.bases();
        dims[TornadoKernels.K] = cfg.kernelSize();
        dims[TornadoKernels.G] = cfg.generatorKernel();
        dims[TornadoKernels.STRIDE] = cfg.stride();
        dims[TornadoKernels.DILATION] = cfg.dilation();
        dims[TornadoKernels.PAD] = cfg.pad();
        dims[TornadoKernels.CIRCULAR] = cfg.padding() == PaddingMode.CIRCULAR ? 1 : 0;
        MemorySegment.copy(dims, 0, w.dims.getSegment(), ValueLayout.JAVA_INT, 0, dims.length);

        float[][] bn1 = layer.batchNormScaleShift("bases_net.1.");
        float[][] bn2 = layer.batchNormScaleShift("bases_net.4.");
        put(w.x, x.data());
        put(w.w1, layer.data(AcdaLayer.CONV1_WEIGHT));
        put(w.b1, layer.data(AcdaLayer.CONV1_BIAS));
        put(w.scale1, bn1[0]);
        put(w.shift1, bn1[1]);
        put(w.w2, layer.data(AcdaLayer.CONV2_WEIGHT));
        put(w.b2, layer.data(AcdaLayer.CONV2_BIAS));
        put(w.scale2, bn2[0]);
        put(w.shift2, bn2[1]);
        put(w.psi, layer.data(AcdaLayer.BASES));
        put(w.coef, layer.data(AcdaLayer.COEF));
        put(w.bias, layer.biasOrZeros());

        int pixels = outShape[2] * outShape[3];
        w.grid("conv1", blockedItems(outShape[0], pixels, cfg.interChannels()));
        w.grid("conv2", blockedItems(outShape[0], pixels, cfg.generatorChannels()));
        w.grid("atoms", need[Sizes.D]);
        w.grid("atomConv", blockedItems(outShape[0], pixels, x.dim(1)) * cfg.atoms());
        w.grid("coefConv", (long) outShape[0] * ceilDiv(pixels, TornadoKernels.BLOCK_PIXELS)
                * ceilDiv(outShape[1], TornadoKernels.COEF_CHANNELS) * TornadoKernels.BLOCK_PIXELS);

        TornadoExecutionResult result = w.plan.execute();
        lastKernelNanos = profile ? result.getProfilerResult().getDeviceKernelTime() : 0;

        Tensor y = Tensor.zeros(outShape);
        MemorySegment.copy(w.y.getSegment(), ValueLayout.JAVA_FLOAT, 0, y.data(), 0, y.size());
        return y;
    }

    /** Work-items of a channel-blocked kernel ({@link TornadoKernels#BLOCK_PIXELS}) over {@code channels} outputs. */
    private static long blockedItems(int batch, int pixels, int channels) {
        return (long) batch * ceilDiv(pixels, TornadoKernels.BLOCK_PIXELS)
                * ceilDiv(channels, TornadoKernels.BLOCK_CHANNELS) * TornadoKernels.BLOCK_PIXELS;
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static void put(FloatArray target, float[] values) {
        MemorySegment.copy(values, 0, target.getSegment(), ValueLayout.JAVA_FLOAT, 0, values.length);
    }

    /** Element counts of every buffer one call needs, indexed by the constants below. */
    static final class Sizes {
        static final int X = 0;
        static final int E1 = 1;
        static final int GEN = 2;
        static final int D = 3;
        static final int Z = 4;
        static final int Y = 5;
        static final int W1 = 6;
        static final int INTER = 7;
        static final int W2 = 8;
        static final int GEN_CHANNELS = 9;
        static final int PSI = 10;
        static final int COEF = 11;
        static final int OUT_C = 12;
        static final int COUNT = 13;
        private static final String[] NAMES = {"input x", "generator hidden e1", "generator output G", "atoms D",
                "atom conv Z", "output y", "conv1 weight", "BN1", "conv2 weight", "BN2", "bases", "coef", "bias"};

        private Sizes() {
        }

        /**
         * The counts for one call; refuses, naming the tensor, a shape whose tensors the kernels'
         * {@code int} indices cannot address.
         */
        static long[] of(AcdaConfig cfg, Tensor x, int[] out) {
            long pixels = (long) out[2] * out[3];
            long batch = out[0];
            long[] s = new long[COUNT];
            s[X] = x.size();
            s[E1] = batch * cfg.interChannels() * pixels;
            s[GEN] = batch * cfg.generatorChannels() * pixels;
            s[D] = batch * cfg.atoms() * cfg.taps() * pixels;
            s[Z] = batch * cfg.inChannels() * cfg.atoms() * pixels;
            s[Y] = batch * out[1] * pixels;
            s[W1] = (long) cfg.interChannels() * cfg.inChannels() * cfg.generatorKernel() * cfg.generatorKernel();
            s[INTER] = cfg.interChannels();
            s[W2] = (long) cfg.generatorChannels() * cfg.interChannels() * 9;
            s[GEN_CHANNELS] = cfg.generatorChannels();
            s[PSI] = (long) cfg.bases() * cfg.taps();
            s[COEF] = (long) out[1] * cfg.inChannels() * cfg.atoms();
            s[OUT_C] = out[1];
            for (int i = 0; i < COUNT; i++) {
                if (s[i] > Integer.MAX_VALUE - 64L * LOCAL_SIZE) {
                    throw new IllegalArgumentException("the tornado backend cannot run this shape: its " + NAMES[i]
                            + " has " + s[i] + " elements, above the 2^31 that its kernels index");
                }
            }
            return s;
        }
    }

    /** The host arrays, the task graph over them, its grids and its execution plan (which owns the device buffers). */
    private final class Workspace implements AutoCloseable {
        final long[] capacity;
        final IntArray dims = new IntArray(TornadoKernels.DIMS);
        final FloatArray x;
        final FloatArray g1;
        final FloatArray e1;
        final FloatArray g2;
        final FloatArray gen;
        final FloatArray d;
        final FloatArray z;
        final FloatArray y;
        final FloatArray w1;
        final FloatArray b1;
        final FloatArray scale1;
        final FloatArray shift1;
        final FloatArray w2;
        final FloatArray b2;
        final FloatArray scale2;
        final FloatArray shift2;
        final FloatArray psi;
        final FloatArray coef;
        final FloatArray bias;
        final String graph;
        final GridScheduler grids = new GridScheduler();
        final TornadoExecutionPlan plan;

        Workspace(long[] capacity) {
            this.capacity = capacity;
            x = array(Sizes.X);
            // The pre-activations g1, g2 are written for the backward's sake (it shares these kernels); the
            // forward only keeps them on the device.
            g1 = array(Sizes.E1);
            e1 = array(Sizes.E1);
            g2 = array(Sizes.GEN);
            gen = array(Sizes.GEN);
            d = array(Sizes.D);
            z = array(Sizes.Z);
            y = array(Sizes.Y);
            w1 = array(Sizes.W1);
            b1 = array(Sizes.INTER);
            scale1 = array(Sizes.INTER);
            shift1 = array(Sizes.INTER);
            w2 = array(Sizes.W2);
            b2 = array(Sizes.GEN_CHANNELS);
            scale2 = array(Sizes.GEN_CHANNELS);
            shift2 = array(Sizes.GEN_CHANNELS);
            psi = array(Sizes.PSI);
            coef = array(Sizes.COEF);
            bias = array(Sizes.OUT_C);

            graph = "acda" + GRAPH_IDS.incrementAndGet();
            KernelContext ctx = new KernelContext();
            TaskGraph tg = new TaskGraph(graph)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, dims, x, w1, b1, scale1, shift1, w2, b2, scale2,
                            shift2, psi, coef, bias)
                    .task("conv1", TornadoKernels::conv1BnTanh, ctx, dims, x, w1, b1, scale1, shift1, g1, e1)
                    .task("conv2", TornadoKernels::conv2BnTanh, ctx, dims, e1, w2, b2, scale2, shift2, g2, gen)
                    .task("atoms", TornadoKernels::atoms, ctx, dims, gen, psi, d)
                    .task("atomConv", TornadoKernels::atomConv, ctx, dims, x, d, z)
                    .task("coefConv", TornadoKernels::coefConv, ctx, dims, coef, bias, z, y)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, y);
            for (String task : new String[] {"conv1", "conv2", "atoms", "atomConv", "coefConv"}) {
                grids.addWorkerGrid(graph + "." + task, new WorkerGrid1D(LOCAL_SIZE));
            }
            TornadoExecutionPlan p = new TornadoExecutionPlan(tg.snapshot()).withDevice(device).withGridScheduler(grids);
            plan = profile ? p.withProfiler(ProfilerMode.SILENT) : p;
        }

        private FloatArray array(int which) {
            return new FloatArray((int) Math.max(1, capacity[which]));
        }

        boolean fits(long[] need) {
            for (int i = 0; i < need.length; i++) {
                if (need[i] > capacity[i]) {
                    return false;
                }
            }
            return true;
        }

        /** One work-item per element of a task's output, rounded up to whole work-groups. */
        void grid(String task, long elements) {
            long global = Math.max(1, (elements + LOCAL_SIZE - 1) / LOCAL_SIZE) * LOCAL_SIZE;
            var g = grids.get(graph + "." + task);
            g.setGlobalWork(global, 1, 1);
            g.setLocalWork(LOCAL_SIZE, 1, 1);
        }

        /** Frees the device buffers and the plan. */
        @Override
        public void close() {
            try {
                plan.close();
            } catch (TornadoExecutionPlanException e) {
                throw new IllegalStateException("TornadoVM could not release the execution plan of " + graph + ": "
                        + e.getMessage(), e);
            }
        }
    }

    /** Releases the execution plan and its device buffers. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (workspace != null) {
            Workspace w = workspace;
            workspace = null;
            w.close();
        }
    }
}
