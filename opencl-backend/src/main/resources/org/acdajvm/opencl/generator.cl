/*
 * The generator of DESIGN section 5 at output resolution, as two kernels, each fused with its
 * BatchNorm (v * scale + shift, scale and shift precomputed in float32 on the host, as the scalar
 * path does) and tanh:
 *
 *   e1[n,i,p] = tanh((b1[i] + sum_{c,a,b<g} W1[i,c,a,b] * xp[n,c, s*h'+a-(g-1)/2, s*w'+b-(g-1)/2]) * scale1[i] + shift1[i])
 *   G[n,j,p]  = tanh((b2[j] + sum_{i,a,b<3} W2[j,i,a,b] * e1p[n,i, h'+a-1, w'+b-1]) * scale2[j] + shift2[j])
 *
 * Each sum starts at the bias and runs in the scalar path's order (c or i, then a, then b).
 *
 * Build options:
 *   CONV1_RO           output channels per work-item of the direct conv1: every input read feeds CONV1_RO products
 *   CONV2_TW, CONV2_TH output tile of one tiled work-group (conv2 and tiled conv1), which is also its local size
 *   CONV2_RJ           output channels per work-item of the tiled kernels
 *   CONV2_CI           input channels staged in local memory per step
 */

#define C2_LOCAL (CONV2_TW * CONV2_TH)
#define C2_TILE_W (CONV2_TW + 2)
#define C2_TILE_H (CONV2_TH + 2)
#define C2_TILE (C2_TILE_H * C2_TILE_W)

/*
 * conv1, tiled: a work-group computes a CONV2_TW x CONV2_TH tile of pixels for CONV2_RJ hidden
 * channels, staging per step of CONV2_CI input channels the input region the tile reads,
 * ((CONV2_TH-1)*S + G) x ((CONV2_TW-1)*S + G) per channel with padding resolved, and the matching
 * weights in local memory. Stride and kernel size are run-time values, so both local buffers are
 * sized by the host (tile: CONV2_CI * tileH * tileW floats, wt: CONV2_CI * G*G * CONV2_RJ floats);
 * the host uses conv1_bn_tanh instead when they do not fit the device's local memory.
 *
 * Global (Wo rounded up to CONV2_TW, Ho rounded up to CONV2_TH, N * iBlocks), local (CONV2_TW, CONV2_TH, 1).
 */
__kernel __attribute__((reqd_work_group_size(CONV2_TW, CONV2_TH, 1)))
void conv1_tiled_bn_tanh(__global const float* restrict x, const int C, const int H, const int W,
                         __global const float* restrict w1, __global const float* restrict b1,
                         __global const float* restrict scale1, __global const float* restrict shift1,
                         const int I, const int iBlocks, const int G, const int S, const int circular,
                         __global float* restrict e1, const int Ho, const int Wo,
                         __local float* restrict tile, __local float* restrict wt) {
    const int tileH = (CONV2_TH - 1) * S + G;
    const int tileW = (CONV2_TW - 1) * S + G;
    const int tileSize = tileH * tileW;
    const int gg = G * G;
    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int lid = ly * CONV2_TW + lx;
    const int wBase = get_group_id(0) * CONV2_TW;
    const int hBase = get_group_id(1) * CONV2_TH;
    const int n = get_group_id(2) / iBlocks;
    const int i0 = (get_group_id(2) - n * iBlocks) * CONV2_RJ;
    const int reach = (G - 1) / 2;
    const int hIn0 = hBase * S - reach;
    const int wIn0 = wBase * S - reach;
    const __global float* xn = x + (size_t)n * C * H * W;

    float acc[CONV2_RJ];
    for (int r = 0; r < CONV2_RJ; r++) {
        acc[r] = b1[min(i0 + r, I - 1)];
    }
    for (int c0 = 0; c0 < C; c0 += CONV2_CI) {
        for (int e = lid; e < CONV2_CI * tileSize; e += C2_LOCAL) {
            const int ci = e / tileSize;
            const int rest = e - ci * tileSize;
            const int ty = rest / tileW;
            const int tx = rest - ty * tileW;
            const int hh = padded_index(hIn0 + ty, H, circular);
            const int ww = padded_index(wIn0 + tx, W, circular);
            tile[e] = (c0 + ci < C && hh >= 0 && ww >= 0) ? xn[((c0 + ci) * H + hh) * W + ww] : 0.0f;
        }
        /* wt[(ci*G*G + tap) * RJ + r] = W1[i0 + r, c0 + ci, tap]; consecutive e read consecutive weights. */
        for (int e = lid; e < CONV2_RJ * CONV2_CI * gg; e += C2_LOCAL) {
            const int r = e / (CONV2_CI * gg);
            const int rest = e - r * (CONV2_CI * gg);
            wt[rest * CONV2_RJ + r] = (i0 + r < I && c0 + rest / gg < C)
                    ? w1[((size_t)(i0 + r) * C + c0) * gg + rest] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int ci = 0; ci < CONV2_CI; ci++) {
            for (int a = 0; a < G; a++) {
                const __local float* row = tile + ci * tileSize + (ly * S + a) * tileW + lx * S;
                const __local float* wrow = wt + (ci * gg + a * G) * CONV2_RJ;
                for (int b = 0; b < G; b++) {
                    const float v = row[b];
                    for (int r = 0; r < CONV2_RJ; r++) {
                        acc[r] += wrow[b * CONV2_RJ + r] * v;
                    }
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int ho = hBase + ly;
    const int wo = wBase + lx;
    if (ho < Ho && wo < Wo) {
        for (int r = 0; r < CONV2_RJ; r++) {
            const int i = i0 + r;
            if (i < I) {
                e1[((size_t)n * I + i) * Ho * Wo + ho * Wo + wo] = tanh(acc[r] * scale1[i] + shift1[i]);
            }
        }
    }
}

/*
 * conv1, direct: the fallback for strides or kernels whose input tile does not fit local memory.
 * Global (P rounded up, ceil(I / CONV1_RO), N), any local size along dimension 0. Weights are read through the cache: the work-items of a group
 * share them.
 */
__kernel void conv1_bn_tanh(__global const float* restrict x, const int C, const int H, const int W,
                            __global const float* restrict w1, __global const float* restrict b1,
                            __global const float* restrict scale1, __global const float* restrict shift1,
                            const int I, const int G, const int S, const int circular,
                            __global float* restrict e1, const int Ho, const int Wo) {
    const int P = Ho * Wo;
    const int p = get_global_id(0);
    const int i0 = get_global_id(1) * CONV1_RO;
    const int n = get_global_id(2);
    if (p >= P) {
        return;                                   /* rounded-up global size; no barrier follows */
    }
    const int ho = p / Wo;
    const int wo = p - ho * Wo;
    const int reach = (G - 1) / 2;             /* "half" is a type in OpenCL C */
    const int perOut = C * G * G;
    const __global float* xn = x + (size_t)n * C * H * W;

    /* Channels past I (the last block) compute with channel I-1's weights and are not written. */
    int row[CONV1_RO];
    float acc[CONV1_RO];
    for (int r = 0; r < CONV1_RO; r++) {
        const int i = min(i0 + r, I - 1);
        row[r] = i * perOut;
        acc[r] = b1[i];
    }
    for (int c = 0; c < C; c++) {
        for (int a = 0; a < G; a++) {
            const int hh = padded_index(S * ho + a - reach, H, circular);
            for (int b = 0; b < G; b++) {
                const int ww = padded_index(S * wo + b - reach, W, circular);
                if (hh < 0 || ww < 0) {
                    continue;                     /* a zero-padding read adds nothing */
                }
                const float v = xn[(c * H + hh) * W + ww];
                const int tap = (c * G + a) * G + b;
                for (int r = 0; r < CONV1_RO; r++) {
                    acc[r] += w1[row[r] + tap] * v;
                }
            }
        }
    }
    for (int r = 0; r < CONV1_RO; r++) {
        const int i = i0 + r;
        if (i < I) {
            e1[((size_t)n * I + i) * P + p] = tanh(acc[r] * scale1[i] + shift1[i]);
        }
    }
}

/*
 * conv2: a 3x3 convolution of e1 with stride 1, the heaviest stage of the layer (M*T*I*9 products
 * per pixel). A work-group computes a CONV2_TW x CONV2_TH tile of pixels for CONV2_RJ output
 * channels. Per step of CONV2_CI input channels it stages the tile plus its one-pixel halo (with
 * padding resolved) and the matching weights in local memory, so each e1 value is read from
 * global memory once per group instead of nine times, and each weight once per group instead of
 * once per pixel.
 *
 * Global (Wo rounded up to CONV2_TW, Ho rounded up to CONV2_TH, N * jBlocks), local
 * (CONV2_TW, CONV2_TH, 1). Work-items outside the image still load and meet the barriers.
 */
__kernel __attribute__((reqd_work_group_size(CONV2_TW, CONV2_TH, 1)))
void conv2_bn_tanh(__global const float* restrict e1, const int I,
                   __global const float* restrict w2, __global const float* restrict b2,
                   __global const float* restrict scale2, __global const float* restrict shift2,
                   const int J, const int jBlocks, const int circular,
                   __global float* restrict g, const int Ho, const int Wo) {
    __local float tile[CONV2_CI][C2_TILE_H][C2_TILE_W];
    __local float wt[CONV2_CI][9][CONV2_RJ];   /* [ci][tap][r]: the inner loop reads wt[ci][tap][0..RJ) */

    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int lid = ly * CONV2_TW + lx;
    const int wBase = get_group_id(0) * CONV2_TW;
    const int hBase = get_group_id(1) * CONV2_TH;
    const int n = get_group_id(2) / jBlocks;
    const int j0 = (get_group_id(2) - n * jBlocks) * CONV2_RJ;
    const int P = Ho * Wo;
    const __global float* in = e1 + (size_t)n * I * P;

    float acc[CONV2_RJ];
    for (int r = 0; r < CONV2_RJ; r++) {
        acc[r] = b2[min(j0 + r, J - 1)];
    }
    for (int i0 = 0; i0 < I; i0 += CONV2_CI) {
        for (int e = lid; e < CONV2_CI * C2_TILE; e += C2_LOCAL) {
            const int ci = e / C2_TILE;
            const int rest = e - ci * C2_TILE;
            const int ty = rest / C2_TILE_W;
            const int tx = rest - ty * C2_TILE_W;
            const int hh = padded_index(hBase + ty - 1, Ho, circular);
            const int ww = padded_index(wBase + tx - 1, Wo, circular);
            tile[ci][ty][tx] = (i0 + ci < I && hh >= 0 && ww >= 0) ? in[((i0 + ci) * Ho + hh) * Wo + ww] : 0.0f;
        }
        /* Consecutive e read consecutive weights W2[j0 + r, i0 + ci, tap] = w2[((j0 + r) * I + i0) * 9 + ci * 9 + tap]. */
        for (int e = lid; e < CONV2_RJ * CONV2_CI * 9; e += C2_LOCAL) {
            const int r = e / (CONV2_CI * 9);
            const int rest = e - r * (CONV2_CI * 9);
            const int ci = rest / 9;
            const int tap = rest - ci * 9;
            wt[ci][tap][r] = (j0 + r < J && i0 + ci < I) ? w2[((size_t)(j0 + r) * I + i0) * 9 + rest] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int ci = 0; ci < CONV2_CI; ci++) {
            for (int a = 0; a < 3; a++) {
                for (int b = 0; b < 3; b++) {
                    const float v = tile[ci][ly + a][lx + b];
                    for (int r = 0; r < CONV2_RJ; r++) {
                        acc[r] += wt[ci][a * 3 + b][r] * v;
                    }
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const int ho = hBase + ly;
    const int wo = wBase + lx;
    if (ho < Ho && wo < Wo) {
        for (int r = 0; r < CONV2_RJ; r++) {
            const int j = j0 + r;
            if (j < J) {
                g[((size_t)n * J + j) * P + ho * Wo + wo] = tanh(acc[r] * scale2[j] + shift2[j]);
            }
        }
    }
}
