package io.agentvisor.bench;

import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.driver.poll.AgentMetrics;
import io.agentvisor.driver.poll.AgentPoller;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.testsupport.HostQemuGa;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;

/**
 * P3: 200 real host qemu-ga processes polled by the driver's own poller classes (AgentPoller on one
 * AgentRuntime and one scheduler thread, as NodeDriver wires them), users every 2 s, timeout 1 s; then 40 of the
 * agents are frozen (SIGSTOP). Measures how old the healthy agents' last good answer gets, the poller's threads,
 * CPU and the JVM's RSS.
 */
final class P3Isolation {
    static final int AGENTS = 200;
    static final int FROZEN = 40;
    static final int INTERVAL_S = 2;

    record Phase(List<Double> ages, int threads, double cpuPerSecond, long rssMiB, int unresponsiveFrozen) {
    }

    static void run(Report rep) throws Exception {
        List<HostQemuGa> agents = Collections.synchronizedList(new ArrayList<>());
        AgentRuntime runtime = null;
        ScheduledExecutorService scheduler = null;
        List<AgentPoller> pollers = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            ExecutorService starters = Executors.newFixedThreadPool(4);
            List<Future<HostQemuGa>> fs = new ArrayList<>();
            for (int i = 0; i < AGENTS; i++) {
                fs.add(starters.submit(() -> HostQemuGa.start()));
            }
            for (Future<HostQemuGa> f : fs) {
                agents.add(f.get());
            }
            starters.shutdown();
            Util.log("P3: %d host qemu-ga started in %.1f s", AGENTS, Util.since(t0));

            Set<Long> before = threadIds();
            runtime = AgentRuntime.create();
            scheduler = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "agent-poller"));
            AgentSettings settings = new AgentSettings(true, 1, Map.of(), Set.of(), Map.of("users", (long) INTERVAL_S), 3);
            for (int i = 0; i < AGENTS; i++) {
                AgentPoller p = new AgentPoller("vm-" + i, runtime.open(agents.get(i).socket()), settings, scheduler,
                        Clock.systemUTC(), AgentMetrics.NONE, v -> { });
                pollers.add(p);
                p.start();
            }
            Util.sleep(15_000); // first rounds poll every group; let them settle
            Phase healthy = measure(pollers, Set.of(), before, 30);
            Util.log("P3: all healthy: p50 %.2f s p99 %.2f s, %d threads", Util.pct(healthy.ages(), 50),
                    Util.pct(healthy.ages(), 99), healthy.threads());
            Set<Integer> frozen = new java.util.HashSet<>();
            for (int i = 0; i < FROZEN; i++) {
                int idx = i * (AGENTS / FROZEN); // spread over the loop's registration order
                frozen.add(idx);
                agents.get(idx).freeze();
            }
            Phase withFrozen = measure(pollers, frozen, before, 60);
            Util.log("P3: %d frozen: p50 %.2f s p99 %.2f s, %d threads", FROZEN, Util.pct(withFrozen.ages(), 50),
                    Util.pct(withFrozen.ages(), 99), withFrozen.threads());
            report(rep, healthy, withFrozen);
        } finally {
            for (AgentPoller p : pollers) {
                p.close();
            }
            if (scheduler != null) {
                scheduler.shutdownNow();
            }
            if (runtime != null) {
                runtime.close();
            }
            for (HostQemuGa g : agents) {
                g.close();
            }
        }
    }

    /** Threads started since {@code before}, leaving out the JDK's "process reaper" threads of the qemu-ga children. */
    private static Set<Long> threadIds() {
        Set<Long> ids = new java.util.HashSet<>();
        for (long id : ManagementFactory.getThreadMXBean().getAllThreadIds()) {
            ids.add(id);
        }
        return ids;
    }

    private static List<Long> pollerThreads(Set<Long> before) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        List<Long> ids = new ArrayList<>();
        for (ThreadInfo ti : mx.getThreadInfo(mx.getAllThreadIds())) {
            if (ti != null && !before.contains(ti.getThreadId()) && !ti.getThreadName().startsWith("process reaper")
                    && !ti.getThreadName().startsWith("p3-sampler")) {
                ids.add(ti.getThreadId());
            }
        }
        return ids;
    }

    private static double cpu(List<Long> ids) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double s = 0;
        for (long id : ids) {
            long t = mx.getThreadCpuTime(id);
            if (t > 0) {
                s += t / 1e9;
            }
        }
        return s;
    }

    private static Phase measure(List<AgentPoller> pollers, Set<Integer> frozen, Set<Long> before, int seconds) {
        List<Double> ages = new ArrayList<>();
        int maxThreads = 0;
        List<Long> ids = pollerThreads(before);
        double cpu0 = cpu(ids);
        long t0 = System.nanoTime();
        long rss = 0;
        while (Util.since(t0) < seconds) {
            Instant now = Instant.now();
            for (int i = 0; i < pollers.size(); i++) {
                if (frozen.contains(i)) {
                    continue;
                }
                AgentView v = pollers.get(i).view();
                ages.add(v.link().lastContact() == null ? Double.POSITIVE_INFINITY
                        : Duration.between(v.link().lastContact(), now).toMillis() / 1000.0);
            }
            maxThreads = Math.max(maxThreads, pollerThreads(before).size());
            rss = Math.max(rss, Util.rssMiB(ProcessHandle.current().pid()));
            Util.sleep(250);
        }
        ids = pollerThreads(before);
        double cpuPerSecond = (cpu(ids) - cpu0) / Util.since(t0);
        int unresponsive = 0;
        for (int i : frozen) {
            if (!pollers.get(i).view().link().responsive()) {
                unresponsive++;
            }
        }
        return new Phase(ages, maxThreads, cpuPerSecond, rss, unresponsive);
    }

    private static void report(Report rep, Phase h, Phase f) {
        double goal = INTERVAL_S + 1;
        StringBuilder d = rep.section("P3 isolation at scale");
        d.append(Util.f("""
                %d real host qemu-ga processes (`qemu-ga -m unix-listen`), each polled by the driver's `AgentPoller` \
                (agent-driver classes, one `AgentRuntime` event loop + one `agent-poller` scheduler thread, as NodeDriver \
                wires them) with users every %d s and response timeout 1 s; other groups at their defaults. Age = now − \
                the agent's last good answer (`AgentLink.lastContact`, what the driver's status reports), sampled every \
                250 ms over every healthy agent. Threads = threads the pollers started (the JDK's per-child `process \
                reaper` threads of the harness are left out); CPU = their CPU time per wall second; RSS = the whole \
                harness JVM (200 Process objects included).

                | phase | samples | age p50 | age p99 | age max | poller threads | CPU (cores) | JVM RSS | frozen agents reported unresponsive |
                |---|---:|---:|---:|---:|---:|---:|---:|---:|
                """, AGENTS, INTERVAL_S));
        for (Object[] row : new Object[][] {{"all 200 healthy (30 s)", h}, {FROZEN + " frozen, 160 healthy measured (60 s)", f}}) {
            Phase p = (Phase) row[1];
            d.append(Util.f("| %s | %d | %.2f s | %.2f s | %.2f s | %d | %.3f | %d MiB | %s |%n", row[0], p.ages().size(),
                    Util.pct(p.ages(), 50), Util.pct(p.ages(), 99), Util.pct(p.ages(), 100), p.threads(),
                    p.cpuPerSecond(), p.rssMiB(), p == f ? p.unresponsiveFrozen() + " / " + FROZEN : "—"));
        }
        d.append('\n');
        double p99 = Util.pct(f.ages(), 99);
        rep.row("P3", Util.f("age of healthy agents' last answer, p50 / p99, %d agents, %d frozen, interval %d s, timeout 1 s",
                AGENTS, FROZEN, INTERVAL_S), Util.f("%.2f / %.2f s", Util.pct(f.ages(), 50), p99),
                Util.f("all healthy: %.2f / %.2f s", Util.pct(h.ages(), 50), Util.pct(h.ages(), 99)), "",
                Util.f("p99 ≤ %.0f s", goal), Report.verdict(p99 <= goal));
        rep.row("P3", "poller threads / CPU / JVM RSS (with frozen agents)", Util.f("%d threads, %.3f cores, %d MiB",
                f.threads(), f.cpuPerSecond(), f.rssMiB()), Util.f("all healthy: %d threads, %.3f cores", h.threads(),
                h.cpuPerSecond()), "", "threads independent of frozen agents", Report.verdict(f.threads() <= h.threads()));
    }
}
