package org.acdajvm.opencl;

import java.util.ArrayList;
import java.util.List;

/**
 * Work-group shapes and register blocking of the kernels, chosen per device. The first candidate
 * that the device accepts (work-group size within {@code CL_KERNEL_WORK_GROUP_SIZE} and the
 * device's per-dimension limits, local memory within {@code CL_DEVICE_LOCAL_MEM_SIZE}) is used;
 * the last candidates are small enough for any conforming device.
 */
final class Tuning {

    private Tuning() {
    }

    /** conv2's output tile {@code tw x th} (its local size), {@code rj} output channels per work-item, {@code ci} input channels per step. */
    record Conv2(int tw, int th, int rj, int ci) {
        String options() {
            return "-D CONV2_TW=" + tw + " -D CONV2_TH=" + th + " -D CONV2_RJ=" + rj + " -D CONV2_CI=" + ci;
        }

        long localSize() {
            return (long) tw * th;
        }

        long localFloats() {
            return (long) ci * (th + 2) * (tw + 2) + (long) ci * 9 * rj;
        }
    }

    /** The coefficient convolution's {@code to x tp} output tile, {@code tk} steps, {@code ro x rp} outputs per work-item. */
    record Coef(int to, int tp, int tk, int ro, int rp) {
        String options() {
            return "-D TO=" + to + " -D TP=" + tp + " -D TK=" + tk + " -D RO=" + ro + " -D RP=" + rp;
        }

        int lx() {
            return tp / rp;
        }

        int ly() {
            return to / ro;
        }

        long localSize() {
            return (long) lx() * ly();
        }

        long localFloats() {
            return (long) tk * (to + tp);
        }
    }

    /** Output channels per work-item of conv1. */
    static final int CONV1_RO = 8;

    /** Largest K*K for which the direct atom convolution keeps the patch in private memory (K <= 9). */
    static final int PATCH_MAX = 81;

    /** Input channels per work-group of the tiled atom convolution: each value of D read serves this many. */
    static final int ATOM_CB = 8;

    /** Build options of atoms.cl for kernel size {@code k}; the tiled atom convolution uses conv2's pixel tile. */
    static String atomsOptions(int k, Conv2 tile) {
        return "-D K=" + k + " -D PATCH_MAX=" + PATCH_MAX + " -D ATOM_TW=" + tile.tw() + " -D ATOM_TH=" + tile.th()
                + " -D ATOM_CB=" + ATOM_CB;
    }

    /** Local floats of the tiled conv1 for stride {@code s} and kernel {@code g}: input tile plus weights. */
    static long conv1TileFloats(Conv2 tile, int s, int g) {
        long h = (long) (tile.th() - 1) * s + g;
        long w = (long) (tile.tw() - 1) * s + g;
        return tile.ci() * h * w + (long) tile.ci() * g * g * tile.rj();
    }

    /** Local floats of the tiled atom convolution: {@link #ATOM_CB} channels of the input region a pixel tile reads. */
    static long atomTileFloats(Conv2 tile, int s, int dilation, int k) {
        long span = (long) dilation * (k - 1) + 1;
        long h = (long) (tile.th() - 1) * s + span;
        long w = (long) (tile.tw() - 1) * s + span;
        return ATOM_CB * h * w;
    }

    /** Preferred local size of the one-dimensional kernels (conv1, atoms, atom conv). */
    static int linearLocal(ClDevice d) {
        return d.isGpu() ? 128 : 64;
    }

    static List<Conv2> conv2Candidates(ClDevice d) {
        List<Conv2> list = new ArrayList<>();
        if (d.isGpu()) {
            list.add(new Conv2(16, 8, 8, 8));
        }
        list.add(new Conv2(8, 8, 8, 8));
        list.add(new Conv2(8, 4, 8, 4));
        list.add(new Conv2(4, 4, 4, 4));
        list.add(new Conv2(1, 1, 4, 4));
        return list;
    }

    static List<Coef> coefCandidates(ClDevice d) {
        List<Coef> list = new ArrayList<>();
        if (d.isGpu()) {
            list.add(new Coef(64, 64, 16, 4, 4));
        }
        list.add(new Coef(32, 64, 16, 4, 4));
        list.add(new Coef(32, 32, 16, 4, 4));
        list.add(new Coef(16, 16, 16, 4, 4));
        list.add(new Coef(4, 4, 8, 4, 4));
        return list;
    }

    /** True when a local size {@code (lx, ly)} is within the device's limits (before asking the kernel). */
    static boolean fitsDevice(ClDevice d, long lx, long ly, long localFloats) {
        long[] items = d.maxWorkItemSizes();
        return lx * ly <= d.maxWorkGroupSize() && items.length >= 2 && lx <= items[0] && ly <= items[1]
                && localFloats * Float.BYTES <= d.localMemBytes();
    }
}
