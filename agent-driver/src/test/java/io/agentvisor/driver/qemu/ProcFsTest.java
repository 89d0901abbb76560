package io.agentvisor.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Finding a VM pod's QEMU by its QMP socket, with real unix sockets and a /proc tree whose processes have
 * different roots (as containers in their own mount namespaces do): every QEMU names the same in-container path.
 */
class ProcFsTest {
    static final String IN_POD = "/run/agentvisor/qmp.sock";
    final List<ServerSocketChannel> open = new ArrayList<>();

    @AfterEach
    void close() throws IOException {
        for (ServerSocketChannel c : open) {
            c.close();
        }
    }

    /** A real listening unix socket at {@code path}. */
    Path listen(Path path) throws IOException {
        Files.createDirectories(path.getParent());
        ServerSocketChannel c = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        c.bind(UnixDomainSocketAddress.of(path));
        open.add(c);
        return path;
    }

    /** A process entry: cmdline, stat (with start time), root -> its file-system root. */
    static void process(Path proc, long pid, long start, Path root, String... argv) throws IOException {
        Path d = Files.createDirectories(proc.resolve(Long.toString(pid)));
        Files.write(d.resolve("cmdline"), (String.join("\0", argv) + "\0").getBytes(StandardCharsets.UTF_8));
        Files.writeString(d.resolve("stat"), pid + " (" + Path.of(argv[0]).getFileName()
                + ") S 1 1 1 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 " + start + " 1000 200");
        Files.createSymbolicLink(d.resolve("root"), root);
    }

    @Test
    void theQemuWhoseSocketIsThePodsFileIsFoundAmongQemusNamingTheSamePath(@TempDir Path tmp) throws IOException {
        Path proc = Files.createDirectories(tmp.resolve("proc"));
        Path podA = tmp.resolve("a");
        Path podB = tmp.resolve("b");
        Path sockA = listen(podA.resolve(IN_POD.substring(1)));
        listen(podB.resolve(IN_POD.substring(1)));
        process(proc, 100, 11, podB, "/usr/bin/qemu-system-x86_64", "-chardev",
                "socket,id=qmp0,path=" + IN_POD + ",server=on,wait=off", "-mon", "chardev=qmp0,mode=control");
        process(proc, 200, 22, podA, "qemu-system-x86_64", "-qmp", "unix:" + IN_POD + ",server=on,wait=off");
        process(proc, 300, 33, podA, "/bin/sh", "-c", "echo " + IN_POD);
        ProcFs fs = new ProcFs(proc);
        assertEquals(Optional.of(new ProcFs.ProcessId(200, 22)), fs.findQemuListeningOn(sockA));
        assertTrue(fs.alive(new ProcFs.ProcessId(200, 22)));
        assertTrue(!fs.alive(new ProcFs.ProcessId(200, 23)), "same pid, another start time: another process");
    }

    @Test
    void noQemuListeningOnTheSocketIsEmpty(@TempDir Path tmp) throws IOException {
        Path proc = Files.createDirectories(tmp.resolve("proc"));
        Path sock = listen(tmp.resolve("x/qmp.sock"));
        process(proc, 100, 11, tmp.resolve("elsewhere"), "qemu-system-x86_64", "-qmp", "unix:" + IN_POD);
        assertEquals(Optional.empty(), new ProcFs(proc).findQemuListeningOn(sock));
    }

    @Test
    void qmpSocketPathsAreReadFromEveryOptionSyntax() {
        assertEquals(List.of("/a/qmp.sock"), ProcFs.qmpSocketPaths(List.of("qemu-system-x86_64", "-qmp",
                "unix:/a/qmp.sock,server=on,wait=off")));
        assertEquals(List.of("/b,c/qmp.sock"), ProcFs.qmpSocketPaths(List.of("qemu-system-x86_64", "-chardev",
                "socket,id=m,path=/b,,c/qmp.sock,server=on", "-chardev", "socket,id=g,path=/b/qga.sock")));
        assertEquals(List.of(), ProcFs.qmpSocketPaths(List.of("qemu-system-x86_64", "-qmp", "unix:relative/qmp.sock")));
    }

    @Test
    void procStatStartTimeSurvivesOddProcessNames() {
        String stat = "1234 (qemu) x (y)) S 1 1234 1234 0 -1 4194560 100 0 0 0 5 6 0 0 20 0 3 0 987654 1000 200";
        assertEquals(OptionalLong.of(987654), ProcFs.parseStartTime(stat));
        assertTrue(ProcFs.parseStartTime(stat.replace(") S ", ") Z ")).isEmpty(), "a zombie is not running");
        long self = ProcessHandle.current().pid();
        assertTrue(new ProcFs().startTime(self).isPresent());
    }
}
