/*
 * Atoms and the atom convolution (DESIGN section 5), specialised for one kernel size:
 *
 *   D[n,m,u,p]     = sum_t G[n, m*T + t, p] * Psi[t][u]
 *   Z[n,c*M + m,p] = sum_{a,b<K} D[n,m,a*K + b,p] * xp[n,c, s*h' + d*a - pad, s*w' + d*b - pad]
 *
 * Each sum starts at 0 and runs in the scalar path's order (t; then a, b).
 *
 * Build options:
 *   K                   kernel size (TAPS = K*K taps, unrolled loops)
 *   PATCH_MAX           largest TAPS for which the direct atom_conv keeps its input patch in private memory
 *   ATOM_TW, ATOM_TH    pixel tile of one atom_conv_tiled work-group, which is also its local size
 *   ATOM_CB             input channels per atom_conv_tiled work-group
 */
#define TAPS (K * K)
#ifndef PATCH_MAX
#define PATCH_MAX 81
#endif

/* Global (P rounded up, M, N), any local size along dimension 0; D is [N, M, TAPS, P]. */
__kernel void atoms(__global const float* restrict gen, __global const float* restrict psi,
                    const int T, const int M, const int P, __global float* restrict d) {
    const int p = get_global_id(0);
    const int m = get_global_id(1);
    const int n = get_global_id(2);
    if (p >= P) {
        return;
    }
    const __global float* gp = gen + ((size_t)n * M + m) * T * P + p;   /* G[n, m*T + t, p] = gp[t * P] */
    __global float* dp = d + ((size_t)n * M + m) * TAPS * P + p;        /* D[n, m, u, p]    = dp[u * P] */
    for (int u = 0; u < TAPS; u++) {
        float acc = 0.0f;
        for (int t = 0; t < T; t++) {
            acc += gp[t * P] * psi[t * TAPS + u];
        }
        dp[u * P] = acc;
    }
}

/*
 * Global (P rounded up, C, N), any local size along dimension 0. A work-item gathers the K x K
 * input patch of its pixel and channel once (padding resolved) and applies all M atoms to it;
 * reads of D are coalesced along p.
 */
__kernel void atom_conv(__global const float* restrict x, const int C, const int H, const int W,
                        __global const float* restrict d, const int M,
                        const int S, const int DIL, const int PAD, const int circular,
                        __global float* restrict z, const int Ho, const int Wo) {
    const int P = Ho * Wo;
    const int p = get_global_id(0);
    const int c = get_global_id(1);
    const int n = get_global_id(2);
    if (p >= P) {
        return;
    }
    const int ho = p / Wo;
    const int wo = p - ho * Wo;
    const __global float* xc = x + ((size_t)n * C + c) * H * W;
    const __global float* dn = d + (size_t)n * M * TAPS * P + p;        /* D[n, m, u, p] = dn[(m*TAPS + u) * P] */
    __global float* zp = z + ((size_t)n * C + c) * M * P + p;           /* Z[n, c*M + m, p] = zp[m * P] */
#if TAPS <= PATCH_MAX
    float patch[TAPS];
    for (int a = 0; a < K; a++) {
        const int hh = padded_index(S * ho + DIL * a - PAD, H, circular);
        for (int b = 0; b < K; b++) {
            const int ww = padded_index(S * wo + DIL * b - PAD, W, circular);
            patch[a * K + b] = (hh >= 0 && ww >= 0) ? xc[hh * W + ww] : 0.0f;
        }
    }
    for (int m = 0; m < M; m++) {
        float acc = 0.0f;
        for (int u = 0; u < TAPS; u++) {
            acc += dn[(m * TAPS + u) * P] * patch[u];
        }
        zp[m * P] = acc;
    }
#else
    /* Large kernels: re-read x per atom (through the cache) instead of holding K*K floats per work-item. */
    for (int m = 0; m < M; m++) {
        float acc = 0.0f;
        for (int a = 0; a < K; a++) {
            const int hh = padded_index(S * ho + DIL * a - PAD, H, circular);
            for (int b = 0; b < K; b++) {
                const int ww = padded_index(S * wo + DIL * b - PAD, W, circular);
                const float v = (hh >= 0 && ww >= 0) ? xc[hh * W + ww] : 0.0f;
                acc += dn[(m * TAPS + a * K + b) * P] * v;
            }
        }
        zp[m * P] = acc;
    }
#endif
}

/*
 * The atom convolution, tiled: a work-group computes a ATOM_TW x ATOM_TH tile of pixels for
 * ATOM_CB input channels. It stages the input region the tile reads,
 * ((ATOM_TH-1)*S + DIL*(K-1) + 1) x ((ATOM_TW-1)*S + DIL*(K-1) + 1) per channel with padding
 * resolved, in a local buffer sized by the host; then each work-item reads every D[m,u,p] of its
 * pixel once and applies it to ATOM_CB channels, instead of once per channel: D is the largest
 * operand (M*K*K floats per pixel), read C / ATOM_CB times instead of C times. The host uses
 * atom_conv instead when the tile does not fit the device's local memory.
 *
 * Global (Wo rounded up to ATOM_TW, Ho rounded up to ATOM_TH, N * cBlocks), local (ATOM_TW, ATOM_TH, 1).
 */
__kernel __attribute__((reqd_work_group_size(ATOM_TW, ATOM_TH, 1)))
void atom_conv_tiled(__global const float* restrict x, const int C, const int H, const int W,
                     __global const float* restrict d, const int M,
                     const int S, const int DIL, const int PAD, const int circular,
                     __global float* restrict z, const int Ho, const int Wo, const int cBlocks,
                     __local float* restrict tile) {
    const int span = DIL * (K - 1) + 1;
    const int tileH = (ATOM_TH - 1) * S + span;
    const int tileW = (ATOM_TW - 1) * S + span;
    const int tileSize = tileH * tileW;
    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int lid = ly * ATOM_TW + lx;
    const int wBase = get_group_id(0) * ATOM_TW;
    const int hBase = get_group_id(1) * ATOM_TH;
    const int n = get_group_id(2) / cBlocks;
    const int c0 = (get_group_id(2) - n * cBlocks) * ATOM_CB;
    const int hIn0 = hBase * S - PAD;
    const int wIn0 = wBase * S - PAD;
    const __global float* xn = x + (size_t)n * C * H * W;

    for (int e = lid; e < ATOM_CB * tileSize; e += ATOM_TW * ATOM_TH) {
        const int cb = e / tileSize;
        const int rest = e - cb * tileSize;
        const int ty = rest / tileW;
        const int tx = rest - ty * tileW;
        const int hh = padded_index(hIn0 + ty, H, circular);
        const int ww = padded_index(wIn0 + tx, W, circular);
        tile[e] = (c0 + cb < C && hh >= 0 && ww >= 0) ? xn[((c0 + cb) * H + hh) * W + ww] : 0.0f;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    const int ho = hBase + ly;
    const int wo = wBase + lx;
    if (ho >= Ho || wo >= Wo) {
        return;                                   /* no barrier follows */
    }
    const int P = Ho * Wo;
    const int p = ho * Wo + wo;
    const __global float* dn = d + (size_t)n * M * TAPS * P + p;        /* D[n, m, u, p] = dn[(m*TAPS + u) * P] */
    const __local float* origin = tile + (ly * S) * tileW + lx * S;
    for (int m = 0; m < M; m++) {
        float acc[ATOM_CB];
        for (int cb = 0; cb < ATOM_CB; cb++) {
            acc[cb] = 0.0f;
        }
        for (int a = 0; a < K; a++) {
            for (int b = 0; b < K; b++) {
                const float dv = dn[(m * TAPS + a * K + b) * P];
                const __local float* v = origin + (a * DIL) * tileW + b * DIL;
                for (int cb = 0; cb < ATOM_CB; cb++) {
                    acc[cb] += dv * v[cb * tileSize];
                }
            }
        }
        for (int cb = 0; cb < ATOM_CB; cb++) {
            if (c0 + cb < C) {
                z[(((size_t)n * C + c0 + cb) * M + m) * P + p] = acc[cb];
            }
        }
    }
}
