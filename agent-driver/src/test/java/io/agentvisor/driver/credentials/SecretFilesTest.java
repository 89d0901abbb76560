package io.agentvisor.driver.credentials;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SecretFilesTest {
    @TempDir
    Path root;

    static Map<String, String> text(Map<String, byte[]> data) {
        Map<String, String> out = new TreeMap<>();
        data.forEach((k, v) -> out.put(k, new String(v, StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void readsTheKubeletsLayoutAndFollowsItsUpdates() throws IOException {
        Path dir = SecretFiles.volumeDir(root, "0b7c3d2e-1111-4a2b-8c3d-123456789abc", "access-credential-0");
        assertEquals(root.resolve("pods/0b7c3d2e-1111-4a2b-8c3d-123456789abc/volumes/kubernetes.io~secret/"
                + "access-credential-0"), dir);
        assertNull(SecretFiles.read(dir), "not set up yet");
        KubeletSecretVolume.write(dir, Map.of("demo", "one", "root", "two"));
        assertEquals(Map.of("demo", "one", "root", "two"), text(SecretFiles.read(dir)));
        KubeletSecretVolume.write(dir, Map.of("demo", "three"));
        assertEquals(Map.of("demo", "three"), text(SecretFiles.read(dir)));
        KubeletSecretVolume.write(dir, Map.of());
        assertEquals(Map.of(), text(SecretFiles.read(dir)));
    }

    @Test
    void aKeyPointingOutOfTheVolumeOrTooMuchDataIsRefusedNamingTheKeyOnly() throws IOException {
        Path dir = Files.createDirectories(root.resolve("vol"));
        Path outside = Files.writeString(root.resolve("shadow"), "not for the driver");
        Files.createSymbolicLink(dir.resolve("demo"), outside);
        assertEquals("key demo is not a file inside the secret volume",
                assertThrows(IOException.class, () -> SecretFiles.read(dir)).getMessage());
        Files.delete(dir.resolve("demo"));
        Files.write(dir.resolve("big"), new byte[SecretFiles.MAX_BYTES + 1]);
        assertEquals("the data is larger than a Secret can be (1048576 bytes)",
                assertThrows(IOException.class, () -> SecretFiles.read(dir)).getMessage());
    }
}
