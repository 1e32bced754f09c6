package org.acdajvm.opencl;

import static org.lwjgl.opencl.CL10.CL_MEM_READ_ONLY;
import static org.lwjgl.opencl.CL10.CL_MEM_READ_WRITE;
import static org.lwjgl.opencl.CL10.CL_MEM_WRITE_ONLY;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_END;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_START;
import static org.lwjgl.opencl.CL10.clEnqueueNDRangeKernel;
import static org.lwjgl.opencl.CL10.clEnqueueReadBuffer;
import static org.lwjgl.opencl.CL10.clEnqueueWriteBuffer;
import static org.lwjgl.opencl.CL10.clFinish;
import static org.lwjgl.opencl.CL10.clGetEventProfilingInfo;
import static org.lwjgl.opencl.CL10.clReleaseEvent;
import static org.lwjgl.opencl.CL10.clSetKernelArg;
import static org.lwjgl.opencl.CL10.clSetKernelArg1i;
import static org.lwjgl.opencl.CL10.clSetKernelArg1p;

import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.tensor.Tensor;
import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * The ACDA forward in the two-layer form (DESIGN section 5) on one OpenCL device, float32. The
 * stages and their kernels mirror {@link org.acdajvm.backend.AcdaForwardScalar} one for one:
 * <pre>
 *   e1 = tanh(bn1(conv1(x)))       generator.cl  conv1_tiled_bn_tanh | conv1_bn_tanh   [N, I, H', W']
 *   G  = tanh(bn2(conv2(e1)))      generator.cl  conv2_bn_tanh                         [N, M*T, H', W']
 *   D  = G Psi                     atoms.cl      atoms                                 [N, M, K*K, H', W']
 *   Z  = atom conv of x with D     atoms.cl      atom_conv_tiled | atom_conv           [N, C*M, H', W']
 *   y  = bias + coef Z             coef_conv.cl  coef_conv                             [N, O, H', W']
 * </pre>
 * conv2 and the coefficient convolution always stage tiles in local memory; conv1 and the atom
 * convolution do when the input region of a pixel tile (which grows with the stride, g, K and the
 * dilation) fits the device's local memory, and otherwise run a direct kernel that sums the same
 * products in the same order. Every variant gives the same bits.
 * The batch is processed in chunks of images small enough for the device's largest buffer and
 * most of its memory (normally one chunk). Owns its context, programs and workspace, and releases
 * them in reverse order on {@link #close()}. Not thread-safe.
 */
public final class AcdaForwardOpenCl implements AutoCloseable {

    private static final String GENERATOR = "generator.cl";
    private static final String ATOMS = "atoms.cl";
    private static final String COEF = "coef_conv.cl";

    private final ClContext ctx;
    private final ClProgramCache programs;
    private final ClWorkspace workspace;
    private final ClDevice device;
    private Tuning.Conv2 conv2Tile;
    private Tuning.Coef coefTile;
    private final Map<String, Long> linearLocal = new HashMap<>();
    private KernelTimes lastTimes = KernelTimes.NONE;
    private int maxImagesPerLaunch = Integer.MAX_VALUE;
    private int lastChunks;
    private boolean directOnly;
    private String lastVariants = "";
    private boolean closed;

    /** Opens a context and queue on {@code device}; programs are built on first use. */
    public AcdaForwardOpenCl(ClDevice device) {
        this.device = device;
        this.ctx = ClContext.open(device);
        this.programs = new ClProgramCache(ctx);
        this.workspace = new ClWorkspace(ctx);
    }

    public ClDevice device() {
        return device;
    }

    /** Per-stage device times of the last {@link #forward}. */
    public KernelTimes lastTimes() {
        return lastTimes;
    }

    /** Device and host staging buffers allocated so far; unchanged by a repeated call of the same shape. */
    public long allocations() {
        return workspace.allocations();
    }

    /** Programs built so far (one per distinct specialisation). */
    public int programBuilds() {
        return programs.builds();
    }

    /** Limits the images per launch (tests use it to exercise chunking of the batch). */
    void setMaxImagesPerLaunch(int images) {
        if (images < 1) {
            throw new IllegalArgumentException("max images per launch = " + images + " must be >= 1");
        }
        maxImagesPerLaunch = images;
    }

    /** Test hook: use these tiles instead of the device's first fitting candidates. */
    void forceTiles(Tuning.Conv2 conv2, Tuning.Coef coef) {
        conv2Tile = conv2;
        coefTile = coef;
    }

    /** Bytes of device buffers held now (0 after {@link #close()}). */
    long deviceBytes() {
        return workspace.deviceBytes();
    }

    /** Test hook: run the direct conv1 and atom convolution even where the tiled ones fit. */
    void setDirectOnly(boolean direct) {
        directOnly = direct;
    }

    /** Which conv1 and atom convolution kernels the last call ran, e.g. {@code conv1 tiled, atom conv direct}. */
    String lastVariants() {
        return lastVariants;
    }

    /** How many chunks the last call split its batch into. */
    int lastChunks() {
        return lastChunks;
    }

    /** Test hook: the programs of this context, to build arbitrary sources. */
    ClContext context() {
        return ctx;
    }

    /**
     * Forward of {@code layer} on {@code x}.
     *
     * @param layer the layer (not modified)
     * @param x     input {@code [N, C, H, W]} (not modified)
     * @return a new tensor {@code [N, O, ceil(H/s), ceil(W/s)]}
     * @throws IllegalArgumentException for an input that does not fit the layer, or a shape too large for the device
     */
    public Tensor forward(AcdaLayer layer, Tensor x) {
        if (closed) {
            throw new IllegalStateException("the OpenCL backend is closed");
        }
        long wall0 = System.nanoTime();
        AcdaConfig cfg = layer.config();
        int[] outShape = AcdaShapes.checkInput(cfg, x);
        Shape sh = new Shape(cfg, x, outShape);
        sh.checkIndexable();
        ensureTiles();
        ClProgram gen = programs.get(GENERATOR, generatorOptions());
        ClProgram atoms = programs.get(ATOMS, Tuning.atomsOptions(cfg.kernelSize(), conv2Tile));
        ClProgram coef = programs.get(COEF, coefTile.options());

        float[][] bn1 = layer.batchNormScaleShift("bases_net.1.");
        float[][] bn2 = layer.batchNormScaleShift("bases_net.4.");
        int chunk = imagesPerLaunch(sh);
        // The tiled conv1 and atom convolution stage an input region whose size depends on the stride,
        // g, K and dilation; where it does not fit local memory the direct kernels run instead.
        long conv1Floats = Tuning.conv1TileFloats(conv2Tile, cfg.stride(), cfg.generatorKernel());
        long atomFloats = Tuning.atomTileFloats(conv2Tile, cfg.stride(), cfg.dilation(), cfg.kernelSize());
        boolean conv1Tiled = !directOnly && fitsLocal(gen, "conv1_tiled_bn_tanh", conv1Floats);
        boolean atomTiled = !directOnly && fitsLocal(atoms, "atom_conv_tiled", atomFloats);
        lastVariants = "conv1 " + (conv1Tiled ? "tiled" : "direct") + ", atom conv " + (atomTiled ? "tiled" : "direct");

        Tensor y = Tensor.zeros(outShape);
        List<Event> events = new ArrayList<>();
        try {
            ClBuffer w1 = upload("W1", layer.data(AcdaLayer.CONV1_WEIGHT), events);
            ClBuffer b1 = upload("b1", layer.data(AcdaLayer.CONV1_BIAS), events);
            ClBuffer s1 = upload("scale1", bn1[0], events);
            ClBuffer t1 = upload("shift1", bn1[1], events);
            ClBuffer w2 = upload("W2", layer.data(AcdaLayer.CONV2_WEIGHT), events);
            ClBuffer b2 = upload("b2", layer.data(AcdaLayer.CONV2_BIAS), events);
            ClBuffer s2 = upload("scale2", bn2[0], events);
            ClBuffer t2 = upload("shift2", bn2[1], events);
            ClBuffer psi = upload("bases", layer.data(AcdaLayer.BASES), events);
            ClBuffer cf = upload("coef", layer.data(AcdaLayer.COEF), events);
            ClBuffer bias = upload("bias", layer.biasOrZeros(), events);

            ClBuffer xb = workspace.device("x", CL_MEM_READ_ONLY, (long) chunk * sh.xImage);
            ClBuffer e1 = workspace.device("e1", CL_MEM_READ_WRITE, (long) chunk * sh.e1Image);
            ClBuffer g = workspace.device("G", CL_MEM_READ_WRITE, (long) chunk * sh.gImage);
            ClBuffer d = workspace.device("D", CL_MEM_READ_WRITE, (long) chunk * sh.dImage);
            ClBuffer z = workspace.device("Z", CL_MEM_READ_WRITE, (long) chunk * sh.zImage);
            ClBuffer yb = workspace.device("y", CL_MEM_WRITE_ONLY, (long) chunk * sh.yImage);
            FloatBuffer xHost = workspace.host("x", Math.toIntExact((long) chunk * sh.xImage));
            FloatBuffer yHost = workspace.host("y", Math.toIntExact((long) chunk * sh.yImage));
            int circular = cfg.padding() == PaddingMode.CIRCULAR ? 1 : 0;
            int p = sh.pixels;
            int chunks = 0;

            for (int n0 = 0; n0 < sh.batch; n0 += chunk) {
                int nb = Math.min(chunk, sh.batch - n0);
                chunks++;
                xHost.clear();
                xHost.put(x.data(), n0 * sh.xImage, nb * sh.xImage).flip();
                write(xb, xHost, events);

                if (conv1Tiled) {
                    int iBlocks = ceilDiv(sh.inter, conv2Tile.rj());
                    long wtFloats = (long) conv2Tile.ci() * cfg.generatorKernel() * cfg.generatorKernel() * conv2Tile.rj();
                    launch(events, "conv1", gen, "conv1_tiled_bn_tanh",
                            new long[] {roundUp(sh.outW, conv2Tile.tw()), roundUp(sh.outH, conv2Tile.th()), (long) nb * iBlocks},
                            new long[] {conv2Tile.tw(), conv2Tile.th(), 1},
                            xb, sh.inC, sh.inH, sh.inW, w1, b1, s1, t1, sh.inter, iBlocks, cfg.generatorKernel(),
                            cfg.stride(), circular, e1, sh.outH, sh.outW,
                            new Local(conv1Floats - wtFloats), new Local(wtFloats));
                } else {
                    long l1 = linearLocal(gen, "conv1_bn_tanh");
                    launch(events, "conv1", gen, "conv1_bn_tanh",
                            new long[] {roundUp(p, l1), ceilDiv(sh.inter, Tuning.CONV1_RO), nb}, new long[] {l1, 1, 1},
                            xb, sh.inC, sh.inH, sh.inW, w1, b1, s1, t1, sh.inter, cfg.generatorKernel(), cfg.stride(),
                            circular, e1, sh.outH, sh.outW);
                }

                int jBlocks = ceilDiv(sh.gen, conv2Tile.rj());
                launch(events, "conv2", gen, "conv2_bn_tanh",
                        new long[] {roundUp(sh.outW, conv2Tile.tw()), roundUp(sh.outH, conv2Tile.th()), (long) nb * jBlocks},
                        new long[] {conv2Tile.tw(), conv2Tile.th(), 1},
                        e1, sh.inter, w2, b2, s2, t2, sh.gen, jBlocks, circular, g, sh.outH, sh.outW);

                long la = linearLocal(atoms, "atoms");
                launch(events, "atoms", atoms, "atoms", new long[] {roundUp(p, la), sh.atoms, nb}, new long[] {la, 1, 1},
                        g, psi, sh.bases, sh.atoms, p, d);

                if (atomTiled) {
                    int cBlocks = ceilDiv(sh.inC, Tuning.ATOM_CB);
                    launch(events, "atomConv", atoms, "atom_conv_tiled",
                            new long[] {roundUp(sh.outW, conv2Tile.tw()), roundUp(sh.outH, conv2Tile.th()), (long) nb * cBlocks},
                            new long[] {conv2Tile.tw(), conv2Tile.th(), 1},
                            xb, sh.inC, sh.inH, sh.inW, d, sh.atoms, cfg.stride(), cfg.dilation(), cfg.pad(), circular,
                            z, sh.outH, sh.outW, cBlocks, new Local(atomFloats));
                } else {
                    long lc = linearLocal(atoms, "atom_conv");
                    launch(events, "atomConv", atoms, "atom_conv", new long[] {roundUp(p, lc), sh.inC, nb},
                            new long[] {lc, 1, 1},
                            xb, sh.inC, sh.inH, sh.inW, d, sh.atoms, cfg.stride(), cfg.dilation(), cfg.pad(), circular,
                            z, sh.outH, sh.outW);
                }

                launch(events, "coefConv", coef, "coef_conv",
                        new long[] {(long) ceilDiv(p, coefTile.tp()) * coefTile.lx(),
                                (long) ceilDiv(sh.outC, coefTile.to()) * coefTile.ly(), nb},
                        new long[] {coefTile.lx(), coefTile.ly(), 1},
                        cf, bias, sh.outC, sh.inC * sh.atoms, z, p, yb);

                yHost.clear().limit(nb * sh.yImage);
                read(yb, yHost, events);
                yHost.get(y.data(), n0 * sh.yImage, nb * sh.yImage);
            }
            ClStatus.check(clFinish(ctx.queue()), "clFinish");
            lastChunks = chunks;
            lastTimes = collect(events, System.nanoTime() - wall0);
        } finally {
            for (Event e : events) {
                clReleaseEvent(e.handle);
            }
        }
        return y;
    }

    /** Sizes of one call; every per-image extent is a float count. */
    private static final class Shape {
        final int batch;
        final int inC;
        final int inH;
        final int inW;
        final int outC;
        final int outH;
        final int outW;
        final int pixels;
        final int inter;
        final int gen;
        final int atoms;
        final int bases;
        final int taps;
        final long xImageL;
        final long e1ImageL;
        final long gImageL;
        final long dImageL;
        final long zImageL;
        final long yImageL;
        int xImage;
        int e1Image;
        int gImage;
        int dImage;
        int zImage;
        int yImage;

        Shape(AcdaConfig cfg, Tensor x, int[] out) {
            batch = out[0];
            outC = out[1];
            outH = out[2];
            outW = out[3];
            inC = x.dim(1);
            inH = x.dim(2);
            inW = x.dim(3);
            pixels = outH * outW;
            inter = cfg.interChannels();
            gen = cfg.generatorChannels();
            atoms = cfg.atoms();
            bases = cfg.bases();
            taps = cfg.taps();
            xImageL = (long) inC * inH * inW;
            e1ImageL = (long) inter * pixels;
            gImageL = (long) gen * pixels;
            dImageL = (long) atoms * taps * pixels;
            zImageL = (long) inC * atoms * pixels;
            yImageL = (long) outC * pixels;
        }

        /** The kernels index inside one image with 32-bit ints; refuse, naming the tensor, what does not fit. */
        void checkIndexable() {
            String[] names = {"input x", "generator hidden e1", "generator output G", "atoms D", "atom conv Z", "output y"};
            long[] sizes = {xImageL, e1ImageL, gImageL, dImageL, zImageL, yImageL};
            for (int i = 0; i < sizes.length; i++) {
                if (sizes[i] > Integer.MAX_VALUE - 64) {
                    throw new IllegalArgumentException("the OpenCL backend cannot run this shape: one image of its "
                            + names[i] + " has " + sizes[i] + " elements, above the 2^31 that its kernels index");
                }
            }
            xImage = (int) xImageL;
            e1Image = (int) e1ImageL;
            gImage = (int) gImageL;
            dImage = (int) dImageL;
            zImage = (int) zImageL;
            yImage = (int) yImageL;
        }

        long perImageBytes() {
            return (xImageL + e1ImageL + gImageL + dImageL + zImageL + 2 * yImageL) * Float.BYTES;
        }

        long largestPerImageBytes() {
            return Math.max(Math.max(xImageL, e1ImageL), Math.max(Math.max(gImageL, dImageL), Math.max(zImageL, yImageL)))
                    * Float.BYTES;
        }
    }

    /**
     * Images per launch: as many as fit the device's largest single buffer and 3/4 of its global
     * memory (and the host staging buffers' int capacity), at most the batch.
     */
    private int imagesPerLaunch(Shape sh) {
        long byAlloc = device.maxAllocBytes() / sh.largestPerImageBytes();
        long byMemory = device.globalMemBytes() / 4 * 3 / sh.perImageBytes();
        long byHost = (Integer.MAX_VALUE - 64L) / Math.max(sh.xImageL, sh.yImageL);
        long n = Math.min(Math.min(byAlloc, byMemory), Math.min(byHost, Math.min(sh.batch, maxImagesPerLaunch)));
        if (n < 1) {
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "the OpenCL device %s cannot hold one image of this shape: it needs %.1f MiB of buffers (largest "
                            + "%.1f MiB), the device allows %.1f MiB per buffer and has %.1f MiB",
                    device.label(), sh.perImageBytes() / 1048576.0, sh.largestPerImageBytes() / 1048576.0,
                    device.maxAllocBytes() / 1048576.0, device.globalMemBytes() / 1048576.0));
        }
        return (int) n;
    }

    /** Picks, once, the first tile candidates whose built kernels fit the device (see {@link Tuning}). */
    private void ensureTiles() {
        if (conv2Tile != null) {
            return;
        }
        ClBuildException firstBuildError = null;
        List<String> rejected = new ArrayList<>();
        for (Tuning.Conv2 c : Tuning.conv2Candidates(device)) {
            if (!Tuning.fitsDevice(device, c.tw(), c.th(), c.localFloats())) {
                rejected.add(c + ": beyond the device limits");
                continue;
            }
            try {
                ClProgram p = programs.get(GENERATOR, "-D CONV1_RO=" + Tuning.CONV1_RO + " " + c.options());
                if (p.workGroupSize("conv2_bn_tanh") >= c.localSize()
                        && p.localMemBytes("conv2_bn_tanh") <= device.localMemBytes()) {
                    conv2Tile = c;
                    break;
                }
                rejected.add(c + ": CL_KERNEL_WORK_GROUP_SIZE " + p.workGroupSize("conv2_bn_tanh"));
            } catch (ClBuildException e) {
                firstBuildError = firstBuildError == null ? e : firstBuildError;
            }
        }
        for (Tuning.Coef c : Tuning.coefCandidates(device)) {
            if (!Tuning.fitsDevice(device, c.lx(), c.ly(), c.localFloats())) {
                rejected.add(c + ": beyond the device limits");
                continue;
            }
            try {
                ClProgram p = programs.get(COEF, c.options());
                if (p.workGroupSize("coef_conv") >= c.localSize() && p.localMemBytes("coef_conv") <= device.localMemBytes()) {
                    coefTile = c;
                    break;
                }
                rejected.add(c + ": CL_KERNEL_WORK_GROUP_SIZE " + p.workGroupSize("coef_conv"));
            } catch (ClBuildException e) {
                firstBuildError = firstBuildError == null ? e : firstBuildError;
            }
        }
        if (conv2Tile == null || coefTile == null) {
            if (firstBuildError != null) {
                throw firstBuildError;
            }
            conv2Tile = null;
            throw new IllegalStateException("no work-group shape fits the OpenCL device " + device.label() + ": " + rejected);
        }
    }

    /** True when the kernel can run with the pixel tile's local size and {@code floats} floats of local memory. */
    private boolean fitsLocal(ClProgram program, String kernel, long floats) {
        return floats * Float.BYTES <= device.localMemBytes() && program.workGroupSize(kernel) >= conv2Tile.localSize();
    }

    private String generatorOptions() {
        return "-D CONV1_RO=" + Tuning.CONV1_RO + " " + conv2Tile.options();
    }

    /** The local size of a one-dimensional kernel: the device's preference within the kernel's and the device's limits. */
    private long linearLocal(ClProgram program, String kernel) {
        return linearLocal.computeIfAbsent(program.name() + " " + program.options() + " " + kernel, k -> Math.max(1,
                Math.min(Math.min(Tuning.linearLocal(device), program.workGroupSize(kernel)), device.maxWorkItemSizes()[0])));
    }

    private ClBuffer upload(String role, float[] data, List<Event> events) {
        ClBuffer b = workspace.device(role, CL_MEM_READ_ONLY, data.length);
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer ev = stack.mallocPointer(1);
            // Blocking: the JVM array is only pinned for the duration of the call.
            ClStatus.check(clEnqueueWriteBuffer(ctx.queue(), b.mem(), true, 0, data, null, ev),
                    "clEnqueueWriteBuffer(" + role + ")");
            events.add(new Event("upload", ev.get(0)));
        }
        return b;
    }

    private void write(ClBuffer b, FloatBuffer host, List<Event> events) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer ev = stack.mallocPointer(1);
            ClStatus.check(clEnqueueWriteBuffer(ctx.queue(), b.mem(), true, 0, host, null, ev),
                    "clEnqueueWriteBuffer(" + b.role() + ")");
            events.add(new Event("upload", ev.get(0)));
        }
    }

    private void read(ClBuffer b, FloatBuffer host, List<Event> events) {
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer ev = stack.mallocPointer(1);
            ClStatus.check(clEnqueueReadBuffer(ctx.queue(), b.mem(), true, 0, host, null, ev),
                    "clEnqueueReadBuffer(" + b.role() + ")");
            events.add(new Event("download", ev.get(0)));
        }
    }

    /** Sets the arguments ({@link ClBuffer}, {@link Integer} or {@link Local}) and enqueues one launch, keeping its event. */
    private void launch(List<Event> events, String stage, ClProgram program, String kernelName, long[] global,
                        long[] local, Object... args) {
        long kernel = program.kernel(kernelName);
        for (int i = 0; i < args.length; i++) {
            int status = switch (args[i]) {
                case ClBuffer b -> clSetKernelArg1p(kernel, i, b.mem());
                case Integer v -> clSetKernelArg1i(kernel, i, v);
                case Local l -> clSetKernelArg(kernel, i, l.floats() * Float.BYTES);
                default -> throw new IllegalArgumentException("kernel argument " + i + " of " + kernelName + ": " + args[i]);
            };
            ClStatus.check(status, "clSetKernelArg(" + kernelName + ", " + i + ")");
        }
        for (int dim = 0; dim < global.length; dim++) {
            if (global[dim] % local[dim] != 0) {
                throw new IllegalStateException("bug: global size " + global[dim] + " of " + kernelName
                        + " is not a multiple of the local size " + local[dim] + " in dimension " + dim);
            }
        }
        try (MemoryStack stack = MemoryStack.stackPush()) {
            PointerBuffer g = stack.mallocPointer(global.length).put(global).flip();
            PointerBuffer l = stack.mallocPointer(local.length).put(local).flip();
            PointerBuffer ev = stack.mallocPointer(1);
            ClStatus.check(clEnqueueNDRangeKernel(ctx.queue(), kernel, global.length, null, g, l, null, ev),
                    "clEnqueueNDRangeKernel(" + kernelName + ", global " + Arrays.toString(global) + ", local "
                            + Arrays.toString(local) + ")");
            events.add(new Event(stage, ev.get(0)));
        }
    }

    private record Event(String stage, long handle) {
    }

    /** A {@code __local float*} kernel argument of {@code floats} floats, sized at launch. */
    private record Local(long floats) {
    }

    private static KernelTimes collect(List<Event> events, long wall) {
        Map<String, Long> t = new HashMap<>();
        try (MemoryStack stack = MemoryStack.stackPush()) {
            LongBuffer v = stack.mallocLong(1);
            for (Event e : events) {
                ClStatus.check(clGetEventProfilingInfo(e.handle, CL_PROFILING_COMMAND_START, v, null),
                        "clGetEventProfilingInfo(" + e.stage + ", CL_PROFILING_COMMAND_START)");
                long start = v.get(0);
                ClStatus.check(clGetEventProfilingInfo(e.handle, CL_PROFILING_COMMAND_END, v, null),
                        "clGetEventProfilingInfo(" + e.stage + ", CL_PROFILING_COMMAND_END)");
                t.merge(e.stage, Math.max(0, v.get(0) - start), Long::sum);
            }
        }
        return new KernelTimes(t.getOrDefault("conv1", 0L), t.getOrDefault("conv2", 0L), t.getOrDefault("atoms", 0L),
                t.getOrDefault("atomConv", 0L), t.getOrDefault("coefConv", 0L), t.getOrDefault("upload", 0L),
                t.getOrDefault("download", 0L), wall);
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    private static long roundUp(long a, long b) {
        return (a + b - 1) / b * b;
    }

    /** Releases the workspace, the programs, then the queue and context (reverse order of creation). */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        RuntimeException first = null;
        for (AutoCloseable c : new AutoCloseable[] {workspace, programs, ctx}) {
            try {
                c.close();
            } catch (Exception e) {
                first = first == null ? (e instanceof RuntimeException r ? r : new IllegalStateException(e)) : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
