package org.acdajvm.tornado;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import org.acdajvm.backend.AcdaBackend;
import org.acdajvm.backend.Backends;
import org.acdajvm.layer.AcdaConfig;
import org.acdajvm.layer.AcdaInit;
import org.acdajvm.layer.AcdaLayer;
import org.acdajvm.layer.AcdaShapes;
import org.acdajvm.tensor.Tensor;

/**
 * A rough wall-clock timing (not JMH) of the tornado backward beside the tornado forward and the
 * vector forward and backward, on one shape: {@code N C O H K} as arguments, default
 * {@code 1 64 64 56 3} (square images, the layer's other settings at their defaults), a few warm-up
 * calls, then {@code reps} timed calls each (the sixth argument, default 7); prints the minimum and
 * median of each. Run from the repository root, after {@code ./acda} has built the command-line jar
 * and {@code ./mvnw -pl tornado-backend -am verify} the test classes:
 * <pre>
 *   java @$TORNADOVM_HOME/tornado-argfile --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp cli/target/acda.jar:tornado-backend/target/acda-tornado-backend.jar:tornado-backend/target/test-classes \
 *     org.acdajvm.tornado.TornadoBackwardTiming
 * </pre>
 */
public final class TornadoBackwardTiming {

    private TornadoBackwardTiming() {
    }

    public static void main(String[] args) {
        int[] a = {1, 64, 64, 56, 3, 7};
        for (int i = 0; i < args.length && i < a.length; i++) {
            a[i] = Integer.parseInt(args[i]);
        }
        AcdaConfig cfg = AcdaConfig.builder(a[1], a[2], a[4]).build();
        AcdaLayer layer = AcdaInit.reference(cfg, 42);
        Tensor x = AcdaInit.input(cfg, a[0], a[3], a[3], 43);
        Tensor dy = Tensor.zeros(AcdaShapes.checkInput(cfg, x));
        AcdaInit.fill(dy, new SplittableRandom(44), -1, 1);
        int reps = a[5];
        System.out.printf("N=%d C=%d O=%d %dx%d K=%d (%s), %d timed calls after 3 warm-up calls; wall clock, ms%n",
                a[0], a[1], a[2], a[3], a[3], a[4], cfg.summary(), reps);
        try (TornadoBackend tornado = new TornadoBackend(); AcdaBackend vector = Backends.require("vector")) {
            report("tornado forward  (" + tornado.deviceName() + ")", () -> tornado.forward(layer, x), reps);
            report("tornado backward (" + tornado.deviceName() + ")", () -> tornado.backward(layer, x, dy), reps);
            report("vector forward   (" + vector.description() + ")", () -> vector.forward(layer, x), reps);
            report("vector backward  (" + vector.description() + ")", () -> vector.backward(layer, x, dy), reps);
        }
    }

    private static void report(String label, Supplier<?> call, int reps) {
        for (int i = 0; i < 3; i++) {
            consume(call.get());
        }
        double[] ms = new double[reps];
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            consume(call.get());
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        Arrays.sort(ms);
        System.out.printf("  %-70s min %8.1f  median %8.1f%n", label, ms[0], ms[reps / 2]);
    }

    private static void consume(Object o) {
        if (o instanceof Map<?, ?> m && m.isEmpty() || o == null) {
            throw new IllegalStateException("no result");
        }
    }
}
