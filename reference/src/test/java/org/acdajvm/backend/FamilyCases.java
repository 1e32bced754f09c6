package org.acdajvm.backend;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.Layer;
import org.acdajvm.layer.LayerKind;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.ConvConfig;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.vector.TapConvVector;

/**
 * Seeded cases for the fast paths of plain conv and PAC: widths around multiples of the lane count
 * ({@code lanes-1, lanes, lanes+1, 2 lanes+1}) and small odd ones, both padding modes, stride 1-3, dilation 2,
 * padding other than "same", N up to 2, both kernels, normalised or not, channel-wise, guidance or a given kernel.
 */
final class FamilyCases {

    /** One case: the kind, a layer, its inputs and an upstream gradient. */
    record Case(LayerKind<Layer> kind, Layer layer, Inputs inputs, Tensor dy, String label) {
    }

    private FamilyCases() {
    }

    static int[] widths() {
        int l = TapConvVector.lanes();
        return new int[] {l - 1, l, l + 1, 2 * l + 1, 5, 7};
    }

    @SuppressWarnings("unchecked")
    private static LayerKind<Layer> erase(LayerKind<?> k) {
        return (LayerKind<Layer>) k;
    }

    /** {@code count} cases of every family kind (conv, pac-conv, pac-transposed, pac-pool, pac-kernel). */
    static List<Case> all(int count, long seed) {
        List<Case> cases = new ArrayList<>();
        SplittableRandom r = new SplittableRandom(seed);
        int[] widths = widths();
        for (int i = 0; i < count; i++) {
            int w = widths[i % widths.length];
            int h = 3 + r.nextInt(6) * 2 - (i % 2);                   // odd and even heights
            int n = 1 + i % 2;
            int k = new int[] {3, 1, 5, 3}[i % 4];
            int s = new int[] {1, 2, 3, 1, 2}[i % 5];
            int d = i % 3 == 2 ? 2 : 1;
            int same = d * (k - 1) / 2;
            int pad = i % 4 == 1 ? Math.max(0, same - 1) : i % 4 == 3 ? same + 1 : same;
            PaddingMode mode = i % 2 == 0 ? PaddingMode.ZEROS : PaddingMode.CIRCULAR;
            if (mode == PaddingMode.CIRCULAR) {
                pad = Math.min(pad, Math.min(h, w));
            }
            if (h + 2 * pad < d * (k - 1) + 1 || w + 2 * pad < d * (k - 1) + 1) {
                h += d * (k - 1);
            }
            int c = 1 + r.nextInt(5);
            int o = 1 + r.nextInt(9);
            int cf = 1 + r.nextInt(3);
            boolean bias = i % 3 != 1;
            boolean channelWise = i % 5 == 3;
            boolean normalise = i % 2 == 1 || i % 7 == 0;
            PacConfig.KernelType type = i % 3 == 0 ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN;
            boolean givenKernel = i % 6 == 5;
            long ls = seed * 1000 + i;
            String tag = "#" + i + " N=" + n + " H=" + h + " W=" + w + " ";

            ConvConfig cc = new ConvConfig(c, o, k, s, d, pad, mode, bias);
            var conv = ConvKind.random(cc, ls);
            cases.add(withDy(erase(ConvKind.INSTANCE), conv, ConvKind.INSTANCE.randomInputs(conv, n, h, w, ls + 1), r,
                    tag + conv.summary()));

            int gcw = channelWise ? c : cf;
            for (PacConfig.Variant v : PacConfig.Variant.values()) {
                PacConfig pc;
                switch (v) {
                    case CONV -> pc = new PacConfig(v, c, o, k, s, d, pad, mode, 0, type, channelWise, normalise, gcw, bias);
                    case POOL -> pc = new PacConfig(v, c, c, k, s, d, pad, mode, 0, type, channelWise, normalise, gcw, false);
                    case KERNEL -> pc = new PacConfig(v, cf, (channelWise ? cf : 1) * k * k, k, s, d, pad, mode, 0, type,
                            channelWise, normalise, cf, false);
                    default -> {
                        int tp = Math.min(pad, d * (k - 1));
                        int op = s > 1 ? i % s : 0;
                        int th = Math.max(1, h / s);
                        int tw = Math.max(1, w / s + (i % 2));
                        pc = new PacConfig(v, c, o, k, s, d, tp, PaddingMode.ZEROS, op, type, false, normalise, cf, bias);
                        if (pc.outSize(th) < 1 || pc.outSize(tw) < 1) {
                            continue;
                        }
                        PacLayer layer = PacKind.random(pc, ls);
                        cases.add(pacCase(layer, n, th, tw, ls, givenKernel, r, tag + pc.summary()));
                        continue;
                    }
                }
                PacLayer layer = PacKind.random(pc, ls);
                cases.add(pacCase(layer, n, h, w, ls, givenKernel && v != PacConfig.Variant.KERNEL, r, tag + pc.summary()));
            }
        }
        return cases;
    }

    private static Case pacCase(PacLayer layer, int n, int h, int w, long seed, boolean givenKernel, SplittableRandom r,
                                String label) {
        PacKind kind = layer.kind();
        Inputs in = kind.randomInputs(layer, n, h, w, seed + 1);
        if (givenKernel) {
            // A kernel as pac-kernel would give it: positive, [N, G K^2, grid].
            Tensor f = in.require(PacKind.GUIDANCE);
            int[] out = kind.checkInputs(layer, in);
            PacConfig c = layer.config();
            int kh = c.variant() == PacConfig.Variant.TRANSPOSED ? f.dim(2) : out[2];
            int kw = c.variant() == PacConfig.Variant.TRANSPOSED ? f.dim(3) : out[3];
            Tensor kt = Tensor.zeros(n, c.kernelChannels() * c.taps(), kh, kw);
            for (int i = 0; i < kt.size(); i++) {
                kt.data()[i] = (float) r.nextDouble(0, 1);
            }
            in = Inputs.builder().put(Inputs.X, in.x()).put(PacKind.KERNEL, kt).build();
            label += " given-kernel";
        }
        return withDy(erase(kind), layer, in, r, label);
    }

    private static Case withDy(LayerKind<Layer> kind, Layer layer, Inputs in, SplittableRandom r, String label) {
        int[] out = kind.checkInputs(layer, in);
        Tensor dy = Tensor.zeros(out);
        for (int i = 0; i < dy.size(); i++) {
            dy.data()[i] = (float) r.nextDouble(-1, 1);
        }
        return new Case(kind, layer, in, dy, label);
    }
}
