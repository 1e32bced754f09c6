package org.acdajvm.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.acdajvm.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a user can rely on when we write a file: links, devices, permissions, missing folders, debris. */
class AtomicFilesTest {

    @TempDir
    Path dir;

    private static void writeText(Path p, String s) throws IOException {
        AtomicFiles.write(p, o -> o.write(s.getBytes(StandardCharsets.UTF_8)));
    }

    private List<String> names(Path folder) throws IOException {
        try (var s = Files.list(folder)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writingThroughASymlinkWritesItsTargetAndKeepsTheLink() throws IOException {
        Path real = Files.createDirectory(dir.resolve("real"));
        Path target = real.resolve("y.npy");
        Files.writeString(target, "old");
        Path link = Files.createSymbolicLink(dir.resolve("link.npy"), Path.of("real/y.npy"));
        Npy.write(link, Tensor.zeros(2, 3));
        assertTrue(Files.isSymbolicLink(link), "the link is still a link");
        assertEquals(2 * 3, Npy.read(target, false).size(), "its target was written");
        assertEquals(List.of("y.npy"), names(real), "the temporary file was beside the target and is gone");

        // A dangling link: the file it names is created.
        Path dangling = Files.createSymbolicLink(dir.resolve("new.npy"), real.resolve("fresh.npy"));
        Npy.write(dangling, Tensor.zeros(1));
        assertTrue(Files.isSymbolicLink(dangling));
        assertTrue(Files.isRegularFile(real.resolve("fresh.npy")));
    }

    @Test
    void devicesFifosAndFoldersAreRefusedNotReplaced() throws Exception {
        Path devNull = Path.of("/dev/null");
        if (Files.exists(devNull)) {
            Path link = Files.createSymbolicLink(dir.resolve("null.npy"), devNull);
            IOException e = assertThrows(IOException.class, () -> Npy.write(link, Tensor.zeros(1)));
            assertTrue(e.getMessage().contains("null.npy") && e.getMessage().contains("not a regular file"), e.getMessage());
            assertFalse(Files.isRegularFile(devNull, LinkOption.NOFOLLOW_LINKS), "/dev/null is still a device");
            assertTrue(Files.isSymbolicLink(link));
        }
        Path fifo = dir.resolve("fifo.npy");
        Process mk = new ProcessBuilder("mkfifo", fifo.toString()).start();
        if (mk.waitFor(10, TimeUnit.SECONDS) && mk.exitValue() == 0) {
            IOException e = assertThrows(IOException.class, () -> Npy.write(fifo, Tensor.zeros(1)));
            assertTrue(e.getMessage().contains(fifo + " is not a regular file"), e.getMessage());
            assertTrue(Files.exists(fifo) && !Files.isRegularFile(fifo), "the fifo is still there");
        }
        Path folder = Files.createDirectory(dir.resolve("out.npy"));
        IOException e = assertThrows(IOException.class, () -> Npy.write(folder, Tensor.zeros(1)));
        assertTrue(e.getMessage().contains(folder + " is a folder"), e.getMessage());
        assertTrue(Files.isDirectory(folder));
        assertFalse(names(dir).stream().anyMatch(n -> n.endsWith(".tmp")), names(dir).toString());
    }

    @Test
    void filesAndFoldersGetTheUmasksPermissionsAndAReplacedFileKeepsItsOwn() throws IOException {
        if (!dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Path plain = Files.createFile(dir.resolve("plain"));
        Path plainDir = Files.createDirectory(dir.resolve("plainDir"));
        Path written = dir.resolve("w.npy");
        Npy.write(written, Tensor.zeros(1));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(written),
                "a written file has the permissions a plain create gets under the umask");
        Path folder = dir.resolve("case");
        AtomicFiles.writeFolder(folder, tmp -> writeText(tmp.resolve("a.txt"), "a"));
        assertEquals(Files.getPosixFilePermissions(plainDir), Files.getPosixFilePermissions(folder));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(folder.resolve("a.txt")));

        Files.setPosixFilePermissions(written, PosixFilePermissions.fromString("rw-r-----"));
        Npy.write(written, Tensor.zeros(2));
        assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(written)),
                "a replaced file keeps its permissions, as after open(O_TRUNC)");
    }

    @Test
    void aMissingFolderIsAnErrorAndNoFolderIsMade() {
        Path out = dir.resolve("typo").resolve("deeper").resolve("x.npy");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> Npy.write(out, Tensor.zeros(1)));
        assertTrue(e.getMessage().contains("the folder does not exist"), e.getMessage());
        assertEquals(dir.resolve("typo").resolve("deeper").toString(), e.getFile());
        assertFalse(Files.exists(dir.resolve("typo")), "no folder was created");
        assertThrows(NoSuchFileException.class, () -> AtomicFiles.writeFolder(dir.resolve("typo").resolve("case"), tmp -> { }));
        assertFalse(Files.exists(dir.resolve("typo")));
    }

    @Test
    void staleTemporaryFilesOfDeadProcessesAreRemovedThoseOfLiveOnesKept() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor(10, TimeUnit.SECONDS);
        long dead = p.pid();
        long alive = ProcessHandle.current().parent().map(ProcessHandle::pid).orElse(1L);
        Path staleFile = Files.writeString(dir.resolve(".y.npy." + dead + "-abc.tmp"), "partial");
        Path staleFolder = Files.createDirectory(dir.resolve(".case." + dead + "-k2.tmp"));
        Files.writeString(staleFolder.resolve("x.npy"), "partial");
        Path busy = Files.writeString(dir.resolve(".y.npy." + alive + "-def.tmp"), "being written by a live process");
        Path other = Files.writeString(dir.resolve(".y.npy.notours"), "not our pattern");
        Npy.write(dir.resolve("y.npy"), Tensor.zeros(1));
        AtomicFiles.writeFolder(dir.resolve("case"), tmp -> { });
        assertFalse(Files.exists(staleFile));
        assertFalse(Files.exists(staleFolder));
        assertTrue(Files.exists(busy), "a temporary file of a running process is kept");
        assertTrue(Files.exists(other));
        assertTrue(AtomicFiles.pending().isEmpty());
    }

    @Test
    void readingAFolderOrAFifoNamesThePath() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("x.npy"));
        IOException e = assertThrows(IOException.class, () -> Npy.read(folder, false));
        assertEquals(folder + ": is a folder: expected a file", e.getMessage());
        e = assertThrows(IOException.class, () -> Npy.readDoubles(folder));
        assertTrue(e.getMessage().startsWith(folder.toString()), e.getMessage());
        e = assertThrows(IOException.class, () -> SafeTensors.read(folder, false));
        assertTrue(e.getMessage().startsWith(folder.toString()), e.getMessage());
        Path weights = Files.createDirectory(dir.resolve("weights"));
        Files.createDirectory(weights.resolve("coef.npy"));
        e = assertThrows(IOException.class, () -> Weights.read(weights, false));
        assertTrue(e.getMessage().contains(weights.resolve("coef.npy") + ": is a folder"), e.getMessage());
    }
}
