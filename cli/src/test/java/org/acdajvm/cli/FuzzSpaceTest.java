package org.acdajvm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Predicate;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The space fuzz draws from, without running anything: determinism, coverage, restriction, shrink candidates. */
class FuzzSpaceTest {

    @TempDir
    Path dir;

    static List<String> draws(FuzzSpace space, long seed, int n) {
        SplittableRandom rng = new SplittableRandom(seed);
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(space.draw(rng).identity());
        }
        return out;
    }

    @Test
    void theSameSeedDrawsTheSameCases() {
        assertEquals(draws(FuzzSpace.defaults(), 42, 200), draws(FuzzSpace.defaults(), 42, 200));
        assertNotEquals(draws(FuzzSpace.defaults(), 42, 20), draws(FuzzSpace.defaults(), 43, 20));
    }

    @Test
    void theDefaultSpaceCoversEveryValueOfEveryParameter() {
        SplittableRandom rng = new SplittableRandom(1);
        FuzzSpace space = FuzzSpace.defaults();
        List<Set<Integer>> seen = new ArrayList<>();
        for (FuzzParam p : FuzzParam.values()) {
            seen.add(new java.util.TreeSet<>());
        }
        for (int i = 0; i < 3000; i++) {
            FuzzCase c = space.draw(rng);
            c.config();   // every drawn case is a valid layer
            for (FuzzParam p : FuzzParam.values()) {
                seen.get(p.ordinal()).add(c.get(p));
            }
        }
        for (FuzzParam p : FuzzParam.values()) {
            int[] want = space.allowed(p);
            assertArrayEquals(want, seen.get(p.ordinal()).stream().mapToInt(Integer::intValue).toArray(), p.key);
        }
        assertArrayEquals(new int[] {3, 5, 7}, space.allowed(FuzzParam.KERNEL_SIZE));
        assertArrayEquals(new int[] {1, 3}, space.allowed(FuzzParam.GENERATOR_KERNEL));
        assertEquals(1, space.allowed(FuzzParam.WIDTH)[0], "sizes include 1");
    }

    /**
     * How soon the default space (seed 42) draws a shape that shows each injected bug of the fuzz
     * tests: a bounded number of tries, even without narrowing the space as those tests do.
     */
    @Test
    void theDefaultSpaceReachesEveryInjectedBugsShapeSoon() {
        record Shape(String bug, Predicate<FuzzCase> shows) {
        }
        List<Shape> shapes = List.of(
                new Shape("odd W, stride 2", c -> c.get(FuzzParam.WIDTH) % 2 == 1 && c.get(FuzzParam.STRIDE) == 2),
                new Shape("C > 8, C % 8 != 0", c -> c.get(FuzzParam.IN_CHANNELS) > 8 && c.get(FuzzParam.IN_CHANNELS) % 8 != 0),
                new Shape("dilation > 1", c -> c.get(FuzzParam.DILATION) > 1),
                new Shape("N > 1", c -> c.get(FuzzParam.BATCH) > 1),
                new Shape("K = 7", c -> c.get(FuzzParam.KERNEL_SIZE) == 7));
        SplittableRandom rng = new SplittableRandom(42);
        int[] first = new int[shapes.size()];
        for (int t = 1; t <= 40; t++) {
            FuzzCase c = FuzzSpace.defaults().draw(rng);
            for (int i = 0; i < shapes.size(); i++) {
                if (first[i] == 0 && shapes.get(i).shows().test(c)) {
                    first[i] = t;
                }
            }
        }
        for (int i = 0; i < shapes.size(); i++) {
            System.out.printf("default space, seed 42: first %s at try %d%n", shapes.get(i).bug(), first[i]);
            assertTrue(first[i] > 0 && first[i] <= 20, shapes.get(i).bug() + ": first at try " + first[i]);
        }
    }

    @Test
    void aSpaceFileRestrictsAndWidens() throws IOException {
        Path f = dir.resolve("space.json");
        Files.writeString(f, """
                {"kernel_size": 3, "padding": ["zeros"], "in_channels": {"min": 1, "max": 64}, "bias": false,
                 "magnitude": ["unit", "mixed"], "generator_kernel_size": {"min": 1, "max": 4}}
                """);
        FuzzSpace s = FuzzSpace.parse(f);
        assertArrayEquals(new int[] {3}, s.allowed(FuzzParam.KERNEL_SIZE));
        assertArrayEquals(new int[] {0}, s.allowed(FuzzParam.PADDING));
        assertArrayEquals(new int[] {0}, s.allowed(FuzzParam.BIAS));
        assertArrayEquals(new int[] {0, 3}, s.allowed(FuzzParam.MAGNITUDE));
        assertArrayEquals(new int[] {1, 3}, s.allowed(FuzzParam.GENERATOR_KERNEL), "only odd sizes of the range");
        assertEquals(64, s.allowed(FuzzParam.IN_CHANNELS).length);
        assertArrayEquals(FuzzSpace.defaults().allowed(FuzzParam.WIDTH), s.allowed(FuzzParam.WIDTH), "not given: default");
        SplittableRandom rng = new SplittableRandom(3);
        boolean wide = false;
        for (int i = 0; i < 500; i++) {
            FuzzCase c = s.draw(rng);
            assertEquals(3, c.get(FuzzParam.KERNEL_SIZE));
            assertEquals(0, c.get(FuzzParam.PADDING));
            assertTrue(c.get(FuzzParam.MAGNITUDE) == 0 || c.get(FuzzParam.MAGNITUDE) == 3);
            wide |= c.get(FuzzParam.IN_CHANNELS) > 20;
        }
        assertTrue(wide, "C beyond the default 20");
    }

    @Test
    void shrinkCandidatesAreSmallerAllowedValuesSimplestFirst() {
        FuzzSpace s = FuzzSpace.defaults();
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8}, s.smaller(FuzzParam.WIDTH, 9), "every smaller width");
        assertArrayEquals(new int[] {3, 5}, s.smaller(FuzzParam.KERNEL_SIZE, 7));
        assertArrayEquals(new int[] {}, s.smaller(FuzzParam.BATCH, 1));
        assertArrayEquals(new int[] {0}, s.smaller(FuzzParam.PADDING, 1), "circular shrinks to zeros");
        int[] wide = FuzzSpace.defaults().with(json("{\"in_channels\": {\"min\": 1, \"max\": 1000}}"), "t")
                .smaller(FuzzParam.IN_CHANNELS, 1000);
        assertArrayEquals(new int[] {1, 2, 3, 4, 5, 6, 7, 8, 500, 750, 999}, wide);
        for (FuzzParam p : EnumSet.allOf(FuzzParam.class)) {
            int[] a = s.allowed(p);
            for (int v : s.smaller(p, a[a.length - 1])) {
                assertTrue(v < a[a.length - 1]);
            }
        }
    }

    static com.fasterxml.jackson.databind.node.ObjectNode json(String s) {
        try {
            return (com.fasterxml.jackson.databind.node.ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper().readTree(s);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aCaseWritesTheSameFolderEveryTime() throws IOException {
        FuzzCase c = FuzzSpace.defaults().draw(new SplittableRandom(5));
        c.write(dir.resolve("a"), true);
        c.write(dir.resolve("b"), true);
        for (String f : new String[] {"case.json", "x.npy", "dy.npy", "weights/coef.npy", "weights/bases_net.3.weight.npy"}) {
            assertArrayEquals(Files.readAllBytes(dir.resolve("a").resolve(f)), Files.readAllBytes(dir.resolve("b").resolve(f)), f);
        }
        assertTrue(Files.isDirectory(dir.resolve("a/grads")));
        String json = Files.readString(dir.resolve("a/case.json"));
        assertTrue(json.contains("\"expected\" : \"y.npy\"") && json.contains("\"gradients\" : \"grads\""), json);
    }
}
