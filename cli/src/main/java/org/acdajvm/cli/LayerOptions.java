package org.acdajvm.cli;

import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.PaddingMode;

import picocli.CommandLine.Option;

/** Hyper-parameters of an ACDA layer, shared by the commands that build one. */
final class LayerOptions {

    @Option(names = "--in-channels", paramLabel = "C", description = "input channels C (default: ${DEFAULT-VALUE})")
    int inChannels = 16;

    @Option(names = "--out-channels", paramLabel = "O", description = "output channels O (default: ${DEFAULT-VALUE})")
    int outChannels = 16;

    @Option(names = {"-k", "--kernel-size"}, paramLabel = "K", description = "kernel size K, odd >= 3 (default: ${DEFAULT-VALUE})")
    int kernelSize = 7;

    @Option(names = "--stride", paramLabel = "S", description = "stride s >= 1 (default: ${DEFAULT-VALUE})")
    int stride = 1;

    @Option(names = "--dilation", paramLabel = "D", description = "dilation d >= 1 (default: ${DEFAULT-VALUE})")
    int dilation = 1;

    @Option(names = "--padding", paramLabel = "MODE", description = "zeros or circular (default: ${DEFAULT-VALUE})")
    String padding = "zeros";

    @Option(names = {"-b", "--per-scale"}, paramLabel = "B", description = "Fourier-Bessel bases per scale, 1..6 (default: ${DEFAULT-VALUE})")
    int basesPerScale = 6;

    @Option(names = {"-m", "--atoms"}, paramLabel = "M", description = "dynamic atoms per pixel (default: ${DEFAULT-VALUE})")
    int atoms = 6;

    @Option(names = "--generator-kernel", paramLabel = "G", description = "kernel size of the generator's first conv, odd, 1..15 (default: ${DEFAULT-VALUE})")
    int generatorKernel = 3;

    @Option(names = "--no-bias", description = "layer without output bias")
    boolean noBias;

    AcdaConfig config() {
        return new AcdaConfig(inChannels, outChannels, kernelSize, stride, dilation, PaddingMode.parse(padding, "--padding"),
                basesPerScale, atoms, generatorKernel, !noBias);
    }
}
