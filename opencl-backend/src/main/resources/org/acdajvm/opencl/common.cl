/*
 * Helpers prepended to every ACDA program (DESIGN section 3).
 *
 * Every kernel is written for plain float32 arithmetic: no native_* functions, no relaxed-math
 * build options, tanh is OpenCL's float tanh (the error policy allows 8 ulp + 2u absolute for it).
 * Tensors are row-major NCHW; an image's offset is computed in size_t, indices inside one image
 * in int (the host checks that every per-image extent fits).
 */

/*
 * The in-range index that a read at i touches along an axis of length size, or -1 when it reads
 * a padding zero. Circular padding wraps with floorMod, also when i is more than one size away.
 */
inline int padded_index(const int i, const int size, const int circular) {
    if (i >= 0 && i < size) {
        return i;
    }
    if (!circular) {
        return -1;
    }
    const int r = i % size;
    return r < 0 ? r + size : r;
}
