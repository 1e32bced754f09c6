package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code acda} command. Exit codes: 0 success, 1 a check or verification failed, 2 a usage
 * error or bad input (one line on stderr), also running out of memory, 70 an internal error (one
 * line; the stack trace with {@code --verbose}).
 */
@Command(name = "acda", mixinStandardHelpOptions = true, versionProvider = AcdaCli.Version.class,
        description = "Oracle and fast paths for per-pixel adaptive convolutions, ACDA (adaptive convolutions with "
                + "per-pixel dynamic filter atoms) at the centre; 'acda layers' lists the layers.",
        subcommands = {CheckCommand.class, ForwardCommand.class, BasesCommand.class, MakeCaseCommand.class,
                VerifyCommand.class, FuzzCommand.class, ConvertConvCommand.class, DevicesCommand.class, DemoCommand.class,
                LayersCommand.class, CommandLine.HelpCommand.class})
public final class AcdaCli implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_INTERNAL = 70;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Inherited by every command, so that it may come anywhere on the line; a setter, so it applies while parsing. */
    @Option(names = "--verbose", scope = CommandLine.ScopeType.INHERIT,
            description = "show the details: library and JVM messages, stack traces of internal errors")
    void verbose(boolean v) {
        Diagnostics.setVerbose(v);
    }

    @Override
    public void run() {
        List<String> names = new ArrayList<>(spec.subcommands().keySet());
        names.remove("help");
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: one of "
                + String.join(", ", names));
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given output streams and returns the exit code (used by tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        return execute(commandLine(out, err), args, err);
    }

    /** The command line with our error handling, before any arguments are parsed (tests add commands to it). */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        Diagnostics.install();
        Diagnostics.setVerbose(false);
        CommandLine cl = new CommandLine(new AcdaCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            Progress.closeActive();
            err.println("acda: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Progress.closeActive();
            String name = commandLine.getCommandSpec().qualifiedName();
            Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            OutOfMemoryError oom = outOfMemory(e);
            if (oom != null) {
                err.println(name + ": " + Memory.outOfMemory(oom));
                err.flush();
                return EXIT_USAGE;
            }
            if (e instanceof IllegalArgumentException || e instanceof IOException || e instanceof IllegalStateException) {
                err.println(name + ": " + describe(e));
                err.flush();
                return EXIT_USAGE;
            }
            err.println(name + ": internal error: " + e + (Diagnostics.verbose() ? "" : " (--verbose shows the stack trace)"));
            if (Diagnostics.verbose()) {
                e.printStackTrace(err);
            }
            err.flush();
            return EXIT_INTERNAL;
        });
        return cl;
    }

    static int execute(CommandLine cl, String[] args, PrintWriter err) {
        try {
            return cl.execute(args);
        } catch (OutOfMemoryError e) {
            // picocli passes Exceptions to the handler above; an Error thrown by a command arrives here.
            Progress.closeActive();
            err.println("acda: " + Memory.outOfMemory(e));
            err.flush();
            return EXIT_USAGE;
        }
    }

    /** The OutOfMemoryError in {@code e}'s cause chain (a worker thread's arrives wrapped), or null. */
    private static OutOfMemoryError outOfMemory(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof OutOfMemoryError oom) {
                return oom;
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return null;
    }

    /** One line for a file or argument problem; the JDK's file exceptions name the file, add what went wrong. */
    static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof NoSuchFileException nf) {
            return "no such file: " + nf.getFile() + (nf.getReason() == null ? "" : " (" + nf.getReason() + ")");
        }
        if (e instanceof AccessDeniedException ad) {
            return "permission denied: " + ad.getFile() + (ad.getReason() == null ? "" : " (" + ad.getReason() + ")");
        }
        if (e instanceof FileAlreadyExistsException fe) {
            return fe.getFile() + ": " + (fe.getReason() == null ? "already exists" : fe.getReason());
        }
        if (e instanceof FileSystemException fs && fs.getFile() != null) {
            return fs.getFile() + (fs.getOtherFile() == null ? "" : " -> " + fs.getOtherFile()) + ": "
                    + (fs.getReason() == null ? e.getClass().getSimpleName() : fs.getReason());
        }
        return m == null ? e.toString() : m;
    }

    /** Version from the jar manifest, or "development". */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = AcdaCli.class.getPackage().getImplementationVersion();
            return new String[] {"acda " + (v == null ? "0.1.0-SNAPSHOT" : v) + " on Java " + Runtime.version()};
        }
    }
}
