package org.acdajvm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code acda} command. Exit codes: 0 success, 1 a check or verification failed, 2 a usage
 * error or bad input (one line on stderr), 70 an internal error (with a stack trace).
 */
@Command(name = "acda", mixinStandardHelpOptions = true, versionProvider = AcdaCli.Version.class,
        description = "Oracle and fast paths for ACDA (adaptive convolutions with per-pixel dynamic filter atoms).",
        subcommands = {CheckCommand.class, ForwardCommand.class, BasesCommand.class, MakeCaseCommand.class,
                VerifyCommand.class, FuzzCommand.class, ConvertConvCommand.class, DevicesCommand.class,
                CommandLine.HelpCommand.class})
public final class AcdaCli implements Runnable {

    public static final int EXIT_OK = 0;
    public static final int EXIT_FAILED = 1;
    public static final int EXIT_USAGE = 2;
    public static final int EXIT_INTERNAL = 70;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: check, forward, bases, devices "
                + "(see 'acda --help')");
    }

    public static void main(String[] args) {
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line with the given output streams and returns the exit code (used by tests). */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new AcdaCli());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("acda: " + ex.getMessage() + " (see '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help')");
            err.flush();
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, commandLine, parseResult) -> {
            Throwable e = ex instanceof UncheckedIOException u ? u.getCause() : ex;
            String name = commandLine.getCommandSpec().qualifiedName();
            if (e instanceof IllegalArgumentException || e instanceof IOException || e instanceof IllegalStateException) {
                err.println(name + ": " + describe(e));
                err.flush();
                return EXIT_USAGE;
            }
            err.println(name + ": internal error: " + e);
            e.printStackTrace(err);
            err.flush();
            return EXIT_INTERNAL;
        });
        return cl.execute(args);
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        if (e instanceof java.nio.file.NoSuchFileException nf) {
            return "no such file: " + nf.getFile() + (nf.getReason() == null ? "" : " (" + nf.getReason() + ")");
        }
        if (e instanceof java.nio.file.AccessDeniedException ad) {
            return "permission denied: " + ad.getFile();
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
