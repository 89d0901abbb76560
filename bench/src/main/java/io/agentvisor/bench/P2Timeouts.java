package io.agentvisor.bench;

import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.agent.GuestCommands;
import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.testsupport.Signals;
import io.agentvisor.testsupport.TinyGuest;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * P2: time-to-failure of agent calls against a frozen agent, libvirt 9.0 (virsh, qemu:///system) beside
 * Agentvisor's client, each with its own copy of the same tiny guest. Two ways to freeze: SIGSTOP of qemu-ga inside
 * the guest (a guest-exec'd shell stops it and continues it after a fixed time: nothing else can reach a frozen
 * agent) and SIGSTOP of the whole QEMU process (thawed by the harness).
 */
final class P2Timeouts {
    static final int[] TIMEOUTS = {1, 3, -1, -2, 7};
    static final String[] VARIANTS = {"guest", "qemu"};
    /** Boot to the first agent answer per side, for P6's table (filled when P2 ran). */

    record Call(double s, boolean ok, String msg) {
        String cell(double expected) {
            String t = Util.f("%.2f s", s);
            if (ok) {
                return t + " (answered: agent thawed first)";
            }
            return Double.isNaN(expected) ? t : t + Util.f(" (%+d ms)", Math.round((s - expected) * 1000));
        }
    }

    interface Side extends AutoCloseable {
        String name();

        double boot() throws Exception;

        void setTimeout(int n);

        /** A command that uses the VM's agent timeout (libvirt: virsh guestinfo --hostname). */
        Call hostname();

        /** guest-ping as a raw command (libvirt: virsh qemu-agent-command, whose command wait is its own 5 s). */
        Call ping();

        Call healthyPing();

        /** SIGSTOPs qemu-ga inside the guest; it continues by itself after {@code seconds}. */
        void freezeAgent(int seconds);

        void freezeQemu();

        void thawQemu();

        /** guest-info asked to wait forever (libvirt: --block; ours: a Block override for that command). */
        CompletableFuture<Call> blockingCall();

        /** guest-ping from a second caller with its own timeout. */
        Call secondCaller(int timeout);

        @Override
        void close();
    }

    /** Command wait of a timeout (libvirt semantics); NaN for Block. */
    static double cmdWait(int n) {
        return n == -2 ? Double.NaN : n == -1 ? 5 : n;
    }

    static double syncWait(int n) {
        return n < 0 ? 5 : Math.min(n, 5);
    }

    /** A queued call's deadline (README's deadline rule): its sync wait + its command wait, from its submission. */
    static double queuedDeadline(int n) {
        return syncWait(n) + cmdWait(n);
    }

    static void waitHealthy(Side side) {
        long t0 = System.nanoTime();
        while (Util.since(t0) < 120) {
            if (side.healthyPing().ok()) {
                return;
            }
            Util.sleep(300);
        }
        throw new IllegalStateException(side.name() + ": the agent did not answer again within 120 s");
    }

    /** Runs every scenario on one side; keys: variant/timeout/c1|c2|c3, variant/concurrent/A|B, healthy/N. */
    static Map<String, Call> scenarios(Side side) {
        Map<String, Call> r = new LinkedHashMap<>();
        waitHealthy(side);
        for (int i = 0; i < 5; i++) {
            r.put("healthy/" + i, side.healthyPing());
        }
        for (String variant : VARIANTS) {
            boolean guest = variant.equals("guest");
            for (int n : TIMEOUTS) {
                Util.log("P2 %s: %s freeze, timeout %d", side.name(), variant, n);
                waitHealthy(side);
                String k = variant + "/" + n + "/";
                if (n != -2) {
                    int d = (int) Math.ceil(cmdWait(n) + 2 * syncWait(n)) + 4;
                    freeze(side, guest, d);
                    side.setTimeout(n);
                    r.put(k + "c1", side.hostname());
                    r.put(k + "c2", side.hostname());
                    r.put(k + "c3", side.ping());
                } else {
                    // Block on a synced connection waits until the agent thaws (see the concurrent scenario);
                    // here: the sync after a timeout, which libvirt caps at 5 s
                    freeze(side, guest, 15);
                    side.setTimeout(1);
                    side.hostname();
                    side.setTimeout(-2);
                    r.put(k + "c2", side.hostname());
                    r.put(k + "c3", side.ping());
                }
                if (!guest) {
                    side.thawQemu();
                }
            }
            Util.log("P2 %s: %s freeze, concurrent callers", side.name(), variant);
            waitHealthy(side);
            freeze(side, guest, 36);
            side.setTimeout(3);
            CompletableFuture<Call> a = side.blockingCall();
            Util.sleep(1000);
            r.put(variant + "/concurrent/B", side.secondCaller(3));
            if (!guest) {
                Util.sleep(1000);
                side.thawQemu();
            }
            try {
                r.put(variant + "/concurrent/A", a.get(90, TimeUnit.SECONDS));
            } catch (Exception e) {
                r.put(variant + "/concurrent/A", new Call(Double.NaN, false, "no outcome: " + e));
            }
        }
        waitHealthy(side);
        return r;
    }

    private static void freeze(Side side, boolean guest, int seconds) {
        if (guest) {
            side.freezeAgent(seconds);
        } else {
            side.freezeQemu();
        }
    }

    // ---------------------------------------------------------------- libvirt (virsh)

    static final class Libvirt implements Side {
        /** A fresh libvirtd probes QEMU's capabilities while it creates its first domain: 65 s seen on this machine. */
        private static final Duration FIRST_CREATE = Duration.ofSeconds(240);
        static final String DOMAIN_TEMPLATE = "tiny-guest-domain.xml";
        private final Path dir;
        private final String dom = "avbench-" + ProcessHandle.current().pid();
        private boolean created;

        Libvirt(Path workDir) {
            this.dir = workDir.resolve("lv");
        }

        /**
         * The libvirt domain of the tiny guest named {@code name}, its kernel, initrd, agent socket and console log
         * in {@code dir}: {@value #DOMAIN_TEMPLATE} (bench/src/main/resources), which bench/libvirt.sh renders too.
         */
        static String tinyGuestDomain(String name, Path dir) throws IOException {
            try (InputStream in = P2Timeouts.class.getResourceAsStream("/" + DOMAIN_TEMPLATE)) {
                if (in == null) {
                    throw new IllegalStateException(DOMAIN_TEMPLATE + " is not on the classpath (bench/src/main/resources)");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8)
                        .replace("@NAME@", name).replace("@DIR@", dir.toString());
            }
        }

        @Override
        public String name() {
            return "libvirt";
        }

        private List<String> virsh(String... args) {
            List<String> c = new ArrayList<>(List.of("virsh", "-q", "-c", "qemu:///system"));
            c.addAll(List.of(args));
            return c;
        }

        private Util.Run v(Duration t, String... args) {
            return Util.run(t, virsh(args));
        }

        @Override
        public double boot() throws Exception {
            Files.createDirectories(dir);
            dir.toFile().setReadable(true, false);
            dir.toFile().setExecutable(true, false);
            Files.copy(TinyGuest.kernel(), dir.resolve("vmlinuz"));
            Files.copy(TinyGuest.initrd(), dir.resolve("initramfs.cpio.gz"));
            String xml = tinyGuestDomain(dom, dir);
            Files.writeString(dir.resolve("domain.xml"), xml);
            long t0 = System.nanoTime();
            Util.Run c = v(FIRST_CREATE, "create", dir.resolve("domain.xml").toString());
            if (!c.ok()) {
                throw new IllegalStateException("virsh create failed: " + c.oneLine());
            }
            created = true;
            while (Util.since(t0) < 180) {
                if (v(Duration.ofSeconds(10), "qemu-agent-command", dom, "--timeout", "1",
                        "{\"execute\":\"guest-ping\"}").ok()) {
                    return Util.since(t0);
                }
                Util.sleep(200);
            }
            throw new IllegalStateException("the libvirt domain's agent did not answer within 180 s");
        }

        @Override
        public void setTimeout(int n) {
            Util.Run r = v(Duration.ofSeconds(30), "guest-agent-timeout", dom, "--timeout", Integer.toString(n));
            if (!r.ok()) {
                throw new IllegalStateException("virsh guest-agent-timeout " + n + ": " + r.oneLine());
            }
        }

        private Call call(String... args) {
            Util.Run r = v(Duration.ofSeconds(120), args);
            return new Call(r.seconds(), r.ok(), r.oneLine());
        }

        @Override
        public Call hostname() {
            // virsh guestinfo exits 0 even when the agent did not answer (it then prints nothing): success = a hostname
            Util.Run r = v(Duration.ofSeconds(120), "guestinfo", dom, "--hostname");
            return new Call(r.seconds(), r.ok() && r.out().contains("hostname"), r.oneLine());
        }

        @Override
        public Call ping() {
            return call("qemu-agent-command", dom, "{\"execute\":\"guest-ping\"}");
        }

        @Override
        public Call healthyPing() {
            return call("qemu-agent-command", dom, "--timeout", "2", "{\"execute\":\"guest-ping\"}");
        }

        @Override
        public void freezeAgent(int seconds) {
            Util.Run r = v(Duration.ofSeconds(30), "qemu-agent-command", dom, "--timeout", "10", GuestFreeze.exec(seconds));
            if (!r.ok()) {
                throw new IllegalStateException("guest-exec freeze failed: " + r.oneLine());
            }
            Util.sleep(800);
        }

        private long qemuPid() {
            try {
                return Long.parseLong(Files.readString(Path.of("/run/libvirt/qemu/" + dom + ".pid")).trim());
            } catch (Exception e) {
                throw new IllegalStateException("no pid file for " + dom, e);
            }
        }

        @Override
        public void freezeQemu() {
            Signals.stop(qemuPid());
        }

        @Override
        public void thawQemu() {
            Signals.cont(qemuPid());
        }

        @Override
        public CompletableFuture<Call> blockingCall() {
            return CompletableFuture.supplyAsync(() -> call("qemu-agent-command", dom, "--block",
                    "{\"execute\":\"guest-info\"}"));
        }

        @Override
        public Call secondCaller(int timeout) {
            return call("qemu-agent-command", dom, "--timeout", Integer.toString(timeout), "{\"execute\":\"guest-ping\"}");
        }

        @Override
        public void close() {
            if (created) {
                try {
                    thawQemu();
                } catch (RuntimeException ignored) {
                    // not running
                }
                v(Duration.ofSeconds(60), "destroy", dom);
            }
        }
    }

    /** The guest-exec request that freezes qemu-ga from inside the guest for a while (busybox sh, pidof, kill). */
    static final class GuestFreeze {
        static String exec(int seconds) {
            String sh = "sleep 0.3; P=$(pidof qemu-ga); kill -STOP $P; sleep " + seconds + "; kill -CONT $P";
            return "{\"execute\":\"guest-exec\",\"arguments\":{\"path\":\"/bin/sh\",\"arg\":[\"-c\",\"" + sh + "\"]}}";
        }
    }

    // ---------------------------------------------------------------- ours (agent-client)

    static final class Ours implements Side {
        private TinyGuest guest;
        private final AgentRuntime runtime = AgentRuntime.create();
        private GuestAgent agent;

        @Override
        public String name() {
            return "agentvisor";
        }

        @Override
        public double boot() {
            long t0 = System.nanoTime();
            guest = TinyGuest.boot();
            double s = Util.since(t0);
            agent = runtime.open(guest.agentSocket());
            return s;
        }

        @Override
        public void setTimeout(int n) {
            agent.setResponseTimeout(new ResponseTimeout(n));
        }

        private Call timed(CompletableFuture<? extends AgentOutcome<?>> f, long t0) {
            try {
                AgentOutcome<?> o = f.get(120, TimeUnit.SECONDS);
                return new Call(Util.since(t0), o.isSuccess(), o.message());
            } catch (Exception e) {
                return new Call(Util.since(t0), false, "no outcome: " + e);
            }
        }

        @Override
        public Call hostname() {
            long t0 = System.nanoTime();
            return timed(agent.hostName(), t0);
        }

        @Override
        public Call ping() {
            long t0 = System.nanoTime();
            return timed(agent.call(GuestCommands.raw("{\"execute\":\"guest-ping\"}")), t0);
        }

        @Override
        public Call healthyPing() {
            ResponseTimeout before = agent.responseTimeout();
            agent.setResponseTimeout(ResponseTimeout.ofSeconds(2));
            try {
                return ping();
            } finally {
                agent.setResponseTimeout(before);
            }
        }

        @Override
        public void freezeAgent(int seconds) {
            ResponseTimeout before = agent.responseTimeout();
            agent.setResponseTimeout(ResponseTimeout.ofSeconds(10));
            AgentOutcome<?> o = agent.callAndWait(GuestCommands.raw(GuestFreeze.exec(seconds)));
            agent.setResponseTimeout(before);
            if (!o.isSuccess()) {
                throw new IllegalStateException("guest-exec freeze failed: " + o.message());
            }
            Util.sleep(800);
        }

        @Override
        public void freezeQemu() {
            guest.freeze();
        }

        @Override
        public void thawQemu() {
            guest.thaw();
        }

        @Override
        public CompletableFuture<Call> blockingCall() {
            agent.setCommandTimeout(GuestCommands.INFO, ResponseTimeout.BLOCK);
            long t0 = System.nanoTime();
            CompletableFuture<Call> f = agent.info().handle((o, e) -> new Call(Util.since(t0), o != null && o.isSuccess(),
                    o != null ? o.message() : String.valueOf(e)));
            agent.setCommandTimeout(GuestCommands.INFO, null);
            return f;
        }

        @Override
        public Call secondCaller(int timeout) {
            setTimeout(timeout);
            return ping();
        }

        @Override
        public void close() {
            runtime.close();
            if (guest != null) {
                guest.close();
            }
        }
    }

    // ---------------------------------------------------------------- run + report

    /** Runs P2 and returns the boot time (seconds, until the agent answers) of each side that booted. */
    static Map<String, Double> run(Path work, String libvirtStatus, Report rep) throws Exception {
        boolean lvOk = libvirtStatus.equals("ok");
        Map<String, Map<String, Call>> results = new ConcurrentHashMap<>();
        Map<String, Double> boots = new ConcurrentHashMap<>();
        Map<String, String> failures = new ConcurrentHashMap<>();
        List<Thread> threads = new ArrayList<>();
        List<Side> sides = new ArrayList<>();
        sides.add(new Ours());
        if (lvOk) {
            sides.add(new Libvirt(work));
        }
        try {
            for (Side side : sides) {
                Thread t = new Thread(() -> {
                    try {
                        Util.log("P2 %s: booting the tiny guest", side.name());
                        boots.put(side.name(), side.boot());
                        Util.log("P2 %s: agent answers after %.1f s", side.name(), boots.get(side.name()));
                        results.put(side.name(), scenarios(side));
                    } catch (Throwable e) {
                        failures.put(side.name(), String.valueOf(e));
                        Util.log("P2 %s failed: %s", side.name(), e);
                    }
                }, "p2-" + side.name());
                threads.add(t);
                t.start();
            }
            for (Thread t : threads) {
                t.join();
            }
        } finally {
            for (Side s : sides) {
                try {
                    s.close();
                } catch (RuntimeException e) {
                    Util.log("P2 cleanup %s: %s", s.name(), e);
                }
            }
        }
        if (!lvOk) {
            failures.put("libvirt", "libvirt could not start: " + libvirtStatus);
        }
        report(rep, results, boots, failures);
        return Map.copyOf(boots);
    }

    private static String cell(Map<String, Map<String, Call>> res, Map<String, String> fail, String side, String key,
            double expected) {
        if (fail.containsKey(side) && !res.containsKey(side)) {
            return "not measured";
        }
        Call c = res.getOrDefault(side, Map.of()).get(key);
        return c == null ? "—" : c.cell(expected);
    }

    private static void report(Report rep, Map<String, Map<String, Call>> res, Map<String, Double> boots,
            Map<String, String> fail) {
        StringBuilder d = rep.section("P2 timeout precision and libvirt comparison");
        d.append("""
                Same tiny guest twice: one under libvirt 9.0 (`<domain type='qemu'>`, direct kernel boot, unix agent \
                channel; calls through `virsh`, so each libvirt time includes starting a virsh process), one under bare \
                QEMU driven by Agentvisor's agent client (`GuestAgent`). Both sides run at the same time.
                - **1st call**: first call after the freeze, on a synchronised connection: it waits for the command \
                (libvirt: `virsh guest-agent-timeout DOM --timeout N`, then `virsh guestinfo DOM --hostname`; ours: \
                `setResponseTimeout(N)`, `hostName()`).
                - **next call**: the call after a timeout must re-sync first (guest-sync wait = min(N, 5 s), 5 s for -1/-2).
                - **qemu-agent-command**: `virsh qemu-agent-command DOM '{"execute":"guest-ping"}'` (it has its own per-call wait, 5 s by default, and only its guest-sync uses the domain's timeout); \
                ours: the same raw guest-ping with the VM's timeout. Measured right after the 'next call', so it also \
                needs a re-sync.
                - Block (-2) on a synchronised connection waits until the agent answers on both sides: see the \
                concurrent table (caller A).
                Deviation in parentheses is against the expected wait of that column.

                """);
        for (String variant : VARIANTS) {
            d.append(variant.equals("guest")
                    ? "#### Frozen agent inside the guest (guest-exec `kill -STOP $(pidof qemu-ga)`, continued by the guest after a fixed time)\n\n"
                    : "#### Frozen QEMU (SIGSTOP of the whole qemu-system process, continued by the harness)\n\n");
            d.append("| timeout | expected 1st / next | libvirt 1st call | ours 1st call | libvirt next call | ours next call "
                    + "| libvirt qemu-agent-command | ours raw guest-ping |\n|---|---|---|---|---|---|---|---|\n");
            for (int n : TIMEOUTS) {
                String k = variant + "/" + n + "/";
                double e1 = cmdWait(n);
                double e2 = syncWait(n);
                d.append("| ").append(n).append(" | ").append(n == -2 ? "forever" : Util.f("%.0f s", e1)).append(" / ")
                        .append(Util.f("%.0f s", e2)).append(" | ")
                        .append(n == -2 ? "blocks (see A)" : cell(res, fail, "libvirt", k + "c1", e1)).append(" | ")
                        .append(n == -2 ? "blocks (see A)" : cell(res, fail, "agentvisor", k + "c1", e1)).append(" | ")
                        .append(cell(res, fail, "libvirt", k + "c2", e2)).append(" | ")
                        .append(cell(res, fail, "agentvisor", k + "c2", e2)).append(" | ")
                        .append(cell(res, fail, "libvirt", k + "c3", e2)).append(" | ")
                        .append(cell(res, fail, "agentvisor", k + "c3", e2)).append(" |\n");
            }
            d.append("\nConcurrent callers (timeout 3): A asks guest-info to wait forever (libvirt `--block`, ours a Block "
                    + "override for guest-info), B pings 1 s later with a 3 s timeout.\n\n");
            d.append("| caller | libvirt | ours | expected (ours) |\n|---|---|---|---|\n");
            d.append("| B (second caller, 3 s) | ").append(cell(res, fail, "libvirt", variant + "/concurrent/B", Double.NaN))
                    .append(" | ").append(cell(res, fail, "agentvisor", variant + "/concurrent/B", queuedDeadline(3)))
                    .append(" | ").append(Util.f("%.0f s (sync 3 s + command 3 s)", queuedDeadline(3))).append(" |\n");
            d.append("| A (Block, answered when the agent runs again) | ")
                    .append(cell(res, fail, "libvirt", variant + "/concurrent/A", Double.NaN)).append(" | ")
                    .append(cell(res, fail, "agentvisor", variant + "/concurrent/A", Double.NaN))
                    .append(variant.equals("guest") ? " | until the guest continues qemu-ga (36 s after the freeze) |\n"
                            : " | until the harness continues QEMU (~1 s after B) |\n");
            for (String side : List.of("libvirt", "agentvisor")) {
                Call b = res.getOrDefault(side, Map.of()).get(variant + "/concurrent/B");
                if (b != null) {
                    d.append("\n").append(side).append(" B's message: `").append(Util.esc(b.msg())).append("`");
                }
            }
            d.append("\n\n");
        }
        for (String side : List.of("libvirt", "agentvisor")) {
            Map<String, Call> r = res.get(side);
            if (r != null) {
                List<Double> h = new ArrayList<>();
                r.forEach((k, c) -> {
                    if (k.startsWith("healthy/")) {
                        h.add(c.s());
                    }
                });
                d.append(Util.f("- %s: boot to first agent answer %.1f s; healthy guest-ping (one call, incl. %s) median %.1f ms.%n",
                        side, boots.getOrDefault(side, Double.NaN),
                        side.equals("libvirt") ? "virsh process start" : "completion hand-off", Util.pct(h, 50) * 1000));
            }
        }
        fail.forEach((side, why) -> d.append("- ").append(side).append(" not (fully) measured: ").append(Util.esc(why))
                .append('\n'));
        d.append('\n');

        // summary rows
        for (String side : List.of("agentvisor", "libvirt")) {
            Map<String, Call> r = res.get(side);
            if (r == null) {
                continue;
            }
            double worst = 0;
            List<Double> devs = new ArrayList<>();
            int answered = 0;
            for (String variant : VARIANTS) {
                for (int n : TIMEOUTS) {
                    for (String c : List.of("c1", "c2")) {
                        Call call = r.get(variant + "/" + n + "/" + c);
                        double e = c.equals("c1") ? cmdWait(n) : syncWait(n);
                        if (call != null && !Double.isNaN(e)) {
                            if (call.ok()) {
                                answered++;
                            } else {
                                worst = Math.max(worst, Math.abs(call.s() - e));
                                devs.add(Math.abs(call.s() - e));
                            }
                        }
                    }
                }
            }
            if (side.equals("agentvisor")) {
                rep.row("P2", "timeout precision, frozen agent: |time-to-failure − expected|, median / worst (1st + next call, 5 timeouts, 2 freeze kinds)",
                        Util.f("%.0f / %.0f ms", Util.pct(devs, 50) * 1000, worst * 1000) + (answered > 0 ? " (" + answered + " calls answered after thaw)" : ""),
                        res.containsKey("libvirt") ? "see next row" : "libvirt not measured", "", "worst ≤ 50 ms",
                        res.containsKey("libvirt") ? Report.verdict(worst <= 0.05) : Report.FAILED);
            } else {
                rep.row("P2", "libvirt: |time-to-failure − expected|, median / worst (incl. virsh start-up)", "",
                        Util.f("%.0f / %.0f ms", Util.pct(devs, 50) * 1000, worst * 1000) + (answered > 0 ? " (" + answered + " answered after thaw)" : ""), "", "", "");
            }
        }
        for (String variant : VARIANTS) {
            Call ob = res.getOrDefault("agentvisor", Map.of()).get(variant + "/concurrent/B");
            Call lb = res.getOrDefault("libvirt", Map.of()).get(variant + "/concurrent/B");
            rep.row("P2", "second caller (3 s timeout) while another call blocks, " + (variant.equals("guest") ? "agent frozen" : "QEMU frozen"),
                    ob == null ? "not measured" : Util.f("%.2f s", ob.s()),
                    lb == null ? (fail.containsKey("libvirt") ? "not measured" : "—") : Util.f("%.2f s", lb.s()),
                    ob != null && lb != null ? Util.f("%.2f×", ob.s() / lb.s()) : "",
                    "waits only its own deadline: sync 3 s + command 3 s", ob == null || lb == null ? Report.FAILED
                            : Report.verdict(!ob.ok() && Math.abs(ob.s() - queuedDeadline(3)) <= 0.05));
        }
    }
}
