package org.acdajvm.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * oneDNN's plain conv2d (PyTorch's CPU convolution) timed between the JMH forks of {@code acda bench}, once per round,
 * so that its figures share the round's minutes with ours (this VM's speed moves by tens of percent within an hour:
 * oneDNN's resnet-k3 read 5.8 ms at one hour of 2026-12-03 and 10.6 ms at another). It runs
 * {@code bench/pytorch/onednn_plain_conv.py --worker THREADS}, one process, which prints every configuration's timed
 * calls as JSON. Python and torch are never needed by the build or the tests: where no Python can import torch
 * ({@link #python}), {@code acda bench} says so and the report falls back to the committed CSV.
 */
final class OnednnRounds {

    /** The method name under which the rounds' oneDNN times go into {@link ForkResults} (ms per call). */
    static final String METHOD = "onednnConv";

    /** The longest a worker may take (it takes about 10 s on 2 cores). */
    private static final long TIMEOUT_SECONDS = 300;

    private OnednnRounds() {
    }

    /** What one worker process measured: PyTorch's version and each configuration's timed calls in ms. */
    record Measured(String torch, boolean mkldnn, Map<String, double[]> millis) {
    }

    /** Environment variable naming the Python to run (default: the first of {@code python3}, {@code /usr/bin/python3} with torch). */
    static final String PYTHON_VARIABLE = "ACDA_PYTHON";

    /**
     * The Python that can import torch ({@code $ACDA_PYTHON} if set, else {@code python3} on the PATH, else Debian's
     * {@code /usr/bin/python3}, where {@code python3-torch} installs: a pyenv or venv python3 earlier on the PATH may
     * not have it), or the reason none can; also the reason when {@code script} is missing.
     */
    static Python python(Path script) {
        if (!Files.isRegularFile(script)) {
            return new Python(null, "no " + script);
        }
        String set = System.getenv(PYTHON_VARIABLE);
        List<String> candidates = set != null && !set.isBlank() ? List.of(set) : List.of("python3", "/usr/bin/python3");
        for (String py : candidates) {
            try {
                if (exec(List.of(py, "-c", "import torch"), 120).exit() == 0) {
                    return new Python(py, null);
                }
            } catch (IOException e) {
                // not there: the next one
            }
        }
        return new Python(null, String.join(" and ", candidates) + " cannot import torch (Debian: apt-get install "
                + "python3-torch; " + PYTHON_VARIABLE + " names another Python)");
    }

    /** A Python with torch ({@code command}), or why there is none ({@code reason}). */
    record Python(String command, String reason) {
    }

    /** One worker process with {@code threads} threads; an exception with the reason when it fails. */
    static Measured run(String python, Path script, int threads) throws IOException {
        Output o = exec(List.of(python, script.toString(), "--worker", Integer.toString(threads)), TIMEOUT_SECONDS);
        if (o.exit() != 0) {
            String err = o.stderr().strip();
            int nl = err.lastIndexOf('\n');
            throw new IOException(script + " --worker " + threads + " exited with " + o.exit()
                    + (err.isEmpty() ? "" : ": " + err.substring(nl + 1)));
        }
        return parse(o.stdout());
    }

    private static final Pattern TORCH = Pattern.compile("\"torch\":\\s*\"([^\"]*)\"");
    private static final Pattern MKLDNN = Pattern.compile("\"mkldnn\":\\s*(true|false)");
    private static final Pattern TIMES = Pattern.compile("\"([A-Za-z0-9_.-]+)\":\\s*\\[([^\\]]*)\\]");

    /**
     * The worker's one line of JSON, {@code {"torch": V, "mkldnn": B, "times": {CONFIG: [SECONDS, ...], ...}}}, with
     * the times converted to milliseconds.
     */
    static Measured parse(String json) throws IOException {
        Matcher t = TORCH.matcher(json);
        int times = json.indexOf("\"times\"");
        if (!t.find() || times < 0) {
            throw new IOException("the worker's output is not its JSON: '" + abbreviate(json) + "'");
        }
        Matcher mk = MKLDNN.matcher(json);
        boolean mkldnn = mk.find() && mk.group(1).equals("true");
        Map<String, double[]> millis = new LinkedHashMap<>();
        Matcher m = TIMES.matcher(json);
        m.region(times, json.length());
        while (m.find()) {
            String[] parts = m.group(2).split(",");
            double[] ms = new double[parts.length];
            try {
                for (int i = 0; i < parts.length; i++) {
                    ms[i] = Double.parseDouble(parts[i].strip()) * 1e3;
                }
            } catch (NumberFormatException e) {
                throw new IOException("the worker's times for " + m.group(1) + " are not numbers: [" + m.group(2) + "]");
            }
            if (ms.length == 0 || !(ms[0] > 0)) {
                throw new IOException("the worker gave no positive times for " + m.group(1));
            }
            millis.put(m.group(1), ms);
        }
        if (millis.isEmpty()) {
            throw new IOException("the worker's JSON has no times: '" + abbreviate(json) + "'");
        }
        return new Measured(t.group(1), mkldnn, millis);
    }

    /** Adds the configurations of {@code configs} that {@code m} measured to {@code results} as round {@code round}. */
    static List<String> record(Measured m, int round, List<String> configs, ForkResults results) {
        List<String> added = new ArrayList<>();
        for (String c : configs) {
            double[] ms = m.millis().get(c);
            if (ms != null) {
                results.add(new ForkResults.Fork(METHOD, c, round, ms, Double.NaN));
                added.add(c);
            }
        }
        return added;
    }

    private static String abbreviate(String s) {
        String t = s.strip();
        return t.length() <= 200 ? t : t.substring(0, 200) + "...";
    }

    private record Output(int exit, String stdout, String stderr) {
    }

    private static Output exec(List<String> command, long timeoutSeconds) throws IOException {
        // Both streams to files, so that neither pipe can fill and block the child, and the timeout always applies.
        Path out = Files.createTempFile("acda-onednn", ".out");
        Path err = Files.createTempFile("acda-onednn", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try {
                if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IOException(String.join(" ", command) + " took longer than " + timeoutSeconds + " s");
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for " + String.join(" ", command), e);
            }
            return new Output(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
