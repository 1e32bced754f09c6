package org.acdajvm.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lwjgl.opencl.CL10.clSetKernelArg1i;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.tensor.Tensor;
import org.acdajvm.testkit.DeviceTests;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host side: build failures, status codes, buffer reuse, release, timing, device selection, discovery. */
class OpenClInfrastructureTest {

    @Test
    void statusCodesAreNamedSymbolically() {
        assertEquals("CL_INVALID_WORK_GROUP_SIZE", ClStatus.name(-54));
        assertEquals("CL_BUILD_PROGRAM_FAILURE", ClStatus.name(-11));
        assertEquals("CL_OUT_OF_RESOURCES", ClStatus.name(-5));
        assertEquals("CL_PLATFORM_NOT_FOUND_KHR", ClStatus.name(-1001));
        assertEquals("CL_SUCCESS", ClStatus.name(0));
        assertTrue(ClStatus.name(-4242).contains("unknown OpenCL status -4242"));
        ClStatus.check(0, "clFinish");
        ClException e = assertThrows(ClException.class, () -> ClStatus.check(-54, "clEnqueueNDRangeKernel(coef_conv)"));
        assertEquals("clEnqueueNDRangeKernel(coef_conv) failed: CL_INVALID_WORK_GROUP_SIZE (-54)", e.getMessage());
        assertEquals(-54, e.status());
        assertEquals("CL_INVALID_WORK_GROUP_SIZE", e.statusName());
    }

    @Test
    void aDriverErrorIsReportedByName() {
        DeviceTests.require("opencl");
        try (ClContext ctx = ClContext.open(OpenClDevices.select(null));
             ClProgram p = ClProgram.build(ctx, "one-arg.cl", "", "__kernel void k(__global float* a) { a[0] = 1.0f; }")) {
            long kernel = p.kernel("k");
            ClException e = assertThrows(ClException.class,
                    () -> ClStatus.check(clSetKernelArg1i(kernel, 7, 0), "clSetKernelArg(k, 7)"));
            assertEquals("clSetKernelArg(k, 7) failed: CL_INVALID_ARG_INDEX (-49)", e.getMessage());
            ClException missing = assertThrows(ClException.class, () -> p.kernel("no_such_kernel"));
            assertTrue(missing.getMessage().startsWith("clCreateKernel(no_such_kernel) failed: CL_INVALID_KERNEL_NAME"),
                    missing.getMessage());
        }
    }

    @Test
    void aFailedBuildThrowsWithTheFullLog() {
        DeviceTests.require("opencl");
        try (ClContext ctx = ClContext.open(OpenClDevices.select(null))) {
            String source = "__kernel void k(__global float* a) {\n  a[0] = undefined_symbol_42 * TILE;\n}\n";
            ClBuildException e = assertThrows(ClBuildException.class,
                    () -> ClProgram.build(ctx, "broken.cl", "-D TILE=3", source));
            assertEquals(-11, e.status());
            assertTrue(e.getMessage().startsWith("clBuildProgram(broken.cl) failed: CL_BUILD_PROGRAM_FAILURE (-11) on "),
                    e.getMessage());
            assertTrue(e.getMessage().contains("with options [-D TILE=3]"), e.getMessage());
            assertTrue(e.log().contains("undefined_symbol_42"), "the build log names the error: " + e.log());
            assertTrue(e.getMessage().contains(e.log().strip()), "the message carries the whole log");
        }
    }

    @Test
    void everyKernelResourceBuildsOnceWithItsOptions() {
        DeviceTests.require("opencl");
        ClDevice device = OpenClDevices.select(null);
        Tuning.Conv2 tile = Tuning.conv2Candidates(device).getFirst();
        try (ClContext ctx = ClContext.open(device); ClProgramCache cache = new ClProgramCache(ctx)) {
            ClProgram gen = cache.get("generator.cl", "-D CONV1_RO=" + Tuning.CONV1_RO + " " + tile.options());
            ClProgram atoms = cache.get("atoms.cl", Tuning.atomsOptions(3, tile));
            ClProgram coef = cache.get("coef_conv.cl", Tuning.coefCandidates(device).getFirst().options());
            for (String k : List.of("conv1_tiled_bn_tanh", "conv1_bn_tanh", "conv2_bn_tanh")) {
                assertTrue(gen.workGroupSize(k) >= 1, k);
            }
            for (String k : List.of("atoms", "atom_conv", "atom_conv_tiled")) {
                assertTrue(atoms.workGroupSize(k) >= 1, k);
            }
            assertTrue(coef.workGroupSize("coef_conv") >= 1);
            assertEquals(atoms, cache.get("atoms.cl", Tuning.atomsOptions(3, tile)), "a specialisation is built once");
            assertEquals(3, cache.builds());
        }
    }

    @Test
    void buffersAreReusedAcrossCallsOfTheSameShape() {
        DeviceTests.require("opencl");
        AcdaConfig cfg = AcdaConfig.builder(3, 4, 5).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 30);
        try (OpenClBackend b = new OpenClBackend()) {
            assertEquals(0, b.allocations(), "construction allocates nothing");
            Tensor first = b.forward(layer, AcdaInit.input(cfg, 2, 12, 10, 31));
            long afterFirst = b.allocations();
            int builds = b.engine().programBuilds();
            assertTrue(afterFirst > 0);
            Tensor second = b.forward(layer, AcdaInit.input(cfg, 2, 12, 10, 31));
            assertEquals(afterFirst, b.allocations(), "a second call of the same shape allocates nothing new");
            assertEquals(builds, b.engine().programBuilds(), "nor builds a program again");
            assertEquals(first, second, "and gives the same bits");
            b.forward(layer, AcdaInit.input(cfg, 1, 7, 9, 32));
            assertEquals(afterFirst, b.allocations(), "a smaller shape fits the buffers already held");
            b.forward(layer, AcdaInit.input(cfg, 3, 12, 10, 33));
            assertTrue(b.allocations() > afterFirst, "a larger shape grows them");
            long grown = b.allocations();
            b.forward(layer, AcdaInit.input(cfg, 3, 12, 10, 34));
            assertEquals(grown, b.allocations());
        }
    }

    @Test
    void closeReleasesEverythingAndTheBackendRefusesLaterCalls() {
        DeviceTests.require("opencl");
        AcdaConfig cfg = AcdaConfig.builder(2, 2, 3).build();
        AcdaLayer layer = AcdaInit.randomized(cfg, 40);
        OpenClBackend b = new OpenClBackend();
        b.forward(layer, AcdaInit.input(cfg, 1, 5, 5, 41));
        AcdaForwardOpenCl engine = b.engine();
        assertTrue(engine.deviceBytes() > 0);
        b.close();
        assertEquals(0, engine.deviceBytes(), "device buffers released");
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> b.forward(layer, AcdaInit.input(cfg, 1, 5, 5, 41)));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        b.close();                                       // closing twice is harmless
    }

    @Test
    void kernelTimesComeFromProfilingEvents() {
        DeviceTests.require("opencl");
        AcdaConfig cfg = AcdaConfig.builder(4, 4, 3).build();
        try (OpenClBackend b = new OpenClBackend()) {
            assertEquals(KernelTimes.NONE, b.lastTimes());
            b.forward(AcdaInit.randomized(cfg, 50), AcdaInit.input(cfg, 1, 16, 16, 51));
            KernelTimes t = b.lastTimes();
            assertTrue(t.conv1() > 0 && t.conv2() > 0 && t.atoms() > 0 && t.atomConv() > 0 && t.coefConv() > 0, t.describe());
            assertTrue(t.upload() > 0 && t.download() > 0, t.describe());
            assertEquals(t.conv1() + t.conv2() + t.atoms() + t.atomConv() + t.coefConv(), b.lastKernelNanos());
            assertTrue(t.wallNanos() > 0, t.describe());
        }
    }

    @Test
    void devicesAreSelectedByIndexNameOrType() {
        DeviceTests.require("opencl");
        List<ClDevice> devices = OpenClDevices.list().devices();
        ClDevice first = devices.getFirst();
        assertEquals(first.index(), OpenClDevices.select("0").index());
        String namePart = first.name().substring(0, Math.min(6, first.name().length())).toUpperCase(Locale.ROOT);
        assertEquals(first.index(), OpenClDevices.select(namePart).index(), "a case-insensitive name substring");
        String type = first.type().split("\\+")[0];
        assertTrue(OpenClDevices.select(type.toLowerCase(Locale.ROOT)).type().contains(type), "a type");
        IllegalStateException none = assertThrows(IllegalStateException.class,
                () -> OpenClDevices.select("no-such-device-xyz"));
        assertTrue(none.getMessage().startsWith("no OpenCL device matches 'no-such-device-xyz'"), none.getMessage());
        assertTrue(none.getMessage().contains(first.name()), "the message lists the devices found: " + none.getMessage());
        IllegalStateException range = assertThrows(IllegalStateException.class, () -> OpenClDevices.select("99"));
        assertTrue(range.getMessage().contains("out of range"), range.getMessage());

        try (OpenClBackend wrong = new OpenClBackend("no-such-device-xyz"); OpenClBackend right = new OpenClBackend("0")) {
            assertTrue(wrong.unavailableReason().orElseThrow().contains("no-such-device-xyz"));
            assertTrue(wrong.description().contains("unavailable"));
            assertTrue(right.unavailableReason().isEmpty());
            assertTrue(right.description().contains(first.name()), right.description());
            assertTrue(first.computeUnits() > 0 && first.globalMemBytes() > 0 && first.maxWorkGroupSize() > 0);
        }
    }

    @Test
    void theServiceLoaderFindsTheBackend() {
        assertTrue(Backends.names().contains("opencl"), Backends.names().toString());
        try (AcdaBackend b = Backends.get("opencl")) {
            assertInstanceOf(OpenClBackend.class, b);
            assertEquals("opencl", b.name());
        }
    }

    /**
     * Without the OpenCL loader library the backend is unavailable with a reason a user can act
     * on, and nothing throws. Run in a child JVM, because LWJGL loads the library once per process;
     * LWJGL's {@code org.lwjgl.opencl.libname} points it at a library that does not exist.
     */
    @Test
    void aMissingOpenClLibraryGivesAClearReason() throws IOException, InterruptedException {
        String out = probe(List.of("-Dorg.lwjgl.opencl.libname=/nonexistent/libOpenCL.so"), null);
        assertTrue(out.contains("REASON the OpenCL loader library /nonexistent/libOpenCL.so could not be loaded"), out);
        assertTrue(out.contains("apt-get install pocl-opencl-icd ocl-icd-libopencl1"), out);
        assertTrue(out.contains("DESCRIPTION opencl (unavailable: "), out);
    }

    /** With the loader but no ICD registered (the loader reads OCL_ICD_VENDORS), the reason says to install one. */
    @Test
    void noPlatformGivesAClearReason(@TempDir Path emptyVendors) throws IOException, InterruptedException {
        DeviceTests.require("opencl");                 // the loader is installed
        String out = probe(List.of(), emptyVendors);
        assertTrue(out.contains("REASON no OpenCL platform found: install an ICD, e.g. apt-get install pocl-opencl-icd "
                + "ocl-icd-libopencl1"), out);
    }

    /** Runs {@link UnavailableProbe} in a child JVM and returns its output. */
    private static String probe(List<String> jvmOptions, Path icdVendors) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
        cmd.addAll(jvmOptions);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), UnavailableProbe.class.getName()));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (icdVendors != null) {
            pb.environment().put("OCL_ICD_VENDORS", icdVendors.toString());
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        return out;
    }
}
