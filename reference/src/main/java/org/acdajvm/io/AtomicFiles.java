package org.acdajvm.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Writes that never leave a partial file: data goes to a temporary file beside the target, is
 * forced to disk, and is then renamed over the target in one step. On any failure the temporary
 * file is removed and the target is left as it was.
 */
public final class AtomicFiles {

    /** Writes the whole content to an output stream. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    private AtomicFiles() {
    }

    /** Writes {@code target} atomically with {@code writer}; creates missing parent folders. */
    public static void write(Path target, Writer writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        Path dir = absolute.getParent();
        if (dir != null) {
            Files.createDirectories(dir);
        }
        if (Files.isDirectory(absolute)) {
            throw new IOException(target + " is a folder; expected a file path to write");
        }
        Path tmp = Files.createTempFile(dir, "." + absolute.getFileName() + ".", ".tmp");
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = Channels.newOutputStream(ch)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            moveIntoPlace(tmp, absolute);
            done = true;
        } finally {
            if (!done) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /** Fills a fresh folder with files. */
    @FunctionalInterface
    public interface FolderWriter {
        void write(Path folder) throws IOException;
    }

    /**
     * Writes a whole folder atomically: {@code writer} fills a temporary folder beside the target,
     * which is then renamed into place, so the folder appears whole or not at all. An existing
     * target is an error (folders are not replaced).
     */
    public static void writeFolder(Path target, FolderWriter writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        if (Files.exists(absolute)) {
            throw new IOException(target + " already exists; choose a new folder");
        }
        Files.createDirectories(absolute.getParent());
        Path tmp = Files.createTempDirectory(absolute.getParent(), "." + absolute.getFileName() + ".");
        boolean done = false;
        try {
            writer.write(tmp);
            moveIntoPlace(tmp, absolute);
            done = true;
        } finally {
            if (!done) {
                deleteTree(tmp);
            }
        }
    }

    /** Deletes a folder and everything below it (missing: nothing to do). */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * Renames {@code source} to {@code target} in one step, replacing the target. Used for files
     * and for whole folders written under a temporary name.
     */
    public static void moveIntoPlace(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + target + " atomically on this file system", e);
        }
    }
}
