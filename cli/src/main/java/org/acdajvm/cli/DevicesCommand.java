package org.acdajvm.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.acdajvm.opencl.ClDevice;
import org.acdajvm.opencl.OpenClDevices;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code acda devices}: the OpenCL devices the opencl backend can run on. */
@Command(name = "devices", mixinStandardHelpOptions = true,
        description = {"Lists the OpenCL devices of this machine: platform, device, type, compute units, global and local "
                + "memory, largest work-group. The opencl backend runs on the one marked '*' unless --device (check, "
                + "forward) or -D" + OpenClDevices.DEVICE_PROPERTY + "=INDEX|NAME picks another.",
                "Exit code 0, also when no device is found (it says why)."})
final class DevicesCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        OpenClDevices.Listing listing = OpenClDevices.list();
        if (listing.problem().isPresent()) {
            out.println("acda devices: no OpenCL device found: " + listing.problem().get());
            out.println("(the opencl backend is unavailable; every other backend works without it)");
            out.flush();
            return AcdaCli.EXIT_OK;
        }
        List<ClDevice> devices = listing.devices();
        int chosen = -1;
        String selectionNote;
        try {
            chosen = OpenClDevices.select(System.getProperty(OpenClDevices.DEVICE_PROPERTY)).index();
            selectionNote = "* = the device the opencl backend uses";
        } catch (IllegalStateException e) {
            selectionNote = "the opencl backend has no device: " + e.getMessage();
        }
        String[] header = {"", "#", "platform", "device", "type", "CUs", "MHz", "global mem", "max alloc", "local mem",
                "max work-group", "OpenCL"};
        List<String[]> rows = new ArrayList<>();
        rows.add(header);
        for (ClDevice d : devices) {
            long[] items = d.maxWorkItemSizes();
            StringBuilder dims = new StringBuilder();
            for (long s : items) {
                dims.append(dims.isEmpty() ? "" : "x").append(s);
            }
            rows.add(new String[] {d.index() == chosen ? "*" : "", Integer.toString(d.index()), d.platformName(), d.name(),
                    d.type(), Integer.toString(d.computeUnits()), Integer.toString(d.clockMhz()),
                    bytes(d.globalMemBytes()), bytes(d.maxAllocBytes()), bytes(d.localMemBytes()),
                    d.maxWorkGroupSize() + " (" + dims + ")", d.version()});
        }
        out.printf("acda devices: %d OpenCL device(s)%n%n", devices.size());
        int[] width = new int[header.length];
        for (String[] r : rows) {
            for (int i = 0; i < r.length; i++) {
                width[i] = Math.max(width[i], r[i].length());
            }
        }
        for (String[] r : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < r.length; i++) {
                boolean numeric = i == 1 || i == 5 || i == 6;
                String cell = numeric ? " ".repeat(width[i] - r[i].length()) + r[i]
                        : r[i] + " ".repeat(width[i] - r[i].length());
                line.append(i == 0 ? "" : "  ").append(cell);
            }
            out.println(line.toString().stripTrailing());
        }
        out.println();
        out.println(selectionNote);
        out.println("select another with --device INDEX|NAME (acda check, acda forward) or -D" + OpenClDevices.DEVICE_PROPERTY
                + "=INDEX|NAME (ACDA_JAVA_OPTS)");
        out.flush();
        return AcdaCli.EXIT_OK;
    }

    private static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", b / (double) (1L << 20));
        }
        if (b >= 1L << 10) {
            return String.format(Locale.ROOT, "%.0f KiB", b / (double) (1L << 10));
        }
        return b + " B";
    }
}
