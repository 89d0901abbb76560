package io.agentvisor.driver.qemu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.qmp.QmpClient;
import io.agentvisor.qmp.QmpEvent;
import io.agentvisor.qmp.QmpException;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The real tiny guest started through the launcher (daemonized QEMU), driven over QMP. */
class QemuLauncherIT {
    private final Path state = Repo.shortTempDir("avst");
    private final Path run = Repo.shortTempDir("avrn");
    private final QemuLauncher launcher = new QemuLauncher("qemu-system-x86_64", new ProcFs());
    private QemuRecord started;

    @AfterEach
    void cleanUp() {
        if (started != null && launcher.isRunning(started)) {
            Signals.cont(started.pid());
            launcher.kill(started);
        }
        Repo.deleteRecursively(state);
        Repo.deleteRecursively(run);
    }

    private VmSpec tinyGuest(String uid) {
        ImageDirs images = new ImageDirs(List.of(TinyGuest.kernel().getParent()));
        return new VmSpec("default", "tiny", uid, 256, 1, images.check("kernel", TinyGuest.kernel().toString()),
                images.check("initrd", TinyGuest.initrd().toString()), "console=ttyS0 quiet", null, true);
    }

    @Test
    void launchesDetachedAdoptsByIdentityRefusesASecondQemuAndObservesShutdown() throws Exception {
        String uid = UUID.randomUUID().toString();
        VmPaths paths = VmPaths.of(state, run, uid);
        VmSpec vm = tinyGuest(uid);
        started = launcher.launch(vm, paths, "tcg");

        // detached: its own session, not a child of this JVM
        assertTrue(ProcessHandle.current().children().noneMatch(c -> c.pid() == started.pid()));
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(paths.dir())));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(paths.qmpSocket())));

        // a "restarted driver" finds the same process again; a different uid does not claim it
        assertEquals(Optional.of(started), launcher.adopt(paths, uid));
        assertTrue(launcher.adopt(VmPaths.of(state, run, UUID.randomUUID().toString()), uid).isEmpty());
        // record lost (driver killed between QEMU's start and the record write): the pid file still finds it
        Files.delete(paths.record());
        assertEquals(started.pid(), launcher.adopt(paths, uid).orElseThrow().pid());
        // QEMU's locked pid file refuses a second QEMU for the same VM
        assertThrows(java.io.IOException.class, () -> launcher.launch(vm, paths, "tcg"));
        assertTrue(launcher.isRunning(started));

        List<QmpEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch closed = new CountDownLatch(1);
        QmpClient qmp = QmpClient.connect(paths.qmpSocket(), Duration.ofSeconds(10), "qmp-test", events::add,
                closed::countDown);
        assertEquals("running", qmp.queryStatus(Duration.ofSeconds(5)));
        qmp.execute("stop", null, Duration.ofSeconds(5));
        assertEquals("paused", qmp.queryStatus(Duration.ofSeconds(5)));
        qmp.execute("cont", null, Duration.ofSeconds(5));
        QmpException err = assertThrows(QmpException.class, () -> qmp.execute("no-such-command", null,
                Duration.ofSeconds(5)));
        assertTrue(err.getMessage().contains("CommandNotFound"), err.getMessage());

        // a frozen QEMU: the call returns after its timeout, and only this connection is affected
        Signals.stop(started.pid());
        long t0 = System.nanoTime();
        assertThrows(QmpException.class, () -> qmp.queryStatus(Duration.ofMillis(500)));
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(5), "bounded by its timeout");
        assertFalse(qmp.isOpen(), "a timed-out call drops the connection");
        Signals.cont(started.pid());

        QmpClient again = QmpClient.connect(paths.qmpSocket(), Duration.ofSeconds(10), "qmp-test2", events::add,
                closed::countDown);
        again.quit(Duration.ofSeconds(5));
        assertTrue(closed.await(20, TimeUnit.SECONDS), "EOF after quit");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (launcher.isRunning(started) && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertFalse(launcher.isRunning(started));
        assertTrue(events.stream().anyMatch(e -> e.name().equals("STOP")), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.name().equals("RESUME")), events.toString());
        assertTrue(events.stream().anyMatch(e -> e.name().equals("SHUTDOWN") && !e.guestInitiated()
                && e.reason().equals("host-qmp-quit")), events.toString());
        assertTrue(launcher.adopt(paths, uid).isEmpty(), "a dead QEMU is never adopted");
        paths.delete();
    }
}
