package org.acdajvm.tensor;

import java.util.Arrays;
import java.util.Objects;

/**
 * A float32 tensor, row-major (C order). Image tensors are NCHW: {@code [N, C, H, W]}.
 *
 * <p>The shape is immutable; the data array is owned by the tensor and is mutable through
 * {@link #data()} (fast paths write into it). Public entry points that take a tensor check its
 * shape with {@link #requireRank} and {@link #requireShape}, which name the argument in the error.
 */
public final class Tensor {

    /** Largest element count a tensor can hold (a Java array's limit). */
    public static final long MAX_ELEMENTS = Integer.MAX_VALUE - 8;

    private final int[] shape;
    private final float[] data;

    private Tensor(int[] shape, float[] data) {
        this.shape = shape;
        this.data = data;
    }

    /** A zero-filled tensor of the given shape. */
    public static Tensor zeros(int... shape) {
        int[] s = checkedShape(shape);
        return new Tensor(s, new float[(int) elementCount(s)]);
    }

    /**
     * Wraps {@code data} (not copied) as a tensor of the given shape.
     *
     * @throws IllegalArgumentException if the data length does not match the shape
     */
    public static Tensor wrap(float[] data, int... shape) {
        Objects.requireNonNull(data, "data");
        int[] s = checkedShape(shape);
        long n = elementCount(s);
        if (n != data.length) {
            throw new IllegalArgumentException("data has " + data.length + " elements but shape "
                    + Arrays.toString(s) + " needs " + n);
        }
        return new Tensor(s, data);
    }

    /** A tensor holding {@code data} rounded to float32 (round to nearest). */
    public static Tensor fromDoubles(double[] data, int... shape) {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return wrap(f, shape);
    }

    /** Number of elements of a shape, checking that every extent is {@code >= 0} and the product fits an array. */
    public static long elementCount(int... shape) {
        long n = 1;
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 0) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative extent at axis " + i);
            }
            n *= shape[i];
            if (n > MAX_ELEMENTS) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has more than "
                        + MAX_ELEMENTS + " elements, the most a tensor can hold");
            }
        }
        return n;
    }

    private static int[] checkedShape(int[] shape) {
        Objects.requireNonNull(shape, "shape");
        int[] s = shape.clone();
        elementCount(s);
        return s;
    }

    /** The shape (a copy). */
    public int[] shape() {
        return shape.clone();
    }

    /** Extent of axis {@code axis}. */
    public int dim(int axis) {
        return shape[axis];
    }

    public int rank() {
        return shape.length;
    }

    /** The number of elements. */
    public int size() {
        return data.length;
    }

    /** The backing array (not a copy): row-major. */
    public float[] data() {
        return data;
    }

    /** A deep copy. */
    public Tensor copy() {
        return new Tensor(shape.clone(), data.clone());
    }

    /** The same data viewed with another shape of the same element count (shares the data). */
    public Tensor reshape(int... newShape) {
        return wrap(data, newShape);
    }

    /** Element of a 4-D tensor at {@code [i0, i1, i2, i3]}. */
    public float get(int i0, int i1, int i2, int i3) {
        return data[((i0 * shape[1] + i1) * shape[2] + i2) * shape[3] + i3];
    }

    /** Sets the element of a 4-D tensor at {@code [i0, i1, i2, i3]}. */
    public void set(int i0, int i1, int i2, int i3, float v) {
        data[((i0 * shape[1] + i1) * shape[2] + i2) * shape[3] + i3] = v;
    }

    /** True when the shape equals {@code expected}. */
    public boolean hasShape(int... expected) {
        return Arrays.equals(shape, expected);
    }

    /**
     * Throws unless this tensor has rank {@code rank}.
     *
     * @param name    the argument's name, used in the message
     * @param layout  the expected layout in letters, for example {@code "NCHW"}
     */
    public Tensor requireRank(String name, int rank, String layout) {
        if (shape.length != rank) {
            throw new IllegalArgumentException(name + " must have rank " + rank + " (" + layout + "), found shape "
                    + Arrays.toString(shape));
        }
        return this;
    }

    /** Throws unless this tensor's shape is {@code expected}; the message names the argument and both shapes. */
    public Tensor requireShape(String name, int... expected) {
        if (!Arrays.equals(shape, expected)) {
            throw new IllegalArgumentException(name + " has shape " + Arrays.toString(shape) + ", expected "
                    + Arrays.toString(expected));
        }
        return this;
    }

    /** Shape as {@code [a, b, c]}. */
    public String shapeString() {
        return Arrays.toString(shape);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
