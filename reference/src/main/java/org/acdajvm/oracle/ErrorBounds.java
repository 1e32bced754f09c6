package org.acdajvm.oracle;

import java.util.LinkedHashMap;
import java.util.Map;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaLayer;

/**
 * The tolerance policy of DESIGN section 7, and the derivation of every bound the oracle computes.
 *
 * <h2>Policy: two tiers</h2>
 * A float32 result is judged element by element against two bounds, and as a whole:
 * <ul>
 *   <li><b>worst-case</b>, {@code |y - y_oracle| <= 4 u n S + E + tiny} (rigorous: no correct float32
 *       evaluation in any order can exceed it); beyond it the verdict is REJECTED;</li>
 *   <li><b>tight</b>, {@code |y - y_oracle| <= LAMBDA sigma + tiny} with {@code sigma = sqrt(u^2 A + u_in^2 B + u_st^2 C)}
 *       (probabilistic, below), and the <b>aggregate</b> test {@code mean((err_i / sigma_i)^2) <= tau(N)} per
 *       tensor and per channel; within both the verdict is ACCEPTED, else SUSPICIOUS.</li>
 * </ul>
 * {@code u = 2^-24}, {@code tiny = 1e-30} (worst-case) and {@code n 2^-149 + 1e-30} (tight: a
 * subnormal result loses relative accuracy). {@code S} is the sum of the absolute values of every
 * product in the fully expanded expression of that element, {@code n} the length of the longest
 * chain of roundings any one product goes through, and {@code E} the error carried in from inputs
 * that were themselves computed in float32 (the generator output {@code G}).
 *
 * <h2>Why 4 u n S (worst-case)</h2>
 * Higham (Accuracy and Stability of Numerical Algorithms, 2nd ed., section 3.1): for a sum of
 * products evaluated in floating point in <em>any</em> order, with or without fused multiply-adds,
 * each product's computed value is its exact value times at most {@code n} factors
 * {@code (1 + delta)}, {@code |delta| <= u}, where {@code n} counts its multiplication roundings
 * plus the additions it passes through (at most the number of other terms in each sum it is part
 * of). Hence {@code |fl(y) - y| <= gamma_n * S}, {@code gamma_n = n u / (1 - n u)}. The factor 4
 * covers {@code gamma_n > n u} and the second-order terms neglected when errors are carried
 * through a later stage (below). It is rigorous and therefore loose: on realistic layers correct
 * code sits at 1e-5 to 1e-4 of it, so it cannot tell a float32 kernel from a bfloat16 one. In a
 * reduced {@link Precision} every product also has its inputs rounded (6 more roundings along a
 * chain of the final sum: two per product of {@code G Psi}, {@code D x}, {@code coef Z}) and up to 3
 * stored intermediates, so the term becomes {@code 4 (n u + 6 u_in + 3 u_st) S}, and {@code E}, linear in
 * the unit roundoffs of each generator stage, is scaled by {@code 1 + 3 max(u_in, u_st) / u}.
 *
 * <h2>Tight tier: the probabilistic model (Higham and Mary)</h2>
 * Higham and Mary (SIAM J. Sci. Comput. 41(5), 2019, "A new approach to probabilistic rounding
 * error analysis", Theorem 2.4 and Lemma 2.2): if the rounding errors {@code delta_k} of a
 * computation are independent random variables of mean zero with {@code |delta_k| <= u}, the first-order
 * error {@code sum_k a_k delta_k} (where {@code a_k} is the value rounded times the sensitivity of the
 * result to it) satisfies, by Hoeffding's inequality,
 * <pre>   P( |sum_k a_k delta_k| > lambda u sqrt(sum_k a_k^2) ) <= 2 exp(-lambda^2 / 2).</pre>
 * Their bound then takes {@code |a_k| <= S} for every rounding, giving {@code lambda sqrt(n) u S}; on real
 * data that is still about {@code sqrt(n)} too pessimistic, because partial sums of terms of mixed
 * sign grow like {@code sqrt(k)}, not {@code k} (Higham and Mary, SIAM J. Sci. Comput. 42(5), 2020, on
 * random data, including data of non-zero mean). The oracle knows every term, so it computes
 * {@code sum_k a_k^2} from the data itself:
 * <ul>
 *   <li>a product {@code t = a b} rounds once: {@code a_k = t} (times the sensitivity);</li>
 *   <li>an addition rounds its partial sum: {@code a_k = s_k}; the partial sums depend on the order,
 *       so {@link SumModel} takes the largest of the index order, the reversed order and the
 *       expectation over random orders (from the terms' own mean and spread);</li>
 *   <li>a value used by many later terms (an atom {@code D[m][u]} by every channel, a generator
 *       value {@code G[j]} by every tap and channel) has its sensitivity summed with signs
 *       ({@link ForwardRounding});</li>
 *   <li>errors carried from float32 intermediates add in quadrature: they come from other roundings;</li>
 *   <li>BatchNorm: at most {@value #BN_TIGHT} (in squares) roundings of the size of its largest
 *       intermediate {@code |scale| (|g| + |mean|) + |beta|} (the scale's three roundings are one
 *       shared relative error, counted as 3 of that size: 9, plus the subtraction, multiplication
 *       and addition: 3);</li>
 *   <li>tanh: a float32 tanh's own error is taken as bounded by {@value #TANH_TIGHT_ULPS} ulp of its
 *       result plus {@code u/2} absolute ({@link #tanhTight}); ours is within 1.4 ulp, CUDA's
 *       {@code tanhf} within 2, OpenCL allows 5 (so an OpenCL implementation at its limit could be
 *       flagged SUSPICIOUS, and should be);</li>
 *   <li>in a reduced {@link Precision}: each input of each product rounded ({@code 2 t^2} per product,
 *       component {@code B}) and each stored intermediate and the output rounded (its value squared,
 *       component {@code C}).</li>
 * </ul>
 * With {@code sigma = sqrt(u^2 A + u_in^2 B + u_st^2 C)}, {@code P(|err| > LAMBDA sigma) <= 2 exp(-LAMBDA^2/2)},
 * and {@code LAMBDA = sqrt(2 ln(2 / 1e-12)) = 7.53} makes that {@code 1e-12} per element.
 *
 * <h3>The aggregate test</h3>
 * A precision shortcut raises every element's error a little; per element it can hide below
 * {@code LAMBDA sigma}. Under the same model {@code z = err / sigma} is sub-Gaussian with variance proxy 1,
 * so {@code E exp(s z^2) <= (1 - 2s)^(-1/2)}, the moment generating function of a chi-square with one
 * degree of freedom; for {@code N} independent elements the Laurent-Massart bound gives
 * <pre>   P( mean z^2 > tau(N) ) <= 1e-12,   tau(N) = 1 + 2 sqrt(x / N) + 2 x / N,   x = ln(1e12).</pre>
 * Elements that share a rounding are not independent (one {@code G} value feeds every output
 * channel of its pixel), so {@code N} is counted conservatively: the elements of one channel (for
 * {@code y} and {@code dx}: {@code N H W} pixels), never the whole tensor. Correct code sits near
 * {@code mean z^2 = 0.05} to {@code 0.2} (real rounding errors have a variance near {@code 0.18 u^2}, not the
 * {@code u^2} Hoeffding allows); {@code tau} is at least 1.
 *
 * <h3>Assumptions, and where they can fail</h3>
 * <ul>
 *   <li>Independent, mean-zero roundings. Fails for stagnation (adding many tiny terms to a large
 *       sum, each rounding the same way) and for exactly representable data (constant inputs, where
 *       many roundings are exactly zero: harmless, the model then over-estimates).</li>
 *   <li>The summation order is not arranged against the data. A kernel that sorts terms by sign
 *       forms partial sums larger than any of the three models; no real kernel does.</li>
 *   <li>Shared intermediates: errors of different generator channels at one pixel share the first
 *       BatchNorm/tanh stage's errors, treated here as independent. The calibration tests measure
 *       correct kernels in many orders, on wide layers, mean-zero and all-positive and constant
 *       inputs, and show the largest ratio that occurs ({@code TightCalibrationTest}).</li>
 *   <li>First order: second-order terms are {@code O(n u^2)} relative, negligible while {@code n u << 1}.</li>
 * </ul>
 *
 * <h2>Chain lengths for ACDA (one product {@code coef * G * Psi * x} of the final sum)</h2>
 * Two-layer evaluation (atoms, atom convolution, coefficient convolution, bias):
 * {@code G*Psi} (1) + sum over t (T-1) + {@code D*x} (1) + sum over u (K^2-1) + {@code coef*Z} (1)
 * + sum over (c, m) (C*M-1) + bias (1) = {@code T + K^2 + C*M + 1}.
 * Per-pixel-filter evaluation (atoms, filter {@code Wpix = sum_m coef*D}, then the filter applied):
 * 1 + (T-1) + 1 + (M-1) + 1 + (C*K^2-1) + 1 = {@code T + M + C*K^2 + 1}.
 * {@link Evaluation#ANY} takes the larger, for an implementation whose order is not known.
 *
 * <h2>Generator error {@code E} (carried through)</h2>
 * A float32 path computes {@code G} itself; its error {@code eG} (a bound per channel and pixel)
 * enters the final sum linearly, so {@code E = sum_{c,m,u,t} |coef| * eG * |Psi| * |x|}. The
 * stages of the generator and their bounds, where {@code S1, S2} are the sums of absolute
 * products of the two convolutions:
 * <ol>
 *   <li>{@code g1 = b1 + sum W1*x}: {@code C g^2} products and a bias, so
 *       {@code e_g1 = 4 u (C g^2 + 1) S1} ({@link #conv}).</li>
 *   <li>{@code a1 = bn1(g1) = gamma (g1 - mean)/sqrt(var + eps) + beta}, computed either so or as
 *       {@code g1*scale + shift} with {@code scale}, {@code shift} precomputed, or folded into the
 *       convolution: at most {@value #BN_ROUNDINGS} roundings on terms of total size
 *       {@code A1 = |scale| (S1 + |mean|) + |beta|}, plus {@code e_g1} scaled by {@code |scale|}:
 *       {@code e_a1 = |scale| e_g1 + 4 u BN_ROUNDINGS A1} ({@link #batchNorm}).</li>
 *   <li>{@code e1 = tanh(a1)}: {@code |tanh'| <= 1} carries {@code e_a1} unchanged; a float32 tanh is
 *       accepted with {@value #TANH_ULPS} ulp of its result plus {@code 2u} absolute (fast
 *       exp-based forms lose relative accuracy near 0): {@code e_e1 = e_a1 + 2u (TANH_ULPS |e1| + 1)}
 *       ({@link #tanh}).</li>
 *   <li>{@code g2 = b2 + sum W2*e1}: {@code 9 I} products and a bias, one factor ({@code e1}) carrying
 *       its own error: {@code e_g2 = sum |W2| e_e1 + 4 u (9 I + 1) S2}.</li>
 *   <li>{@code G = tanh(bn2(g2))}: as steps 2 and 3.</li>
 * </ol>
 *
 * <h2>The per-pixel filter core ({@link PixelFilterOracle}): chain lengths</h2>
 * A filter entry {@code Wpix[o,c,u]} built with {@code f} float32 roundings of its own (0 for plain conv, whose
 * weight is read as given; 1 for PAC's {@code weight * K}, 2 with the normalising division) enters
 * {@code y = b + sum_{c,u} Wpix * xp} through one product rounding and at most {@code C K^2 - 1 + 1} additions
 * (the other terms and the bias): {@code n_y = C K^2 + 1 + f} ({@link #filterForwardChain}). The backward's
 * {@code dx} sums, per element, {@code dy[o] Wpix[o,c,u]} over the output channels and the taps that reach it:
 * in a gather order one flat sum of at most {@code O K^2} products, each with {@code 1 + f} roundings:
 * {@code n_dx = O K^2 + 1 + f} (the scatter order, {@code O - 1} then {@code K^2 - 1} additions, is shorter).
 * A parameter entry sums {@code dWpix = dy * patch} (one rounding) times its filter factor over the
 * {@code P = N H' W'} pixels: {@code n_w = P + 1 + f}; the bias sums {@code dy} over the pixels: {@code n_b = P}
 * ({@link #filterGradientChains}).
 *
 * <h2>PAC's adapting kernel: the new float32 steps</h2>
 * Per pixel {@code p}, tap {@code u} and kernel channel {@code g}, with guidance differences
 * {@code delta_j = f_j(q) - f_j(p)} over the {@code Cf} channels summed (1 when {@code channel_wise}):
 * <ol>
 *   <li><b>Squared distance</b> {@code d2 = sum_j delta_j^2}: each term has the rounding of the difference
 *       (twice, squared), of the square, and {@code Cf - 1} additions, all terms {@code >= 0}, so {@code S = d2}
 *       and {@code |e_d2| <= 4 u (Cf + 2) d2} ({@link #squaredDistanceError}). Tight: {@code A = sum_j 5 delta_j^4 +
 *       partials}, {@code B = sum_j 4 delta_j^2 (f_j(q)^2 + f_j(p)^2)} (each guidance value rounded), {@code C = d2^2}.</li>
 *   <li><b>exp</b> {@code K = exp(-0.5 d2)} (the scaling by 0.5 is exact): the argument's error moves {@code K}
 *       by at most {@code K expm1(0.5 e_d2)}, and a float32 exp is taken as within {@value #EXP_ULPS} ulp of its
 *       result (an ulp is at most {@code 2 u K}) plus {@link #FLUSH} absolute, for implementations that flush
 *       subnormal results to zero: {@code e_K = K expm1(0.5 e_d2) + 2 u EXP_ULPS K + FLUSH} ({@link #expError}).
 *       Why {@value #EXP_ULPS}: {@code (float) Math.exp} is within 0.5 ulp (plus the double rounding), the Vector
 *       API's {@code EXP} within 1 ulp, CUDA's {@code expf} within 2 ulp, OpenCL's full profile allows 3 ulp
 *       for single-precision {@code exp}; 4 covers them all with one to spare. Tight: {@value #EXP_TIGHT_ULPS}
 *       ulp ({@link #expTight}), so an OpenCL exp at its documented limit could be flagged SUSPICIOUS, and
 *       should be, like tanh's.</li>
 *   <li><b>pow</b> (inverse kernel) {@code s = d2 + 1e-4} (the constant 1e-4 is not a float: its rounding and
 *       the addition's, {@code e_s = e_d2 + 4 u 2 s}), {@code P = s^h}, {@code h = lambda/2} (exact):
 *       {@code e_P = P expm1(|h| e_s / (s - e_s)) + 2 u P (POW_ULPS + 2 |ln P|) + FLUSH} ({@link #powError}). The
 *       {@code |ln P|} term covers {@code pow} evaluated as {@code exp(h log s)}, whose argument carries
 *       {@code |h ln s| = |ln P|} times a rounding or two; {@value #POW_ULPS} ulp is OpenCL's full-profile
 *       allowance for {@code pow} (CUDA's {@code powf} and Java's {@code (float) Math.pow} are far inside). Tight:
 *       {@code 2 P (POW_TIGHT_ULPS + |ln P|)} in units of {@code u} ({@link #powTight}). Then
 *       {@code K = alpha + P}: {@code e_K = e_P + 4 u |K|}.</li>
 *   <li><b>The normalising division</b> {@code Kn = K / Sigma}, {@code Sigma = sum_{in-image taps} K} (1 when it is
 *       exactly 0): {@code e_Sigma = sum e_K + 4 u (T - 1) sum |K|} and
 *       {@code e_Kn = (e_K |Sigma| + |K| e_Sigma) / (|Sigma| (|Sigma| - e_Sigma))} ({@link #quotientError}), infinite
 *       when {@code e_Sigma >= |Sigma|}: there float32 data do not determine the kernel (a sum of kernels that
 *       cancels, or every tap's exp underflowing), and no answer is wrong. The quotient's own rounding is one
 *       more step {@code f} of the chain.</li>
 *   <li><b>The carried error into y</b>: each kernel value is one number shared by every channel of its group
 *       and every output channel, so {@code E[o] = sum_{g,u} |slope_o(g,u)| e_Kn[g,u]},
 *       {@code slope_o(g,u) = sum_{c in g} W[o,c,u] xp[c,u]} (signed first, as ACDA's generator error). Tight:
 *       every kernel value's variance times its signed sensitivity squared; with normalisation the sensitivity
 *       to {@code K[v]} is {@code slope(v)/Sigma - y_g/Sigma} for in-image {@code v} (the kernel's common
 *       scale cancels), plus {@code Sigma}'s own additions {@code (y_g/Sigma)^2 partials} and each division's
 *       rounding {@code (slope Kn)^2}, plus each {@code W * Kn} product's rounding {@code (W Kn xp)^2}.</li>
 *   <li><b>Gradient chains</b> ({@link #pacKernelChains}): from {@code dWpix} (1), {@code dKn = sum_{o, c in g}
 *       dWpix W} ({@code O C} more), the normalisation's backward {@code dK_v = dKn_v/Sigma - [v in] sum_u dKn_u Kn_u
 *       / Sigma} ({@code T + 4}), the kernel's derivative ({@code -0.5 K}, or {@code h P / s}: 3), the
 *       difference's ({@code 2 delta}: 1), then the accumulation into a guidance value, touched as a
 *       neighbour by at most {@code T} (pixel, tap) pairs per kernel pixel grid and as a centre by {@code T}
 *       taps ({@code 2T}): {@code n_f = O C + 3T + 12} (3 spare). {@code inv_alpha} sums {@code dK} over every
 *       image, pixel, group and tap: {@code n_alpha = O C + T + 6 + N P G T}; {@code inv_lambda} the same times
 *       {@code 0.5 ln(s) P} (3 more); a precomputed kernel input's gradient is one {@code dK}:
 *       {@code O C + T + 6}. Their carried {@code E} is the kernel values' errors times the magnitudes they
 *       multiply.</li>
 * </ol>
 *
 * <h2>The softmax of dynamic local filtering ({@code dynamic-filter})</h2>
 * Per pixel the filter's {@code T = K^2} logits {@code F_u} (exact float32 inputs) are normalised as every float32
 * softmax is written, max-subtracted: {@code m = max F} (exact), {@code d_u = F_u - m <= 0}, {@code e_u = exp(d_u)},
 * {@code Z = sum_u e_u >= 1}, {@code q_u = e_u / Z}.
 * <ol>
 *   <li><b>The subtraction</b> rounds once: {@code |fl(d) - d| <= u |d|} (exact by Sterbenz when {@code F_u} and
 *       {@code m} are within a factor 2).</li>
 *   <li><b>exp</b>: the argument's error moves {@code e} by at most {@code e expm1(4 u |d|)} (with the policy's
 *       factor 4), and a float32 exp is within {@value #EXP_ULPS} ulp of its result plus {@link #FLUSH} (the same
 *       allowance as PAC's gaussian kernel, for the same reasons: Java's {@code (float) Math.exp} 0.5 ulp plus the
 *       double rounding, the Vector API's {@code EXP} 1 ulp, CUDA's {@code expf} 2, OpenCL 3; {@code d <= 0}, so
 *       {@code e <= 1} never overflows and only underflows, below {@code d = -87}):
 *       {@code err_e = e expm1(4 u |d|) + 2 u EXP_ULPS e + FLUSH} ({@link #softmaxExpError}). Tight: the subtraction's
 *       rounding {@code (e d)^2} plus the exp's own {@link #expTight} squared ({@link #softmaxExpVariance}).</li>
 *   <li><b>The sum</b> {@code Z}: all terms positive, so {@code S = Z}, {@code err_Z = sum err_e + 4 u (T - 1) Z}
 *       ({@link #softmaxSumError}); tight: its partial sums ({@link SumModel#partials}).</li>
 *   <li><b>The division</b> {@code q = e / Z}: {@link #quotientError} before the division's own rounding
 *       ({@code Z >= 1} and {@code err_Z} is tiny, so the denominator is always determined); the division's rounding
 *       is one step {@code f = 1} of the chain of every product {@code q x}: {@code n_y = K^2 + 1 + 1}
 *       ({@link #filterForwardChain} with one input channel per output). A softmax written without the max
 *       subtraction ({@code exp(F_u) / sum exp(F)}) has the same relative errors (no argument error at all), so the
 *       bound covers it as long as it does not overflow; one written as {@code exp(F_u - m - log Z)} adds the
 *       argument error {@code u |log Z|} and is not covered beyond the factor 4's margin.</li>
 *   <li><b>Into y</b>: the {@code q_u} are shared by every channel of the pixel, so the worst case is
 *       {@code E[c] = sum_u |xp[c,u]| err_q_u}, and the tight variance takes the signed sensitivities of
 *       {@code y[c] = sum_w a_w q_w} ({@code a_w = xp[c,w]}): {@code dy/de_v = (a_v - y)/Z} for each exp's error,
 *       {@code dy/dZ = -y/Z} for {@code Z}'s additions, and {@code a_w q_w} for each division's rounding
 *       ({@code DfnFilter.Errors}). The same functional with {@code a = dy[c]} at tap {@code u} gives the error of
 *       {@code dpatch[c][u] = dy[c] q_u} in the backward: {@code dx}'s chain is {@code K^2 + 1 + 1}.</li>
 *   <li><b>The filter's gradient</b> {@code dF_u = q_u (g_u - sum_v q_v g_v)}, {@code g_u = sum_c dy[c] xp[c,u]}:
 *       a product {@code dy x} goes through its own rounding and {@code C - 1} additions (into {@code g}), then
 *       either the subtraction and the product with {@code q_u} (2) or the product {@code q_v g_v}, {@code T - 1}
 *       additions, the subtraction and the product (3 + T - 1): {@code n_F = C + T + 2}
 *       ({@link #dynamicFilterGradientChain}); without softmax {@code n_F = C}. {@code S = q_u (S_g_u + sum_v q_v S_g_v)};
 *       {@code E = sum_w |a_w| (err_q_w + 4 u q_w)} with {@code a_w = d dF_u / d q_w} ({@code -q_u g_w}, plus
 *       {@code g_u - m} at {@code w = u}: here the divisions' roundings are carried, not chained). Tight: the q errors
 *       through the same signed sensitivities, {@code g_v}'s roundings times {@code (q_u (delta_uv - q_v))^2}, the
 *       {@code q_v g_v} products' and additions' roundings times {@code q_u^2}, and the subtraction's {@code dF_u^2}.</li>
 * </ol>
 *
 * <h2>Involution: average pooling, ReLU, and the kernel branch's errors</h2>
 * The kernel branch {@code xa = avgpool_s(x)}, {@code r1 = rb + rw xa}, {@code a = bn(r1)}, {@code e = relu(a)},
 * {@code H = sb + sw e} (all {@code 1x1}: nothing mixes pixels but the pooling window), then
 * {@code y[c] = sum_u H[g(c),u] xp[c,u]}. The two new float32 steps:
 * <ol>
 *   <li><b>Average pooling</b> {@code xa = (1/cnt) sum_{i<cnt} x_i} over the window's {@code cnt} in-image inputs
 *       (exact inputs): {@code cnt - 1} additions then a division, or a reciprocal and a product (2 roundings), so
 *       every term passes at most {@code cnt + 1} roundings and {@code |e_xa| <= 4 u (cnt + 1) S_xa},
 *       {@code S_xa = sum |x_i| / cnt} ({@link #poolError}); {@code s = 1} is the identity, exact. Tight
 *       ({@link #poolTight}): {@code A = partials / cnt^2 + 2 xa^2} (the sum's partial sums, {@link SumModel},
 *       scaled by {@code 1/cnt}, and the two final roundings), {@code B = 0} (no products), {@code C = xa^2}.</li>
 *   <li><b>ReLU</b> {@code e = max(a, 0)} is exact in floating point (it returns one of its inputs) and
 *       1-Lipschitz: {@code |relu(a') - relu(a)| <= |a' - a|}, so it adds no rounding and no chain, and carries
 *       {@code e_a} at most unchanged. Better: when {@code a <= -e_a} every correct float32 path has
 *       {@code a' <= 0} and returns exactly 0, so there {@code e_e = 0} and {@code e}'s tight variance is 0
 *       ({@link #reluPasses}); elsewhere {@code e_e = e_a} and the variance passes with slope 1 (a first-order
 *       slope of 0 just below the kink would understate a path that lands on the other side). The backward's
 *       mask {@code [a > 0]} is the one non-smooth step: for {@code |a| <= e_a} ({@link #reluAmbiguous}) a correct
 *       float32 path may take the other branch and make the whole term {@code de} instead of 0 (or 0 instead of
 *       {@code de}): the carried error is then {@code S_de}, and the tight tier adds {@code (S_de / (LAMBDA u))^2}
 *       to {@code A} ({@link #reluMaskTight}) so that its bound covers it. Random data meet this with probability
 *       about {@code e_a / |a|}-scale, near 1e-6 per value. Finite differences must keep {@code |a|} away from 0
 *       (their step would straddle the kink), which the oracle's tests do and say.</li>
 *   <li><b>The carried error into y</b> ({@code E} and tight variance): {@code e[j]} is shared by every tap of its
 *       pixel's kernel, so its error enters {@code y[c]} through the signed slope
 *       {@code sl_j = sum_u sw[g K^2 + u, j] xp[c,u]}: {@code E[c] = sum_j |sl_j| e_e[j]}, tight
 *       {@code sum_j sl_j^2 V_e[j]}; the span's own roundings (its {@link SumModel}, per kernel value) enter with
 *       {@code xp[c,u]^2}. {@code e}'s error comes from the pool (through {@code |rw|}), the reduce conv
 *       ({@link #conv}) and BatchNorm ({@link #batchNorm}, tight: {@link BatchNorm#forwardVariance}).</li>
 *   <li><b>Chains.</b> Forward: a product {@code sw e xp} passes the span's product and {@code R} additions (its
 *       {@code R - 1} other terms and the bias), the apply's product and {@code K^2 - 1} additions:
 *       {@code n_y = K^2 + R + 2} (one spare; {@link #involutionForwardChain}); {@code S} expands through the span,
 *       {@code S = sum_u (|sb| + sum_j |sw| |e|) |xp|}, and the pool, reduce and BatchNorm are in {@code E}.
 *       Backward ({@link #involutionGradientChains}, {@code P = N H' W'} pixels, {@code T = K^2}):
 *       <pre>
 *   direct dx = dy H, at most T (pixel, tap) pairs per x element:   n_dir = (R + 1) + 1 + T
 *   dH  = sum_{c in g} dy xp                                         ndH  = C/G
 *   de  = sum_k dH sw  (G T terms), da = de [a > 0] (exact)          nde  = ndH + G T
 *   dr1 = da gamma / sigma (the scale's own roundings)               ndr1 = nde + 1 + BN_ROUNDINGS
 *   dxa = sum_j dr1 rw, then / cnt, then into dx                     n_br = ndr1 + R + 2 + T
 *   dx: max(n_dir, n_br) + 1
 *   span.bias  ndH + P      span.weight   ndH + 1 + P
 *   bn.bias    nde + P      bn.weight     nde + BN_ROUNDINGS + 2 + P   ((r1 - mean)/sigma: subtraction, sigma, division)
 *   reduce.bias ndr1 + P    reduce.weight ndr1 + 1 + P
 *       </pre>
 *       Their carried {@code E}: {@code span.weight} {@code |dH| e_e}, {@code bn.weight} {@code |da| e_r1/sigma}, {@code
 *       reduce.weight} {@code |dr1| e_xa}, the direct {@code dx} {@code |dy| sum_j |sw| e_e}, and the mask's {@code S_de}
 *       where it is ambiguous, carried on through {@code scale} and {@code rw}. Their tight variance multiplies
 *       the factors' variances ({@code var(ab) = b^2 var(a) + a^2 var(b)}) and adds every sum's {@link SumModel}.</li>
 * </ol>
 *
 * <h2>TVConv's weight net: LayerNorm and ReLU (the new float32 steps)</h2>
 * The weight net maps the position map {@code A} (a parameter: exact) through {@code L} blocks
 * {@code g = conv3x3(in)}, {@code a = LN(g)}, {@code h = relu(a)} and a last {@code conv3x3} to the filter {@code F}.
 * Every value carries a worst-case bound {@code E} and, for the tight tier, an independent part {@code V}
 * (variance proxies {@code {A, B, C}} of its own roundings and of its inputs' independent errors, in quadrature)
 * and its signed sensitivity {@code J_s} to each shared number {@code s}: a LayerNorm's mean and {@code r} are one
 * rounded number per layer whose error reaches every later value, so their variances {@code V_s} are carried by
 * forward-mode differentiation through the linearised later stages (a direction per shared number: conv without
 * bias, LayerNorm linearised, ReLU's mask), never element by element (an element's whole variance is
 * {@code V + sum_s J_s^2 V_s}). With {@code M = mid h w}:
 * <ol>
 *   <li><b>conv</b> {@code g = b + sum w v}: {@code E = 4 u (9 C_in + 1) S + sum |w| E_v} ({@link #conv});
 *       {@code V} as ACDA's generator (the sum's roundings plus {@code sum w^2 V_v}), {@code K = sum |w| K_v}.</li>
 *   <li><b>mean</b> {@code mu = sum g / M}: {@code M - 1} additions and a division on terms of total size
 *       {@code sum |g|}: {@code E_mu = sum E_g / M + 4 u (M + 1) sum |g| / M} ({@link #meanError}).</li>
 *   <li><b>variance</b> {@code s2 = sum (g - mu)^2 / M} (biased, as {@code nn.LayerNorm}). Whatever the algorithm
 *       (two-pass, Welford, or one-pass {@code mean(g^2) - mu^2}), its products expand to terms of size at most
 *       {@code mean(g^2) + mu^2}, each through at most {@code M + 3} roundings (square, {@code M - 1} additions,
 *       division, {@code mu^2}, subtraction); the inputs' errors move it by at most the larger of the two-pass
 *       {@code sum (2 |d| E_d + E_d^2) / M} ({@code E_d = E_g + E_mu + 4 u (|g| + |mu|)}) and the one-pass
 *       {@code sum (2 |g| E_g + E_g^2) / M + 2 |mu| E_mu + E_mu^2} ({@link #varianceError}).</li>
 *   <li><b>rsqrt</b> {@code r = (s2 + eps)^(-1/2)}: eps (1e-5 is not a float) and the addition add {@code 8 u (s2 + eps)};
 *       then {@code |d r| <= E_s2 (s2 + eps - E_s2)^(-3/2) / 2} plus the float32 {@code rsqrt}'s own error,
 *       {@value #RSQRT_ULPS} ulp of {@code r} (OpenCL allows 4 for {@code rsqrt}, CUDA's {@code rsqrtf} 2, {@code 1/sqrt}
 *       in two correctly rounded steps 1.5) ({@link #layerNormRsqrtError}); infinite when {@code E_s2 >= s2 + eps},
 *       which eps makes impossible for sane data.</li>
 *   <li><b>normalise and affine</b> {@code z = d r}, {@code a = gamma z + beta} (or {@code d (gamma r) + beta}):
 *       {@code E_z = |d| E_r + r E_d + E_d E_r + 4 u |z|}, {@code E_a = |gamma| E_z + 4 u LN_ROUNDINGS (|gamma z| + |beta|)},
 *       {@value #LN_ROUNDINGS} roundings covering both groupings ({@link #normalisedError}, {@link #layerNormAffineError}).
 *       Tight: per element {@code V_z = r^2 V_g + 2 z^2} (subtraction, product), {@code V_a = gamma^2 V_z + 2 (gamma z)^2 + a^2};
 *       the shared numbers' variances, {@code V_mu = (sum V_g + partials) / M^2 + mu^2} and, with
 *       {@code ds2/dg_i = 2 d_i / M} (the mean's part cancels), {@code V_r = (r^3/2)^2 (sum (2 d_i / M)^2 V_g + the
 *       sum's roundings / M^2 + sum (2 d_i^2 / M)^2 + s2^2 + (s2 + eps)^2) + (2 RSQRT_TIGHT_ULPS r)^2}, enter every output
 *       with {@code J_mu = -gamma r}, {@code J_r = gamma d}; an earlier direction {@code dg} goes through as
 *       {@code dz = r (dg - mean(dg)) + d dr}, {@code dr = -(r^3/2) 2 mean(d dg)}. The tight tier models a two-pass (or Welford) variance: a one-pass {@code mean(g^2) - mu^2} is inside
 *       the worst case but may be SUSPICIOUS when {@code |mu|} is far above the spread (its cancellation is real).</li>
 *   <li><b>ReLU</b> {@code h = max(0, a)} is exact in float32 and 1-Lipschitz: {@code E_h = E_a} when {@code a > -E_a}
 *       (the float32 value may be positive), else {@code 0} (every correct path gives exactly 0) ({@link #reluError});
 *       the tight parts pass where {@code a > -LAMBDA u sigma_a} (the float32 value may be positive within the tight
 *       reach), the directions through the derivative's mask {@code a > 0}. The derivative is a mask: where
 *       {@code |a| <= E_a} ({@link #reluAmbiguous}, judged for float32) a correct float32 backward may take the other
 *       branch, so the gradient there carries {@code E += S + E} of the upstream value, and where
 *       {@code |a| <= LAMBDA u sigma_a} the same as a tight scale; finite-difference tests keep their points away from
 *       the kink.</li>
 *   <li><b>The filter into y</b> {@code y[c,p] = b[c] + sum_u F[c,u,p] xp[c, p + d u - pad]}: {@code n_y = K^2 + 1}
 *       ({@link #tvconvForwardChain}), {@code S = |b| + sum |F| |xp|}, {@code E = sum_u |xp| E_F}. The taps' filter
 *       errors are correlated (one weight-net pixel feeds all of them), so the tight variance takes each source with
 *       its signed sensitivity summed over the taps: the last conv's own roundings {@code sum_u xp_u^2 own_u}, each last
 *       hidden value {@code (sum_u xp_u W[cK^2+u, i, ab])^2 V_h}, each shared number {@code (sum_u xp_u J_s)^2 V_s}. Into
 *       {@code dx}, where taps of different pixels meet, Cauchy-Schwarz bounds it: {@code var(sum_j t_j) <= K^2 sum_j
 *       var(t_j)}, so {@code dpatch = dy F} carries {@code K^2 dy^2 var_F}.</li>
 *   <li><b>Gradients</b> ({@link #tvconvGradientChains}). The filter is shared by the batch, so
 *       {@code dF[c,u,p] = sum_n dy xp} sums over the {@code N} images ({@code n_F = N}). The last conv's
 *       {@code dW = sum_p dF h} and {@code db = sum_p dF} add {@code P = h w}; its input gradient {@code dh = sum dF W}
 *       adds {@code 9 C K^2}. Through ReLU nothing; LayerNorm's backward {@code dgamma = da z} (1), {@code dbeta = da},
 *       {@code dg = r (dz - mean(dz) - z mean(dz z))}, {@code dz = gamma da}: at most {@code M + 8}; each conv's
 *       {@code dW}, {@code db} add {@code P}, its input gradient {@code 9 mid}; {@code affinity} is conv 0's input
 *       gradient. {@code dx = sum dy F} over at most {@code K^2} taps: {@code K^2 + 1}; the bias sums {@code N P} values.
 *       The backward's tight tier keeps the same split: independent parts in quadrature (the backward's own roundings,
 *       the forward values' independent errors, each entering a gradient term once), and signed directions for every
 *       shared number: the forward's (through {@code dr/ds} and the forward directions of {@code z} and {@code h}) and the
 *       backward's own {@code mean(dz)}, {@code mean(dz z)} of each LayerNorm (sensitivities {@code -r}, {@code -r z}),
 *       carried through the transposed convs and the LayerNorm backward; a gradient element's variance is
 *       {@code V + sum_s J_s^2 V_s}. The ReLU mask's flip counts in the tight tier (independently, per element) where
 *       {@code |a| <= LAMBDA u sigma_a} (the worst case: {@code |a| <= E_a}).
 *       The worst-case tier is rigorous but loose here: the variance's {@code M + 3} chain makes {@code E_r / r} about
 *       {@code 2 M u}, and a second LayerNorm compounds it (on a 12x12, mid 8, 2-block net the filter's {@code E_F} is
 *       about 10% of {@code |F|}), so the tight tier is what tells correct float32 from a shortcut.</li>
 * </ol>
 */
public final class ErrorBounds {

    /** Unit roundoff of float32: half the distance from 1 to the next float. */
    public static final double U = 0x1.0p-24;
    /** Added to every bound so that an exact zero result with exact zero error is accepted. */
    public static final double TINY = 1e-30;
    /** The policy's safety factor. */
    public static final double SAFETY = 4.0;
    /** Roundings allowed for evaluating an affine BatchNorm (add eps, sqrt, divide, multiply gamma, subtract mean, multiply, add beta, one spare). */
    public static final int BN_ROUNDINGS = 8;
    /** Ulps of its result a float32 tanh may be off by (OpenCL allows 5 for tanh). */
    public static final int TANH_ULPS = 8;

    /** The tight tier's probability that a correct float32 kernel fails one given element. */
    public static final double FAILURE_PROBABILITY = 1e-12;
    /** {@code sqrt(2 ln(2 / FAILURE_PROBABILITY))}: Hoeffding's multiplier for that probability (7.53). */
    public static final double LAMBDA = Math.sqrt(2 * Math.log(2 / FAILURE_PROBABILITY));
    /** BatchNorm's roundings in the tight tier, in squares of its largest intermediate (see the class comment). */
    public static final double BN_TIGHT = 12;
    /** Ulps of its result a float32 tanh may be off by in the tight tier. */
    public static final int TANH_TIGHT_ULPS = 4;
    /** Smallest positive subnormal float. */
    public static final double SUBNORMAL = 0x1.0p-149;
    /** Smallest positive normal float: the absolute error of a float32 exp or pow that flushes subnormal results to zero. */
    public static final double FLUSH = 0x1.0p-126;
    /** Ulps of its result a float32 exp may be off by, worst case (OpenCL allows 3; see the class comment). */
    public static final int EXP_ULPS = 4;
    /** Ulps of its result a float32 exp may be off by in the tight tier. */
    public static final int EXP_TIGHT_ULPS = 2;
    /** Ulps of its result a float32 pow may be off by, worst case (OpenCL's full profile allows 16). */
    public static final int POW_ULPS = 16;
    /** Ulps of its result a float32 pow may be off by in the tight tier (beyond the exp(h log s) term). */
    public static final int POW_TIGHT_ULPS = 4;

    private ErrorBounds() {
    }

    /** A float32 tanh's own error in the tight tier, in units of {@code u}: {@code 2 TANH_TIGHT_ULPS |t| + 1/2}. */
    static double tanhTight(double t) {
        return 2 * TANH_TIGHT_ULPS * Math.abs(t) + 0.5;
    }

    /**
     * The tight tier's standard scale {@code sigma = sqrt(u^2 A + u_in^2 B + u_st^2 C)} of one element.
     *
     * @param a the float32 roundings' variance proxy, in units of {@code u^2}
     * @param b the product inputs' roundings, in units of {@code precision.inputUnit^2}
     * @param c the stored intermediates' roundings, in units of {@code precision.storageUnit^2}
     */
    public static double sigma(double a, double b, double c, Precision precision) {
        double ui = precision.inputUnit;
        double us = precision.storageUnit;
        return Math.sqrt(U * U * a + ui * ui * b + us * us * c);
    }

    /** The tight bound {@code LAMBDA sigma + n 2^-149 + tiny}. */
    public static double tight(double sigma, int chainLength) {
        return LAMBDA * sigma + chainLength * SUBNORMAL + TINY;
    }

    /**
     * The aggregate test's threshold on {@code mean((err_i / sigma_i)^2)} over {@code n} independent
     * elements: {@code 1 + 2 sqrt(x/n) + 2x/n}, {@code x = ln(1 / FAILURE_PROBABILITY)} (Laurent-Massart).
     */
    public static double aggregateThreshold(long n) {
        double x = Math.log(1 / FAILURE_PROBABILITY);
        long m = Math.max(1, n);
        return 1 + 2 * Math.sqrt(x / m) + 2 * x / m;
    }

    /**
     * The worst-case bound in a precision: {@code 4 (n u + 6 u_in + 3 u_st) S + E (1 + 3 max(u_in, u_st)/u) + tiny}
     * (for {@link Precision#FP32}, {@link #accept}).
     */
    public static double worstCase(int chainLength, double sumAbs, double carried, Precision precision) {
        double reduced = Math.max(precision.inputUnit, precision.storageUnit);
        return SAFETY * (chainLength * U + 6 * precision.inputUnit + 3 * precision.storageUnit) * sumAbs
                + carried * (1 + 3 * reduced / U) + TINY;
    }

    /** The order in which a float32 path evaluates the final sum; it fixes the chain length {@code n}. */
    public enum Evaluation {
        /** Atom convolution then 1x1 coefficient convolution (the scalar, vector and GPU paths). */
        TWO_LAYER,
        /** The full filter reconstructed per pixel, then applied. */
        PER_PIXEL_FILTER,
        /** Unknown order: the larger of the two chains. */
        ANY;

        /** The chain length {@code n} of the final sum for this evaluation order. */
        public int chainLength(AcdaConfig config) {
            int t = config.bases();
            int k2 = config.taps();
            int c = config.inChannels();
            int m = config.atoms();
            int twoLayer = t + k2 + c * m + 1;
            int perPixel = t + m + c * k2 + 1;
            return switch (this) {
                case TWO_LAYER -> twoLayer;
                case PER_PIXEL_FILTER -> perPixel;
                case ANY -> Math.max(twoLayer, perPixel);
            };
        }
    }

    /**
     * Each gradient's chain length {@code n} (DESIGN section 7: every gradient has its own), keyed as
     * {@link AcdaOracleBackward.Gradients}: an upper bound on the roundings any one product of that
     * gradient's expanded expression goes through in a float32 backward, in any summation order. With
     * {@code P = N H' W'} pixels and the forward chains {@code nG = C g^2 + 9 I + 2 BN_ROUNDINGS + 4}
     * (to the generator output, both BatchNorms and tanhs counted), {@code nD = nG + T + 1},
     * {@code nZ = nD + K^2 + 1}, the backward's steps are
     * <pre>
     *   dZ  = sum_o dy coef                 ndZ  = O + 1
     *   dD  = sum_c dZ patch                ndD  = ndZ + C + 1
     *   dG  = sum_u dD Psi                  ndG  = ndD + K^2 + 1
     *   da2 = dG (1 - G^2)                  nda2 = ndG + nG + 4       (tanh' from the float32 G)
     *   dg2 = da2 gamma / sigma             ndg2 = nda2 + BN_ROUNDINGS
     *   de1 = sum_{j,taps} dg2 W2           nde1 = ndg2 + 9 M T + 1
     *   da1, dg1                            ndg1 = nde1 + nG + 4 + BN_ROUNDINGS
     * </pre>
     * and the gradients: {@code dx} sums at most {@code K^2} direct terms ({@code dZ D}: {@code ndZ + M + nD})
     * and {@code I g^2} generator terms ({@code dg1 W1}) per element; every parameter gradient sums over
     * the {@code P} pixels: {@code bias} {@code P}, {@code coef} {@code P + nZ + 1}, BN 2's beta {@code P + nda2},
     * gamma {@code P + nda2 + nG + 2}, conv 2's bias {@code P + ndg2}, weight {@code P + ndg2 + nG + 1}, and the
     * same with {@code ndg1} for the first half. (The old single chain length, the sum of everything,
     * made {@code dx}'s bound hundreds of times too loose, since {@code dx}'s sums do not run over pixels.)
     */
    public static Map<String, Integer> gradientChainLengths(AcdaConfig c, int batch, int outH, int outW) {
        long p = (long) batch * outH * outW;
        long g2 = (long) c.generatorKernel() * c.generatorKernel();
        long nG = c.inChannels() * g2 + 9L * c.interChannels() + 2L * BN_ROUNDINGS + 4;
        long nD = nG + c.bases() + 1;
        long nZ = nD + c.taps() + 1;
        long ndZ = c.outChannels() + 1;
        long ndD = ndZ + c.inChannels() + 1;
        long ndG = ndD + c.taps() + 1;
        long nda2 = ndG + nG + 4;
        long ndg2 = nda2 + BN_ROUNDINGS;
        long nde1 = ndg2 + 9L * c.generatorChannels() + 1;
        long nda1 = nde1 + nG + 4;
        long ndg1 = nda1 + BN_ROUNDINGS;
        Map<String, Long> n = new LinkedHashMap<>();
        n.put(AcdaOracleBackward.INPUT, Math.max(ndZ + c.atoms() + nD, ndg1 + 1) + c.taps() + c.interChannels() * g2 + 1);
        n.put(AcdaLayer.CONV1_WEIGHT, p + ndg1 + 1);
        n.put(AcdaLayer.CONV1_BIAS, p + ndg1);
        n.put(AcdaLayer.BN1_WEIGHT, p + nda1 + nG + 2);
        n.put(AcdaLayer.BN1_BIAS, p + nda1);
        n.put(AcdaLayer.CONV2_WEIGHT, p + ndg2 + nG + 1);
        n.put(AcdaLayer.CONV2_BIAS, p + ndg2);
        n.put(AcdaLayer.BN2_WEIGHT, p + nda2 + nG + 2);
        n.put(AcdaLayer.BN2_BIAS, p + nda2);
        n.put(AcdaLayer.COEF, p + nZ + 1);
        n.put(AcdaLayer.BIAS, p);
        Map<String, Integer> out = new LinkedHashMap<>();
        n.forEach((k, v) -> out.put(k, (int) Math.min(Integer.MAX_VALUE, v)));
        return out;
    }

    /** The bound on the rounding error of a sum of products: {@code 4 u n S}. */
    public static double rounding(int chainLength, double sumAbs) {
        return SAFETY * U * chainLength * sumAbs;
    }

    /** The complete acceptance bound {@code 4 u n S + E + tiny}. */
    public static double accept(int chainLength, double sumAbs, double carried) {
        return rounding(chainLength, sumAbs) + carried + TINY;
    }

    /**
     * Error bound of a float32 convolution output {@code b + sum w*v}: the rounding of its
     * {@code products + 1} terms plus the error carried by its inputs.
     *
     * @param products number of products in the sum (without the bias)
     * @param sumAbs   {@code |b| + sum |w| |v|}
     * @param carried  {@code sum |w| e_v}, the inputs' own error weighted by the weights
     */
    public static double conv(int products, double sumAbs, double carried) {
        return rounding(products + 1, sumAbs) + carried;
    }

    /**
     * Error bound of {@code bn(v) = gamma (v - mean)/sqrt(var + eps) + beta} evaluated in float32.
     *
     * @param scale  {@code gamma / sqrt(var + eps)}
     * @param mean   running mean
     * @param beta   BatchNorm bias
     * @param sumAbsV a bound on {@code |v|} (its sum of absolute products)
     * @param errV   the error bound of {@code v}
     */
    public static double batchNorm(double scale, double mean, double beta, double sumAbsV, double errV) {
        double size = Math.abs(scale) * (sumAbsV + Math.abs(mean)) + Math.abs(beta);
        return Math.abs(scale) * errV + rounding(BN_ROUNDINGS, size);
    }

    /** Error bound of {@code tanh(a)} in float32, given the bound {@code errA} of its argument and its value {@code t}. */
    public static double tanh(double t, double errA) {
        return errA + 2 * U * (TANH_ULPS * Math.abs(t) + 1.0);
    }

    /** {@code n_y = C K^2 + 1 + f} for a filter entry built with {@code f} roundings of its own (class comment). */
    public static int filterForwardChain(int inChannels, int taps, int filterSteps) {
        return clamp((long) inChannels * taps + 1 + filterSteps);
    }

    /**
     * Chain lengths of the core's gradients (class comment).
     *
     * @param dx     {@code O K^2 + 1 + f}
     * @param weight {@code P + 1 + f}
     * @param bias   {@code P}
     */
    public record FilterChains(int dx, int weight, int bias) {
    }

    /** The core's gradient chains for {@code P = pixels} output pixels (all images). */
    public static FilterChains filterGradientChains(int inChannels, int outChannels, int taps, long pixels, int filterSteps) {
        return new FilterChains(clamp((long) outChannels * taps + 1 + filterSteps), clamp(pixels + 1 + filterSteps),
                clamp(Math.max(1, pixels)));
    }

    /**
     * PAC's kernel gradients' chain lengths (class comment, step 6).
     *
     * @param guidance    {@code O C + 3T + 12}
     * @param kernelInput {@code O C + T + 6}
     * @param alpha       {@code O C + T + 6 + N P G T}
     * @param lambda      {@code alpha + 3}
     */
    public record KernelChains(int guidance, int kernelInput, int alpha, int lambda) {
    }

    /** PAC's kernel gradients' chains: {@code oc} = O C (the terms of one {@code dKn}), {@code uses} = N P G T. */
    public static KernelChains pacKernelChains(long oc, int taps, long uses) {
        long dk = oc + taps + 6;
        return new KernelChains(clamp(oc + 3L * taps + 12), clamp(dk), clamp(dk + uses), clamp(dk + uses + 3));
    }

    /** Worst-case error of a float32 squared distance over {@code channels} channels: {@code 4 u (Cf + 2) d2}. */
    public static double squaredDistanceError(double d2, int channels) {
        return SAFETY * U * (channels + 2) * d2;
    }

    /** Worst-case error of a float32 {@code K = exp(x)} whose argument is off by {@code argError}. */
    public static double expError(double k, double argError) {
        return k * Math.expm1(argError) + 2 * U * EXP_ULPS * k + FLUSH;
    }

    /** A float32 exp's own error in the tight tier, in units of {@code u}: {@code 2 EXP_TIGHT_ULPS K + FLUSH/u}. */
    public static double expTight(double k) {
        return 2 * EXP_TIGHT_ULPS * Math.abs(k) + FLUSH / U;
    }

    /** Worst-case error of a float32 {@code P = s^h} whose base is off by {@code sError} (class comment, step 3). */
    public static double powError(double p, double h, double s, double sError) {
        if (sError >= s) {
            return Double.POSITIVE_INFINITY;
        }
        return p * Math.expm1(Math.abs(h) * sError / (s - sError)) + 2 * U * p * (POW_ULPS + 2 * Math.abs(Math.log(p)))
                + FLUSH;
    }

    /** A float32 pow's own error in the tight tier, in units of {@code u}: {@code 2 P (POW_TIGHT_ULPS + |ln P|)}. */
    public static double powTight(double p) {
        return 2 * p * (POW_TIGHT_ULPS + Math.abs(Math.log(p))) + FLUSH / U;
    }

    /**
     * Worst-case error of {@code a / b} computed from approximations within {@code errA}, {@code errB}, before
     * the division's own rounding: {@code (errA |b| + |a| errB) / (|b| (|b| - errB))}; infinite when
     * {@code errB >= |b|}.
     */
    public static double quotientError(double a, double errA, double b, double errB) {
        double ab = Math.abs(b);
        if (errB >= ab) {
            return Double.POSITIVE_INFINITY;
        }
        return (errA * ab + Math.abs(a) * errB) / (ab * (ab - errB));
    }

    // ---------------------------------------------------------------------------------------------
    // Involution (class comment, "Involution").

    /** Worst-case error of a float32 average of {@code cnt} exact inputs with {@code meanAbs = sum |x| / cnt}: {@code 4 u (cnt + 1) meanAbs}. */
    public static double poolError(int cnt, double meanAbs) {
        return SAFETY * U * (cnt + 1) * meanAbs;
    }

    /**
     * Tight variance proxies {@code {A, B, C}} of a float32 average {@code xa} of {@code cnt} exact inputs whose sum's
     * partial sums model is {@code partials} ({@link SumModel#partials}): {@code {partials / cnt^2 + 2 xa^2, 0, xa^2}}.
     */
    public static double[] poolTight(int cnt, double xa, double partials) {
        return new double[] {partials / ((double) cnt * cnt) + 2 * xa * xa, 0, xa * xa};
    }

    /** Whether {@code relu(a)} can differ from 0 in a float32 path whose {@code a} is within {@code errA}: {@code a > -errA}. */
    public static boolean reluPasses(double a, double errA) {
        return a > -errA;
    }

    /** Whether a float32 path's ReLU mask may differ from {@code [a > 0]}: {@code |a| <= errA}. */
    public static boolean reluAmbiguous(double a, double errA) {
        return Math.abs(a) <= errA;
    }

    /** The tight tier's allowance, in units of {@code u^2}, for a mask that may flip a term of magnitude {@code sumAbs}: {@code (sumAbs / (LAMBDA u))^2}. */
    public static double reluMaskTight(double sumAbs) {
        double r = sumAbs / (LAMBDA * U);
        return r * r;
    }

    /** Involution's forward chain {@code n_y = K^2 + R + 2}. */
    public static int involutionForwardChain(int taps, int reduced) {
        return clamp((long) taps + reduced + 2);
    }

    /** Involution's gradient chain lengths (class comment, "Involution", chains). */
    public record InvolutionChains(int dx, int reduceWeight, int reduceBias, int bnWeight, int bnBias, int spanWeight,
                                   int spanBias) {
    }

    /** Involution's gradient chains for {@code C} channels, {@code G} groups, {@code R} reduced channels, {@code T} taps, {@code P} pixels. */
    public static InvolutionChains involutionGradientChains(int channels, int groups, int reduced, int taps, long pixels) {
        long p = Math.max(1, pixels);
        long nDirect = reduced + 1L + 1 + taps;
        long ndH = channels / groups;
        long nde = ndH + (long) groups * taps;
        long ndr1 = nde + 1 + BN_ROUNDINGS;
        long nBranch = ndr1 + reduced + 2 + taps;
        return new InvolutionChains(clamp(Math.max(nDirect, nBranch) + 1), clamp(ndr1 + 1 + p), clamp(ndr1 + p),
                clamp(nde + BN_ROUNDINGS + 2 + p), clamp(nde + p), clamp(ndH + 1 + p), clamp(ndH + p));
    }

    /** LayerNorm's roundings from the centred value and rsqrt to its output (class comment, TVConv step 5). */
    public static final int LN_ROUNDINGS = 4;
    /** Ulps of its result a float32 rsqrt may be off by, worst case (OpenCL allows 4). */
    public static final int RSQRT_ULPS = 4;
    /** Ulps of its result a float32 rsqrt may be off by in the tight tier. */
    public static final int RSQRT_TIGHT_ULPS = 2;

    /** Worst-case error of a float32 mean of {@code m} values of total magnitude {@code sumAbs} and carried errors {@code sumCarried}. */
    public static double meanError(int m, double sumAbs, double sumCarried) {
        return sumCarried / m + SAFETY * U * (m + 1.0) * sumAbs / m;
    }

    /**
     * Worst-case error of a float32 biased variance of {@code m} values (class comment, TVConv step 3).
     *
     * @param twoPassCarried {@code sum (2 |d| E_d + E_d^2)}
     * @param onePassCarried {@code sum (2 |g| E_g + E_g^2)}
     * @param meanSquare     {@code sum g^2 / m}
     */
    public static double varianceError(int m, double twoPassCarried, double onePassCarried, double mean, double meanError,
                                       double meanSquare) {
        double carried = Math.max(twoPassCarried / m,
                onePassCarried / m + 2 * Math.abs(mean) * meanError + meanError * meanError);
        return carried + SAFETY * U * (m + 3.0) * (meanSquare + mean * mean);
    }

    /** Worst-case error of {@code r = (s2 + eps)^(-1/2)} for a variance {@code s2} off by {@code s2Error} (TVConv step 4). */
    public static double layerNormRsqrtError(double s2, double s2Error, double eps) {
        double v = s2 + eps;
        double e = s2Error + 2 * SAFETY * U * v;
        if (e >= v) {
            return Double.POSITIVE_INFINITY;
        }
        return 0.5 * e * Math.pow(v - e, -1.5) + 2 * U * RSQRT_ULPS / Math.sqrt(v);
    }

    /** Worst-case error of a float32 {@code z = d r} from {@code d}, {@code r} off by {@code dError}, {@code rError}. */
    public static double normalisedError(double d, double dError, double r, double rError) {
        return Math.abs(d) * rError + r * dError + dError * rError + SAFETY * U * Math.abs(d * r);
    }

    /** Worst-case error of a float32 {@code gamma z + beta} for {@code z} off by {@code zError}. */
    public static double layerNormAffineError(double z, double zError, double gamma, double beta) {
        return Math.abs(gamma) * zError + SAFETY * U * LN_ROUNDINGS * (Math.abs(gamma * z) + Math.abs(beta));
    }

    /** Worst-case error of a float32 {@code max(0, a)} for {@code a} off by {@code aError}: {@code aError}, or 0 when {@code a <= -aError}. */
    public static double reluError(double a, double aError) {
        return a > -aError ? aError : 0;
    }

    /** TVConv's forward chain {@code n_y = K^2 + 1} (class comment, TVConv step 7). */
    public static int tvconvForwardChain(int taps) {
        return clamp(taps + 1L);
    }

    /**
     * TVConv's gradient chain lengths (class comment, TVConv step 8); arrays indexed by weight-net block {@code l}
     * ({@code convWeight}, {@code convBias} have {@code L + 1} entries, the last conv last).
     */
    public record TvConvChains(int x, int bias, int affinity, int[] convWeight, int[] convBias, int[] normWeight,
                               int[] normBias) {
    }

    /** TVConv's gradient chains for {@code N} images, {@code C}, {@code K^2}, {@code mid}, {@code L} blocks, {@code P = h w}. */
    public static TvConvChains tvconvGradientChains(int batch, int channels, int taps, int mid, int layers, long positions) {
        long m = mid * positions;
        long up = batch;                                   // dF
        int[] cw = new int[layers + 1];
        int[] cb = new int[layers + 1];
        int[] nw = new int[layers];
        int[] nb = new int[layers];
        cw[layers] = clamp(up + positions);
        cb[layers] = clamp(up + positions);
        up += 9L * channels * taps;                        // dh into the last block
        for (int l = layers - 1; l >= 0; l--) {
            nw[l] = clamp(up + 1);
            nb[l] = clamp(up);
            long v = up + m + 8;                           // LayerNorm's backward
            cw[l] = clamp(v + positions);
            cb[l] = clamp(v + positions);
            up = v + 9L * mid;                             // the conv's input gradient
        }
        return new TvConvChains(clamp(taps + 1L), clamp(Math.max(1, (long) batch * positions)), clamp(up), cw, cb, nw, nb);
    }

    private static int clamp(long v) {
        return (int) Math.min(Integer.MAX_VALUE, v);
    }
    /** Worst-case error of a float32 softmax exp {@code e = exp(d)}, {@code d = F_u - max F <= 0} rounded once (class comment). */
    public static double softmaxExpError(double e, double d) {
        return expError(e, SAFETY * U * Math.abs(d));
    }

    /** Tight variance proxy (units {@code u^2}) of that exp: the subtraction's rounding {@code (e d)^2} and the exp's own. */
    public static double softmaxExpVariance(double e, double d) {
        double own = expTight(e);
        return e * e * d * d + own * own;
    }

    /** Worst-case error of the softmax's sum {@code Z} of {@code taps} positive terms whose own errors sum to {@code expErrors}. */
    public static double softmaxSumError(double expErrors, double z, int taps) {
        return expErrors + SAFETY * U * Math.max(0, taps - 1) * Math.abs(z);
    }

    /** Chain of the gradient of dynamic local filtering's input filter: {@code C + T + 2} with softmax, {@code C} without. */
    public static int dynamicFilterGradientChain(int channels, int taps, boolean softmax) {
        return clamp((long) channels + (softmax ? taps + 2L : 0));
    }
}
