package org.acdajvm.opencl;

import java.util.Locale;

/**
 * Device time of the last forward, per stage, from OpenCL profiling events
 * ({@code CL_PROFILING_COMMAND_END - CL_PROFILING_COMMAND_START}, summed over the launches of a
 * stage). Transfers are separate from kernels, and {@code wallNanos} is the end-to-end host time of
 * the call (shape checks, uploads, kernels, download), so a benchmark can report kernel time and
 * end-to-end time apart.
 *
 * @param conv1     generator conv 1 + BN1 + tanh
 * @param conv2     generator conv 2 + BN2 + tanh
 * @param atoms     atoms {@code D = G Psi}
 * @param atomConv  atom convolution {@code Z}
 * @param coefConv  coefficient convolution {@code y} (bias included)
 * @param upload    host-to-device copies (parameters and input)
 * @param download  device-to-host copy of the output
 * @param wallNanos the whole call, measured on the host
 */
public record KernelTimes(long conv1, long conv2, long atoms, long atomConv, long coefConv, long upload, long download,
                          long wallNanos) {

    /** No call yet. */
    public static final KernelTimes NONE = new KernelTimes(0, 0, 0, 0, 0, 0, 0, 0);

    /** Device time of all kernels, transfers excluded. */
    public long kernelNanos() {
        return conv1 + conv2 + atoms + atomConv + coefConv;
    }

    /** Device time of all transfers. */
    public long transferNanos() {
        return upload + download;
    }

    /** One line in milliseconds, e.g. for benchmark reports. */
    public String describe() {
        return String.format(Locale.ROOT, "kernels %.3f ms (conv1 %.3f, conv2 %.3f, atoms %.3f, atom conv %.3f, "
                        + "coef conv %.3f), transfers %.3f ms (up %.3f, down %.3f), end to end %.3f ms",
                kernelNanos() / 1e6, conv1 / 1e6, conv2 / 1e6, atoms / 1e6, atomConv / 1e6, coefConv / 1e6,
                transferNanos() / 1e6, upload / 1e6, download / 1e6, wallNanos / 1e6);
    }
}
