package org.acdajvm.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFileAttributeView;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes that never leave a partial file: data goes to a temporary file beside the target, is
 * forced to disk, and is then renamed over the target in one step. On any failure the temporary
 * file is removed and the target is left as it was.
 *
 * <p>What a user can rely on, and why each rule is here:
 * <ul>
 *   <li>The parent folder must exist: a typo in a path is an error, not a new folder.</li>
 *   <li>A symbolic link is followed: its target is written (atomically, beside the target), the
 *       link stays a link.</li>
 *   <li>Anything that is not a regular file (a folder, a device such as {@code /dev/null}, a fifo)
 *       is refused, never replaced.</li>
 *   <li>Files and folders get the permissions an ordinary {@code open}/{@code mkdir} gives under
 *       the umask; a replaced file keeps its own permissions, as {@code open(O_TRUNC)} would.</li>
 *   <li>Temporary names are {@code .NAME.PID-RANDOM.tmp}. They are removed on SIGINT/SIGTERM (a
 *       shutdown hook), and those of a process that no longer runs (killed with SIGKILL, a power
 *       cut) are removed by the next write of the same target.</li>
 * </ul>
 */
public final class AtomicFiles {

    /** Writes the whole content to an output stream. */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Temporary files and folders being written now (to the target each replaces), removed by the shutdown hook. */
    private static final Map<Path, Path> PENDING = new ConcurrentHashMap<>();
    private static final long PID = ProcessHandle.current().pid();
    private static volatile boolean shuttingDown;

    static {
        Thread hook = new Thread(AtomicFiles::removePendingOnExit, "acda-remove-temporary-files");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} atomically with {@code writer}.
     *
     * @throws IOException naming {@code target} if its folder does not exist, if it is a folder, a
     *                     device or anything else that is not a regular file, or if it cannot be written
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dest = destination(target);
        Path dir = dest.getParent();
        String name = dest.getFileName().toString();
        removeStale(dir, name);
        Path tmp = createTemporary(target, dir, name, false);
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
                 OutputStream out = Channels.newOutputStream(ch)) {
                writer.write(out);
                out.flush();
                ch.force(true);
            }
            keepPermissions(dest, tmp);
            checkNotShuttingDown(target);
            moveIntoPlace(tmp, dest);
            done = true;
        } finally {
            PENDING.remove(tmp);
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
     * target (file, folder or link) is an error (folders are not replaced), and so is a missing
     * parent folder. Inside the temporary folder, create sub-folders with
     * {@link Files#createDirectory}, not {@code createDirectories}, so that a folder removed by an
     * interrupt is not silently made again.
     */
    public static void writeFolder(Path target, FolderWriter writer) throws IOException {
        Path absolute = target.toAbsolutePath();
        if (Files.exists(absolute, LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(target.toString(), null, "already exists; choose a new folder");
        }
        Path dir = absolute.getParent();
        requireFolder(target, dir);
        String name = absolute.getFileName().toString();
        removeStale(dir, name);
        Path tmp = createTemporary(target, dir, name, true);
        boolean done = false;
        try {
            writer.write(tmp);
            checkNotShuttingDown(target);
            try {
                // Files.move with ATOMIC_MOVE would replace a folder that appeared meanwhile if it is empty;
                // without REPLACE_EXISTING it fails instead, which is what "never replaced" means.
                Files.move(tmp, absolute, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("cannot move the finished folder into place as " + target
                        + " atomically on this file system", e);
            }
            done = true;
        } finally {
            PENDING.remove(tmp);
            if (!done) {
                deleteTree(tmp);
            }
        }
    }

    /** Deletes a folder and everything below it (missing: nothing to do). Links are removed, not followed. */
    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (NoSuchFileException e) {
            // removed meanwhile (by the shutdown hook or a second cleanup): nothing left to do
        }
    }

    /**
     * Renames {@code source} to {@code target} in one step, replacing the target. Used for files
     * written under a temporary name.
     */
    public static void moveIntoPlace(Path source, Path target) throws IOException {
        try {
            Files.move(source, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("cannot replace " + target + " atomically on this file system", e);
        } catch (AccessDeniedException e) {
            throw new AccessDeniedException(target.toString(), null, "cannot be replaced");
        }
    }

    /**
     * The file that writing {@code target} replaces: {@code target} itself, or the final target of
     * a chain of symbolic links (which may not exist yet).
     *
     * @throws IOException naming {@code target} if it (or what it links to) is not a regular file, or
     *                     if its folder does not exist
     */
    static Path destination(Path target) throws IOException {
        Path p = target.toAbsolutePath();
        for (int links = 0; ; links++) {
            BasicFileAttributes a;
            try {
                a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException e) {
                break;                                   // a new file
            }
            if (a.isSymbolicLink()) {
                if (links >= 40) {
                    throw new FileSystemException(target.toString(), null, "too many levels of symbolic links");
                }
                p = p.resolveSibling(Files.readSymbolicLink(p));
                continue;
            }
            String via = p.equals(target.toAbsolutePath()) ? "" : " (a link to " + p + ")";
            if (a.isDirectory()) {
                throw new IOException(target + via + " is a folder: expected the path of a file to write");
            }
            if (!a.isRegularFile()) {
                throw new IOException(target + via + " is not a regular file (a device, fifo or socket): refusing to "
                        + "replace it; expected the path of a file to write");
            }
            break;
        }
        requireFolder(target, p.getParent());
        return p;
    }

    private static void requireFolder(Path target, Path dir) throws IOException {
        if (dir == null || Files.isDirectory(dir)) {
            return;
        }
        if (Files.exists(dir)) {
            throw new IOException("cannot write " + target + ": " + dir + " is not a folder");
        }
        throw new NoSuchFileException(dir.toString(), null, "the folder does not exist (writing " + target
                + "); create it first");
    }

    /** Regex for our temporary names of {@code name}: group 1 is the writing process's id. */
    private static Pattern temporaryName(String name) {
        return Pattern.compile("\\." + Pattern.quote(name) + "\\.(\\d{1,19})-[0-9a-z]{1,13}\\.tmp");
    }

    /**
     * Creates the temporary file or folder with the default permissions (the umask applies), and
     * registers it for removal on interrupt. A permission problem names the target, not our
     * temporary name.
     */
    private static Path createTemporary(Path target, Path dir, String name, boolean folder) throws IOException {
        checkNotShuttingDown(target);
        for (int attempt = 0; ; attempt++) {
            String random = Long.toString(ThreadLocalRandom.current().nextLong() >>> 1, 36);
            Path tmp = dir.resolve("." + name + "." + PID + "-" + random + ".tmp");
            PENDING.put(tmp, target);
            try {
                return folder ? Files.createDirectory(tmp) : Files.createFile(tmp);
            } catch (FileAlreadyExistsException e) {
                PENDING.remove(tmp);
                if (attempt > 100) {
                    throw e;
                }
            } catch (AccessDeniedException e) {
                PENDING.remove(tmp);
                throw new AccessDeniedException(target.toString(), null, "cannot create a "
                        + (folder ? "folder" : "file") + " in " + dir);
            } catch (FileSystemException e) {
                PENDING.remove(tmp);
                throw new FileSystemException(target.toString(), null, (e.getReason() == null ? "cannot be written"
                        : e.getReason()) + " (creating a " + (folder ? "folder" : "file") + " in " + dir + ")");
            } catch (IOException | RuntimeException e) {
                PENDING.remove(tmp);
                throw e;
            }
        }
    }

    /** A replaced file keeps its permissions, as when it is opened and truncated. */
    private static void keepPermissions(Path dest, Path tmp) throws IOException {
        PosixFileAttributeView existing = Files.getFileAttributeView(dest, PosixFileAttributeView.class);
        if (existing == null || !Files.isRegularFile(dest)) {
            return;
        }
        try {
            Files.setPosixFilePermissions(tmp, existing.readAttributes().permissions());
        } catch (NoSuchFileException e) {
            // the old file went away meanwhile: the new one keeps the umask's permissions
        }
    }

    /**
     * Removes temporary files and folders of {@code name} left by processes that no longer run.
     * Ours and those of running processes (another acda writing the same target now) are kept.
     */
    private static void removeStale(Path dir, String name) {
        Pattern p = temporaryName(name);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "." + escapeGlob(name) + ".*.tmp")) {
            for (Path f : ds) {
                Matcher m = p.matcher(f.getFileName().toString());
                if (!m.matches()) {
                    continue;
                }
                long pid;
                try {
                    pid = Long.parseLong(m.group(1));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid != PID && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                    continue;
                }
                if (pid != PID || !PENDING.containsKey(f)) {
                    deleteTree(f);
                }
            }
        } catch (IOException | RuntimeException e) {
            // best effort: a stale file that cannot be listed or removed does no harm to this write
        }
    }

    private static String escapeGlob(String s) {
        return s.replaceAll("([\\\\*?\\[\\]{}])", "\\\\$1");
    }

    private static void checkNotShuttingDown(Path target) throws IOException {
        if (shuttingDown) {
            throw new IOException("interrupted: " + target + " was not written");
        }
    }

    /**
     * The shutdown hook: removes what is being written now. Runs on SIGINT, SIGTERM and a normal
     * exit; the writing thread may still be running, so the removal is repeated once after it has had
     * a moment to notice ({@link #checkNotShuttingDown}).
     */
    private static void removePendingOnExit() {
        shuttingDown = true;
        if (PENDING.isEmpty()) {
            return;
        }
        Map<Path, Path> now = Map.copyOf(PENDING);
        List<String> outputs = now.entrySet().stream()
                .filter(e -> !now.containsKey(e.getKey().getParent()))     // not a file inside a pending folder
                .map(e -> e.getValue().toString()).sorted().toList();
        for (int pass = 0; pass < 3; pass++) {
            Set<Path> all = new HashSet<>(now.keySet());
            all.addAll(PENDING.keySet());
            for (Path p : all) {
                try {
                    deleteTree(p);
                } catch (IOException | RuntimeException e) {
                    // the next pass, or the next write of this target, removes it
                }
            }
            try {
                Thread.sleep(30);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        System.err.println("acda: interrupted: nothing written to " + String.join(", ", outputs)
                + " (its temporary files are removed)");
        System.err.flush();
    }

    /** For tests: the temporary files and folders being written now. */
    static Set<Path> pending() {
        return Set.copyOf(PENDING.keySet());
    }
}
