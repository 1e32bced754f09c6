package org.acdajvm.tornado;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;

/**
 * The kernels' classes carry local variable tables: TornadoVM reads them, and compiled without
 * them ({@code -g} in this module's pom) it silently runs kernels sequentially. Needs no device.
 */
class DebugInfoTest {

    @Test
    void everyKernelHasALocalVariableTable() throws IOException {
        assertLocalVariableTables("TornadoKernels.class", Set.of("conv1BnTanh", "conv2BnTanh", "atoms", "atomConv", "coefConv"));
    }

    @Test
    void everyBackwardKernelAndHelperHasALocalVariableTable() throws IOException {
        assertLocalVariableTables("TornadoBackwardKernels.class", Set.of("dCoef", "dBias", "dAtoms", "dGen2", "bnReduce2",
                "bnReduce1", "bnReduce", "dW2", "dGen1", "setDg1", "dW1", "dx", "wrap", "firstInside", "endInside",
                "firstPreimage"));
    }

    private static void assertLocalVariableTables(String classFile, Set<String> kernels) throws IOException {
        ClassModel model;
        try (InputStream in = TornadoKernels.class.getResourceAsStream(classFile)) {
            assertNotNull(in, classFile + " not found");
            model = ClassFile.of().parse(in.readAllBytes());
        }
        List<MethodModel> found = model.methods().stream().filter(m -> kernels.contains(m.methodName().stringValue())).toList();
        assertEquals(kernels.size(), found.size(), "kernels found: " + found);
        for (MethodModel m : found) {
            var code = m.code().orElseThrow();
            assertTrue(code.findAttribute(Attributes.localVariableTable()).isPresent(),
                    "kernel " + m.methodName() + " has no LocalVariableTable: compile tornado-backend with -g");
        }
    }
}
