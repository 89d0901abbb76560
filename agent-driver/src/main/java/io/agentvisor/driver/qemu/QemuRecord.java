package io.agentvisor.driver.qemu;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * What the driver writes to disk about a QEMU it started, so that a restarted driver finds the process again:
 * pid + start time (the identity), the VM it belongs to, and what it was started with.
 */
public record QemuRecord(String namespace, String name, String uid, long pid, long startTime, String accelerator,
        long launchedAtEpochMs) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public void write(Path file) throws IOException {
        VmPaths.writeAtomically(file, JSON.writeValueAsBytes(this));
    }

    public static Optional<QemuRecord> read(Path file) throws IOException {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file), QemuRecord.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        }
    }
}
