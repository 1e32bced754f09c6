package org.acdajvm.io;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.acdajvm.tensor.Tensor;

/**
 * Weights as a state dict (name to tensor): a {@code .safetensors} file, or a folder holding one
 * {@code <key>.npy} per state-dict key (DESIGN section 11).
 */
public final class Weights {

    private Weights() {
    }

    /**
     * Reads a {@code .safetensors} file or a folder of {@code <key>.npy} files. Entries named
     * {@code *.num_batches_tracked} (BatchNorm step counters, int64) are skipped after their
     * header is validated.
     *
     * @param narrowF64 accept float64 tensors and round them to float32
     */
    public static Map<String, Tensor> read(Path fileOrFolder, boolean narrowF64) throws IOException {
        if (Files.isDirectory(fileOrFolder)) {
            return readFolder(fileOrFolder, narrowF64);
        }
        if (!Files.exists(fileOrFolder)) {
            throw new NoSuchFileException(fileOrFolder.toString(), null,
                    "weights not found: expected a .safetensors file or a folder of <key>.npy files");
        }
        return SafeTensors.read(fileOrFolder, narrowF64);
    }

    private static Map<String, Tensor> readFolder(Path folder, boolean narrowF64) throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(folder, "*.npy")) {
            ds.forEach(files::add);
        }
        if (files.isEmpty()) {
            throw new TensorFormatException(folder, "folder holds no <key>.npy files");
        }
        Map<String, Tensor> sorted = new TreeMap<>();
        for (Path f : files) {
            String name = f.getFileName().toString();
            String key = name.substring(0, name.length() - ".npy".length());
            if (key.endsWith("num_batches_tracked")) {
                Npy.readHeader(f);
                continue;
            }
            sorted.put(key, Npy.read(f, narrowF64));
        }
        return new LinkedHashMap<>(sorted);
    }

    /** Writes a state dict as one {@code .safetensors} file, atomically. */
    public static void writeSafeTensors(Path file, Map<String, Tensor> stateDict) throws IOException {
        SafeTensors.write(file, stateDict, Map.of("format", "pt", "producer", "acda-jvm"));
    }

    /**
     * Writes a state dict as a folder of {@code <key>.npy} files, whole or not at all
     * ({@link AtomicFiles#writeFolder}); an existing target folder is an error.
     */
    public static void writeFolder(Path folder, Map<String, Tensor> stateDict) throws IOException {
        AtomicFiles.writeFolder(folder, tmp -> {
            for (Map.Entry<String, Tensor> e : stateDict.entrySet()) {
                Npy.write(tmp.resolve(e.getKey() + ".npy"), e.getValue());
            }
        });
    }
}
