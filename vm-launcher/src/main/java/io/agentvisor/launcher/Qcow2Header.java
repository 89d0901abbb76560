package io.agentvisor.launcher;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Optional;

/**
 * Reads a qcow2 image's header before QEMU opens it: an image a tenant wrote may name a backing file or an external
 * data file, which QEMU would open on its own. {@code "backing": null} on the -blockdev already keeps QEMU from
 * opening a backing file, nothing in -blockdev refuses a data file named by the header: an image naming either is
 * refused here (the backing file too, so that no option of the command line is the only guard), as is a file that is
 * not qcow2 at all.
 */
final class Qcow2Header {
    private static final int MAGIC = 0x514649fb; // "QFI\xfb"
    /** Incompatible feature bit 2: the image's data lives in an external file named in a header extension. */
    private static final long EXTERNAL_DATA_FILE = 1L << 2;

    private Qcow2Header() {
    }

    /** Why this image must not be opened, or empty when it may. */
    static Optional<String> refusal(Path image) {
        ByteBuffer b = ByteBuffer.allocate(104);
        try (FileChannel ch = FileChannel.open(image, StandardOpenOption.READ)) {
            while (b.hasRemaining() && ch.read(b) > 0) {
                // read the fixed header
            }
        } catch (IOException e) {
            return Optional.of(image + ": cannot read the qcow2 header: " + e.getMessage());
        }
        b.flip();
        if (b.remaining() < 72 || b.getInt(0) != MAGIC) {
            return Optional.of(image + ": not a qcow2 image (format qcow2 was asked for)");
        }
        int version = b.getInt(4);
        if (b.getLong(8) != 0) {
            return Optional.of(image + ": the qcow2 image names a backing file, which a VM may not open");
        }
        if (version >= 3) {
            if (b.remaining() < 80) {
                return Optional.of(image + ": truncated qcow2 version " + version + " header");
            }
            long incompatible = b.getLong(72);
            if ((incompatible & EXTERNAL_DATA_FILE) != 0) {
                return Optional.of(image + ": the qcow2 image names an external data file, which a VM may not open");
            }
        } else if (version != 2) {
            return Optional.of(image + ": unknown qcow2 version " + version);
        }
        return Optional.empty();
    }
}
