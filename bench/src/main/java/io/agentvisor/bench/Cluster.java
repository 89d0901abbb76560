package io.agentvisor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.agentvisor.testsupport.JarProcess;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.TinyGuest;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Predicate;

/** P4 idle writes, P5 operator scale and P6 start latency: the real operator and driver jars on the real apiserver. */
final class Cluster {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SYSTEM_NS = "agentvisor-system";
    static final String NODE = "bench";
    /** The guest changes its hostname this long after its /init starts (an extra cpio layer on the initramfs). */
    static final int CHANGE_AFTER_S = 200;
    static final int IDLE_WINDOW_S = 120;
    /** plain VMs booted one after the other for P6, and as many bare-QEMU boots for its floor */
    static final int P6_SAMPLES = 4;

    private Cluster() {
    }

    // ------------------------------------------------------------------ helpers

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> vms(
            KubernetesClient c) {
        return c.genericKubernetesResources("agentvisor.io/v1alpha1", "VirtualMachine");
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> policies(
            KubernetesClient c) {
        return c.genericKubernetesResources("agentvisor.io/v1alpha1", "GuestAgentPolicy");
    }

    static void namespace(KubernetesClient c, String ns) {
        if (c.namespaces().withName(ns).get() == null) {
            c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        }
    }

    static final ObjectMapper YAML = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());

    static GenericKubernetesResource fromYaml(String yaml) {
        try {
            return JSON.treeToValue(YAML.readTree(yaml), GenericKubernetesResource.class);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode tree(GenericKubernetesResource r) {
        return JSON.valueToTree(r);
    }

    static String condition(JsonNode vm, String type) {
        for (JsonNode c : vm.path("status").path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c.path("status").asText();
            }
        }
        return null;
    }

    static JarProcess startOperator(KubeApiServer api, Path work, Path jar, Path images, String logName) {
        return JarProcess.start(jar, work.resolve(logName), Map.of("KUBECONFIG", api.kubeconfig().toString()),
                "-Dquarkus.http.port=0", "-Dagentvisor.namespace=" + SYSTEM_NS,
                "-Dagentvisor.images.allowed-dirs=" + images);
    }

    static void close(JarProcess p) {
        if (p != null) {
            p.close();
        }
    }

    /** What the watch saw: arrival time, type, object. */
    record Event(long nanos, String type, String name, String rv, JsonNode obj) {
    }

    static final class Recorder implements Watcher<GenericKubernetesResource> {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final Map<String, JsonNode> latest = new ConcurrentHashMap<>();
        volatile String closed;

        @Override
        public void eventReceived(Action action, GenericKubernetesResource r) {
            JsonNode t = tree(r);
            String name = r.getMetadata().getName();
            events.add(new Event(System.nanoTime(), action.name(), name, r.getMetadata().getResourceVersion(), t));
            if (action == Action.DELETED) {
                latest.remove(name);
            } else {
                latest.put(name, t);
            }
        }

        @Override
        public void onClose(WatcherException cause) {
            closed = String.valueOf(cause);
        }

        /** Waits until the condition holds for the latest object of name; returns the nanoTime it was seen, or -1. */
        long await(String name, Predicate<JsonNode> p, Duration max) {
            long t0 = System.nanoTime();
            while (Util.since(t0) < max.toSeconds()) {
                for (Event e : events) {
                    if (e.name().equals(name) && !e.type().equals("DELETED") && p.test(e.obj())) {
                        return e.nanos();
                    }
                }
                Util.sleep(100);
            }
            return -1;
        }

        List<Event> writesOf(String name, long from, long to) {
            List<Event> r = new ArrayList<>();
            for (Event e : events) {
                if (e.name().equals(name) && e.type().equals("MODIFIED") && e.nanos() >= from && e.nanos() < to) {
                    r.add(e);
                }
            }
            return r;
        }

        JsonNode before(Event e) {
            JsonNode prev = null;
            for (Event x : events) {
                if (x == e) {
                    return prev;
                }
                if (x.name().equals(e.name())) {
                    prev = x.obj();
                }
            }
            return prev;
        }
    }

    /** Which parts of the object a write changed, and by whom (the newest managedFields entry). */
    static String describe(JsonNode prev, JsonNode now) {
        Set<String> changed = new TreeSet<>();
        if (prev != null) {
            for (String k : List.of("labels", "annotations", "finalizers")) {
                if (!Objects.equals(prev.path("metadata").path(k), now.path("metadata").path(k))) {
                    changed.add("metadata." + k);
                }
            }
            if (!Objects.equals(prev.path("spec"), now.path("spec"))) {
                changed.add("spec");
            }
            Iterator<String> it = now.path("status").fieldNames();
            Set<String> keys = new TreeSet<>();
            it.forEachRemaining(keys::add);
            prev.path("status").fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (k.equals("conditions")) {
                    for (JsonNode c : now.path("status").path("conditions")) {
                        JsonNode old = null;
                        for (JsonNode o : prev.path("status").path("conditions")) {
                            if (o.path("type").equals(c.path("type"))) {
                                old = o;
                            }
                        }
                        if (!c.equals(old)) {
                            changed.add("condition " + c.path("type").asText() + "=" + c.path("status").asText());
                        }
                    }
                } else if (!Objects.equals(prev.path("status").path(k), now.path("status").path(k))) {
                    JsonNode a = prev.path("status").path(k);
                    JsonNode b = now.path("status").path(k);
                    if (a.isObject() && b.isObject()) {
                        Set<String> sub = new TreeSet<>();
                        a.fieldNames().forEachRemaining(sub::add);
                        b.fieldNames().forEachRemaining(sub::add);
                        for (String f : sub) {
                            if (!Objects.equals(a.path(f), b.path(f))) {
                                changed.add("status." + k + "." + f);
                            }
                        }
                    } else {
                        changed.add("status." + k);
                    }
                }
            }
        }
        String who = "?";
        String newest = "";
        for (JsonNode m : now.path("metadata").path("managedFields")) {
            String t = m.path("time").asText();
            if (t.compareTo(newest) >= 0) {
                newest = t;
                who = m.path("manager").asText() + (m.hasNonNull("subresource") ? "/" + m.path("subresource").asText() : "");
            }
        }
        return who + ": " + (changed.isEmpty() ? "(no visible change)" : String.join(", ", changed));
    }

    static String vmYaml(String ns, String name, Path images, String initrd, String labels, String runStrategy,
            String extraSpec) {
        return """
                apiVersion: agentvisor.io/v1alpha1
                kind: VirtualMachine
                metadata:
                  name: %s
                  namespace: %s
                  labels: {%s}
                spec:
                  runStrategy: %s
                  cpu:
                    cores: 1
                  memory: 256Mi
                  boot:
                    kernel: %s/vmlinuz
                    initrd: %s/%s
                    cmdline: console=ttyS0 quiet
                %s
                """.formatted(name, ns, labels, runStrategy, images, images, initrd, extraSpec);
    }

    /** vmlinuz + the tiny guest's initramfs, and a copy with one more cpio layer whose /init changes the hostname later. */
    static Path images(Path work) throws IOException {
        Path img = work.resolve("img");
        if (Files.isRegularFile(img.resolve("initramfs-change.cpio.gz"))) {
            return img;
        }
        Files.createDirectories(img.resolve("ov"));
        Files.copy(TinyGuest.kernel(), img.resolve("vmlinuz"));
        Files.copy(TinyGuest.initrd(), img.resolve("initramfs.cpio.gz"));
        String script = """
                set -e
                cd "$1/ov"
                zcat ../initramfs.cpio.gz | cpio -i --quiet init
                # right after the mounts (a background job needs /dev/null)
                sed -i '2a (sleep %d; hostname bench-changed) \\&' init
                grep -q 'hostname bench-changed' init
                cp ../initramfs.cpio.gz ../initramfs-change.cpio.gz
                printf 'init\\n' | cpio -o -H newc --quiet -R 0:0 | gzip >> ../initramfs-change.cpio.gz
                """.formatted(CHANGE_AFTER_S);
        Util.Run r = Util.run(Duration.ofSeconds(60), "bash", "-c", script, "bash", img.toString());
        if (!r.ok()) {
            throw new IllegalStateException("building the hostname-changing initramfs failed: " + r.oneLine());
        }
        return img;
    }

    // ------------------------------------------------------------------ P4 + P6

    /** @param libvirtBoot libvirt's boot of the same guest as P2 measured it in this run, or null */
    static void p4p6(Path work, Path opJar, Path drvJar, Report rep, Double libvirtBoot) throws Exception {
        KubeApiServer api = KubeApiServer.shared();
        KubernetesClient c = api.client();
        namespace(c, SYSTEM_NS);
        namespace(c, "p4");
        Path img = images(work);
        JarProcess operator = null;
        JarProcess driver = null;
        Watch watch = null;
        Recorder rec = new Recorder();
        List<Double> ours = new ArrayList<>();
        List<Double> oursResponsive = new ArrayList<>();
        List<Double> createToQemu = new ArrayList<>();
        double p4Connected = -1;
        double p4Responsive = -1;
        StringBuilder d = rep.section("P4 idle writes");
        StringBuilder d6 = rep.section("P6 start latency");
        try {
            operator = startOperator(api, work, opJar, img, "p4-operator.log");
            Files.createDirectories(work.resolve("state"));
            Files.createDirectories(work.resolve("run"));
            driver = JarProcess.start(drvJar, work.resolve("p4-driver.log"), Map.ofEntries(Map.entry("NODE_NAME", NODE),
                    Map.entry("KUBECONFIG", api.kubeconfig().toString()),
                    Map.entry("AGENTVISOR_DRIVER_STATE_DIR", work.resolve("state").toString()),
                    Map.entry("AGENTVISOR_DRIVER_RUN_DIR", work.resolve("run").toString()),
                    Map.entry("AGENTVISOR_DRIVER_IMAGE_DIRS", img.toString()),
                    Map.entry("AGENTVISOR_DRIVER_HTTP_PORT", "0"), Map.entry("AGENTVISOR_DRIVER_ACCELERATOR", "tcg"),
                    Map.entry("AGENTVISOR_DRIVER_STOP_GRACE", "8s"),
                    Map.entry("AGENTVISOR_DRIVER_LEASE_NAMESPACE", SYSTEM_NS),
                    Map.entry("AGENTVISOR_DRIVER_STOP_VMS_ON_EXIT", "true")), "-Xmx256m");
            long t0 = System.nanoTime();
            while (c.leases().inNamespace(SYSTEM_NS).withName("agentvisor-node-" + NODE).get() == null) {
                if (Util.since(t0) > 90 || !driver.isAlive() || !operator.isAlive()) {
                    throw new IllegalStateException("the driver's node Lease did not appear within 90 s (driver alive: "
                            + driver.isAlive() + ", operator alive: " + operator.isAlive() + "); see " + work);
                }
                Util.sleep(250);
            }
            Util.sleep(3000); // the operator sees the Lease
            watch = vms(c).inNamespace("p4").watch(rec);

            String extra = "  guestAgent:\n    enabled: true\n    pollIntervals:\n      osInfo: 10s\n";
            long created = System.nanoTime();
            vms(c).inNamespace("p4").resource(fromYaml(vmYaml("p4", "idle", img, "initramfs-change.cpio.gz", "bench: p4", "Always", extra))).create();
            long connected = rec.await("idle", o -> "True".equals(condition(o, "AgentConnected")), Duration.ofSeconds(180));
            if (connected < 0) {
                throw new IllegalStateException("VM p4/idle: AgentConnected not True within 180 s; see " + work);
            }
            ours.add((connected - created) / 1e9);
            long responsive = rec.await("idle", o -> "True".equals(condition(o, "AgentResponsive")), Duration.ofSeconds(180));
            if (responsive > 0) {
                oursResponsive.add((responsive - created) / 1e9);
            }
            Util.log("P4/P6: AgentConnected after %.1f s, AgentResponsive after %s", ours.get(0), oursResponsive);
            long hostnameSeen = rec.await("idle", o -> !o.path("status").path("guest").path("hostname").asText("").isEmpty(),
                    Duration.ofSeconds(60));
            // settle: no write for 15 s (at most 60 s)
            long settleStart = System.nanoTime();
            while (Util.since(settleStart) < 60) {
                long last = rec.events.get(rec.events.size() - 1).nanos();
                if ((System.nanoTime() - last) / 1e9 >= 15) {
                    break;
                }
                Util.sleep(500);
            }
            long idleStart = System.nanoTime();
            double idleStartAfterCreate = (idleStart - created) / 1e9;
            double changeAt = CHANGE_AFTER_S; // after the guest's /init: later than this after the create
            double windowS = Math.min(IDLE_WINDOW_S, changeAt - idleStartAfterCreate - 5);
            Util.log("P4: idle window of %.0f s starts %.0f s after create", windowS, idleStartAfterCreate);
            Util.sleep((long) (windowS * 1000));
            long idleEnd = System.nanoTime();
            List<Event> idleWrites = rec.writesOf("idle", idleStart, idleEnd);
            long changed = rec.await("idle", o -> "bench-changed".equals(o.path("status").path("guest").path("hostname").asText()),
                    Duration.ofSeconds(CHANGE_AFTER_S + 90 - (long) ((System.nanoTime() - created) / 1e9)));
            List<Event> changeWrites = List.of();
            double changeSeenAfterCreate = Double.NaN;
            if (changed > 0) {
                Util.sleep(15_000);
                // the guest changes at most one osInfo interval (10 s) before the poll that sees it
                changeWrites = rec.writesOf("idle", Math.max(idleEnd, changed - 10_000_000_000L), changed + 15_000_000_000L);
                changeSeenAfterCreate = (changed - created) / 1e9;
            }
            List<Event> bootWrites = rec.writesOf("idle", 0, idleStart);

            // P6: plain VMs (the original initramfs), one boot at a time; the P4 VM's own start is reported apart
            p4Connected = ours.isEmpty() ? -1 : ours.remove(0);
            p4Responsive = oursResponsive.isEmpty() ? -1 : oursResponsive.remove(0);
            for (int i = 1; i <= P6_SAMPLES; i++) {
                String name = "start" + i;
                long createdN = System.nanoTime();
                vms(c).inNamespace("p4").resource(fromYaml(vmYaml("p4", name, img, "initramfs.cpio.gz", "bench: p6", "Always", "  guestAgent:\n    enabled: true\n"))).create();
                long connectedN = rec.await(name, o -> "True".equals(condition(o, "AgentConnected")), Duration.ofSeconds(180));
                if (connectedN > 0) {
                    ours.add((connectedN - createdN) / 1e9);
                }
                long responsiveN = rec.await(name, o -> "True".equals(condition(o, "AgentResponsive")), Duration.ofSeconds(180));
                if (responsiveN > 0) {
                    oursResponsive.add((responsiveN - createdN) / 1e9);
                }
                long qemuN = rec.await(name, o -> o.path("status").path("qemu").path("pid").isNumber(),
                        Duration.ofSeconds(5));
                if (qemuN > 0) {
                    createToQemu.add((qemuN - createdN) / 1e9);
                }
                vms(c).inNamespace("p4").withName(name).delete();
                long gone = System.nanoTime();
                while (vms(c).inNamespace("p4").withName(name).get() != null && Util.since(gone) < 60) {
                    Util.sleep(200);
                }
            }
            vms(c).inNamespace("p4").withName("idle").delete();
            long delT = System.nanoTime();
            while (!vms(c).inNamespace("p4").list().getItems().isEmpty() && Util.since(delT) < 90) {
                Util.sleep(500);
            }

            // report P4
            d.append(Util.f("""
                    Operator and driver jars (the shipped fast-jars) against the real kube-apiserver 1.20.2, one VM running \
                    the tiny guest (runStrategy Always, `guestAgent.pollIntervals.osInfo: 10s` so the guest change is seen \
                    within 10 s; users every 10 s, others at their defaults). Writes = MODIFIED watch events of the VM \
                    (each one a new resourceVersion), by anyone. Guest change: the guest's initramfs has one more cpio \
                    layer: the same /init plus one line that runs `hostname bench-changed` %d s after boot (the driver owns the agent socket, so \
                    the harness cannot guest-exec; the timer is the guest-side equivalent).

                    | window | length | writes | writes per minute |
                    |---|---:|---:|---:|
                    | create → idle window (boot, placement, agent, first polls) | %.0f s | %d | — |
                    | idle (nothing changes) | %.0f s | %d | %.2f |
                    | guest change (hostname in status − 10 s … + 15 s) | %s | %d | — |

                    """, CHANGE_AFTER_S, idleStartAfterCreate, bootWrites.size(), windowS, idleWrites.size(),
                    idleWrites.size() * 60.0 / windowS,
                    changed > 0 ? Util.f("%.0f s", (changed + 15_000_000_000L - Math.max(idleEnd, changed - 10_000_000_000L)) / 1e9) : "not seen",
                    changeWrites.size()));
            if (changed > 0) {
                d.append(Util.f("The new hostname reached status %.0f s after the create (the guest changes it ~%d s after its /init starts).%n%n",
                        changeSeenAfterCreate, CHANGE_AFTER_S));
            } else {
                d.append("The hostname change did not reach status within the wait: the per-change count is not measured.\n\n");
            }
            d.append("Writes seen (newest managedFields entry: what changed):\n\n");
            for (Event e : rec.events) {
                if (e.name().equals("idle") && e.type().equals("MODIFIED")) {
                    long changeEnd = changed > 0 ? changed + 15_000_000_000L : Long.MAX_VALUE;
                    String phase = e.nanos() < idleStart ? "boot" : e.nanos() < idleEnd ? "IDLE"
                            : e.nanos() < changeEnd ? "change" : "after (second VM, deletion)";
                    d.append(Util.f("- +%.1f s [%s] %s%n", (e.nanos() - created) / 1e9, phase, Util.esc(describe(rec.before(e), e.obj()))));
                }
            }
            d.append('\n');
            rep.row("P4", "status writes per minute, VM running, nothing changing (" + Math.round(windowS) + " s window)",
                    Util.f("%.2f", idleWrites.size() * 60.0 / windowS), "", "", "0", Report.verdict(idleWrites.isEmpty()));
            long guestWrites = changeWrites.stream().filter(e -> describe(rec.before(e), e.obj()).contains("status.guest")).count();
            rep.row("P4", "status writes for one guest change (hostname)", changed > 0 ? changeWrites.size() + " (" + guestWrites
                    + " with status.guest)"
                    : "not measured (change not seen)", "", "", "1",
                    changed > 0 ? Report.verdict(changeWrites.size() == 1) : Report.FAILED);
            if (hostnameSeen < 0) {
                d.append("(the first hostname never appeared in status)\n");
            }
        } finally {
            if (watch != null) {
                watch.close();
            }
            close(driver);
            close(operator);
        }
        reportP6(work, rep, d6, ours, oursResponsive, createToQemu, p4Connected, p4Responsive, libvirtBoot);
    }

    /**
     * P6 from what the P4 run measured, against the floor (the same guest under bare QEMU, measured here) and
     * libvirt's boot when P2 measured it in this run (null otherwise).
     */
    private static void reportP6(Path work, Report rep, StringBuilder d6, List<Double> ours, List<Double> oursResponsive,
            List<Double> createToQemu, double p4Connected, double p4Responsive, Double libvirtBoot) {
        List<Double> floor = new ArrayList<>();
        // floor: the same guest under bare qemu-system until its agent answers guest-sync
        for (int i = 0; i < P6_SAMPLES; i++) {
            long t0 = System.nanoTime();
            try (TinyGuest g = TinyGuest.boot()) {
                floor.add(Util.since(t0));
            }
        }
        Util.log("P6: ours %s / %s, floor %s", ours, oursResponsive, floor);
        d6.append("""
                Agentvisor: create of a VirtualMachine (operator places it on the node's Lease, driver starts QEMU, \
                connects the agent) until the watch shows condition AgentConnected=True (the agent channel is open: \
                QEMU is up, the guest may still be booting) and AgentResponsive=True (the guest's agent answered: \
                comparable with the floor), for %d plain VMs booted one after the other (the P4 VM, whose initramfs \
                has an extra cpio layer, is listed apart). Floor: the same kernel + initramfs under \
                bare `qemu-system-x86_64 -accel tcg` (TinyGuest) until its agent answers guest-sync. Libvirt's boot of \
                the same guest (`virsh create` until guest-ping answers) is in the P2 notes.

                """.formatted(P6_SAMPLES));
        List<String> sampleVms = new ArrayList<>();
        for (int i = 1; i <= P6_SAMPLES; i++) {
            sampleVms.add("p4/start" + i);
        }
        List<Double> qemuToAnswer = driverLogGaps(work.resolve("p4-driver.log"), sampleVms);
        d6.append(Util.f("| | samples | median |%n|---|---|---:|%n| Agentvisor (create → AgentConnected) | %s | %s |%n"
                + "| Agentvisor driver log: QEMU started → first agent answer | " + list(qemuToAnswer) + " | "
                + Util.s2(Util.pct(qemuToAnswer, 50)) + " |%n"
                + "| Agentvisor (create → AgentResponsive) | %s | %s |%n"
                + "| bare QEMU (start → guest-sync answers) | %s | %s |%n"
                + "| Agentvisor: create → status.qemu.pid (placement by the operator, QEMU launched by the driver) | "
                + list(createToQemu) + " | " + Util.s2(Util.pct(createToQemu, 50)) + " |%n"
                + "| the P4 VM (extra cpio layer): create → AgentConnected / AgentResponsive | "
                + Util.f("%.1f s / %.1f s", p4Connected, p4Responsive) + " | |%n%n", list(ours),
                Util.s2(Util.pct(ours, 50)), list(oursResponsive), Util.s2(Util.pct(oursResponsive, 50)), list(floor),
                Util.s2(Util.pct(floor, 50))));
        d6.append(Util.f("""
                Reading: from QEMU's start the guest's agent answers the driver after %s (median) against %s on bare \
                QEMU: until it first answers, a probe is always pending in the channel, so the driver hears the agent as \
                it comes up. The rest of the difference is the control plane before QEMU exists: %s from create to \
                status.qemu.pid (the operator places the VM and labels it for the node, the driver adds its finalizer \
                and launches QEMU). Boot times of a TCG guest vary by a second or more from run to run on this machine.

                """, Util.s2(Util.pct(qemuToAnswer, 50)), Util.s2(Util.pct(floor, 50)), Util.s2(Util.pct(createToQemu, 50))));
        double o = Util.pct(ours, 50);
        double or = Util.pct(oursResponsive, 50);
        double fl = Util.pct(floor, 50);
        rep.row("P6", "start latency: VM created → AgentConnected (channel open) (median)", Util.s2(o), "", "",
                "", "");
        rep.row("P6", "start latency: VM created → AgentResponsive (guest agent answered) (median)", Util.s2(or),
                "bare QEMU → guest-sync: " + Util.s2(fl) + (libvirtBoot != null
                        ? "; libvirt (virsh create → guest-ping, P2, 2 guests booting at once): "
                        + Util.s2(libvirtBoot) : ""),
                Util.f("%.2f×", or / fl), "close to the floor", "");
    }

    /** Seconds from "VM: started QEMU" to "VM: guest agent is responsive" in the driver's log (HH:mm:ss.SSS stamps). */
    static List<Double> driverLogGaps(Path log, List<String> vms) {
        List<Double> r = new ArrayList<>();
        try {
            List<String> lines = Files.readAllLines(log);
            for (String vm : vms) {
                Double start = null;
                for (String l : lines) {
                    if (l.length() < 12 || !l.contains(vm + ":")) {
                        continue;
                    }
                    double t;
                    try {
                        t = java.time.LocalTime.parse(l.substring(0, 12)).toNanoOfDay() / 1e9;
                    } catch (RuntimeException e) {
                        continue;
                    }
                    if (start == null && l.contains(vm + ": started QEMU")) {
                        start = t;
                    } else if (start != null && l.contains(vm + ": guest agent is responsive")) {
                        r.add(t - start);
                        break;
                    }
                }
            }
        } catch (IOException e) {
            // no log: no column
        }
        return r;
    }

    static String list(List<Double> xs) {
        List<String> s = new ArrayList<>();
        for (double x : xs) {
            s.add(Util.f("%.1f s", x));
        }
        return String.join(", ", s);
    }

    // ------------------------------------------------------------------ P5

    static final int VMS = 1000;

    static void p5(Path work, Path opJar, Report rep) throws Exception {
        KubeApiServer api = KubeApiServer.shared();
        KubernetesClient c = api.client();
        namespace(c, SYSTEM_NS);
        namespace(c, "p5");
        Path img = images(work);
        // 10 policies: pol-g0..g8 by group (priority 10), pol-half (priority 100) over the 500 VMs labelled half=a
        for (int g = 0; g < 9; g++) {
            policies(c).inNamespace("p5").resource(fromYaml(("""
                    apiVersion: agentvisor.io/v1alpha1
                    kind: GuestAgentPolicy
                    metadata: {name: pol-g%d, namespace: p5}
                    spec:
                      selector: {matchLabels: {group: g%d}}
                      priority: 10
                      responseTimeout: %d
                      pollIntervals: {users: 30s}
                    """.formatted(g, g, g + 5)))).create();
        }
        policies(c).inNamespace("p5").resource(fromYaml(("""
                apiVersion: agentvisor.io/v1alpha1
                kind: GuestAgentPolicy
                metadata: {name: pol-half, namespace: p5}
                spec:
                  selector: {matchLabels: {half: a}}
                  priority: 100
                  responseTimeout: 3
                """))).create();
        long tc = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> fs = new ArrayList<>();
        for (int i = 0; i < VMS; i++) {
            int n = i;
            fs.add(pool.submit(() -> {
                boolean halted = n % 2 == 0;
                String extra = halted ? "" : "  nodeSelector: {bench/none: \"true\"}\n";
                GenericKubernetesResource r = fromYaml((vmYaml("p5", Util.f("vm-%04d", n), img,
                        "initramfs.cpio.gz", "group: g" + (n % 10) + ", half: " + (n < VMS / 2 ? "a" : "b"),
                        halted ? "Halted" : "Always", extra)));
                vms(c).inNamespace("p5").resource(r).create();
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        pool.shutdown();
        double createS = Util.since(tc);
        Util.log("P5: %d VMs created in %.1f s", VMS, createS);

        Recorder rec = new Recorder();
        Watch watch = vms(c).inNamespace("p5").watch(rec);
        Util.sleep(2000);
        JarProcess operator = null;
        long rssMax = 0;
        try {
            long t0 = System.nanoTime();
            operator = startOperator(api, work, opJar, img, "p5-operator.log");
            long allResolved = -1;
            while (Util.since(t0) < 420) {
                if (!operator.isAlive()) {
                    throw new IllegalStateException("the operator exited; see " + work.resolve("p5-operator.log"));
                }
                rssMax = Math.max(rssMax, Util.rssMiB(operator.pid()));
                long n = rec.latest.values().stream().filter(o -> o.path("status").has("agentPolicy")).count();
                if (n >= VMS) {
                    allResolved = System.nanoTime();
                    break;
                }
                Util.sleep(500);
            }
            long firstWrite = rec.events.stream().filter(e -> e.type().equals("MODIFIED")).mapToLong(Event::nanos).min().orElse(-1);
            int writesInitial = (int) rec.events.stream().filter(e -> e.type().equals("MODIFIED")).count();
            double resolveS = allResolved > 0 ? (allResolved - t0) / 1e9 : Double.NaN;
            double resolveFromFirst = allResolved > 0 && firstWrite > 0 ? (allResolved - firstWrite) / 1e9 : Double.NaN;
            Util.log("P5: all %d VMs have status.agentPolicy %.1f s after operator start", VMS, resolveS);
            Util.sleep(5000);
            int settledCount = rec.events.size();

            // one policy edit touching 500 VMs
            long te = System.nanoTime();
            policies(c).inNamespace("p5").withName("pol-half").edit(p -> {
                ((Map<String, Object>) p.getAdditionalProperties().get("spec")).put("responseTimeout", 4);
                return p;
            });
            long allEdited = -1;
            while (Util.since(te) < 300 && allResolved > 0) {
                rssMax = Math.max(rssMax, Util.rssMiB(operator.pid()));
                long n = rec.latest.values().stream().filter(o -> o.path("metadata").path("labels").path("half").asText().equals("a")
                        && o.path("status").path("agentPolicy").path("policy").asText().endsWith("/pol-half")
                        && o.path("status").path("agentPolicy").path("responseTimeout").asInt() == 4).count();
                if (n >= VMS / 2) {
                    allEdited = System.nanoTime();
                    break;
                }
                Util.sleep(250);
            }
            double editS = allEdited > 0 ? (allEdited - te) / 1e9 : Double.NaN;
            Util.sleep(3000);
            long rssEnd = Util.rssMiB(operator.pid());
            rssMax = Math.max(rssMax, rssEnd);
            int editWrites = (int) rec.events.subList(settledCount, rec.events.size()).stream()
                    .filter(e -> e.type().equals("MODIFIED")).count();
            long wrong = rec.latest.values().stream().filter(o -> !o.path("metadata").path("labels").path("half").asText().equals("a")
                    && o.path("status").path("agentPolicy").path("policy").asText().endsWith("/pol-half")).count();

            StringBuilder d = rep.section("P5 operator scale");
            d.append(Util.f("""
                    %d VirtualMachines (half `Halted`, half `Always` with a nodeSelector no node has: unschedulable; no \
                    boots) and 10 GuestAgentPolicies in one namespace, created before the operator starts (creation took \
                    %.1f s with 8 client threads). Then the operator jar starts (default JVM settings); a watch in the \
                    harness follows every VM. Then `pol-half` (priority 100, selects the 500 VMs labelled half=a) changes \
                    responseTimeout 3 → 4.

                    | step | time | VM writes (MODIFIED events) |
                    |---|---:|---:|
                    | operator start → every VM has status.agentPolicy | %s | %d |
                    | … counted from the operator's first VM write | %s | |
                    | policy edit → all 500 governed VMs show responseTimeout 4 | %s | %d (%.1f per governed VM) |

                    Operator RSS: max %d MiB, %d MiB at the end. VMs of the other half wrongly governed by pol-half: %d.

                    """, VMS, createS, Util.s2(resolveS), writesInitial, Util.s2(resolveFromFirst), Util.s2(editS), editWrites, editWrites / (VMS / 2.0),
                    rssMax, rssEnd, wrong));
            rep.row("P5", "1,000 VMs + 10 policies: operator start → every VM has status.agentPolicy", Util.s2(resolveS),
                    "", "", "", allResolved > 0 ? "" : "NOT finished");
            rep.row("P5", "one policy edit touching 500 VMs → all show it", Util.s2(editS), "", "", "",
                    allEdited > 0 ? "" : "NOT finished");
            rep.row("P5", "operator RSS (max during P5)", rssMax + " MiB", "", "", "", "");
        } finally {
            watch.close();
            close(operator);
        }
    }
}
