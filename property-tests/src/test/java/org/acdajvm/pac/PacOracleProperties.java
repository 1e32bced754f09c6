package org.acdajvm.pac;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

import org.acdajvm.layer.Inputs;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.layers.conv.ConvConfig;
import org.acdajvm.layers.conv.ConvKind;
import org.acdajvm.layers.conv.ConvLayer;
import org.acdajvm.layers.conv.StateDicts;
import org.acdajvm.layers.pac.PacConfig;
import org.acdajvm.layers.pac.PacKind;
import org.acdajvm.layers.pac.PacLayer;
import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.OracleResult;
import org.acdajvm.tensor.Tensor;

/**
 * Properties of PAC's oracle (DESIGN section 8): it reduces to plain conv, plain transposed conv and average
 * pooling where the kernel is constant; PAC conv and PAC transposed are adjoint for a fixed kernel; it is
 * translation equivariant; a precomputed kernel gives what the guidance gives. The plain operations are
 * written here, independently of the oracle core.
 */
class PacOracleProperties {

    private static Tensor uniform(SplittableRandom rng, double lo, double hi, int... shape) {
        Tensor t = Tensor.zeros(shape);
        StateDicts.uniform(t, rng, lo, hi);
        return t;
    }

    /** A guidance constant per channel (so every in-image distance is 0). */
    private static Tensor constantGuidance(SplittableRandom rng, int n, int cf, int h, int w) {
        Tensor g = Tensor.zeros(n, cf, h, w);
        for (int i = 0; i < n; i++) {
            for (int c = 0; c < cf; c++) {
                float v = (float) rng.nextDouble(-1, 1);
                for (int r = 0; r < h; r++) {
                    for (int q = 0; q < w; q++) {
                        g.set(i, c, r, q, v);
                    }
                }
            }
        }
        return g;
    }

    private static void assertClose(OracleResult expected, double[] actual, double relative, String what) {
        assertEquals(expected.size(), actual.length, what);
        for (int i = 0; i < actual.length; i++) {
            assertEquals(expected.y()[i], actual[i], relative * expected.sumAbs()[i] + 1e-300, what + " at " + i);
        }
    }

    /**
     * With a constant guidance every in-image distance is 0, so the gaussian kernel is 1 wherever the input is
     * not a padding zero, provided the centre tap is inside the image too (circular padding, or {@code padding
     * <= d(K-1)/2}: a centre in the zero padding reads a guidance of 0 there, as the input does).
     */
    @Property(tries = 40)
    void constantGuidanceGaussianPacConvIsPlainConv(@ForAll @IntRange(min = 1, max = 4) int inC,
                                                    @ForAll @IntRange(min = 1, max = 4) int outC,
                                                    @ForAll @IntRange(min = 0, max = 2) int half,
                                                    @ForAll @IntRange(min = 1, max = 3) int stride,
                                                    @ForAll @IntRange(min = 1, max = 2) int dilation,
                                                    @ForAll @IntRange(min = 0, max = 3) int padding,
                                                    @ForAll boolean circular, @ForAll long seed) {
        int k = 2 * half + 1;
        SplittableRandom rng = new SplittableRandom(seed);
        int h = dilation * (k - 1) + 1 + rng.nextInt(5);
        int w = dilation * (k - 1) + 1 + rng.nextInt(5);
        PaddingMode mode = circular ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
        if (!circular) {
            padding = Math.min(padding, dilation * half);
        }
        PacConfig pc = new PacConfig(PacConfig.Variant.CONV, inC, outC, k, stride, dilation, padding, mode, 0,
                PacConfig.KernelType.GAUSSIAN, false, false, 2, true);
        PacLayer pac = PacKind.random(pc, seed);
        ConvLayer conv = new ConvLayer(new ConvConfig(inC, outC, k, stride, dilation, padding, mode, true), pac.stateDict());
        Tensor x = uniform(rng, -1, 1, 2, inC, h, w);
        Inputs in = Inputs.builder().put("x", x).put(PacKind.GUIDANCE, constantGuidance(rng, 2, 2, h, w)).build();
        OracleResult p = PacKind.CONV.oracleForward(pac, in);
        OracleResult c = ConvKind.INSTANCE.oracleForward(conv, Inputs.of(x));
        assertArrayEquals(c.shape(), p.shape());
        assertClose(c, p.y(), 1e-15, pc.summary());
    }

    /** An independent transposed convolution: {@code y[co, q] = b[co] + sum_{ci, p, u: s p + d u - pad = q} W[ci, co, u] x[ci, p]}. */
    static double[] plainTransposed(PacConfig c, float[] weight, float[] bias, Tensor x) {
        int n = x.dim(0);
        int h = x.dim(2);
        int w = x.dim(3);
        int k = c.kernelSize();
        int oh = (h - 1) * c.stride() - 2 * c.padding() + c.dilation() * (k - 1) + c.outputPadding() + 1;
        int ow = (w - 1) * c.stride() - 2 * c.padding() + c.dilation() * (k - 1) + c.outputPadding() + 1;
        int ci = c.inChannels();
        int co = c.outChannels();
        double[] y = new double[n * co * oh * ow];
        for (int i = 0; i < n; i++) {
            for (int o = 0; o < co; o++) {
                for (int r = 0; r < oh; r++) {
                    for (int q = 0; q < ow; q++) {
                        y[((i * co + o) * oh + r) * ow + q] = bias[o];
                    }
                }
            }
            for (int a = 0; a < ci; a++) {
                for (int r = 0; r < h; r++) {
                    for (int q = 0; q < w; q++) {
                        for (int u = 0; u < k * k; u++) {
                            int yr = r * c.stride() + c.dilation() * (u / k) - c.padding();
                            int yq = q * c.stride() + c.dilation() * (u % k) - c.padding();
                            if (yr < 0 || yr >= oh || yq < 0 || yq >= ow) {
                                continue;
                            }
                            for (int o = 0; o < co; o++) {
                                y[((i * co + o) * oh + yr) * ow + yq] += (double) weight[(a * co + o) * k * k + u] * x.get(i, a, r, q);
                            }
                        }
                    }
                }
            }
        }
        return y;
    }

    @Property(tries = 40)
    void pacTransposedWithKernelSizeOneIsPlainTransposedConv(@ForAll @IntRange(min = 1, max = 4) int inC,
                                                             @ForAll @IntRange(min = 1, max = 4) int outC,
                                                             @ForAll @IntRange(min = 1, max = 3) int stride,
                                                             @ForAll @IntRange(min = 0, max = 1) int padding,
                                                             @ForAll boolean normalize, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int op = rng.nextInt(stride);
        PacConfig pc = new PacConfig(PacConfig.Variant.TRANSPOSED, inC, outC, 1, stride, 1, padding, PaddingMode.ZEROS, op,
                PacConfig.KernelType.GAUSSIAN, false, normalize, 3, true);
        PacLayer layer = PacKind.random(pc, seed);
        Inputs in = layer.kind().randomInputs(layer, 2, 3 + rng.nextInt(4), 3 + rng.nextInt(4), seed + 1);
        OracleResult r = PacKind.TRANSPOSED.oracleForward(layer, in);
        double[] expected = plainTransposed(pc, layer.param(PacLayer.WEIGHT).data(), layer.biasOrZeros(), in.x());
        assertEquals(expected.length, r.size());
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], r.y()[i], 1e-15 * r.sumAbs()[i], pc.summary() + " at " + i);
        }
    }

    @Property(tries = 40)
    void constantGuidanceGaussianPacTransposedIsPlainTransposedConv(@ForAll @IntRange(min = 1, max = 3) int inC,
                                                                    @ForAll @IntRange(min = 1, max = 3) int outC,
                                                                    @ForAll @IntRange(min = 1, max = 2) int half,
                                                                    @ForAll @IntRange(min = 1, max = 3) int stride,
                                                                    @ForAll @IntRange(min = 1, max = 2) int dilation,
                                                                    @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 2 * half + 1;
        int padding = rng.nextInt(dilation * half + 1);     // <= d(K-1)/2: every input pixel lands inside the output grid
        PacConfig pc = new PacConfig(PacConfig.Variant.TRANSPOSED, inC, outC, k, stride, dilation, padding, PaddingMode.ZEROS,
                rng.nextInt(stride), PacConfig.KernelType.GAUSSIAN, false, false, 2, true);
        PacLayer layer = PacKind.random(pc, seed);
        Tensor x = uniform(rng, -1, 1, 1, inC, 2 + rng.nextInt(3), 2 + rng.nextInt(3));
        Tensor g = constantGuidance(rng, 1, 2, pc.outSize(x.dim(2)), pc.outSize(x.dim(3)));
        OracleResult r = PacKind.TRANSPOSED.oracleForward(layer, Inputs.builder().put("x", x).put(PacKind.GUIDANCE, g).build());
        double[] expected = plainTransposed(pc, layer.param(PacLayer.WEIGHT).data(), layer.biasOrZeros(), x);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], r.y()[i], 1e-15 * r.sumAbs()[i], pc.summary() + " at " + i);
        }
    }

    @Property(tries = 40)
    void normalisedPacPoolWithAConstantGuidanceIsAverageOverInImageTaps(@ForAll @IntRange(min = 1, max = 3) int channels,
                                                                        @ForAll @IntRange(min = 0, max = 2) int half,
                                                                        @ForAll @IntRange(min = 1, max = 3) int stride,
                                                                        @ForAll @IntRange(min = 1, max = 2) int dilation,
                                                                        @ForAll @IntRange(min = 0, max = 3) int padding,
                                                                        @ForAll boolean inverse, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 2 * half + 1;
        int h = dilation * (k - 1) + 1 + rng.nextInt(4);
        int w = dilation * (k - 1) + 1 + rng.nextInt(4);
        PacConfig pc = new PacConfig(PacConfig.Variant.POOL, channels, channels, k, stride, dilation, padding, PaddingMode.ZEROS,
                0, inverse ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN, false, true, 2, false);
        PacLayer layer = PacKind.random(pc, seed);
        Tensor x = uniform(rng, -1, 1, 2, channels, h, w);
        OracleResult r = PacKind.POOL.oracleForward(layer,
                Inputs.builder().put("x", x).put(PacKind.GUIDANCE, constantGuidance(rng, 2, 2, h, w)).build());
        int oh = r.shape()[2];
        int ow = r.shape()[3];
        for (int n = 0; n < 2; n++) {
            for (int c = 0; c < channels; c++) {
                for (int ph = 0; ph < oh; ph++) {
                    for (int pw = 0; pw < ow; pw++) {
                        double s = 0;
                        int count = 0;
                        for (int a = 0; a < k; a++) {
                            for (int b = 0; b < k; b++) {
                                int hh = ph * stride + a * dilation - padding;
                                int ww = pw * stride + b * dilation - padding;
                                if (hh >= 0 && hh < h && ww >= 0 && ww < w) {
                                    s += x.get(n, c, hh, ww);
                                    count++;
                                }
                            }
                        }
                        int i = ((n * channels + c) * oh + ph) * ow + pw;
                        double expected = count == 0 ? 0 : s / count;
                        assertEquals(expected, r.y()[i], 1e-14 * (1 + r.sumAbs()[i]), pc.summary() + " at " + i);
                    }
                }
            }
        }
    }

    /**
     * For a fixed kernel, {@code <y, PacConv(x)> = <PacT(y), x>}: PAC conv with the kernel {@code Kc[u, p]} and PAC
     * transposed (weight {@code [O, C, K, K]}, the same array) with the kernel on its output grid
     * {@code KT[K^2-1-u, s p + d u - pad] = Kc[u, p]}.
     */
    @Property(tries = 40)
    void pacConvAndPacTransposedAreAdjointForAFixedKernel(@ForAll @IntRange(min = 1, max = 3) int inC,
                                                          @ForAll @IntRange(min = 1, max = 3) int outC,
                                                          @ForAll @IntRange(min = 0, max = 2) int half,
                                                          @ForAll @IntRange(min = 1, max = 3) int stride,
                                                          @ForAll @IntRange(min = 1, max = 2) int dilation,
                                                          @ForAll @IntRange(min = 0, max = 2) int padding,
                                                          @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 2 * half + 1;
        int taps = k * k;
        int h = dilation * (k - 1) + 1 + rng.nextInt(5);
        int w = dilation * (k - 1) + 1 + rng.nextInt(5);
        PacConfig cc = new PacConfig(PacConfig.Variant.CONV, inC, outC, k, stride, dilation, padding, PaddingMode.ZEROS, 0,
                PacConfig.KernelType.GAUSSIAN, false, false, 1, false);
        int oh = cc.sampling(h, w).outHeight();
        int ow = cc.sampling(h, w).outWidth();
        int op = Math.floorMod(h + 2 * padding - dilation * (k - 1) - 1, stride);
        int opw = Math.floorMod(w + 2 * padding - dilation * (k - 1) - 1, stride);
        if (op != opw) {
            w += op - opw;          // one output padding for both axes
            if (w < dilation * (k - 1) + 1) {
                w += stride;
            }
            ow = cc.sampling(h, w).outWidth();
        }
        PacConfig tc = new PacConfig(PacConfig.Variant.TRANSPOSED, outC, inC, k, stride, dilation, padding, PaddingMode.ZEROS, op,
                PacConfig.KernelType.GAUSSIAN, false, false, 1, false);
        assertEquals(h, tc.outSize(oh));
        assertEquals(w, tc.outSize(ow));
        Tensor weight = uniform(rng, -1, 1, outC, inC, k, k);
        PacLayer conv = new PacLayer(cc, Map.of(PacLayer.WEIGHT, weight));
        PacLayer trans = new PacLayer(tc, Map.of(PacLayer.WEIGHT, weight));
        Tensor kt = uniform(rng, 0, 1, 1, taps, h, w);
        Tensor kc = uniform(rng, 0, 1, 1, taps, oh, ow);
        for (int ph = 0; ph < oh; ph++) {
            for (int pw = 0; pw < ow; pw++) {
                for (int u = 0; u < taps; u++) {
                    int qh = stride * ph + dilation * (u / k) - padding;
                    int qw = stride * pw + dilation * (u % k) - padding;
                    if (qh >= 0 && qh < h && qw >= 0 && qw < w) {
                        kc.set(0, u, ph, pw, kt.get(0, taps - 1 - u, qh, qw));
                    }
                }
            }
        }
        Tensor x = uniform(rng, -1, 1, 1, inC, h, w);
        Tensor y = uniform(rng, -1, 1, 1, outC, oh, ow);
        OracleResult cx = PacKind.CONV.oracleForward(conv, Inputs.builder().put("x", x).put(PacKind.KERNEL, kc).build());
        OracleResult ty = PacKind.TRANSPOSED.oracleForward(trans, Inputs.builder().put("x", y).put(PacKind.KERNEL, kt).build());
        double left = 0;
        double leftAbs = 0;
        for (int i = 0; i < cx.size(); i++) {
            left += y.data()[i] * cx.y()[i];
            leftAbs += Math.abs(y.data()[i]) * cx.sumAbs()[i];
        }
        double right = 0;
        for (int i = 0; i < ty.size(); i++) {
            right += ty.y()[i] * x.data()[i];
        }
        assertEquals(left, right, 1e-13 * leftAbs + 1e-300, cc.summary());
    }

    /** With stride 1, padding d(K-1)/2 and an unnormalised kernel, the guidance itself makes them adjoint. */
    @Property(tries = 30)
    void pacConvAndPacTransposedWithOneGuidanceAreAdjointAtStrideOne(@ForAll @IntRange(min = 1, max = 3) int inC,
                                                                     @ForAll @IntRange(min = 1, max = 3) int outC,
                                                                     @ForAll @IntRange(min = 0, max = 2) int half,
                                                                     @ForAll @IntRange(min = 1, max = 2) int dilation,
                                                                     @ForAll boolean inverse, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 2 * half + 1;
        int pad = dilation * half;
        PacConfig.KernelType type = inverse ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN;
        PacConfig cc = new PacConfig(PacConfig.Variant.CONV, inC, outC, k, 1, dilation, pad, PaddingMode.ZEROS, 0, type, false,
                false, 2, false);
        PacConfig tc = new PacConfig(PacConfig.Variant.TRANSPOSED, outC, inC, k, 1, dilation, pad, PaddingMode.ZEROS, 0, type,
                false, false, 2, false);
        Map<String, Tensor> params = new LinkedHashMap<>(PacKind.random(cc, seed).stateDict());
        PacLayer conv = new PacLayer(cc, params);
        PacLayer trans = new PacLayer(tc, params);
        int h = 3 + rng.nextInt(4);
        int w = 3 + rng.nextInt(4);
        Tensor f = uniform(rng, -1, 1, 1, 2, h, w);
        Tensor x = uniform(rng, -1, 1, 1, inC, h, w);
        Tensor y = uniform(rng, -1, 1, 1, outC, h, w);
        OracleResult cx = PacKind.CONV.oracleForward(conv, Inputs.builder().put("x", x).put(PacKind.GUIDANCE, f).build());
        OracleResult ty = PacKind.TRANSPOSED.oracleForward(trans, Inputs.builder().put("x", y).put(PacKind.GUIDANCE, f).build());
        double left = 0;
        double scale = 0;
        for (int i = 0; i < cx.size(); i++) {
            left += y.data()[i] * cx.y()[i];
            scale += Math.abs(y.data()[i]) * cx.sumAbs()[i];
        }
        double right = 0;
        for (int i = 0; i < ty.size(); i++) {
            right += ty.y()[i] * x.data()[i];
        }
        assertEquals(left, right, 1e-13 * scale + 1e-300, cc.summary());
    }

    @Property(tries = 30)
    void pacConvIsTranslationEquivariantWithCircularPadding(@ForAll @IntRange(min = 1, max = 3) int inC,
                                                            @ForAll @IntRange(min = 1, max = 3) int outC,
                                                            @ForAll @IntRange(min = 0, max = 2) int half,
                                                            @ForAll @IntRange(min = 1, max = 2) int dilation,
                                                            @ForAll boolean inverse, @ForAll boolean normalize,
                                                            @ForAll boolean channelWise, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 2 * half + 1;
        int cf = channelWise ? inC : 2;
        PacConfig pc = new PacConfig(PacConfig.Variant.CONV, inC, outC, k, 1, dilation, dilation * half, PaddingMode.CIRCULAR, 0,
                inverse ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN, channelWise, normalize, cf, true);
        PacLayer layer = PacKind.random(pc, seed);
        int h = 3 + rng.nextInt(5);
        int w = 3 + rng.nextInt(5);
        Tensor x = uniform(rng, -1, 1, 1, inC, h, w);
        Tensor f = uniform(rng, -1, 1, 1, cf, h, w);
        int dy = rng.nextInt(h);
        int dx = rng.nextInt(w);
        OracleResult a = PacKind.CONV.oracleForward(layer, Inputs.builder().put("x", x).put(PacKind.GUIDANCE, f).build());
        OracleResult b = PacKind.CONV.oracleForward(layer,
                Inputs.builder().put("x", shift(x, dy, dx)).put(PacKind.GUIDANCE, shift(f, dy, dx)).build());
        for (int o = 0; o < outC; o++) {
            for (int r = 0; r < h; r++) {
                for (int q = 0; q < w; q++) {
                    int i = (o * h + r) * w + q;
                    int j = (o * h + (r + dy) % h) * w + (q + dx) % w;
                    assertEquals(a.y()[i], b.y()[j], 0.0, pc.summary() + " shift (" + dy + ", " + dx + ")");
                }
            }
        }
    }

    private static Tensor shift(Tensor t, int dy, int dx) {
        Tensor s = Tensor.zeros(t.shape());
        for (int n = 0; n < t.dim(0); n++) {
            for (int c = 0; c < t.dim(1); c++) {
                for (int r = 0; r < t.dim(2); r++) {
                    for (int q = 0; q < t.dim(3); q++) {
                        s.set(n, c, (r + dy) % t.dim(2), (q + dx) % t.dim(3), t.get(n, c, r, q));
                    }
                }
            }
        }
        return s;
    }

    /**
     * {@code pac-kernel}'s output (with the layer's kernel settings) fed to pac-conv, pac-pool or pac-transposed as
     * the input {@code kernel}, used as given, gives the output of the guidance, up to rounding the kernel to float32
     * ({@code |dy| <= u S}).
     */
    @Property(tries = 40)
    void aPrecomputedKernelGivesWhatTheGuidanceGives(@ForAll @IntRange(min = 0, max = 2) int variant,
                                                     @ForAll @IntRange(min = 0, max = 1) int half,
                                                     @ForAll @IntRange(min = 1, max = 2) int stride,
                                                     @ForAll @IntRange(min = 0, max = 2) int padding,
                                                     @ForAll boolean inverse, @ForAll boolean normalize,
                                                     @ForAll boolean circular, @ForAll long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        int k = 2 * half + 1;
        PacConfig.Variant v = PacConfig.Variant.values()[variant];
        boolean transposed = v == PacConfig.Variant.TRANSPOSED;
        PaddingMode mode = circular && !transposed ? PaddingMode.CIRCULAR : PaddingMode.ZEROS;
        PacConfig.KernelType type = inverse ? PacConfig.KernelType.INVERSE : PacConfig.KernelType.GAUSSIAN;
        int c = 2;
        if (transposed) {
            padding = Math.min(padding, half);
        }
        PacConfig pc = new PacConfig(v, c, v == PacConfig.Variant.POOL ? c : 3, k, stride, 1, padding, mode,
                transposed ? rng.nextInt(stride) : 0, type, false, normalize, 2, v != PacConfig.Variant.POOL);
        PacLayer layer = PacKind.random(pc, seed);
        Inputs in = layer.kind().randomInputs(layer, 2, 3 + rng.nextInt(3), 3 + rng.nextInt(3), seed + 1);
        Tensor g = in.get(PacKind.GUIDANCE);
        // The kernel alone with the layer's kernel settings (normalisation included) on the layer's kernel grid.
        int kStride = transposed ? 1 : stride;
        int kPad = transposed ? half : padding;
        PacConfig kc = new PacConfig(PacConfig.Variant.KERNEL, 2, k * k, k, kStride, 1, kPad, mode, 0, type, false, normalize, 2,
                false);
        Map<String, Tensor> scalars = new LinkedHashMap<>();
        if (inverse) {
            scalars.put(PacLayer.INV_ALPHA, layer.param(PacLayer.INV_ALPHA));
            scalars.put(PacLayer.INV_LAMBDA, layer.param(PacLayer.INV_LAMBDA));
        }
        PacLayer kernelLayer = new PacLayer(kc, scalars);
        Tensor kernel = PacKind.KERNEL_ONLY.oracleForward(kernelLayer, Inputs.of(g)).toTensor();
        OracleResult withGuidance = layer.kind().oracleForward(layer, in);
        OracleResult withKernel = layer.kind().oracleForward(layer, Inputs.builder().put("x", in.x()).put(PacKind.KERNEL, kernel).build());
        assertArrayEquals(withGuidance.shape(), withKernel.shape());
        for (int i = 0; i < withGuidance.size(); i++) {
            double tol = 2 * ErrorBounds.U * withGuidance.sumAbs()[i] + 1e-12;
            assertEquals(withGuidance.y()[i], withKernel.y()[i], tol, pc.summary() + " at " + i);
        }
        assertTrue(withGuidance.size() > 0);
    }
}
