package io.agentvisor.bench;

import static io.agentvisor.bench.Kube.fromYaml;
import static io.agentvisor.bench.Kube.vms;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.testsupport.ChartOnNode;
import io.agentvisor.testsupport.HostProcesses;
import io.agentvisor.testsupport.Repo;
import io.agentvisor.testsupport.TinyGuest;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Benchmarks on the real node, Agentvisor installed as a user installs it (images, chart): P6 start latency (VM
 * created → its guest agent answers, through the pod path) beside the same guest under bare QEMU on the same
 * machine; P4 status writes per minute while VMs run and nothing changes; P7 driver restart (kill -9 of its JVM,
 * then deletion of its DaemonSet pod) → every VM's agent answering again, and VM downtime during it, measured from
 * outside the driver (a web server inside each guest probed through the pod network; QEMU pids, pod UIDs and
 * container restarts compared). Run by bench/run-node-bench.sh; writes {@code OUT.md} and {@code OUT.json}.
 *
 * <p>Arguments: {@code --out OUT --work DIR [--parts p6,p4,p7]}. P4 and P7 use the VMs P6 started.
 */
public final class NodeBench {
    static final String NS = "bench";
    static final int VMS = 3;
    static final Duration BOOT_MAX = Duration.ofMinutes(4);
    static final int IDLE_WINDOW_S = 120;
    static final Duration BACK_MAX = Duration.ofMinutes(4);
    /** how often the probe asks each guest's web server */
    static final double PROBE_EVERY_S = 0.25;

    public static void main(String[] args) throws Exception {
        Map<String, String> a = Util.options(args);
        Path work = Path.of(a.get("work"));
        List<String> parts = Arrays.asList(a.getOrDefault("parts", "p6,p4,p7").split(","));
        Report rep = new Report("Node benchmarks (P4, P6, P7)", Path.of(a.get("out")));
        int failed = 0;
        ChartOnNode sys = null;
        NodeBench b = null;
        try {
            long t0 = System.nanoTime();
            Util.log("=== installing: node cluster, images, chart");
            sys = ChartOnNode.install();
            Util.log("=== installed in %.0f s", Util.since(t0));
            b = new NodeBench(sys, work, rep);
            NodeBench bench = b;
            failed += rep.runParts(parts, Map.of("p6", bench::p6, "p4", bench::p4, "p7", bench::p7));
        } catch (Throwable e) {
            failed++;
            Util.log("node benchmarks failed: %s", e);
            e.printStackTrace();
            rep.row("P4–P7", "(install on the node)", "not measured: " + e, "", "", "", Report.FAILED);
        } finally {
            if (b != null) {
                b.close();
            }
            if (sys != null) {
                sys.deleteAllVms();
            }
            rep.write();
        }
        System.exit(failed == 0 ? 0 : 3);
    }

    private final ChartOnNode sys;
    private final KubernetesClient c;
    private final Path work;
    private final Report rep;
    private final Kube.Recorder vmRec = new Kube.Recorder();
    private final Kube.Recorder podRec = new Kube.Recorder();
    private final Watch vmWatch;
    private final Watch podWatch;
    private final List<String> running = new ArrayList<>();

    private NodeBench(ChartOnNode sys, Path work, Report rep) {
        this.sys = sys;
        this.c = sys.cluster.client();
        this.work = work;
        this.rep = rep;
        Kube.namespace(c, NS);
        Util.until("namespace " + NS + ": default ServiceAccount", Duration.ofMinutes(1),
                () -> c.serviceAccounts().inNamespace(NS).withName("default").get() != null);
        vmWatch = vms(c).inNamespace(NS).watch(vmRec);
        podWatch = c.genericKubernetesResources("v1", "Pod").inNamespace(NS).watch(podRec);
    }

    private void close() {
        vmWatch.close();
        podWatch.close();
    }

    String vmYaml(String name) {
        return """
                apiVersion: agentvisor.io/v1alpha1
                kind: VirtualMachine
                metadata:
                  name: %s
                  namespace: %s
                  labels: {bench: node}
                spec:
                  runStrategy: Always
                  cpu: {cores: 1}
                  memory: 256Mi
                  boot:
                    kernel: %s/tiny-guest/vmlinuz
                    initrd: %s/tiny-guest/initramfs.cpio.gz
                    cmdline: console=ttyS0 quiet
                  guestAgent: {enabled: true}
                  interfaces:
                    - name: default
                      ports:
                        - {name: http, port: 80}
                """.formatted(name, NS, sys.images, sys.images);
    }

    static boolean agentResponsive(JsonNode vm) {
        return "Responsive".equals(vm.path("status").path("agent").path("state").asText());
    }

    // ------------------------------------------------------------------ P6

    void p6() {
        List<Double> responsive = new ArrayList<>();
        List<Double> toPod = new ArrayList<>();
        List<Double> toRunning = new ArrayList<>();
        List<Double> toQemuPid = new ArrayList<>();
        List<Double> floor = new ArrayList<>();
        for (int i = 1; i <= VMS; i++) {
            // ours and the floor alternate, so both boot beside the same number of running guests (± one)
            String name = "b" + i;
            long t0 = System.nanoTime();
            vms(c).inNamespace(NS).resource(fromYaml(vmYaml(name))).create();
            long answered = vmRec.await(name, NodeBench::agentResponsive, BOOT_MAX);
            if (answered < 0) {
                throw new IllegalStateException("VM " + NS + "/" + name + ": agent not Responsive within " + BOOT_MAX);
            }
            running.add(name);
            responsive.add((answered - t0) / 1e9);
            String pod = "vm-" + name;
            add(toPod, podRec.await(pod, p -> true, Duration.ZERO), t0);
            add(toRunning, podRec.await(pod, p -> "Running".equals(p.path("status").path("phase").asText()), Duration.ZERO), t0);
            add(toQemuPid, vmRec.await(name, v -> v.path("status").path("qemu").path("pid").asLong() > 0, Duration.ZERO), t0);
            Util.log("P6: %s agent Responsive %.1f s after create", name, responsive.get(responsive.size() - 1));
            long f0 = System.nanoTime();
            try (TinyGuest g = TinyGuest.boot()) {
                floor.add(Util.since(f0));
            }
            Util.log("P6: bare QEMU guest-sync after %.1f s", floor.get(floor.size() - 1));
        }
        StringBuilder d = rep.section("P6 start latency");
        d.append(Util.f("""
                %d VMs created one after the other (`kubectl apply` equivalent through the API; runStrategy Always, 256Mi, \
                1 core, the tiny guest, one forwarded port), each left running. Agentvisor: create → the VM's \
                status.agent.state Responsive (the operator creates the pod, kube-scheduler binds it, the kubelet \
                starts the launcher, which starts QEMU; the node driver attaches to the pod's sockets and the guest's \
                agent answers it), seen by a watch. Floor, alternating with ours: the same kernel + initramfs under bare \
                `qemu-system-x86_64 -accel tcg` on this machine (test-support TinyGuest) until its agent answers \
                guest-sync. Times from the create:

                | | samples | median |
                |---|---|---:|
                | pod created (by the operator) | %s | %s |
                | pod Running (scheduled, launcher started) | %s | %s |
                | status.qemu.pid (driver attached) | %s | %s |
                | **agent Responsive** | %s | %s |
                | bare QEMU → guest-sync answers | %s | %s |

                """, VMS, Kube.list(toPod), Util.s2(Util.pct(toPod, 50)), Kube.list(toRunning),
                Util.s2(Util.pct(toRunning, 50)), Kube.list(toQemuPid), Util.s2(Util.pct(toQemuPid, 50)),
                Kube.list(responsive), Util.s2(Util.pct(responsive, 50)), Kube.list(floor), Util.s2(Util.pct(floor, 50))));
        double o = Util.pct(responsive, 50);
        double fl = Util.pct(floor, 50);
        rep.row("P6", "start latency: VM created → its agent answers, through the pod path (median of " + VMS + ")",
                Util.s2(o), "bare QEMU → guest-sync: " + Util.s2(fl), Util.f("%.2f×", o / fl), "close to the floor", "");
    }

    private static void add(List<Double> to, long nanos, long t0) {
        if (nanos > 0) {
            to.add((nanos - t0) / 1e9);
        }
    }

    // ------------------------------------------------------------------ P4

    void p4() {
        requireRunning();
        // settle: no VM write for 15 s (at most 90 s)
        long settleStart = System.nanoTime();
        while (Util.since(settleStart) < 90) {
            long last = vmRec.events.isEmpty() ? 0 : vmRec.events.get(vmRec.events.size() - 1).nanos();
            if ((System.nanoTime() - last) / 1e9 >= 15) {
                break;
            }
            Util.sleep(500);
        }
        long from = System.nanoTime();
        Util.log("P4: idle window of %d s with %d VMs running", IDLE_WINDOW_S, running.size());
        Util.sleep(IDLE_WINDOW_S * 1000L);
        long to = System.nanoTime();
        List<Kube.Event> writes = new ArrayList<>();
        for (String vm : running) {
            writes.addAll(vmRec.writesOf(vm, from, to));
        }
        long podWrites = podRec.events.stream().filter(e -> e.type().equals("MODIFIED") && e.nanos() >= from
                && e.nanos() < to).count();
        double perMinute = writes.size() * 60.0 / ((to - from) / 1e9);
        StringBuilder d = rep.section("P4 idle writes");
        d.append(Util.f("""
                %d VMs running (those of P6: guest agent enabled, every poll group at its default interval), nothing \
                changing; after 15 s without any VM write, a %d s window. Writes = MODIFIED watch events of the \
                VirtualMachines (each a new resourceVersion), by anyone (operator or driver). For comparison, the VM \
                pods' own MODIFIED events in the window (the kubelet's, not ours): %d.

                VM writes in the window: %d (%.2f per minute for all %d VMs).

                """, running.size(), IDLE_WINDOW_S, podWrites, writes.size(), perMinute, running.size()));
        for (Kube.Event e : writes) {
            d.append("- ").append(e.name()).append(": ").append(Util.esc(Kube.describe(vmRec.before(e), e.obj())))
                    .append('\n');
        }
        rep.row("P4", "VM status writes per minute, " + running.size() + " VMs running on the node, nothing changing ("
                + IDLE_WINDOW_S + " s window)", Util.f("%.2f", perMinute), "", "", "0",
                Report.verdict(writes.isEmpty()));
    }

    private void requireRunning() {
        if (running.isEmpty()) {
            throw new IllegalStateException("no VM running: P4 and P7 use the VMs P6 starts (run p6 first)");
        }
    }

    // ------------------------------------------------------------------ P7

    /** What identifies a VM's run: its pod, its container's restarts, QEMU's pid and start time on this machine. */
    record Identity(String podUid, int restarts, long qemuPid, Instant qemuStarted) {
    }

    Identity identity(String vm) {
        JsonNode pod = sys.get("pod", "vm-" + vm, "-n", NS);
        long pid = sys.get("virtualmachine", vm, "-n", NS).path("status").path("qemu").path("pid").asLong();
        Instant started = ProcessHandle.of(pid).flatMap(h -> h.info().startInstant()).orElse(null);
        return new Identity(pod == null ? null : pod.path("metadata").path("uid").asText(),
                pod == null ? -1 : pod.path("status").path("containerStatuses").path(0).path("restartCount").asInt(),
                pid, started);
    }

    Map<String, Identity> identities() {
        Map<String, Identity> m = new LinkedHashMap<>();
        for (String vm : running) {
            m.put(vm, identity(vm));
        }
        return m;
    }

    /** One driver restart, measured. */
    record Restart(String how, double readyS, double allAnsweringS, Map<String, Double> answeringS,
            double longestGapS, double baselineGapS, boolean identitiesUnchanged, String identityNote, long failedProbes,
            long baselineFailedProbes) {
    }

    void p7() throws Exception {
        requireRunning();
        Map<String, String> podIps = new LinkedHashMap<>();
        for (String vm : running) {
            podIps.put(vm, sys.get("pod", "vm-" + vm, "-n", NS).path("status").path("podIP").asText());
        }
        List<Restart> restarts = new ArrayList<>();
        try (GuestProbe probe = GuestProbe.start(sys, work, podIps)) {
            Util.until("every guest's web server answers the probe", Duration.ofMinutes(1),
                    () -> podIps.keySet().stream().allMatch(vm -> probe.lastOk(vm) > 0));
            restarts.add(restart(probe, "kill -9 of the driver's JVM (the kubelet restarts its container)", () -> {
                List<Long> pids = HostProcesses.javaPids("/opt/agentvisor/agent-driver/");
                if (pids.size() != 1) {
                    throw new IllegalStateException("expected one driver JVM on the node, found " + pids);
                }
                Util.run(Duration.ofSeconds(10), "kill", "-9", Long.toString(pids.get(0)));
            }));
            restarts.add(restart(probe, "deletion of the driver's DaemonSet pod (the DaemonSet creates a new one)",
                    () -> sys.kubectl("-n", ChartOnNode.NS, "delete", "pod", "-l", ChartOnNode.DRIVER_SELECTOR,
                            "--wait=false")));
        }
        StringBuilder d = rep.section("P7 driver restart");
        d.append(Util.f("""
                %d VMs running (those of P6). A probe inside the node's network asks each guest's own web server \
                (busybox httpd in the guest, reached at the VM pod's address through the port QEMU forwards) every \
                %.2f s with a 1 s limit: the VM's downtime is the longest gap between two answers of a guest, beside \
                the longest gap in the 20 s before the restart (the probe's own rhythm). "Answering again" = the new \
                driver's log says `<vm>: guest agent is responsive` (its first answer from that guest's agent; the \
                log's millisecond stamps, the node's clock = this machine's). Identity = pod UID, container restarts, \
                QEMU's pid and its start time on this machine, before and after.

                | restart | → driver pod Ready | → every VM's agent answers the new driver | per VM | longest guest gap (baseline) | failed probes (baseline) | VMs untouched |
                |---|---:|---:|---|---:|---:|---|
                """, running.size(), PROBE_EVERY_S));
        for (Restart r : restarts) {
            List<String> per = new ArrayList<>();
            r.answeringS().forEach((vm, s) -> per.add(vm + " " + Util.s2(s)));
            d.append(Util.f("| %s | %s | %s | %s | %s (%s) | %d (%d) | %s |%n", r.how(), Util.s2(r.readyS()),
                    Util.s2(r.allAnsweringS()), String.join(", ", per), Util.s2(r.longestGapS()),
                    Util.s2(r.baselineGapS()), r.failedProbes(), r.baselineFailedProbes(),
                    r.identitiesUnchanged() ? "yes" : "NO: " + r.identityNote()));
        }
        d.append('\n');
        for (Restart r : restarts) {
            boolean measured = !Double.isNaN(r.allAnsweringS());
            rep.row("P7", "driver restart, " + r.how() + " → every VM's agent answering again (" + running.size()
                    + " VMs)", Util.s2(r.allAnsweringS()), "driver pod Ready: " + Util.s2(r.readyS()), "", "seconds",
                    measured ? "" : Report.FAILED);
            rep.row("P7", "VM downtime during it: longest gap in the guests' answers; QEMU pids, pods, restarts",
                    Util.s2(r.longestGapS()) + (r.identitiesUnchanged() ? ", all unchanged" : ", CHANGED: " + r.identityNote()),
                    "probe rhythm (20 s before): " + Util.s2(r.baselineGapS()), "", "0 s, nothing restarted",
                    Report.verdict(r.identitiesUnchanged() && r.failedProbes() == 0));
        }
    }

    private Restart restart(GuestProbe probe, String how, ThrowingRunnable act) throws Exception {
        Map<String, Identity> before = identities();
        if (before.values().stream().anyMatch(i -> i.podUid() == null || i.qemuPid() <= 0 || i.qemuStarted() == null)) {
            throw new IllegalStateException("a VM has no pod or no live QEMU before the restart: " + before);
        }
        String driverBefore = driverRun();
        Util.sleep(20_000); // the baseline window of the probe
        Instant baselineFrom = Instant.now().minusSeconds(20);
        Instant t0 = Instant.now();
        long n0 = System.nanoTime();
        act.run();
        Util.log("P7: %s at %s", how, t0);
        // back = a new driver container (same pod, restarted; or the DaemonSet's new pod) that reports Ready
        Util.until("a new driver container after the restart", BACK_MAX, () -> {
            String now = driverRun();
            return now != null && !now.equals(driverBefore);
        });
        sys.awaitComponentsReady(BACK_MAX);
        double readyS = Util.since(n0);
        Map<String, Double> answering = new TreeMap<>();
        long deadline = n0 + BACK_MAX.toNanos();
        while (answering.size() < running.size() && System.nanoTime() < deadline) {
            JsonNode pod = sys.driverPod();
            if (pod != null) {
                ContainerLog log = new ContainerLog(sys.cluster.kubectl("-n", ChartOnNode.NS, "logs",
                        pod.path("metadata").path("name").asText()).output());
                for (String vm : running) {
                    Instant at = log.first(" " + NS + "/" + vm + ": guest agent is responsive", t0);
                    if (at != null) {
                        answering.put(vm, Duration.between(t0, at).toMillis() / 1000.0);
                    }
                }
            }
            Util.sleep(1000);
        }
        double all = answering.size() == running.size() ? answering.values().stream().mapToDouble(x -> x).max().orElse(
                Double.NaN) : Double.NaN;
        Util.sleep(5000); // the probe sees a little past the return
        Instant until = Instant.now();
        Map<String, Identity> after = identities();
        List<String> changed = new ArrayList<>();
        for (String vm : running) {
            if (!Objects.equals(before.get(vm), after.get(vm))) {
                changed.add(vm + ": " + before.get(vm) + " → " + after.get(vm));
            }
        }
        double gap = probe.longestGap(t0.minusSeconds(1), until);
        double baseline = probe.longestGap(baselineFrom, t0);
        long failed = probe.failures(t0, until);
        long baselineFailed = probe.failures(baselineFrom, t0);
        Util.log("P7: %s: driver Ready after %.1f s, agents answering after %s, longest gap %.2f s (baseline %.2f s), "
                + "%d failed probes, changed %s", how, readyS, answering, gap, baseline, failed, changed);
        return new Restart(how, readyS, all, answering, gap, baseline, changed.isEmpty(), String.join("; ", changed), failed,
                baselineFailed);
    }

    /** The driver's current container: its pod's UID and the container's restart count; null while there is no pod. */
    private String driverRun() {
        JsonNode pod = sys.driverPod();
        return pod == null ? null : pod.path("metadata").path("uid").asText() + "/"
                + pod.path("status").path("containerStatuses").path(0).path("restartCount").asInt();
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    /** A container log whose lines start with HH:mm:ss.SSS (the driver's format), read against this machine's date. */
    record ContainerLog(String text) {
        /** When the first line containing needle at or after {@code from} was logged, or null. */
        Instant first(String needle, Instant from) {
            for (String l : text.split("\n")) {
                if (l.length() < 12 || !l.contains(needle)) {
                    continue;
                }
                Instant at = nearest(l.substring(0, 12), from);
                if (at != null && !at.isBefore(from)) {
                    return at;
                }
            }
            return null;
        }

        /** The instant with that UTC time of day nearest to {@code ref} (the run may cross midnight). */
        static Instant nearest(String hhmmss, Instant ref) {
            LocalTime t;
            try {
                t = LocalTime.parse(hhmmss);
            } catch (RuntimeException e) {
                return null;
            }
            LocalDate day = ref.atZone(ZoneOffset.UTC).toLocalDate();
            Instant best = null;
            for (LocalDate dd : List.of(day.minusDays(1), day, day.plusDays(1))) {
                Instant i = dd.atTime(t).toInstant(ZoneOffset.UTC);
                if (best == null || Math.abs(Duration.between(i, ref).toMillis()) < Math.abs(Duration.between(best, ref)
                        .toMillis())) {
                    best = i;
                }
            }
            return best;
        }
    }

    /**
     * A shell loop inside the node's network namespace asking each guest's web server for its page; one line per
     * answer: epoch milliseconds, VM, curl's exit status. Stopped by removing its flag file.
     */
    static final class GuestProbe implements AutoCloseable {
        private final Process process;
        private final Path flag;
        private final Path out;

        private GuestProbe(Process process, Path flag, Path out) {
            this.process = process;
            this.flag = flag;
            this.out = out;
        }

        static GuestProbe start(ChartOnNode sys, Path work, Map<String, String> podIps) throws IOException {
            Path flag = work.resolve("probe.run");
            Path out = work.resolve("probe.log");
            Files.writeString(flag, "");
            StringBuilder loop = new StringBuilder("while [ -e \"$1\" ]; do\n");
            podIps.forEach((vm, ip) -> loop.append(Util.f(
                    "  curl -s -o /dev/null -m 1 http://%s/; rc=$?; echo \"$(date +%%s%%3N) %s $rc\"%n", ip, vm)));
            loop.append(Util.f("  sleep %.2f%ndone%n", PROBE_EVERY_S));
            Process p = new ProcessBuilder("bash", Repo.root().resolve("scripts/cluster.sh").toString(), "nsexec",
                    sys.cluster.dir().toString(), "bash", "-c", loop.toString(), "probe", flag.toString())
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            return new GuestProbe(p, flag, out);
        }

        /** (epoch ms, VM, ok) of every answer so far. */
        private List<String[]> lines() {
            try {
                return Files.readAllLines(out).stream().map(l -> l.trim().split(" ")).filter(f -> f.length == 3
                        && f[0].chars().allMatch(Character::isDigit)).toList();
            } catch (IOException e) {
                return List.of();
            }
        }

        long lastOk(String vm) {
            return lines().stream().filter(f -> f[1].equals(vm) && f[2].equals("0")).mapToLong(f -> Long.parseLong(f[0]))
                    .max().orElse(-1);
        }

        /** The longest time between two successful answers of one guest within [from, to], any guest. */
        double longestGap(Instant from, Instant to) {
            Map<String, Long> last = new HashMap<>();
            long longest = 0;
            for (String[] f : lines()) {
                long t = Long.parseLong(f[0]);
                if (!f[2].equals("0")) {
                    continue;
                }
                Long prev = last.put(f[1], t);
                if (prev != null && t >= from.toEpochMilli() && prev <= to.toEpochMilli()) {
                    longest = Math.max(longest, t - prev);
                }
            }
            return longest / 1000.0;
        }

        long failures(Instant from, Instant to) {
            return lines().stream().filter(f -> !f[2].equals("0")).mapToLong(f -> Long.parseLong(f[0]))
                    .filter(t -> t >= from.toEpochMilli() && t <= to.toEpochMilli()).count();
        }

        @Override
        public void close() throws IOException {
            Files.deleteIfExists(flag);
            try {
                if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroy);
                    process.destroy();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
