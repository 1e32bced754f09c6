package org.acdajvm.tornado;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import org.acdajvm.backend.AcdaGradients;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
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
 * The ACDA backward (DESIGN section 6) in the two-layer form as one TornadoVM task graph on one
 * device, float32; the kernels are in {@link TornadoBackwardKernels}, in the phases of
 * {@link org.acdajvm.backend.AcdaBackwardScalar}:
 * <pre>
 *   recompute   g1, e1 (conv1); g2, G (conv2); D (atoms); Z (atomConv): the forward's own kernels
 *   dZ          dZ = coef^T dy: the forward's coefConv on coef^T, a zero bias and dy
 *   dCoef       dcoef = dy Z^T                                  (sums over every image and pixel)
 *   dBias       dbias = sum dy
 *   dAtoms      dD[m,u,p] = sum_c dZ[cM+m,p] xp[c,u,p]
 *   dGen2       da2 = (Psi dD)(1 - G^2), dg2 = da2 scale2
 *   bnReduce2   dgamma2, dbeta2, db2                            (sums over every image and pixel)
 *   dW2         dW2 = dg2 e1p^T                                 (sums over every image and pixel)
 *   dGen1       da1 = (W2^T dg2)(1 - e1^2), dg1 = da1 scale1     (a gather through conv 2's padding)
 *   bnReduce1   dgamma1, dbeta1, db1
 *   dW1         dW1 = dg1 xp^T                                  (sums over every image and pixel)
 *   dx          direct path sum_m dZ D and generator path W1^T dg1, gathered through the padding
 * </pre>
 * Every sum is one work-item's loop in a fixed order, so the result does not depend on scheduling.
 * The sizes, {@code x}, {@code dy} and the parameters go to the device on every call, the gradients
 * come back; the intermediates stay there. Like {@link AcdaForwardTornado}, the task graph, its
 * execution plan and its device buffers are kept across calls and grow (at least doubling) only
 * when a call needs more. Not thread-safe.
 */
public final class AcdaBackwardTornado implements AutoCloseable {

    private static final int LOCAL_SIZE = TornadoKernels.BLOCK_PIXELS;
    private static final AtomicLong GRAPH_IDS = new AtomicLong();
    private static final String[] TASKS = {"conv1", "conv2", "atoms", "atomConv", "dZ", "dCoef", "dBias", "dAtoms",
            "dGen2", "bnReduce2", "dW2", "dGen1", "bnReduce1", "dW1", "dx"};

    private final TornadoDevice device;
    private final boolean profile;
    private Workspace workspace;
    private int plansBuilt;
    private long lastKernelNanos;
    private boolean closed;

    /** Prepares to run on {@code device}; the first {@link #backward} builds the task graph. */
    public AcdaBackwardTornado(TornadoDevice device, boolean profile) {
        this.device = device;
        this.profile = profile;
    }

    int plansBuilt() {
        return plansBuilt;
    }

    long lastKernelNanos() {
        return lastKernelNanos;
    }

    /**
     * Backward of {@code layer} at {@code x} for the upstream gradient {@code dy}.
     *
     * @param layer the layer (not modified)
     * @param x     input {@code [N, C, H, W]} (not modified)
     * @param dy    upstream gradient {@code [N, O, H', W']} (not modified)
     * @return new tensors keyed as {@link AcdaGradients#keys}: {@code dL/dx} {@code [N, C, H, W]}, then every
     *         learned parameter's gradient in its parameter's shape
     * @throws IllegalArgumentException for inputs that do not fit the layer, or a shape whose tensors have
     *                                  more elements than an {@code int} indexes
     */
    public Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dy) {
        if (closed) {
            throw new IllegalStateException("the tornado backend is closed");
        }
        AcdaConfig cfg = layer.config();
        int[] outShape = AcdaGradients.checkArguments(layer, x, dy);
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
        // dZ[n,j,p] = sum_o coef[o,j] dy[n,o,p] is the coefficient convolution with O input channels (one
        // "atom" each), C*M output channels and the weights transposed.
        int[] dimsT = dims.clone();
        dimsT[TornadoKernels.OUT_C] = x.dim(1) * cfg.atoms();
        dimsT[TornadoKernels.IN_C] = outShape[1];
        dimsT[TornadoKernels.ATOMS] = 1;
        MemorySegment.copy(dimsT, 0, w.dimsT.getSegment(), ValueLayout.JAVA_INT, 0, dimsT.length);

        float[][] bn1 = layer.batchNormScaleShift("bases_net.1.");
        float[][] bn2 = layer.batchNormScaleShift("bases_net.4.");
        put(w.x, x.data());
        put(w.dy, dy.data());
        put(w.w1, layer.data(AcdaLayer.CONV1_WEIGHT));
        put(w.b1, layer.data(AcdaLayer.CONV1_BIAS));
        put(w.scale1, bn1[0]);
        put(w.shift1, bn1[1]);
        put(w.mean1, layer.data(AcdaLayer.BN1_MEAN));
        put(w.invSigma1, invSigma(layer.data(AcdaLayer.BN1_VAR)));
        put(w.w2, layer.data(AcdaLayer.CONV2_WEIGHT));
        put(w.b2, layer.data(AcdaLayer.CONV2_BIAS));
        put(w.scale2, bn2[0]);
        put(w.shift2, bn2[1]);
        put(w.mean2, layer.data(AcdaLayer.BN2_MEAN));
        put(w.invSigma2, invSigma(layer.data(AcdaLayer.BN2_VAR)));
        put(w.psi, layer.data(AcdaLayer.BASES));
        float[] coef = layer.data(AcdaLayer.COEF);
        put(w.coef, coef);
        put(w.coefT, transpose(coef, outShape[1], x.dim(1) * cfg.atoms()));
        put(w.zeros, new float[x.dim(1) * cfg.atoms()]);

        int batch = outShape[0];
        int outC = outShape[1];
        long pixels = (long) outShape[2] * outShape[3];
        int inC = x.dim(1);
        int g = cfg.generatorKernel();
        long cm = (long) inC * cfg.atoms();
        w.grid("conv1", blockedItems(batch, pixels, cfg.interChannels(), TornadoKernels.BLOCK_CHANNELS));
        w.grid("conv2", blockedItems(batch, pixels, cfg.generatorChannels(), TornadoKernels.BLOCK_CHANNELS));
        w.grid("atoms", need[Sizes.D]);
        w.grid("atomConv", blockedItems(batch, pixels, inC, TornadoKernels.BLOCK_CHANNELS) * cfg.atoms());
        w.grid("dZ", blockedItems(batch, pixels, cm, TornadoKernels.COEF_CHANNELS));
        int rows = TornadoBackwardKernels.ROWS;
        w.grid("dCoef", ceilDiv(outC, rows) * cm);
        w.grid("dBias", outC);
        w.grid("dAtoms", need[Sizes.D]);
        w.grid("dGen2", need[Sizes.GEN]);
        w.grid("bnReduce2", cfg.generatorChannels());
        w.grid("dW2", ceilDiv(cfg.generatorChannels(), rows) * cfg.interChannels() * 9);
        w.grid("dGen1", blockedItems(batch, pixels, cfg.interChannels(), TornadoKernels.BLOCK_CHANNELS));
        w.grid("bnReduce1", cfg.interChannels());
        w.grid("dW1", ceilDiv(cfg.interChannels(), rows) * inC * g * g);
        w.grid("dx", blockedItems(batch, (long) x.dim(2) * x.dim(3), inC, TornadoKernels.BLOCK_CHANNELS));

        TornadoExecutionResult result = w.plan.execute();
        lastKernelNanos = profile ? result.getProfilerResult().getDeviceKernelTime() : 0;

        Map<String, Tensor> grads = AcdaGradients.zeros(cfg, x.shape());
        get(w.dx, grads.get("x"));
        get(w.dw1, grads.get(AcdaLayer.CONV1_WEIGHT));
        get(w.db1, grads.get(AcdaLayer.CONV1_BIAS));
        get(w.dgamma1, grads.get(AcdaLayer.BN1_WEIGHT));
        get(w.dbeta1, grads.get(AcdaLayer.BN1_BIAS));
        get(w.dw2, grads.get(AcdaLayer.CONV2_WEIGHT));
        get(w.db2, grads.get(AcdaLayer.CONV2_BIAS));
        get(w.dgamma2, grads.get(AcdaLayer.BN2_WEIGHT));
        get(w.dbeta2, grads.get(AcdaLayer.BN2_BIAS));
        get(w.dcoef, grads.get(AcdaLayer.COEF));
        if (cfg.bias()) {
            get(w.dbias, grads.get(AcdaLayer.BIAS));
        }
        return grads;
    }

    /** {@code 1 / sqrt(var + eps)} in float32, the divisor {@link AcdaLayer#batchNormScaleShift} uses. */
    static float[] invSigma(float[] var) {
        float[] r = new float[var.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = 1f / (float) Math.sqrt(var[i] + (float) AcdaLayer.BN_EPS);
        }
        return r;
    }

    private static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }

    /** Work-items of a channel-blocked forward kernel: {@code block} channels of one pixel each, whole pixel blocks. */
    private static long blockedItems(long batch, long pixels, long channels, int block) {
        return batch * ceilDiv(pixels, TornadoKernels.BLOCK_PIXELS) * ceilDiv(channels, block) * TornadoKernels.BLOCK_PIXELS;
    }

    /** {@code a [rows, cols]} transposed to {@code [cols, rows]}. */
    private static float[] transpose(float[] a, int rows, int cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                t[c * rows + r] = a[r * cols + c];
            }
        }
        return t;
    }

    private static void put(FloatArray target, float[] values) {
        MemorySegment.copy(values, 0, target.getSegment(), ValueLayout.JAVA_FLOAT, 0, values.length);
    }

    private static void get(FloatArray source, Tensor target) {
        MemorySegment.copy(source.getSegment(), ValueLayout.JAVA_FLOAT, 0, target.data(), 0, target.size());
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
        static final int CM = 13;
        static final int COUNT = 14;
        private static final String[] NAMES = {"input x", "generator hidden e1", "generator output G", "atoms D",
                "atom conv Z", "upstream gradient dy", "conv1 weight", "BN1", "conv2 weight", "BN2", "bases", "coef",
                "bias", "atom channels C*M"};

        private Sizes() {
        }

        /** The counts for one call; refuses, naming the tensor, a shape the kernels' {@code int} indices cannot address. */
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
            s[CM] = (long) cfg.inChannels() * cfg.atoms();
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
        final IntArray dimsT = new IntArray(TornadoKernels.DIMS);
        final FloatArray x;
        final FloatArray dy;
        final FloatArray w1;
        final FloatArray b1;
        final FloatArray scale1;
        final FloatArray shift1;
        final FloatArray mean1;
        final FloatArray invSigma1;
        final FloatArray w2;
        final FloatArray b2;
        final FloatArray scale2;
        final FloatArray shift2;
        final FloatArray mean2;
        final FloatArray invSigma2;
        final FloatArray psi;
        final FloatArray coef;
        final FloatArray coefT;
        final FloatArray zeros;
        // Intermediates, on the device only.
        final FloatArray g1;
        final FloatArray e1;
        final FloatArray g2;
        final FloatArray gen;
        final FloatArray d;
        final FloatArray z;
        final FloatArray dz;
        final FloatArray dd;
        final FloatArray da2;
        final FloatArray dg2;
        final FloatArray da1;
        final FloatArray dg1;
        // Gradients, back to the host.
        final FloatArray dx;
        final FloatArray dw1;
        final FloatArray db1;
        final FloatArray dgamma1;
        final FloatArray dbeta1;
        final FloatArray dw2;
        final FloatArray db2;
        final FloatArray dgamma2;
        final FloatArray dbeta2;
        final FloatArray dcoef;
        final FloatArray dbias;
        final String graph;
        final GridScheduler grids = new GridScheduler();
        final TornadoExecutionPlan plan;

        Workspace(long[] capacity) {
            this.capacity = capacity;
            x = array(Sizes.X);
            dy = array(Sizes.Y);
            w1 = array(Sizes.W1);
            b1 = array(Sizes.INTER);
            scale1 = array(Sizes.INTER);
            shift1 = array(Sizes.INTER);
            mean1 = array(Sizes.INTER);
            invSigma1 = array(Sizes.INTER);
            w2 = array(Sizes.W2);
            b2 = array(Sizes.GEN_CHANNELS);
            scale2 = array(Sizes.GEN_CHANNELS);
            shift2 = array(Sizes.GEN_CHANNELS);
            mean2 = array(Sizes.GEN_CHANNELS);
            invSigma2 = array(Sizes.GEN_CHANNELS);
            psi = array(Sizes.PSI);
            coef = array(Sizes.COEF);
            coefT = array(Sizes.COEF);
            zeros = array(Sizes.CM);
            g1 = array(Sizes.E1);
            e1 = array(Sizes.E1);
            g2 = array(Sizes.GEN);
            gen = array(Sizes.GEN);
            d = array(Sizes.D);
            z = array(Sizes.Z);
            dz = array(Sizes.Z);
            dd = array(Sizes.D);
            da2 = array(Sizes.GEN);
            dg2 = array(Sizes.GEN);
            da1 = array(Sizes.E1);
            dg1 = array(Sizes.E1);
            dx = array(Sizes.X);
            dw1 = array(Sizes.W1);
            db1 = array(Sizes.INTER);
            dgamma1 = array(Sizes.INTER);
            dbeta1 = array(Sizes.INTER);
            dw2 = array(Sizes.W2);
            db2 = array(Sizes.GEN_CHANNELS);
            dgamma2 = array(Sizes.GEN_CHANNELS);
            dbeta2 = array(Sizes.GEN_CHANNELS);
            dcoef = array(Sizes.COEF);
            dbias = array(Sizes.OUT_C);

            graph = "acdaBackward" + GRAPH_IDS.incrementAndGet();
            KernelContext ctx = new KernelContext();
            TaskGraph tg = new TaskGraph(graph)
                    .transferToDevice(DataTransferMode.EVERY_EXECUTION, dims, x, dy, w1, b1, scale1, shift1, mean1,
                            invSigma1, w2, b2, scale2, shift2, mean2, invSigma2, psi, coef, dimsT, coefT, zeros)
                    .task("conv1", TornadoKernels::conv1BnTanh, ctx, dims, x, w1, b1, scale1, shift1, g1, e1)
                    .task("conv2", TornadoKernels::conv2BnTanh, ctx, dims, e1, w2, b2, scale2, shift2, g2, gen)
                    .task("atoms", TornadoKernels::atoms, ctx, dims, gen, psi, d)
                    .task("atomConv", TornadoKernels::atomConv, ctx, dims, x, d, z)
                    .task("dZ", TornadoKernels::coefConv, ctx, dimsT, coefT, zeros, dy, dz)
                    .task("dCoef", TornadoBackwardKernels::dCoef, ctx, dims, dy, z, dcoef)
                    .task("dBias", TornadoBackwardKernels::dBias, ctx, dims, dy, dbias)
                    .task("dAtoms", TornadoBackwardKernels::dAtoms, ctx, dims, x, dz, dd)
                    .task("dGen2", TornadoBackwardKernels::dGen2, ctx, dims, dd, psi, gen, scale2, da2, dg2)
                    .task("bnReduce2", TornadoBackwardKernels::bnReduce2, ctx, dims, da2, dg2, g2, mean2, invSigma2,
                            dgamma2, dbeta2, db2)
                    .task("dW2", TornadoBackwardKernels::dW2, ctx, dims, dg2, e1, dw2)
                    .task("dGen1", TornadoBackwardKernels::dGen1, ctx, dims, dg2, w2, e1, scale1, da1, dg1)
                    .task("bnReduce1", TornadoBackwardKernels::bnReduce1, ctx, dims, da1, dg1, g1, mean1, invSigma1,
                            dgamma1, dbeta1, db1)
                    .task("dW1", TornadoBackwardKernels::dW1, ctx, dims, dg1, x, dw1)
                    .task("dx", TornadoBackwardKernels::dx, ctx, dims, dz, d, dg1, w1, dx)
                    .transferToHost(DataTransferMode.EVERY_EXECUTION, dx, dw1, db1, dgamma1, dbeta1, dw2, db2, dgamma2,
                            dbeta2, dcoef, dbias);
            for (String task : TASKS) {
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
            var gr = grids.get(graph + "." + task);
            gr.setGlobalWork(global, 1, 1);
            gr.setLocalWork(LOCAL_SIZE, 1, 1);
        }

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
