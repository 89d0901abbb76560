package io.agentvisor.bench;

import static io.agentvisor.bench.Kube.condition;
import static io.agentvisor.bench.Kube.fromYaml;
import static io.agentvisor.bench.Kube.namespace;
import static io.agentvisor.bench.Kube.policies;
import static io.agentvisor.bench.Kube.vms;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.testsupport.Cmd;
import io.agentvisor.testsupport.JarProcess;
import io.agentvisor.testsupport.KubeApiServer;
import io.agentvisor.testsupport.Repo;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * P5, operator scale: the operator jar as a process, configured as the Helm chart configures its pod (the
 * container's environment rendered by bin/helm template, JVM options included; the image's entrypoint flags from
 * scripts/images.sh; the container's memory limit as -XX:MaxRAM), against the API-only test cluster
 * (kube-apiserver, etcd, kube-controller-manager; no scheduler, no kubelet) holding 1,000 VirtualMachines: half
 * {@code Halted} (no pod is due), half {@code Always} (a pod is due: the operator creates it and it stays Pending,
 * since nothing schedules it), 10 GuestAgentPolicies. Measured twice, as the chart runs it and with this host's JVM
 * defaults (the reference: how the operator ran as a host process before), with the VM state reset in between.
 */
final class OperatorScale {
    static final int VMS = 1000;
    static final String NS = "p5";
    static final String SYSTEM_NS = "agentvisor-system";
    static final long RSS_GOAL_MIB = 300;
    static final Duration RESOLVE_MAX = Duration.ofMinutes(7);
    static final Duration EDIT_MAX = Duration.ofMinutes(5);

    private OperatorScale() {
    }

    /** What one operator run measured. */
    record Measured(String jvm, double resolveS, double podsS, double editS, int initialWrites, int editWrites,
            long rssMax, long rssSettled, long rssEnd, long wrong, String heap, String histogram, String nativeMemory) {
    }

    static void run(Path work, Path opJar, Report rep) throws Exception {
        KubeApiServer api = KubeApiServer.shared();
        KubernetesClient c = api.client();
        namespace(c, SYSTEM_NS);
        namespace(c, NS);
        Path img = work.resolve("img");
        java.nio.file.Files.createDirectories(img);
        defaultServiceAccount(c);
        double createS = createObjects(c, img);

        Chart chart0 = Chart.render(img);
        List<String> chartFlags = new ArrayList<>(chart0.entrypointFlags());
        chartFlags.add("-XX:MaxRAM=" + chart0.memoryLimit());
        // experiments: more flags after the image's (e.g. a smaller heap), and the reference run left out
        String extra = System.getProperty("bench.p5.extra-jvm-flags", "").strip();
        if (!extra.isEmpty()) {
            chartFlags.addAll(List.of(extra.split("\\s+")));
        }
        Measured chart = measure(api, work, opJar, chart0.env(), chartFlags, "p5-operator-chart.log", true);
        Measured host;
        if (Boolean.getBoolean("bench.p5.skip-host-defaults")) {
            host = new Measured("host defaults (not run)", Double.NaN, Double.NaN, Double.NaN, 0, 0, -1, -1, -1, 0,
                    "", "", "");
        } else {
            reset(c);
            host = measure(api, work, opJar, Map.of("AGENTVISOR_IMAGES_ALLOWED_DIRS", img.toString(),
                    "QUARKUS_HTTP_PORT", "0"), List.of(),
                    "p5-operator-host-defaults.log", false);
        }

        StringBuilder d = rep.section("P5 operator scale");
        d.append(Util.f("""
                Shape: the API-only test cluster (kube-apiserver 1.20.2, etcd, kube-controller-manager: no scheduler, no \
                kubelet), %d VirtualMachines in one namespace (memory 256Mi, 1 core, the tiny guest's boot files): half \
                `runStrategy: Halted` (no pod is due), half `Always` (a pod is due: the operator creates it; nothing \
                schedules it, so it stays Pending, as a VM larger than every node would on a real one), and 10 \
                GuestAgentPolicies: pol-g0..g8 select `group: gN` (priority 10), pol-half selects the 500 VMs labelled \
                `half: a` (priority 100). All created before the operator starts (%.1f s, 8 client threads). Then the \
                operator jar starts and a harness watch follows every VM and VM pod. Done = every VM has \
                status.agentPolicy and PolicyApplied=True, and every `Always` VM has its pod. Then pol-half changes \
                responseTimeout 3 → 4 (500 VMs). RSS sampled every 0.5 s from /proc.

                Two runs of the same jar, the VMs' status and pods reset in between. **chart**: the operator \
                container's environment as `bin/helm template` renders it with the chart's defaults (%s; \
                QUARKUS_HTTP_PORT=0 and the allowed image directory of this harness instead of the chart's), the \
                image's entrypoint flags (`%s`, scripts/images.sh) and `-XX:MaxRAM=%s` standing in for the \
                container's memory limit (in the pod the JVM sizes itself from the cgroup limit). **host defaults**: \
                no flags, no chart environment, on this %d-core, %.0f GiB machine (G1, max heap 1/4 of RAM), how the \
                operator ran as a host process before.

                | JVM | start → all policies applied | start → all 500 pods created | VM writes | policy edit → 500 VMs show it | writes | RSS max | RSS settled (after start-up) | RSS end | heap at end (jcmd GC.heap_info) | VMs wrongly governed |
                |---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|
                """, VMS, createS, chart0.described(), String.join(" ", chart0.entrypointFlags()), chart0.memoryLimit(),
                Runtime.getRuntime().availableProcessors(), totalRamGiB()));
        for (Measured m : List.of(chart, host)) {
            d.append(Util.f("| %s | %s | %s | %d | %s | %d | %d MiB | %d MiB | %d MiB | %s | %d |%n", m.jvm(),
                    Util.s2(m.resolveS()), Util.s2(m.podsS()), m.initialWrites(), Util.s2(m.editS()), m.editWrites(),
                    m.rssMax(), m.rssSettled(), m.rssEnd(), Util.esc(m.heap()), m.wrong()));
        }
        d.append(Util.f("""

                Where the chart run's memory is at the end (`-XX:NativeMemoryTracking=summary` on that run, `jcmd \
                VM.native_memory summary`, MiB): %s.

                Largest heap classes at the end of the chart run (jcmd GC.class_histogram, live objects):

                ```
                %s
                ```

                """, chart.nativeMemory(), chart.histogram()));

        boolean measured = !Double.isNaN(chart.resolveS()) && !Double.isNaN(chart.podsS()) && !Double.isNaN(chart.editS());
        rep.row("P5", "1,000 VMs (500 Halted, 500 with a Pending pod; API-only cluster) + 10 policies: operator start → "
                + "every VM's policy applied and every due pod created", Util.s2(Math.max(chart.resolveS(), chart.podsS())),
                "host JVM defaults: " + Util.s2(Math.max(host.resolveS(), host.podsS())), ratio(Math.max(chart.resolveS(),
                        chart.podsS()), Math.max(host.resolveS(), host.podsS())), "", measured ? "" : Report.FAILED);
        rep.row("P5", "one policy edit touching 500 VMs → all show it", Util.s2(chart.editS()),
                "host JVM defaults: " + Util.s2(host.editS()), ratio(chart.editS(), host.editS()), "",
                measured ? "" : Report.FAILED);
        rep.row("P5", "operator RSS, max during P5 (the chart's JVM settings and memory limit)", chart.rssMax() + " MiB",
                "host JVM defaults: " + host.rssMax() + " MiB", ratio(chart.rssMax(), host.rssMax()),
                "≤ " + RSS_GOAL_MIB + " MiB", chart.rssMax() > 0 ? Report.verdict(chart.rssMax() <= RSS_GOAL_MIB)
                        : Report.FAILED);
    }

    /**
     * How the chart runs the operator: its container's environment (values as rendered; fieldRefs to the namespace
     * resolved to {@link #SYSTEM_NS}), its memory limit, and the image's entrypoint JVM flags.
     */
    record Chart(Map<String, String> env, String memoryLimit, List<String> entrypointFlags) {
        static Chart render(Path allowedImages) throws IOException {
            Path root = Repo.root();
            Cmd.Result r = Cmd.run(List.of(root.resolve("bin/helm").toString(), "template", "agentvisor",
                    root.resolve("helm/agentvisor").toString(), "-n", SYSTEM_NS), Map.of(), 120)
                    .requireSuccess("bin/helm template");
            JsonNode container = null;
            try (var docs = Kube.YAML.readerFor(JsonNode.class).<JsonNode>readValues(r.output())) {
                while (docs.hasNext()) {
                    JsonNode d = docs.next();
                    if (d != null && "Deployment".equals(d.path("kind").asText())
                            && "operator".equals(d.path("metadata").path("labels").path("app.kubernetes.io/component").asText())) {
                        container = d.path("spec").path("template").path("spec").path("containers").path(0);
                    }
                }
            }
            if (container == null) {
                throw new IllegalStateException("bin/helm template rendered no operator Deployment");
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (JsonNode e : container.path("env")) {
                String name = e.path("name").asText();
                if (e.has("value")) {
                    env.put(name, e.path("value").asText());
                } else if ("metadata.namespace".equals(e.path("valueFrom").path("fieldRef").path("fieldPath").asText())) {
                    env.put(name, SYSTEM_NS);
                } else {
                    throw new IllegalStateException("operator env " + name + ": cannot resolve " + e.path("valueFrom"));
                }
            }
            env.put("QUARKUS_HTTP_PORT", "0"); // the chart's metrics port may be taken on this machine
            env.put("AGENTVISOR_IMAGES_ALLOWED_DIRS", allowedImages.toString());
            String limit = container.path("resources").path("limits").path("memory").asText();
            if (!limit.matches("\\d+Mi")) {
                throw new IllegalStateException("operator memory limit: expected NMi, the chart says '" + limit + "'");
            }
            return new Chart(env, limit.replace("Mi", "m"), entrypointFlags(root.resolve("scripts/images.sh")));
        }

        /** The JVM flags of the operator image's entrypoint: between "java" and "-jar" in scripts/images.sh. */
        static List<String> entrypointFlags(Path imagesSh) throws IOException {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("operator\\) echo '(\\[\"java\",[^']*\\])'")
                    .matcher(java.nio.file.Files.readString(imagesSh));
            if (!m.find()) {
                throw new IllegalStateException(imagesSh + ": no operator entrypoint found");
            }
            List<String> argv = new ArrayList<>();
            Kube.JSON.readTree(m.group(1)).forEach(a -> argv.add(a.asText()));
            int jar = argv.indexOf("-jar");
            return List.copyOf(argv.subList(1, jar < 0 ? argv.size() : jar));
        }

        String described() {
            List<String> kv = new ArrayList<>();
            env.forEach((k, v) -> {
                if (!k.equals("AGENTVISOR_IMAGES_ALLOWED_DIRS") && !k.equals("QUARKUS_HTTP_PORT")) {
                    kv.add("`" + k + "=" + v + "`");
                }
            });
            return String.join(", ", kv) + ", memory limit " + memoryLimit.replace("m", "Mi");
        }
    }

    private static String ratio(double a, double b) {
        return Double.isNaN(a) || Double.isNaN(b) || b <= 0 ? "" : Util.f("%.2f×", a / b);
    }

    private static double totalRamGiB() {
        return Util.procMeminfoKiB("MemTotal") / 1048576.0;
    }

    /**
     * Pods are admitted only when the namespace's default ServiceAccount exists, even pods that mount no token; the
     * API-only cluster runs no service-account controller, so the harness creates it as that controller would.
     */
    private static void defaultServiceAccount(KubernetesClient c) {
        if (c.serviceAccounts().inNamespace(NS).withName("default").get() == null) {
            c.serviceAccounts().inNamespace(NS).resource(new io.fabric8.kubernetes.api.model.ServiceAccountBuilder()
                    .withNewMetadata().withName("default").endMetadata().build()).create();
        }
    }

    private static double createObjects(KubernetesClient c, Path img) throws Exception {
        for (int g = 0; g < 9; g++) {
            policies(c).inNamespace(NS).resource(fromYaml("""
                    apiVersion: agentvisor.io/v1alpha1
                    kind: GuestAgentPolicy
                    metadata: {name: pol-g%d, namespace: %s}
                    spec:
                      selector: {matchLabels: {group: g%d}}
                      priority: 10
                      responseTimeout: %d
                      pollIntervals: {users: 30s}
                    """.formatted(g, NS, g, g + 5))).create();
        }
        policies(c).inNamespace(NS).resource(fromYaml("""
                apiVersion: agentvisor.io/v1alpha1
                kind: GuestAgentPolicy
                metadata: {name: pol-half, namespace: %s}
                spec:
                  selector: {matchLabels: {half: a}}
                  priority: 100
                  responseTimeout: 3
                """.formatted(NS))).create();
        long tc = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < VMS; i++) {
                int n = i;
                fs.add(pool.submit(() -> vms(c).inNamespace(NS).resource(fromYaml("""
                        apiVersion: agentvisor.io/v1alpha1
                        kind: VirtualMachine
                        metadata:
                          name: %s
                          namespace: %s
                          labels: {group: g%d, half: %s}
                        spec:
                          runStrategy: %s
                          cpu: {cores: 1}
                          memory: 256Mi
                          boot:
                            kernel: %s/vmlinuz
                            initrd: %s/initramfs.cpio.gz
                            cmdline: console=ttyS0 quiet
                          guestAgent: {enabled: true}
                        """.formatted(name(n), NS, n % 10, n < VMS / 2 ? "a" : "b", runs(n) ? "Always" : "Halted",
                        img, img))).create()));
            }
            for (Future<?> f : fs) {
                f.get();
            }
        } finally {
            pool.shutdown();
        }
        double s = Util.since(tc);
        Util.log("P5: %d VMs created in %.1f s", VMS, s);
        return s;
    }

    static String name(int n) {
        return Util.f("vm-%04d", n);
    }

    /** Every other VM runs (Always), so both halves of the pol-half split hold runners and halted VMs. */
    static boolean runs(int n) {
        return n % 2 == 1;
    }

    private static Measured measure(KubeApiServer api, Path work, Path opJar, Map<String, String> settings,
            List<String> jvmFlags, String logName, boolean diagnose) throws Exception {
        KubernetesClient c = api.client();
        String jvm = jvmFlags.isEmpty() ? "host defaults" : "chart (" + String.join(" ", jvmFlags)
                + (settings.containsKey("JDK_JAVA_OPTIONS") ? " + JDK_JAVA_OPTIONS " + settings.get("JDK_JAVA_OPTIONS") : "")
                + ")";
        Kube.Recorder vmRec = new Kube.Recorder();
        Kube.Recorder podRec = new Kube.Recorder();
        Watch vmWatch = vms(c).inNamespace(NS).watch(vmRec);
        Watch podWatch = c.genericKubernetesResources("v1", "Pod").inNamespace(NS)
                .withLabel("app.kubernetes.io/name", "agentvisor-vm").watch(podRec);
        Util.sleep(2000);
        int vmEventsBefore = vmRec.events.size();
        Map<String, String> env = new LinkedHashMap<>(settings);
        env.put("KUBECONFIG", api.kubeconfig().toString());
        // experiments: NAME=VALUE,... added to the chart run's environment (e.g. MALLOC_ARENA_MAX=2)
        if (diagnose) {
            for (String kv : System.getProperty("bench.p5.extra-env", "").split(",")) {
                if (kv.contains("=")) {
                    env.put(kv.substring(0, kv.indexOf('=')).strip(), kv.substring(kv.indexOf('=') + 1).strip());
                }
            }
        }
        JarProcess operator = null;
        long rssMax = 0;
        try {
            long t0 = System.nanoTime();
            List<String> flags = new ArrayList<>(jvmFlags);
            if (diagnose) {
                flags.add("-XX:NativeMemoryTracking=summary"); // where the RSS goes (costs a little memory itself)
            }
            operator = JarProcess.start(opJar, work.resolve(logName), env, flags.toArray(String[]::new));
            long resolved = -1;
            long podsDone = -1;
            while (Util.since(t0) < RESOLVE_MAX.toSeconds() && (resolved < 0 || podsDone < 0)) {
                if (!operator.isAlive()) {
                    throw new IllegalStateException("the operator exited; see " + operator.log());
                }
                rssMax = Math.max(rssMax, Util.rssMiB(operator.pid()));
                if (resolved < 0 && vmRec.latest.size() >= VMS && vmRec.latest.values().stream().allMatch(
                        o -> o.path("status").has("agentPolicy") && "True".equals(condition(o, "PolicyApplied")))) {
                    resolved = System.nanoTime();
                }
                if (podsDone < 0 && podRec.latest.size() >= VMS / 2) {
                    podsDone = System.nanoTime();
                }
                Util.sleep(500);
            }
            double resolveS = resolved > 0 ? (resolved - t0) / 1e9 : Double.NaN;
            double podsS = podsDone > 0 ? (podsDone - t0) / 1e9 : Double.NaN;
            Util.log("P5 [%s]: policies applied after %s, pods created after %s, RSS max %d MiB", jvm,
                    Util.s2(resolveS), Util.s2(podsS), rssMax);
            // settle: the start-up burst is over; what the operator holds now is what it keeps
            for (int i = 0; i < 20; i++) {
                rssMax = Math.max(rssMax, Util.rssMiB(operator.pid()));
                Util.sleep(500);
            }
            long rssSettled = Util.rssMiB(operator.pid());
            int initialWrites = (int) vmRec.events.subList(vmEventsBefore, vmRec.events.size()).stream()
                    .filter(e -> e.type().equals("MODIFIED")).count();
            int settledCount = vmRec.events.size();

            long te = System.nanoTime();
            policies(c).inNamespace(NS).withName("pol-half").edit(p -> {
                @SuppressWarnings("unchecked")
                Map<String, Object> spec = (Map<String, Object>) p.getAdditionalProperties().get("spec");
                spec.put("responseTimeout", 4);
                return p;
            });
            long edited = -1;
            while (Util.since(te) < EDIT_MAX.toSeconds() && resolved > 0) {
                rssMax = Math.max(rssMax, Util.rssMiB(operator.pid()));
                long n = vmRec.latest.values().stream().filter(o -> isHalfA(o)
                        && o.path("status").path("agentPolicy").path("policy").asText().endsWith("pol-half")
                        && o.path("status").path("agentPolicy").path("responseTimeout").asInt() == 4).count();
                if (n >= VMS / 2) {
                    edited = System.nanoTime();
                    break;
                }
                Util.sleep(250);
            }
            double editS = edited > 0 ? (edited - te) / 1e9 : Double.NaN;
            for (int i = 0; i < 10; i++) {
                rssMax = Math.max(rssMax, Util.rssMiB(operator.pid()));
                Util.sleep(500);
            }
            long rssEnd = Util.rssMiB(operator.pid());
            rssMax = Math.max(rssMax, rssEnd);
            int editWrites = (int) vmRec.events.subList(settledCount, vmRec.events.size()).stream()
                    .filter(e -> e.type().equals("MODIFIED")).count();
            long wrong = vmRec.latest.values().stream().filter(o -> !isHalfA(o)
                    && o.path("status").path("agentPolicy").path("policy").asText().endsWith("pol-half")).count();
            String heap = Util.run(Duration.ofSeconds(30), "jcmd", Long.toString(operator.pid()), "GC.heap_info")
                    .out().lines().map(String::strip).filter(l -> l.contains("total") || l.contains("used"))
                    .filter(l -> !l.startsWith("eden") && !l.startsWith("from") && !l.startsWith("to ")
                            && !l.startsWith("the space") && !l.startsWith("region size"))
                    .map(l -> l.replaceAll("\\s*\\[0x.*$", "").replaceAll("\\s+", " "))
                    .reduce((a, b) -> a + "; " + b).orElse("(jcmd failed)");
            String hist = "";
            String nmt = "";
            if (diagnose) {
                List<String> lines = Util.run(Duration.ofSeconds(60), "jcmd", Long.toString(operator.pid()),
                        "GC.class_histogram").out().lines().skip(1).toList();
                hist = String.join("\n", lines.subList(0, Math.min(14, lines.size()))) + "\n...\n"
                        + (lines.isEmpty() ? "" : lines.get(lines.size() - 1));
                nmt = nativeMemory(operator.pid());
            }
            Util.log("P5 [%s]: edit landed after %s; RSS max %d, settled %d, end %d MiB; %s", jvm, Util.s2(editS),
                    rssMax, rssSettled, rssEnd, heap);
            return new Measured(jvm, resolveS, podsS, editS, initialWrites, editWrites, rssMax, rssSettled, rssEnd,
                    wrong, heap, hist, nmt);
        } finally {
            vmWatch.close();
            podWatch.close();
            if (operator != null) {
                operator.close();
            }
        }
    }

    /** The JVM's own account of its memory (NMT summary): committed MiB per area, largest first. */
    static String nativeMemory(long pid) {
        String out = Util.run(Duration.ofSeconds(60), "jcmd", Long.toString(pid), "VM.native_memory", "summary",
                "scale=MB").out();
        java.util.regex.Matcher total = java.util.regex.Pattern.compile("Total: reserved=(\\d+)MB, committed=(\\d+)MB")
                .matcher(out);
        java.util.regex.Matcher area = java.util.regex.Pattern.compile(
                "-\\s+([A-Za-z][A-Za-z ]*?) \\(reserved=\\d+MB, committed=(\\d+)MB\\)").matcher(out);
        List<Map.Entry<String, Integer>> areas = new ArrayList<>();
        while (area.find()) {
            areas.add(Map.entry(area.group(1).strip(), Integer.parseInt(area.group(2))));
        }
        if (!total.find()) {
            return "(jcmd VM.native_memory failed: " + Util.esc(out.strip()) + ")";
        }
        areas.sort((a, b) -> b.getValue() - a.getValue());
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, Integer> e : areas) {
            if (e.getValue() > 0) {
                parts.add(e.getKey() + " " + e.getValue());
            }
        }
        return "committed " + total.group(2) + " MiB: " + String.join(", ", parts);
    }

    private static boolean isHalfA(JsonNode vm) {
        return vm.path("metadata").path("labels").path("half").asText().equals("a");
    }

    /** Back to the state before the operator's first start: no VM pods, no VM status. */
    private static void reset(KubernetesClient c) {
        long t0 = System.nanoTime();
        c.pods().inNamespace(NS).withLabel("app.kubernetes.io/name", "agentvisor-vm").delete();
        for (GenericKubernetesResource vm : vms(c).inNamespace(NS).list().getItems()) {
            vm.getAdditionalProperties().remove("status");
            vms(c).inNamespace(NS).resource(vm).updateStatus();
        }
        while (!c.pods().inNamespace(NS).list().getItems().isEmpty()) {
            if (Util.since(t0) > 120) {
                throw new IllegalStateException("the VM pods of " + NS + " were not gone 120 s after their deletion");
            }
            Util.sleep(500);
        }
        policies(c).inNamespace(NS).withName("pol-half").edit(p -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> spec = (Map<String, Object>) p.getAdditionalProperties().get("spec");
            spec.put("responseTimeout", 3);
            return p;
        });
        Util.log("P5: reset (pods deleted, VM status cleared) in %.1f s", Util.since(t0));
    }
}
