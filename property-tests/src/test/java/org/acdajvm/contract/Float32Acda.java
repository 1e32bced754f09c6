package org.acdajvm.contract;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.layer.PaddingMode;
import org.acdajvm.oracle.AcdaOracleBackward;
import org.acdajvm.tensor.Tensor;

/**
 * A float32 ACDA forward and backward (two-layer form) written for the verdict's tests: every sum
 * goes through {@link #dot} in a chosen {@link Order}, with or without fused multiply-adds, and a
 * set of public knobs turns it into a mutant (a precision shortcut or a plausible bug) at one place.
 * With the knobs at their defaults it is a correct float32 implementation, in any order: the
 * calibration tests hold it to the tight verdict; the mutation suite sets one knob at a time and
 * expects the verdict to reject it.
 *
 * <p>Slow and simple on purpose: every sum gathers its terms into an array first.
 */
final class Float32Acda {

    /** The order of every float32 sum. */
    enum Order {
        /** Index order, one accumulator. */
        SEQUENTIAL,
        /** Reversed index order. */
        REVERSED,
        /** Recursive halving. */
        PAIRWISE,
        /** 16 accumulators, term k into lane k mod 16 (a vectorised loop), lanes added in order at the end. */
        LANES,
        /** Four contiguous tiles summed separately (threads), then added. */
        TILED
    }

    /** A rounding applied to a value: identity for float32. */
    interface Rounding {
        float apply(float v);
    }

    static final Rounding NONE = v -> v;
    static final Rounding BF16 = Float32Acda::bf16;
    static final Rounding FP16 = v -> Float.float16ToFloat(Float.floatToFloat16(v));
    static final Rounding TF32 = Float32Acda::tf32;

    Order order = Order.SEQUENTIAL;
    boolean fma;

    // Knobs (defaults: correct float32).
    Rounding input = NONE;          // x as read
    Rounding coefR = NONE;          // coef as read
    Rounding weightsR = NONE;       // generator weights as read
    Rounding basesR = NONE;         // Psi as read
    Rounding productInputs = NONE;  // both inputs of every product (TF32 tensor cores)
    Rounding storeG = NONE;
    Rounding storeD = NONE;
    Rounding storeZ = NONE;
    Rounding storeE1 = NONE;
    Rounding storeY = NONE;
    Rounding accumulate = NONE;     // every partial sum (fp16 accumulation)
    Rounding tanhR = NONE;          // tanh's result
    double bnEps1 = AcdaLayer.BN_EPS;
    double bnEps2 = AcdaLayer.BN_EPS;
    boolean dropBias;
    boolean replicateBorder;        // atom convolution reads the nearest in-image pixel instead of the padding zero
    boolean generatorPaddingReplicate;
    boolean ignoreDilation;         // the atom convolution reads with dilation 1
    int dropBasis = -1;             // this basis index skipped in the atoms
    int channelTile;                // > 0: channels beyond the last full tile of this size are dropped in Z
    int badElement = -1;            // flat index of y to perturb
    double badDelta;                // by this much (absolute)

    // Backward knobs.
    boolean noGeneratorPath;        // dx without the path through the generator
    boolean noDirectPath;           // dx without the atom-convolution path
    boolean wrongTanhDerivative;    // 1 - G instead of 1 - G^2
    boolean gammaUncentred;         // dgamma from (g - mean) without dividing by sigma
    boolean transposeW2Grad;        // dW2's taps a and b swapped
    boolean dxShift;                // dx shifted by one column
    boolean dbiasFirstImageOnly;
    boolean de1SkipBorderTaps;      // conv 2's backward forgets the taps at the image border
    Rounding storeDZ = NONE;
    Rounding storeDG = NONE;
    double bnEpsBackward = AcdaLayer.BN_EPS;

    static float bf16(float v) {
        int b = Float.floatToRawIntBits(v);
        if ((b & 0x7f800000) == 0x7f800000) {
            return v;
        }
        int lsb = (b >> 16) & 1;
        b += 0x7fff + lsb;
        return Float.intBitsToFloat(b & 0xffff0000);
    }

    static float tf32(float v) {
        int b = Float.floatToRawIntBits(v);
        if ((b & 0x7f800000) == 0x7f800000) {
            return v;
        }
        int lsb = (b >> 13) & 1;
        b += 0xfff + lsb;
        return Float.intBitsToFloat(b & 0xffffe000);
    }

    /** {@code init + sum_k a[k] b[k]} in float32 in this implementation's order. */
    float dot(float[] a, float[] b, int n, float init) {
        float[] ra = new float[n];
        float[] rb = new float[n];
        for (int k = 0; k < n; k++) {
            ra[k] = productInputs.apply(a[k]);
            rb[k] = productInputs.apply(b[k]);
        }
        return init + sumRange(ra, rb, 0, n, order);
    }

    private float sumRange(float[] a, float[] b, int from, int to, Order o) {
        switch (o) {
            case SEQUENTIAL: {
                float acc = 0;
                for (int k = from; k < to; k++) {
                    acc = step(acc, a[k], b[k]);
                }
                return acc;
            }
            case REVERSED: {
                float acc = 0;
                for (int k = to - 1; k >= from; k--) {
                    acc = step(acc, a[k], b[k]);
                }
                return acc;
            }
            case PAIRWISE: {
                if (to - from <= 2) {
                    return sumRange(a, b, from, to, Order.SEQUENTIAL);
                }
                int mid = (from + to) >>> 1;
                return accumulate.apply(sumRange(a, b, from, mid, o) + sumRange(a, b, mid, to, o));
            }
            case LANES: {
                float[] lane = new float[16];
                for (int k = from; k < to; k++) {
                    lane[(k - from) % 16] = step(lane[(k - from) % 16], a[k], b[k]);
                }
                float acc = 0;
                for (float l : lane) {
                    acc = accumulate.apply(acc + l);
                }
                return acc;
            }
            case TILED: {
                int len = to - from;
                float acc = 0;
                for (int t = 0; t < 4; t++) {
                    acc = accumulate.apply(acc + sumRange(a, b, from + t * len / 4, from + (t + 1) * len / 4, Order.SEQUENTIAL));
                }
                return acc;
            }
            default:
                throw new AssertionError(o);
        }
    }

    private float step(float acc, float a, float b) {
        return accumulate.apply(fma ? Math.fma(a, b, acc) : acc + a * b);
    }

    /** {@code sum_k t[k]} (the terms already formed). */
    float sum(float[] t, int n) {
        float[] one = new float[n];
        java.util.Arrays.fill(one, 1f);
        return sumRange(t, one, 0, n, order);
    }

    /** Everything the backward needs from the forward, per image. */
    private record Forward(float[][] g1, float[][] e1, float[][] g2, float[][] gen, float[][][] d, float[][][] z,
                           float[][][] patch, float[] y) {
    }

    /** The forward {@code [N, O, H', W']}. */
    Tensor forward(AcdaLayer layer, Tensor x) {
        int[] outShape = AcdaShapes.checkInput(layer.config(), x);
        Tensor y = Tensor.zeros(outShape);
        int per = outShape[1] * outShape[2] * outShape[3];
        for (int n = 0; n < outShape[0]; n++) {
            System.arraycopy(forwardImage(layer, x, n).y, 0, y.data(), n * per, per);
        }
        if (badElement >= 0) {
            y.data()[badElement] += (float) badDelta;
        }
        return y;
    }

    private Forward forwardImage(AcdaLayer layer, Tensor x, int n) {
        AcdaConfig cfg = layer.config();
        int inC = cfg.inChannels();
        int outC = cfg.outChannels();
        int h = x.dim(2);
        int w = x.dim(3);
        int outH = cfg.outSize(h);
        int outW = cfg.outSize(w);
        int pixels = outH * outW;
        int inter = cfg.interChannels();
        int genC = cfg.generatorChannels();
        int g = cfg.generatorKernel();
        int half = (g - 1) / 2;
        int s = cfg.stride();
        int k = cfg.kernelSize();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        float[] w1 = round(layer.data(AcdaLayer.CONV1_WEIGHT), weightsR);
        float[] b1 = layer.data(AcdaLayer.CONV1_BIAS);
        float[] w2 = round(layer.data(AcdaLayer.CONV2_WEIGHT), weightsR);
        float[] b2 = layer.data(AcdaLayer.CONV2_BIAS);
        float[] psi = round(layer.data(AcdaLayer.BASES), basesR);
        float[] coef = round(layer.data(AcdaLayer.COEF), coefR);
        float[] bias = layer.biasOrZeros();

        float[][] g1 = new float[inter][pixels];
        float[][] e1 = new float[inter][pixels];
        float[] wa = new float[inC * g * g];
        float[] xa = new float[inC * g * g];
        for (int i = 0; i < inter; i++) {
            for (int p = 0; p < pixels; p++) {
                int ho = p / outW;
                int wo = p % outW;
                int q = 0;
                for (int c = 0; c < inC; c++) {
                    for (int a = 0; a < g; a++) {
                        for (int b = 0; b < g; b++) {
                            wa[q] = w1[((i * inC + c) * g + a) * g + b];
                            xa[q++] = read(cfg, x, n, c, s * ho + a - half, s * wo + b - half, false);
                        }
                    }
                }
                g1[i][p] = dot(wa, xa, q, b1[i]);
                e1[i][p] = storeE1.apply(act(layer, "bases_net.1.", i, g1[i][p], bnEps1));
            }
        }
        float[][] g2 = new float[genC][pixels];
        float[][] gen = new float[genC][pixels];
        float[] wb = new float[inter * 9];
        float[] eb = new float[inter * 9];
        for (int j = 0; j < genC; j++) {
            for (int p = 0; p < pixels; p++) {
                int ho = p / outW;
                int wo = p % outW;
                int q = 0;
                for (int i = 0; i < inter; i++) {
                    for (int a = 0; a < 3; a++) {
                        for (int b = 0; b < 3; b++) {
                            int hh = genIndex(cfg, ho + a - 1, outH);
                            int ww = genIndex(cfg, wo + b - 1, outW);
                            if (hh < 0 || ww < 0) {
                                continue;
                            }
                            wb[q] = w2[((j * inter + i) * 3 + a) * 3 + b];
                            eb[q++] = e1[i][hh * outW + ww];
                        }
                    }
                }
                g2[j][p] = dot(wb, eb, q, b2[j]);
                gen[j][p] = storeG.apply(act(layer, "bases_net.4.", j, g2[j][p], bnEps2));
            }
        }
        float[][][] d = new float[pixels][atoms][taps];
        float[][][] z = new float[pixels][inC][atoms];
        float[][][] patch = new float[pixels][inC][taps];
        float[] y = new float[outC * pixels];
        float[] ga = new float[bases];
        float[] pa = new float[bases];
        float[] cz = new float[inC * atoms];
        float[] zz = new float[inC * atoms];
        int dil = ignoreDilation ? 1 : cfg.dilation();
        int pad = ignoreDilation ? (k - 1) / 2 : cfg.pad();
        for (int p = 0; p < pixels; p++) {
            int ho = p / outW;
            int wo = p % outW;
            for (int m = 0; m < atoms; m++) {
                for (int u = 0; u < taps; u++) {
                    int q = 0;
                    for (int t = 0; t < bases; t++) {
                        if (t == dropBasis) {
                            continue;
                        }
                        ga[q] = gen[m * bases + t][p];
                        pa[q++] = psi[t * taps + u];
                    }
                    d[p][m][u] = storeD.apply(dot(ga, pa, q, 0f));
                }
            }
            int channels = channelTile > 0 ? inC / channelTile * channelTile : inC;
            for (int c = 0; c < inC; c++) {
                for (int a = 0; a < k; a++) {
                    for (int b = 0; b < k; b++) {
                        patch[p][c][a * k + b] = read(cfg, x, n, c, s * ho + dil * a - pad, s * wo + dil * b - pad, replicateBorder);
                    }
                }
                for (int m = 0; m < atoms; m++) {
                    z[p][c][m] = c < channels ? storeZ.apply(dot(d[p][m], patch[p][c], taps, 0f)) : 0f;
                }
            }
            for (int o = 0; o < outC; o++) {
                for (int c = 0; c < inC; c++) {
                    for (int m = 0; m < atoms; m++) {
                        cz[c * atoms + m] = coef[(o * inC + c) * atoms + m];
                        zz[c * atoms + m] = z[p][c][m];
                    }
                }
                y[o * pixels + p] = storeY.apply(dot(cz, zz, inC * atoms, dropBias ? 0f : bias[o]));
            }
        }
        return new Forward(g1, e1, g2, gen, d, z, patch, y);
    }

    private float act(AcdaLayer layer, String prefix, int i, float v, double eps) {
        float gamma = layer.data(prefix + "weight")[i];
        float beta = layer.data(prefix + "bias")[i];
        float mean = layer.data(prefix + "running_mean")[i];
        float var = layer.data(prefix + "running_var")[i];
        float sigma = (float) Math.sqrt(var + (float) eps);
        float a = (v - mean) / sigma * gamma + beta;
        return tanhR.apply((float) Math.tanh(a));
    }

    private int genIndex(AcdaConfig cfg, int i, int size) {
        if (generatorPaddingReplicate && cfg.padding() == PaddingMode.ZEROS) {
            return Math.max(0, Math.min(size - 1, i));
        }
        return cfg.padding().index(i, size);
    }

    private float read(AcdaConfig cfg, Tensor x, int n, int c, int h, int w, boolean replicate) {
        int hh = cfg.padding().index(h, x.dim(2));
        int ww = cfg.padding().index(w, x.dim(3));
        if (replicate && (hh < 0 || ww < 0)) {
            hh = Math.max(0, Math.min(x.dim(2) - 1, h));
            ww = Math.max(0, Math.min(x.dim(3) - 1, w));
        }
        return hh < 0 || ww < 0 ? 0f : input.apply(x.get(n, c, hh, ww));
    }

    private static float[] round(float[] v, Rounding r) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = r.apply(v[i]);
        }
        return out;
    }

    /** Terms collected per element, summed in this implementation's order at the end. */
    private final class Terms {
        final float[][] t;
        final int[] n;

        Terms(int size) {
            t = new float[size][4];
            n = new int[size];
        }

        void add(int i, float v) {
            if (n[i] == t[i].length) {
                t[i] = java.util.Arrays.copyOf(t[i], 2 * n[i]);
            }
            t[i][n[i]++] = v;
        }

        float total(int i) {
            return sum(t[i], n[i]);
        }

        Tensor tensor(int[] shape) {
            Tensor r = Tensor.zeros(shape);
            for (int i = 0; i < n.length; i++) {
                r.data()[i] = total(i);
            }
            return r;
        }
    }

    /** The backward, keyed as {@link AcdaOracleBackward.Gradients}: {@code x}, then the parameters. */
    Map<String, Tensor> backward(AcdaLayer layer, Tensor x, Tensor dyT) {
        AcdaConfig cfg = layer.config();
        int batch = x.dim(0);
        int inC = cfg.inChannels();
        int outC = cfg.outChannels();
        int h = x.dim(2);
        int w = x.dim(3);
        int outH = cfg.outSize(h);
        int outW = cfg.outSize(w);
        int pixels = outH * outW;
        int inter = cfg.interChannels();
        int genC = cfg.generatorChannels();
        int g = cfg.generatorKernel();
        int half = (g - 1) / 2;
        int s = cfg.stride();
        int k = cfg.kernelSize();
        int taps = cfg.taps();
        int atoms = cfg.atoms();
        int bases = cfg.bases();
        float[] w1 = layer.data(AcdaLayer.CONV1_WEIGHT);
        float[] w2 = layer.data(AcdaLayer.CONV2_WEIGHT);
        float[] psi = layer.data(AcdaLayer.BASES);
        float[] coef = layer.data(AcdaLayer.COEF);
        float[] dy = dyT.data();

        Map<String, int[]> shapes = AcdaLayer.expectedShapes(cfg);
        Terms dx = new Terms(x.size());
        Terms dcoef = new Terms(coef.length);
        Terms dbias = new Terms(outC);
        Terms dw1 = new Terms(w1.length);
        Terms db1 = new Terms(inter);
        Terms dgamma1 = new Terms(inter);
        Terms dbeta1 = new Terms(inter);
        Terms dw2 = new Terms(w2.length);
        Terms db2 = new Terms(genC);
        Terms dgamma2 = new Terms(genC);
        Terms dbeta2 = new Terms(genC);
        float[] col = new float[Math.max(outC, Math.max(inC, Math.max(atoms, taps)))];
        float[] col2 = new float[col.length];
        for (int n = 0; n < batch; n++) {
            Forward f = forwardImage(layer, x, n);
            float[][] dG = new float[genC][pixels];
            for (int p = 0; p < pixels; p++) {
                int ho = p / outW;
                int wo = p % outW;
                float[][] dZ = new float[inC][atoms];
                for (int o = 0; o < outC; o++) {
                    float up = dy[((n * outC + o) * outH + ho) * outW + wo];
                    if (!(dbiasFirstImageOnly && n > 0)) {
                        dbias.add(o, up);
                    }
                    for (int c = 0; c < inC; c++) {
                        for (int m = 0; m < atoms; m++) {
                            dcoef.add((o * inC + c) * atoms + m, up * f.z[p][c][m]);
                        }
                    }
                }
                for (int c = 0; c < inC; c++) {
                    for (int m = 0; m < atoms; m++) {
                        for (int o = 0; o < outC; o++) {
                            col[o] = dy[((n * outC + o) * outH + ho) * outW + wo];
                            col2[o] = coef[(o * inC + c) * atoms + m];
                        }
                        dZ[c][m] = storeDZ.apply(dot(col, col2, outC, 0f));
                    }
                }
                for (int c = 0; c < inC; c++) {
                    for (int a = 0; a < k; a++) {
                        for (int b = 0; b < k; b++) {
                            int u = a * k + b;
                            for (int m = 0; m < atoms; m++) {
                                col2[m] = f.d[p][m][u];
                            }
                            float v = dot(dZ[c], col2, atoms, 0f);
                            if (!noDirectPath) {
                                scatter(dx, cfg, x, n, c, s * ho + cfg.dilation() * a - cfg.pad(), s * wo + cfg.dilation() * b - cfg.pad(), v);
                            }
                        }
                    }
                }
                for (int m = 0; m < atoms; m++) {
                    float[] dD = new float[taps];
                    for (int u = 0; u < taps; u++) {
                        for (int c = 0; c < inC; c++) {
                            col[c] = dZ[c][m];
                            col2[c] = f.patch[p][c][u];
                        }
                        dD[u] = dot(col, col2, inC, 0f);
                    }
                    for (int t = 0; t < bases; t++) {
                        float[] ps = new float[taps];
                        for (int u = 0; u < taps; u++) {
                            ps[u] = psi[t * taps + u];
                        }
                        dG[m * bases + t][p] = storeDG.apply(dot(dD, ps, taps, 0f));
                    }
                }
            }
            // Generator, second half.
            float[][] de1 = new float[inter][pixels];
            Terms de1Terms = new Terms(inter * pixels);
            for (int j = 0; j < genC; j++) {
                for (int p = 0; p < pixels; p++) {
                    float gv = f.gen[j][p];
                    float slope = wrongTanhDerivative ? 1 - gv : 1 - gv * gv;
                    float da = dG[j][p] * slope;
                    float[] bn = bn(layer, "bases_net.4.", j);
                    float centred = gammaUncentred ? f.g2[j][p] - bn[2] : (f.g2[j][p] - bn[2]) / bn[4];
                    dgamma2.add(j, da * centred);
                    dbeta2.add(j, da);
                    float dg = da * (bn[0] / bn[4]);
                    db2.add(j, dg);
                    int ho = p / outW;
                    int wo = p % outW;
                    for (int i = 0; i < inter; i++) {
                        for (int a = 0; a < 3; a++) {
                            for (int b = 0; b < 3; b++) {
                                int hh = cfg.padding().index(ho + a - 1, outH);
                                int ww = cfg.padding().index(wo + b - 1, outW);
                                if (hh < 0 || ww < 0) {
                                    continue;
                                }
                                int wi = transposeW2Grad ? ((j * inter + i) * 3 + b) * 3 + a : ((j * inter + i) * 3 + a) * 3 + b;
                                dw2.add(wi, dg * f.e1[i][hh * outW + ww]);
                                boolean border = hh != ho + a - 1 || ww != wo + b - 1 || ho + a - 1 == 0 || wo + b - 1 == 0;
                                if (!(de1SkipBorderTaps && border)) {
                                    de1Terms.add(i * pixels + hh * outW + ww, dg * w2[((j * inter + i) * 3 + a) * 3 + b]);
                                }
                            }
                        }
                    }
                }
            }
            for (int i = 0; i < inter; i++) {
                for (int p = 0; p < pixels; p++) {
                    de1[i][p] = de1Terms.total(i * pixels + p);
                }
            }
            // Generator, first half.
            for (int i = 0; i < inter; i++) {
                float[] bn = bn(layer, "bases_net.1.", i);
                for (int p = 0; p < pixels; p++) {
                    float ev = f.e1[i][p];
                    float da = de1[i][p] * (wrongTanhDerivative ? 1 - ev : 1 - ev * ev);
                    float centred = gammaUncentred ? f.g1[i][p] - bn[2] : (f.g1[i][p] - bn[2]) / bn[4];
                    dgamma1.add(i, da * centred);
                    dbeta1.add(i, da);
                    float dg = da * (bn[0] / bn[4]);
                    db1.add(i, dg);
                    int ho = p / outW;
                    int wo = p % outW;
                    for (int c = 0; c < inC; c++) {
                        for (int a = 0; a < g; a++) {
                            for (int b = 0; b < g; b++) {
                                int wi = ((i * inC + c) * g + a) * g + b;
                                int hh = s * ho + a - half;
                                int ww = s * wo + b - half;
                                dw1.add(wi, dg * read(cfg, x, n, c, hh, ww, false));
                                if (!noGeneratorPath) {
                                    scatter(dx, cfg, x, n, c, hh, ww, dg * w1[wi]);
                                }
                            }
                        }
                    }
                }
            }
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        Tensor dxT = dx.tensor(x.shape());
        if (dxShift) {
            Tensor shifted = Tensor.zeros(x.shape());
            for (int i = 0; i < x.size(); i++) {
                int col3 = i % w;
                shifted.data()[i] = col3 + 1 < w ? dxT.data()[i + 1] : 0f;
            }
            dxT = shifted;
        }
        out.put(AcdaOracleBackward.INPUT, dxT);
        out.put(AcdaLayer.CONV1_WEIGHT, dw1.tensor(shapes.get(AcdaLayer.CONV1_WEIGHT)));
        out.put(AcdaLayer.CONV1_BIAS, db1.tensor(shapes.get(AcdaLayer.CONV1_BIAS)));
        out.put(AcdaLayer.BN1_WEIGHT, dgamma1.tensor(shapes.get(AcdaLayer.BN1_WEIGHT)));
        out.put(AcdaLayer.BN1_BIAS, dbeta1.tensor(shapes.get(AcdaLayer.BN1_BIAS)));
        out.put(AcdaLayer.CONV2_WEIGHT, dw2.tensor(shapes.get(AcdaLayer.CONV2_WEIGHT)));
        out.put(AcdaLayer.CONV2_BIAS, db2.tensor(shapes.get(AcdaLayer.CONV2_BIAS)));
        out.put(AcdaLayer.BN2_WEIGHT, dgamma2.tensor(shapes.get(AcdaLayer.BN2_WEIGHT)));
        out.put(AcdaLayer.BN2_BIAS, dbeta2.tensor(shapes.get(AcdaLayer.BN2_BIAS)));
        out.put(AcdaLayer.COEF, dcoef.tensor(shapes.get(AcdaLayer.COEF)));
        if (cfg.bias()) {
            out.put(AcdaLayer.BIAS, dbias.tensor(shapes.get(AcdaLayer.BIAS)));
        }
        return out;
    }

    /** {gamma, beta, mean, var, sigma} of one BatchNorm channel in float32 (sigma with the backward's eps). */
    private float[] bn(AcdaLayer layer, String prefix, int i) {
        float var = layer.data(prefix + "running_var")[i];
        return new float[] {layer.data(prefix + "weight")[i], layer.data(prefix + "bias")[i],
                layer.data(prefix + "running_mean")[i], var, (float) Math.sqrt(var + (float) bnEpsBackward)};
    }

    private static void scatter(Terms dx, AcdaConfig cfg, Tensor x, int n, int c, int h, int w, float v) {
        int hh = cfg.padding().index(h, x.dim(2));
        int ww = cfg.padding().index(w, x.dim(3));
        if (hh >= 0 && ww >= 0) {
            dx.add(((n * x.dim(1) + c) * x.dim(2) + hh) * x.dim(3) + ww, v);
        }
    }
}
