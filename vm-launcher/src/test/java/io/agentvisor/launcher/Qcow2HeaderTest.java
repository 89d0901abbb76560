package io.agentvisor.launcher;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Qcow2HeaderTest {

    /** A qcow2 header as qemu-img writes it (the fields this check reads), 104 bytes, version 3. */
    static Path image(Path dir, String name, int version, long incompatibleFeatures) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(104);
        b.putInt(0, 0x514649fb).putInt(4, version).putLong(24, 1L << 20).putInt(20, 16);
        b.putLong(72, incompatibleFeatures).putInt(100, 104);
        return Files.write(dir.resolve(name), b.array());
    }

    @Test
    void anImageThatNamesAnExternalDataFileIsRefused(@TempDir Path dir) throws IOException {
        Path evil = image(dir, "evil.qcow2", 3, 1L << 2);
        assertEquals(Optional.of(evil + ": the qcow2 image names an external data file, which a VM may not open"),
                Qcow2Header.refusal(evil));
        String blockdev = "{\"driver\":\"qcow2\",\"node-name\":\"d0\",\"read-only\":false,\"backing\":null,\"file\":"
                + "{\"driver\":\"file\",\"node-name\":\"d0f\",\"filename\":\"" + evil + "\",\"read-only\":false}}";
        assertTrue(Main.checkDisks(List.of("qemu-system-x86_64", "-blockdev", blockdev)).orElseThrow()
                .contains("external data file"));
    }

    /** A version 2 or 3 header whose backing_file_offset points at a path stored after the header. */
    static Path withBackingFile(Path dir, String name, int version, String backing) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(104 + backing.length());
        b.putInt(0, 0x514649fb).putInt(4, version).putLong(8, 104).putInt(16, backing.length()).putInt(20, 16)
                .putLong(24, 1L << 20).putInt(100, 104);
        b.put(104, backing.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return Files.write(dir.resolve(name), b.array());
    }

    @Test
    void anImageThatNamesABackingFileIsRefusedInEitherVersion(@TempDir Path dir) throws IOException {
        for (int version : new int[] {2, 3}) {
            Path evil = withBackingFile(dir, "backed-v" + version + ".qcow2", version, "/etc/shadow");
            assertEquals(Optional.of(evil + ": the qcow2 image names a backing file, which a VM may not open"),
                    Qcow2Header.refusal(evil));
        }
    }

    @Test
    void plainImagesPassAndNonQcow2IsNamed(@TempDir Path dir) throws IOException {
        assertEquals(Optional.empty(), Qcow2Header.refusal(image(dir, "v3.qcow2", 3, 0)));
        assertEquals(Optional.empty(), Qcow2Header.refusal(image(dir, "v2.qcow2", 2, 0)));
        Path raw = Files.write(dir.resolve("raw.img"), new byte[4096]);
        assertEquals(Optional.of(raw + ": not a qcow2 image (format qcow2 was asked for)"), Qcow2Header.refusal(raw));
        // raw disks are not read at all
        String rawBlockdev = "{\"driver\":\"raw\",\"node-name\":\"d0\",\"file\":{\"driver\":\"file\",\"filename\":\""
                + raw + "\"}}";
        assertEquals(Optional.empty(), Main.checkDisks(List.of("qemu-system-x86_64", "-blockdev", rawBlockdev)));
    }

    @Test
    void settingsComeFromTheEnvironmentWithClearErrors() {
        Settings s = Settings.from(java.util.Map.of(Settings.GRACE, "90", Settings.SHUTDOWN_WAIT, "15"));
        assertEquals(15, s.powerdownAt().toSeconds());
        assertEquals(85, s.quitAt().toSeconds());
        Settings tight = Settings.from(java.util.Map.of(Settings.GRACE, "10", Settings.SHUTDOWN_WAIT, "15"));
        assertEquals(5, tight.quitAt().toSeconds());
        assertEquals(5, tight.powerdownAt().toSeconds(), "ACPI is pressed no later than the quit");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Settings.from(java.util.Map.of(Settings.GRACE, "soon")));
        assertEquals("AGENTVISOR_TERMINATION_GRACE_SECONDS: \"soon\" is not a number of seconds", e.getMessage());
    }
}
