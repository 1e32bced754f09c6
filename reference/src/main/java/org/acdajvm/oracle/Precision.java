package org.acdajvm.oracle;

import java.util.Locale;

/**
 * What a checked kernel rounded, beside its float32 accumulation (DESIGN section 7): the inputs of
 * every product ({@code tf32}, {@code bf16}, {@code fp16}) and, for {@code bf16} and {@code fp16}, the
 * stored intermediates ({@code G}, {@code D}, {@code Z} or {@code Wpix}, the generator's activations,
 * the output). A kernel of a given precision is judged with that precision's unit roundoffs; the
 * accumulation is always float32 ({@link ErrorBounds#U}).
 */
public enum Precision {
    /** Everything float32: product inputs exact (they are float32 values), storage float32. */
    FP32(0, 0),
    /** TensorFloat-32 products (10-bit mantissa inputs, unit roundoff 2^-11), float32 accumulation and storage. */
    TF32(0x1.0p-11, 0),
    /** bfloat16 inputs and storage (8-bit mantissa, unit roundoff 2^-8), float32 accumulation. */
    BF16(0x1.0p-8, 0x1.0p-8),
    /** IEEE half inputs and storage (11-bit mantissa, unit roundoff 2^-11), float32 accumulation. */
    FP16(0x1.0p-11, 0x1.0p-11);

    /** Unit roundoff of the rounding applied to each input of a product (0: not rounded). */
    public final double inputUnit;
    /** Unit roundoff of the rounding applied to each stored intermediate (0: stored in float32, counted by the accumulation). */
    public final double storageUnit;

    Precision(double inputUnit, double storageUnit) {
        this.inputUnit = inputUnit;
        this.storageUnit = storageUnit;
    }

    /** The name users give on the command line: {@code fp32}, {@code tf32}, {@code bf16}, {@code fp16}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The largest unit roundoff any rounding of this precision has. */
    public double largestUnit() {
        return Math.max(ErrorBounds.U, Math.max(inputUnit, storageUnit));
    }

    /**
     * The precision named {@code name}.
     *
     * @param argument the option or field it came from, for the message
     * @throws IllegalArgumentException naming the argument and the allowed values
     */
    public static Precision parse(String name, String argument) {
        for (Precision p : values()) {
            if (p.id().equalsIgnoreCase(name)) {
                return p;
            }
        }
        throw new IllegalArgumentException(argument + " = '" + name + "' is not allowed: expected fp32, tf32, bf16 or fp16");
    }
}
