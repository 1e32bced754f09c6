package org.acdajvm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TornadoVM setup messages, on fake SDK folders: each names what was looked for, where, and what to do. */
class TornadoSetupTest {

    @TempDir
    Path dir;

    @Test
    void unsetOrNotAFolder() throws IOException {
        assertTrue(TornadoSetup.sdkProblem(null).startsWith("TORNADOVM_HOME is not set"), TornadoSetup.sdkProblem(null));
        Path file = Files.writeString(dir.resolve("file"), "");
        assertTrue(TornadoSetup.sdkProblem(file.toString()).contains("TORNADOVM_HOME=" + file + " is not a folder"));
    }

    @Test
    void anSdkWithItsArgfileIsFine() throws IOException {
        Path sdk = Files.createDirectory(dir.resolve("tornadovm-5.2.0-opencl"));
        Files.writeString(sdk.resolve("tornado-argfile"), "--add-modules tornado.runtime");
        assertNull(TornadoSetup.sdkProblem(sdk.toString()));
        assertTrue(TornadoSetup.whyMissing(sdk.toString()).contains("build it and run through ./acda"));
    }

    /** A source build's SDK is dist/tornadovm-V-B-linux-amd64/tornadovm-V-B: TORNADOVM_HOME one or two levels too high. */
    @Test
    void pointingTooHighNamesTheFolderBelow() throws IOException {
        Path sdk = Files.createDirectories(dir.resolve("dist").resolve("tornadovm-5.2.0-opencl-linux-amd64")
                .resolve("tornadovm-5.2.0-opencl"));
        Files.writeString(sdk.resolve("tornado-argfile"), "");
        Path high = sdk.getParent();
        String m = TornadoSetup.sdkProblem(high.toString());
        assertTrue(m.startsWith("there is no " + high.resolve("tornado-argfile") + ", but " + sdk.resolve("tornado-argfile")
                + " exists: set TORNADOVM_HOME=" + sdk), m);
        assertTrue(TornadoSetup.sdkProblem(dir.toString()).contains("TORNADOVM_HOME=" + sdk), "from the source folder too");
        assertEquals(m, TornadoSetup.whyMissing(high.toString()));
    }

    @Test
    void anSdkWithoutArgfileSaysHowToMakeIt() throws IOException {
        Path sdk = Files.createDirectories(dir.resolve("sdk").resolve("bin"));
        Files.writeString(sdk.resolve("tornado"), "#!/usr/bin/env python3");
        String m = TornadoSetup.sdkProblem(sdk.getParent().toString());
        assertTrue(m.startsWith("there is no " + sdk.getParent().resolve("tornado-argfile")), m);
        assertTrue(m.contains("--printJavaFlags") && m.contains("JAVA_HOME"), m);
        String none = TornadoSetup.sdkProblem(Files.createDirectory(dir.resolve("empty")).toString());
        assertTrue(none.contains("nor up to three folders below"), none);
    }

    /** TornadoVM's own reason, several causes down, is kept; the flags hint is given only when they are missing. */
    @Test
    void aStartFailureKeepsTornadoVmsCause() {
        RuntimeException e = new RuntimeException("Unable to initialise the runtime",
                new IllegalStateException("backend init failed", new RuntimeException("No OpenCL platforms found")));
        String withFlags = TornadoSetup.startFailure(e, true);
        assertTrue(withFlags.contains("No OpenCL platforms found"), withFlags);
        assertTrue(!withFlags.contains("run the JVM with TornadoVM's flags") && withFlags.contains("tornado --devices"),
                withFlags);
        String without = TornadoSetup.startFailure(e, false);
        assertTrue(without.contains("run the JVM with TornadoVM's flags") && without.contains("No OpenCL platforms found"),
                without);
    }

    @Test
    void anUnknownTornadoBackendSaysWhatWasLookedFor() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.get("tornado"));
        assertTrue(e.getMessage().contains(TornadoSetup.whyMissing(System.getenv("TORNADOVM_HOME"))), e.getMessage());
    }
}
