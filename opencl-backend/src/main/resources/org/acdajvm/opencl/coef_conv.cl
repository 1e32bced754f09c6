/*
 * The coefficient (1x1) convolution of DESIGN section 5, a matrix product per image:
 *
 *   y[n,o,p] = bias[o] + sum_{j < C*M} coef[o,j] * Z[n,j,p]
 *
 * The sum starts at the bias and runs over j in order, as in the scalar path.
 *
 * Tiled in local memory: a work-group computes a TO x TP block of y; per step of TK values of j it
 * stages TO x TK coefficients and TK x TP values of Z, so each global value is read once per
 * group. Each work-item accumulates RO x RP outputs in registers: outputs o = o0 + ly + i*LY and
 * p = p0 + lx + j*LX, so neighbouring work-items read neighbouring words of local memory and
 * write neighbouring words of y.
 *
 * Build options: TO, TP, TK (tile), RO, RP (outputs per work-item; TO % RO == 0, TP % RP == 0).
 * Global (ceil(P / TP) * LX, ceil(O / TO) * LY, N), local (LX, LY, 1).
 */
#define LX (TP / RP)
#define LY (TO / RO)

__kernel __attribute__((reqd_work_group_size(LX, LY, 1)))
void coef_conv(__global const float* restrict coef, __global const float* restrict bias,
               const int O, const int J, __global const float* restrict z, const int P,
               __global float* restrict y) {
    __local float as[TK][TO];
    __local float bs[TK][TP];

    const int lx = get_local_id(0);
    const int ly = get_local_id(1);
    const int lid = ly * LX + lx;
    const int p0 = get_group_id(0) * TP;
    const int o0 = get_group_id(1) * TO;
    const int n = get_group_id(2);
    const __global float* zn = z + (size_t)n * J * P;

    float acc[RO][RP];
    for (int i = 0; i < RO; i++) {
        const float b = bias[min(o0 + ly + i * LY, O - 1)];
        for (int j = 0; j < RP; j++) {
            acc[i][j] = b;
        }
    }
    for (int k0 = 0; k0 < J; k0 += TK) {
        for (int e = lid; e < TK * TO; e += LX * LY) {
            const int o = e / TK;
            const int k = e - o * TK;                       /* consecutive e: consecutive coef in a row */
            as[k][o] = (o0 + o < O && k0 + k < J) ? coef[(size_t)(o0 + o) * J + k0 + k] : 0.0f;
        }
        for (int e = lid; e < TK * TP; e += LX * LY) {
            const int k = e / TP;
            const int q = e - k * TP;                       /* consecutive e: consecutive pixels */
            bs[k][q] = (k0 + k < J && p0 + q < P) ? zn[(size_t)(k0 + k) * P + p0 + q] : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int k = 0; k < TK; k++) {
            float a[RO];
            float b[RP];
            for (int i = 0; i < RO; i++) {
                a[i] = as[k][ly + i * LY];
            }
            for (int j = 0; j < RP; j++) {
                b[j] = bs[k][lx + j * LX];
            }
            for (int i = 0; i < RO; i++) {
                for (int j = 0; j < RP; j++) {
                    acc[i][j] += a[i] * b[j];
                }
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    for (int i = 0; i < RO; i++) {
        const int o = o0 + ly + i * LY;
        if (o < O) {
            for (int j = 0; j < RP; j++) {
                const int q = p0 + lx + j * LX;
                if (q < P) {
                    y[((size_t)n * O + o) * P + q] = acc[i][j];
                }
            }
        }
    }
}
