package org.acdajvm.layers.tvconv;

import org.acdajvm.oracle.ErrorBounds;
import org.acdajvm.oracle.PixelFilter;
import org.acdajvm.oracle.SumModel;

/**
 * TVConv's weight net in the oracle (double; the oracle's header rules apply): from the position map
 * {@code A[ca, h, w]}, for {@code l < L}
 * <pre>
 *   g_l = conv3x3(in_l; W_l, b_l)                  zero padding 1; in_0 = A, in_l = h_{l-1}
 *   mu  = sum g / M,   s2 = sum (g - mu)^2 / M,   r = (s2 + 1e-5)^(-1/2)        M = mid h w, over [mid, h, w]
 *   z   = (g - mu) r,  a_l = gamma_l z + beta_l    (elementwise affine, [mid, h, w])
 *   h_l = max(0, a_l)
 * </pre>
 * then {@code F = conv3x3(h_{L-1}; W_L, b_L)}, channel {@code c K^2 + u}: the filter of tap {@code u} of channel
 * {@code c} at each position. Beside each value: the worst-case error {@code E} of a float32 evaluation, the
 * tight tier's independent variance proxies {@code V} and the signed sensitivities to each shared number (a
 * LayerNorm's mean and {@code r}: one rounded number per layer, whose error reaches every element), propagated
 * exactly through the linearised later stages ({@link ErrorBounds}, TVConv section). {@link #backward} is the exact derivative from {@code dF} to every parameter, with the same bookkeeping.
 */
final class TvConvWeightNet {

    /**
     * A {@code [channels][h][w]} tensor of forward values with their bounds' ingredients: {@code e} the worst-case
     * error, {@code ind} the independent variance proxies {@code [A, B, C][element]}, and {@code dir[s]} the signed
     * sensitivity of each element to shared number {@code s} (a LayerNorm's mean or {@code r}; {@code null} before
     * it exists), whose variance is {@link TvConvWeightNet#shared}.
     */
    static final class Field {
        final int channels;
        final double[] v;
        final double[] e;
        final double[][] ind;
        final double[][] dir;

        Field(int channels, int positions, int sharedCount) {
            this.channels = channels;
            int n = channels * positions;
            v = new double[n];
            e = new double[n];
            ind = new double[3][n];
            dir = new double[sharedCount][];
        }
    }

    /**
     * A backward intermediate: value, {@code S}, {@code E}, the independent variance {@code ind} ({@code [A, B, C][element]})
     * and the signed sensitivity {@code dir[s]} to each shared number {@code s} (the forward's LayerNorm means and
     * {@code r}s, then the backward's own shared means {@code mean(dz)}, {@code mean(dz z)} of each LayerNorm), whose
     * variances are {@link TvConvWeightNet#allShared}; {@code null} where it does not depend on {@code s}.
     */
    static final class Grad {
        final double[] v;
        final double[] s;
        final double[] e;
        final double[][] ind;
        final double[][] dir;

        Grad(int n, int sharedCount) {
            v = new double[n];
            s = new double[n];
            e = new double[n];
            ind = new double[3][n];
            dir = new double[sharedCount][];
        }

        double[] dir(int sh) {
            if (dir[sh] == null) {
                dir[sh] = new double[v.length];
            }
            return dir[sh];
        }
    }

    /** One LayerNorm's shared numbers: {@code r} with its worst-case error and its whole tight scale (own and induced). */
    record Norm(double mean, double r, double rError, double[] rSigma, double[] rDir) {
    }

    private final TvConvOracle.Parts p;
    private final TvConvConfig c;
    private final int hh;
    private final int ww;
    private final int positions;
    final Field affinity;
    final Field[] conv;       // g_0 .. g_{L-1}, then F (index L)
    final Field[] z;          // normalised values of block l
    final Field[] ln;         // a_l
    final Field[] relu;       // h_l
    final Norm[] norm;
    /** {@code [s][A, B, C]}: the variance proxies of shared number {@code s} (mean of block l: 2l, r of block l: 2l + 1). */
    final double[][] shared;
    /**
     * {@link #shared}, then the backward's own shared numbers ({@code mean(dz)} of block l: {@code 2L + 2l},
     * {@code mean(dz z)}: {@code 2L + 2l + 1}), filled by {@link #backward}.
     */
    final double[][] allShared;
    /** {@code [A, B, C][element]}: the last conv's own roundings in {@code F} (the rest of its independent part is from h). */
    final double[][] filterOwn;

    TvConvWeightNet(TvConvOracle.Parts p) {
        this.p = p;
        this.c = p.config();
        hh = c.height();
        ww = c.width();
        positions = c.positions();
        int layers = c.layers();
        conv = new Field[layers + 1];
        z = new Field[layers];
        ln = new Field[layers];
        relu = new Field[layers];
        norm = new Norm[layers];
        shared = new double[2 * layers][3];
        allShared = new double[4 * layers][3];
        affinity = new Field(c.affinityChannels(), positions, 2 * layers);
        System.arraycopy(p.affinity(), 0, affinity.v, 0, affinity.v.length);
        Field in = affinity;
        for (int l = 0; l < layers; l++) {
            conv[l] = conv(in, p.convWeight()[l], p.convBias()[l], c.convIn(l), c.midChannels());
            layerNorm(l);
            relu[l] = relu(ln[l]);
            in = relu[l];
        }
        filterOwn = new double[3][c.filterChannels() * positions];
        conv[layers] = conv(in, p.convWeight()[layers], p.convBias()[layers], c.midChannels(), c.filterChannels());
    }

    /** The tight scale of element {@code i} of {@code f}, component {@code k}: {@code sqrt(V + sum_s dir_s^2 var_s)}. */
    double sigma(Field f, int k, int i) {
        double v = f.ind[k][i];
        for (int s = 0; s < f.dir.length; s++) {
            if (f.dir[s] != null) {
                v += f.dir[s][i] * f.dir[s][i] * shared[s][k];
            }
        }
        return Math.sqrt(v);
    }

    /** The fp32 tight scale {@code u sigma_A} of element {@code i}: how far a correct float32 value may be, at most LAMBDA of it. */
    double tightReach(Field f, int i) {
        return ErrorBounds.LAMBDA * ErrorBounds.U * sigma(f, 0, i);
    }

    /** Weight net pixel sensitivities: {@code d out[j,p] / d in[i, p + (a-1, b-1)] = w[j,i,a,b]} (the last conv's weight). */
    double[] lastWeight() {
        return p.convWeight()[c.layers()];
    }

    /** The last hidden map {@code h_{L-1}} (the last conv's input). */
    Field lastHidden() {
        return relu[c.layers() - 1];
    }

    /** The filter {@code F} ({@code [C K^2][h][w]}) with its bounds' ingredients. */
    Field filter() {
        return conv[c.layers()];
    }

    /** {@code out[j,p] = b[j] + sum_{i,a,b} w[j,i,a,b] in[i, p + (a-1, b-1)]}, zero padding; directions through its linear part. */
    private Field conv(Field in, double[] w, double[] b, int inC, int outC) {
        Field out = new Field(outC, positions, in.dir.length);
        boolean last = outC == c.filterChannels() && in == relu[c.layers() - 1];
        SumModel sum = new SumModel();
        double[] vi = new double[3];
        for (int j = 0; j < outC; j++) {
            for (int y = 0; y < hh; y++) {
                for (int x = 0; x < ww; x++) {
                    sum.reset().add(b[j]);
                    double s = Math.abs(b[j]);
                    double carried = 0;
                    java.util.Arrays.fill(vi, 0);
                    for (int i = 0; i < inC; i++) {
                        for (int a = 0; a < 3; a++) {
                            int yy = y + a - 1;
                            if (yy < 0 || yy >= hh) {
                                continue;
                            }
                            for (int bb = 0; bb < 3; bb++) {
                                int xx = x + bb - 1;
                                if (xx < 0 || xx >= ww) {
                                    continue;
                                }
                                double wv = w[((j * inC + i) * 3 + a) * 3 + bb];
                                int q = (i * hh + yy) * ww + xx;
                                double t = wv * in.v[q];
                                sum.add(t);
                                s += Math.abs(t);
                                carried += Math.abs(wv) * in.e[q];
                                for (int k = 0; k < 3; k++) {
                                    vi[k] += wv * wv * in.ind[k][q];
                                }
                            }
                        }
                    }
                    int o = (j * hh + y) * ww + x;
                    out.v[o] = sum.sum();
                    out.e[o] = ErrorBounds.conv(9 * inC, s, carried);
                    double[] own = {sum.roundings(), 2 * sum.squares(), sq(sum.sum())};
                    for (int k = 0; k < 3; k++) {
                        out.ind[k][o] = own[k] + vi[k];
                        if (last) {
                            filterOwn[k][o] = own[k];
                        }
                    }
                }
            }
        }
        for (int sh = 0; sh < in.dir.length; sh++) {
            if (in.dir[sh] != null) {
                out.dir[sh] = linearConv(in.dir[sh], w, inC, outC);
            }
        }
        return out;
    }

    /** {@code sum_{i,a,b} w[j,i,a,b] d[i, p + (a-1, b-1)]}: a direction through a conv (no bias). */
    private double[] linearConv(double[] d, double[] w, int inC, int outC) {
        double[] out = new double[outC * positions];
        for (int j = 0; j < outC; j++) {
            for (int y = 0; y < hh; y++) {
                for (int x = 0; x < ww; x++) {
                    double acc = 0;
                    for (int i = 0; i < inC; i++) {
                        for (int a = 0; a < 3; a++) {
                            int yy = y + a - 1;
                            if (yy < 0 || yy >= hh) {
                                continue;
                            }
                            for (int bb = 0; bb < 3; bb++) {
                                int xx = x + bb - 1;
                                if (xx >= 0 && xx < ww) {
                                    acc += w[((j * inC + i) * 3 + a) * 3 + bb] * d[(i * hh + yy) * ww + xx];
                                }
                            }
                        }
                    }
                    out[(j * hh + y) * ww + x] = acc;
                }
            }
        }
        return out;
    }

    /** LayerNorm over the whole {@code [mid, h, w]} of block {@code l}: {@code z[l]}, {@code ln[l]}, {@code norm[l]}. */
    private void layerNorm(int l) {
        Field g = conv[l];
        int m = g.v.length;
        double[] gamma = p.normWeight()[l];
        double[] beta = p.normBias()[l];
        SumModel sum = new SumModel();
        double sAbs = 0;
        double sE = 0;
        double sSq = 0;
        double[] indSum = new double[3];
        for (int i = 0; i < m; i++) {
            sum.add(g.v[i]);
            sAbs += Math.abs(g.v[i]);
            sE += g.e[i];
            sSq += g.v[i] * g.v[i];
            for (int k = 0; k < 3; k++) {
                indSum[k] += g.ind[k][i];
            }
        }
        double mu = sum.sum() / m;
        double eMu = ErrorBounds.meanError(m, sAbs, sE);
        double m2 = (double) m * m;
        int sMu = 2 * l;
        int sR = 2 * l + 1;
        shared[sMu][0] = (sum.partials() + indSum[0]) / m2 + mu * mu;
        shared[sMu][1] = indSum[1] / m2;
        shared[sMu][2] = indSum[2] / m2 + mu * mu;

        SumModel var = new SumModel();
        double twoPass = 0;
        double onePass = 0;
        double[] varS2 = new double[3];
        double[] eD = new double[m];
        for (int i = 0; i < m; i++) {
            double d = g.v[i] - mu;
            var.add(d * d);
            eD[i] = g.e[i] + eMu + ErrorBounds.SAFETY * ErrorBounds.U * (Math.abs(g.v[i]) + Math.abs(mu));
            twoPass += 2 * Math.abs(d) * eD[i] + eD[i] * eD[i];
            onePass += 2 * Math.abs(g.v[i]) * g.e[i] + g.e[i] * g.e[i];
            double slope = 2 * d / m;
            double sub = 2 * d * d / m;
            for (int k = 0; k < 3; k++) {
                varS2[k] += slope * slope * g.ind[k][i];
            }
            varS2[0] += sub * sub;
            varS2[2] += sub * sub;
        }
        double s2 = var.sum() / m;
        double eVar = ErrorBounds.varianceError(m, twoPass, onePass, mu, eMu, sSq / m);
        double v = s2 + TvConvLayer.LN_EPS;
        double r = 1 / Math.sqrt(v);
        double eR = ErrorBounds.layerNormRsqrtError(s2, eVar, TvConvLayer.LN_EPS);
        varS2[0] += var.roundings() / m2 + s2 * s2 + v * v;
        varS2[1] += 2 * var.squares() / m2;
        varS2[2] += s2 * s2 + v * v;
        double slope = r * r * r / 2;
        double own = 2 * ErrorBounds.RSQRT_TIGHT_ULPS * r;
        shared[sR][0] = slope * slope * varS2[0] + own * own;
        shared[sR][1] = slope * slope * varS2[1];
        shared[sR][2] = slope * slope * varS2[2] + r * r;

        Field zf = new Field(g.channels, positions, g.dir.length);
        Field out = new Field(g.channels, positions, g.dir.length);
        // Directions of earlier shared numbers, through the linearised LayerNorm; their effect on r adds to r's scale.
        double[] rVar = shared[sR].clone();
        for (int sh = 0; sh < g.dir.length; sh++) {
            double[] dg = g.dir[sh];
            if (dg == null) {
                continue;
            }
            double dMu = 0;
            double dS2 = 0;
            for (int i = 0; i < m; i++) {
                dMu += dg[i] / m;
                dS2 += 2 * (g.v[i] - mu) * dg[i] / m;
            }
            double dR = -slope * dS2;
            for (int k = 0; k < 3; k++) {
                rVar[k] += dR * dR * shared[sh][k];
            }
            double[] dz = new double[m];
            double[] da = new double[m];
            for (int i = 0; i < m; i++) {
                dz[i] = r * (dg[i] - dMu) + (g.v[i] - mu) * dR;
                da[i] = gamma[i] * dz[i];
            }
            zf.dir[sh] = dz;
            out.dir[sh] = da;
        }
        double[] dzMu = new double[m];
        double[] daMu = new double[m];
        double[] dzR = new double[m];
        double[] daR = new double[m];
        for (int i = 0; i < m; i++) {
            dzMu[i] = -r;
            daMu[i] = -gamma[i] * r;
            dzR[i] = g.v[i] - mu;
            daR[i] = gamma[i] * (g.v[i] - mu);
        }
        zf.dir[sMu] = dzMu;
        out.dir[sMu] = daMu;
        zf.dir[sR] = dzR;
        out.dir[sR] = daR;
        double[] rDir = new double[g.dir.length];
        for (int sh = 0; sh < g.dir.length; sh++) {
            if (g.dir[sh] != null) {
                double dS2 = 0;
                for (int i = 0; i < m; i++) {
                    dS2 += 2 * (g.v[i] - mu) * g.dir[sh][i] / m;
                }
                rDir[sh] = -slope * dS2;
            }
        }
        rDir[sR] = 1;
        norm[l] = new Norm(mu, r, eR, new double[] {Math.sqrt(rVar[0]), Math.sqrt(rVar[1]), Math.sqrt(rVar[2])}, rDir);

        for (int i = 0; i < m; i++) {
            double d = g.v[i] - mu;
            double zv = d * r;
            double a = gamma[i] * zv + beta[i];
            zf.v[i] = zv;
            zf.e[i] = ErrorBounds.normalisedError(d, eD[i], r, eR);
            out.v[i] = a;
            out.e[i] = ErrorBounds.layerNormAffineError(zv, zf.e[i], gamma[i], beta[i]);
            zf.ind[0][i] = r * r * g.ind[0][i] + 2 * zv * zv;
            zf.ind[1][i] = r * r * g.ind[1][i] + 2 * zv * zv;
            zf.ind[2][i] = r * r * g.ind[2][i] + zv * zv;
            double gz = gamma[i] * zv;
            out.ind[0][i] = gamma[i] * gamma[i] * zf.ind[0][i] + 2 * gz * gz + a * a;
            out.ind[1][i] = gamma[i] * gamma[i] * zf.ind[1][i] + 2 * gz * gz;
            out.ind[2][i] = gamma[i] * gamma[i] * zf.ind[2][i] + a * a;
        }
        z[l] = zf;
        ln[l] = out;
    }

    /**
     * {@code max(0, a)}: exact. The worst-case error passes where the float32 value may be positive
     * ({@code a > -E_a}); the tight parts pass where it may be positive within the tight reach, and the directions
     * through the derivative's mask.
     */
    private Field relu(Field a) {
        Field out = new Field(a.channels, positions, a.dir.length);
        for (int i = 0; i < a.v.length; i++) {
            out.v[i] = Math.max(0, a.v[i]);
            out.e[i] = ErrorBounds.reluError(a.v[i], a.e[i]);
            boolean pass = a.v[i] > -tightReach(a, i);
            for (int k = 0; k < 3; k++) {
                out.ind[k][i] = pass ? a.ind[k][i] : 0;
            }
        }
        for (int sh = 0; sh < a.dir.length; sh++) {
            if (a.dir[sh] == null) {
                continue;
            }
            double[] d = new double[a.v.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = a.v[i] > 0 ? a.dir[sh][i] : 0;
            }
            out.dir[sh] = d;
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------------------------
    // Backward

    /** Shared numbers the backward tracks: the forward's 2L, then its own 2L. */
    int sharedCount() {
        return 4 * c.layers();
    }

    /**
     * From {@code dF} ({@code [C K^2][h][w]}, summed over the batch) to every weight-net parameter and the position
     * map, into {@code sink} (one call per gradient element, with its value, {@code S}, {@code E} and variance).
     */
    void backward(Grad dF, PixelFilter.GradientSink sink) {
        int layers = c.layers();
        for (int sh = 0; sh < 2 * layers; sh++) {
            allShared[sh] = shared[sh].clone();
        }
        Grad up = convBackward(layers, dF, relu[layers - 1], c.midChannels(), c.filterChannels(), sink);
        for (int l = layers - 1; l >= 0; l--) {
            Grad da = reluBackward(up, ln[l]);
            Grad dg = layerNormBackward(l, da, sink);
            up = convBackward(l, dg, l == 0 ? affinity : relu[l - 1], c.convIn(l), c.midChannels(), sink);
        }
        for (int i = 0; i < up.v.length; i++) {
            sink.add(TvConvLayer.AFFINITY, i, up.v[i], up.s[i], up.e[i], total(up, i), false);
        }
    }

    /** {@code {ind_k + sum_s dir_s^2 var_s}} of element {@code i}. */
    private double[] total(Grad g, int i) {
        double[] t = {g.ind[0][i], g.ind[1][i], g.ind[2][i]};
        for (int sh = 0; sh < g.dir.length; sh++) {
            if (g.dir[sh] != null) {
                double d = g.dir[sh][i];
                for (int k = 0; k < 3; k++) {
                    t[k] += d * d * allShared[sh][k];
                }
            }
        }
        return t;
    }

    /** {@code own + ind + sum_s dir_s^2 var_s} for one emitted element from its accumulated parts. */
    private double[] total(double[] ind, double[] dir) {
        double[] t = ind.clone();
        for (int sh = 0; sh < dir.length; sh++) {
            for (int k = 0; k < 3; k++) {
                t[k] += dir[sh] * dir[sh] * allShared[sh][k];
            }
        }
        return t;
    }

    /**
     * The backward of conv {@code l} for output gradient {@code dg}: its weight and bias gradients into {@code sink},
     * and the gradient of its input (returned). The forward input's independent errors enter each weight-gradient
     * term once (in quadrature), its shared directions with signs.
     */
    private Grad convBackward(int l, Grad dg, Field in, int inC, int outC, PixelFilter.GradientSink sink) {
        double[] w = p.convWeight()[l];
        String wKey = TvConvLayer.convWeight(l);
        String bKey = TvConvLayer.convBias(l);
        int ns = sharedCount();
        int nf = in.dir.length;
        SumModel sum = new SumModel();
        double[] ind = new double[3];
        double[] dir = new double[ns];
        // dW[j,i,a,b] = sum_p dg[j,p] in[i, p + (a-1, b-1)].
        for (int j = 0; j < outC; j++) {
            for (int i = 0; i < inC; i++) {
                for (int a = 0; a < 3; a++) {
                    for (int bb = 0; bb < 3; bb++) {
                        sum.reset();
                        double s = 0;
                        double e = 0;
                        java.util.Arrays.fill(ind, 0);
                        java.util.Arrays.fill(dir, 0);
                        for (int y = 0; y < hh; y++) {
                            int yy = y + a - 1;
                            if (yy < 0 || yy >= hh) {
                                continue;
                            }
                            for (int x = 0; x < ww; x++) {
                                int xx = x + bb - 1;
                                if (xx < 0 || xx >= ww) {
                                    continue;
                                }
                                int pg = (j * hh + y) * ww + x;
                                int q = (i * hh + yy) * ww + xx;
                                double iv = in.v[q];
                                double gv = dg.v[pg];
                                sum.add(gv * iv);
                                s += dg.s[pg] * Math.abs(iv);
                                e += dg.e[pg] * Math.abs(iv) + dg.s[pg] * in.e[q];
                                for (int k = 0; k < 3; k++) {
                                    ind[k] += iv * iv * dg.ind[k][pg] + gv * gv * in.ind[k][q];
                                }
                                for (int sh = 0; sh < ns; sh++) {
                                    double d = dg.dir[sh] == null ? 0 : iv * dg.dir[sh][pg];
                                    if (sh < nf && in.dir[sh] != null) {
                                        d += gv * in.dir[sh][q];
                                    }
                                    dir[sh] += d;
                                }
                            }
                        }
                        ind[0] += sum.roundings();
                        ind[1] += 2 * sum.squares();
                        ind[2] += sq(sum.sum());
                        sink.add(wKey, ((j * inC + i) * 3 + a) * 3 + bb, sum.sum(), s, e, total(ind, dir), false);
                    }
                }
            }
        }
        // db[j] = sum_p dg[j,p].
        for (int j = 0; j < outC; j++) {
            sum.reset();
            double s = 0;
            double e = 0;
            java.util.Arrays.fill(ind, 0);
            java.util.Arrays.fill(dir, 0);
            for (int q = j * positions; q < (j + 1) * positions; q++) {
                sum.add(dg.v[q]);
                s += dg.s[q];
                e += dg.e[q];
                for (int k = 0; k < 3; k++) {
                    ind[k] += dg.ind[k][q];
                }
                for (int sh = 0; sh < ns; sh++) {
                    if (dg.dir[sh] != null) {
                        dir[sh] += dg.dir[sh][q];
                    }
                }
            }
            ind[0] += sum.partials();
            ind[2] += sq(sum.sum());
            sink.add(bKey, j, sum.sum(), s, e, total(ind, dir), false);
        }
        // din[i,q] = sum_{j,a,b} dg[j, q - (a-1, b-1)] w[j,i,a,b]; each direction through the same linear map.
        Grad din = new Grad(inC * positions, ns);
        for (int i = 0; i < inC; i++) {
            for (int y = 0; y < hh; y++) {
                for (int x = 0; x < ww; x++) {
                    sum.reset();
                    double s = 0;
                    double e = 0;
                    java.util.Arrays.fill(ind, 0);
                    for (int j = 0; j < outC; j++) {
                        for (int a = 0; a < 3; a++) {
                            int py = y - a + 1;
                            if (py < 0 || py >= hh) {
                                continue;
                            }
                            for (int bb = 0; bb < 3; bb++) {
                                int px = x - bb + 1;
                                if (px < 0 || px >= ww) {
                                    continue;
                                }
                                double wv = w[((j * inC + i) * 3 + a) * 3 + bb];
                                int pg = (j * hh + py) * ww + px;
                                sum.add(dg.v[pg] * wv);
                                s += dg.s[pg] * Math.abs(wv);
                                e += dg.e[pg] * Math.abs(wv);
                                for (int k = 0; k < 3; k++) {
                                    ind[k] += wv * wv * dg.ind[k][pg];
                                }
                            }
                        }
                    }
                    int q = (i * hh + y) * ww + x;
                    din.v[q] = sum.sum();
                    din.s[q] = s;
                    din.e[q] = e;
                    din.ind[0][q] = sum.roundings() + ind[0];
                    din.ind[1][q] = 2 * sum.squares() + ind[1];
                    din.ind[2][q] = ind[2] + sq(sum.sum());
                }
            }
        }
        for (int sh = 0; sh < ns; sh++) {
            if (dg.dir[sh] != null) {
                din.dir[sh] = transposedConv(dg.dir[sh], w, inC, outC);
            }
        }
        return din;
    }

    /** {@code sum_{j,a,b} d[j, q - (a-1, b-1)] w[j,i,a,b]}: a direction back through a conv. */
    private double[] transposedConv(double[] d, double[] w, int inC, int outC) {
        double[] out = new double[inC * positions];
        for (int j = 0; j < outC; j++) {
            for (int y = 0; y < hh; y++) {
                for (int x = 0; x < ww; x++) {
                    double g = d[(j * hh + y) * ww + x];
                    if (g == 0) {
                        continue;
                    }
                    for (int i = 0; i < inC; i++) {
                        for (int a = 0; a < 3; a++) {
                            int yy = y + a - 1;
                            if (yy < 0 || yy >= hh) {
                                continue;
                            }
                            for (int bb = 0; bb < 3; bb++) {
                                int xx = x + bb - 1;
                                if (xx >= 0 && xx < ww) {
                                    out[(i * hh + yy) * ww + xx] += g * w[((j * inC + i) * 3 + a) * 3 + bb];
                                }
                            }
                        }
                    }
                }
            }
        }
        return out;
    }

    /**
     * ReLU's mask from the exact {@code a}; where the float32 {@code a} may cross the kink the upstream value is carried
     * as error: in {@code E} where {@code |a| <= E_a}, in the independent variance where {@code |a|} is within the tight
     * reach (a flip is an event of its own element).
     */
    private Grad reluBackward(Grad up, Field a) {
        Grad out = new Grad(up.v.length, up.dir.length);
        for (int i = 0; i < up.v.length; i++) {
            boolean pass = a.v[i] > 0;
            if (pass) {
                out.v[i] = up.v[i];
                out.s[i] = up.s[i];
                out.e[i] = up.e[i];
                for (int k = 0; k < 3; k++) {
                    out.ind[k][i] = up.ind[k][i];
                }
            }
            double flip = up.s[i] + up.e[i];
            if (ErrorBounds.reluAmbiguous(a.v[i], a.e[i])) {
                out.e[i] += flip;
            }
            if (ErrorBounds.reluAmbiguous(a.v[i], tightReach(a, i))) {
                out.ind[0][i] += sq(flip / ErrorBounds.U);
            }
        }
        for (int sh = 0; sh < up.dir.length; sh++) {
            if (up.dir[sh] != null) {
                double[] d = out.dir(sh);
                for (int i = 0; i < d.length; i++) {
                    d[i] = a.v[i] > 0 ? up.dir[sh][i] : 0;
                }
            }
        }
        return out;
    }

    /**
     * LayerNorm {@code l}'s backward for {@code da = dL/da_l}: {@code dgamma = da z}, {@code dbeta = da} into
     * {@code sink}; returns {@code dg = r (dz - mean(dz) - z mean(dz z))}, {@code dz = gamma da}. The two means are
     * shared numbers of the backward (their own roundings and the independent errors they average are one error
     * each, reaching every {@code dg} with sensitivities {@code -r} and {@code -r z}).
     */
    private Grad layerNormBackward(int l, Grad da, PixelFilter.GradientSink sink) {
        Field zf = z[l];
        double[] gamma = p.normWeight()[l];
        Norm nm = norm[l];
        double r = nm.r();
        int m = da.v.length;
        int ns = sharedCount();
        int nf = zf.dir.length;
        int b1 = 2 * c.layers() + 2 * l;
        int b2 = b1 + 1;
        double[] dirTmp = new double[ns];
        double[] var = new double[3];
        Grad dz = new Grad(m, ns);
        for (int i = 0; i < m; i++) {
            double zv = zf.v[i];
            double t = da.v[i] * zv;
            for (int k = 0; k < 3; k++) {
                var[k] = zv * zv * da.ind[k][i] + da.v[i] * da.v[i] * zf.ind[k][i];
            }
            var[1] += 2 * t * t;
            for (int sh = 0; sh < ns; sh++) {
                double d = da.dir[sh] == null ? 0 : zv * da.dir[sh][i];
                if (sh < nf && zf.dir[sh] != null) {
                    d += da.v[i] * zf.dir[sh][i];
                }
                dirTmp[sh] = d;
            }
            sink.add(TvConvLayer.normWeight(l), i, t, da.s[i] * Math.abs(zv), da.e[i] * Math.abs(zv) + da.s[i] * zf.e[i],
                    total(var, dirTmp), false);
            sink.add(TvConvLayer.normBias(l), i, da.v[i], da.s[i], da.e[i], total(da, i), false);
            double gv = gamma[i];
            double dzv = gv * da.v[i];
            dz.v[i] = dzv;
            dz.s[i] = Math.abs(gv) * da.s[i];
            dz.e[i] = Math.abs(gv) * da.e[i];
            dz.ind[0][i] = gv * gv * da.ind[0][i] + dzv * dzv;
            dz.ind[1][i] = gv * gv * da.ind[1][i] + 2 * dzv * dzv;
            dz.ind[2][i] = gv * gv * da.ind[2][i] + dzv * dzv;
        }
        for (int sh = 0; sh < ns; sh++) {
            if (da.dir[sh] != null) {
                double[] d = dz.dir(sh);
                for (int i = 0; i < m; i++) {
                    d[i] = gamma[i] * da.dir[sh][i];
                }
            }
        }
        // The two shared means: values, S, E, their own variance (a new shared number each) and their directions.
        SumModel s1 = new SumModel();
        SumModel s2 = new SumModel();
        double m1S = 0;
        double m1E = 0;
        double m2S = 0;
        double m2E = 0;
        double[] ind1 = new double[3];
        double[] ind2 = new double[3];
        double[] dir1 = new double[ns];
        double[] dir2 = new double[ns];
        for (int i = 0; i < m; i++) {
            double zv = zf.v[i];
            s1.add(dz.v[i]);
            s2.add(dz.v[i] * zv);
            m1S += dz.s[i];
            m1E += dz.e[i];
            m2S += dz.s[i] * Math.abs(zv);
            m2E += dz.e[i] * Math.abs(zv) + dz.s[i] * zf.e[i];
            for (int k = 0; k < 3; k++) {
                ind1[k] += dz.ind[k][i];
                ind2[k] += zv * zv * dz.ind[k][i] + dz.v[i] * dz.v[i] * zf.ind[k][i];
            }
            for (int sh = 0; sh < ns; sh++) {
                if (dz.dir[sh] != null) {
                    dir1[sh] += dz.dir[sh][i] / m;
                    dir2[sh] += zv * dz.dir[sh][i] / m;
                }
                if (sh < nf && zf.dir[sh] != null) {
                    dir2[sh] += dz.v[i] * zf.dir[sh][i] / m;
                }
            }
        }
        double mm = (double) m * m;
        double m1 = s1.sum() / m;
        double m2 = s2.sum() / m;
        allShared[b1] = new double[] {(s1.partials() + ind1[0]) / mm + m1 * m1, ind1[1] / mm, ind1[2] / mm + m1 * m1};
        allShared[b2] = new double[] {(s2.roundings() + ind2[0]) / mm + m2 * m2, (2 * s2.squares() + ind2[1]) / mm,
                ind2[2] / mm + m2 * m2};
        m1S /= m;
        m1E /= m;
        m2S /= m;
        m2E /= m;
        Grad dg = new Grad(m, ns);
        for (int i = 0; i < m; i++) {
            double zv = zf.v[i];
            double inner = dz.v[i] - m1 - zv * m2;
            double sIn = dz.s[i] + m1S + Math.abs(zv) * m2S;
            double v = r * inner;
            dg.v[i] = v;
            dg.s[i] = r * sIn;
            dg.e[i] = r * (dz.e[i] + m1E + Math.abs(zv) * m2E + zf.e[i] * m2S) + nm.rError() * sIn;
            double rz = r * zv * m2;
            for (int k = 0; k < 3; k++) {
                dg.ind[k][i] = r * r * (dz.ind[k][i] + m2 * m2 * zf.ind[k][i]);
            }
            dg.ind[0][i] += sq(r * dz.v[i]) + sq(r * m1) + 2 * rz * rz + 2 * v * v;
            dg.ind[1][i] += 2 * rz * rz + 2 * v * v;
            dg.ind[2][i] += v * v;
        }
        for (int sh = 0; sh < ns; sh++) {
            boolean any = dz.dir[sh] != null || dir1[sh] != 0 || dir2[sh] != 0 || (sh < nf && (zf.dir[sh] != null
                    || nm.rDir()[sh] != 0));
            if (!any) {
                continue;
            }
            double[] d = dg.dir(sh);
            for (int i = 0; i < m; i++) {
                double zv = zf.v[i];
                double v = (dz.dir[sh] == null ? 0 : dz.dir[sh][i]) - dir1[sh] - zv * dir2[sh];
                if (sh < nf && zf.dir[sh] != null) {
                    v -= m2 * zf.dir[sh][i];
                }
                double inner = dz.v[i] - m1 - zv * m2;
                d[i] = r * v + (sh < nf ? inner * nm.rDir()[sh] : 0);
            }
        }
        double[] d1 = dg.dir(b1);
        double[] d2 = dg.dir(b2);
        for (int i = 0; i < m; i++) {
            d1[i] += -r;
            d2[i] += -r * zf.v[i];
        }
        return dg;
    }

    private static double sq(double a) {
        return a * a;
    }
}
