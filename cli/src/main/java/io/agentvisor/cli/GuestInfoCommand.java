package io.agentvisor.cli;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.agent.GuestAgentInfo;
import io.agentvisor.agent.GuestFilesystem;
import io.agentvisor.agent.GuestInfo;
import io.agentvisor.agent.GuestNetworkInterface;
import io.agentvisor.agent.GuestOsInfo;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code agentvisor guestinfo}: everything the agent can tell, like {@code virsh guestinfo}. */
@Command(name = "guestinfo", mixinStandardHelpOptions = true,
        description = {"Print everything a guest agent can tell: agent version and commands, OS, host name, "
                + "time zone, users, filesystems, interfaces, clock.",
            "With --socket, asks the agent on that socket (JSON by default). Parts the agent does not offer "
                    + "(unknown or disabled) are left out and listed under 'unavailable'.",
            "With a VM name, prints what the VM's node last reported in the cluster (virsh's key : value shape by "
                    + "default), with how old it is."})
final class GuestInfoCommand implements Callable<Integer> {
    enum Format { json, table }

    /** Built on first use: only {@code --socket} with JSON output needs it. */
    private static final class Json {
        static final ObjectMapper MAPPER = JsonMapper.builder()
                .serializationInclusion(JsonInclude.Include.NON_NULL)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .addModule(new SimpleModule().addSerializer(Instant.class, ToStringSerializer.instance))
                .build();
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    AgentSocketOptions agent;

    @Mixin
    ClusterOptions cluster;

    @CommandLine.Parameters(index = "0", arity = "0..1", paramLabel = "VM",
            description = "a VirtualMachine in the cluster (instead of --socket)")
    String vmName;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT",
            description = "json or table; default json with --socket, table for a VM")
    Format format;

    @Override
    public Integer call() throws JsonProcessingException {
        if ((vmName == null) == (agent.socket == null)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "give either --socket PATH or a VM name");
        }
        if (vmName != null) {
            try (Cluster c = cluster.connect()) {
                ClusterGuestInfo.print(spec.commandLine().getOut(), c.vm(vmName), format == Format.json, Instant.now());
            }
            return ExitCode.OK;
        }
        if (format == null) {
            format = Format.json;
        }
        AgentOutcome<GuestInfo> outcome;
        try (AgentRuntime runtime = AgentRuntime.create(1, Runnable::run)) {
            outcome = AgentOutcome.await(runtime.open(agent.socket, agent.agentOptions()).guestInfo());
        }
        if (!(outcome instanceof AgentOutcome.Success<GuestInfo> s)) {
            TerminalText.println(spec.commandLine().getErr(), "agentvisor: " + outcome.message());
            return ExitCode.of(outcome);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (format == Format.json) {
            out.println(Json.MAPPER.writeValueAsString(s.result()));
        } else {
            table(out, s.result());
        }
        return ExitCode.OK;
    }

    private static void table(PrintWriter out, GuestInfo g) {
        GuestAgentInfo a = g.agent();
        long disabled = a.supportedCommands().stream().filter(c -> !c.enabled()).count();
        row(out, "agent", "qemu-ga " + a.version() + " (" + a.supportedCommands().size() + " commands, "
                + disabled + " disabled)");
        if (g.os() != null) {
            GuestOsInfo o = g.os();
            row(out, "os", nz(o.prettyName() != null ? o.prettyName() : o.name()) + ", kernel "
                    + nz(o.kernelRelease()) + " " + nz(o.machine()));
        }
        if (g.hostName() != null) {
            row(out, "hostname", g.hostName());
        }
        if (g.timezone() != null) {
            int off = g.timezone().offsetSeconds();
            row(out, "timezone", nz(g.timezone().zone()) + String.format(" (UTC%s%02d:%02d)", off < 0 ? "-" : "+",
                    Math.abs(off) / 3600, Math.abs(off) % 3600 / 60));
        }
        if (g.time() != null) {
            row(out, "time", g.time().toString());
        }
        if (g.users() != null) {
            row(out, "users", g.users().isEmpty() ? "(none)" : g.users().stream()
                    .map(u -> u.user() + (u.domain() != null ? "@" + u.domain() : "")
                            + (u.loginTime() != null ? " since " + u.loginTime() : ""))
                    .collect(Collectors.joining(", ")));
        }
        if (g.filesystems() != null) {
            row(out, "filesystems", g.filesystems().size() + "");
            for (GuestFilesystem f : g.filesystems()) {
                TerminalText.printf(out, "  %-28s %-10s %-12s %s%n", nz(f.mountPoint()), nz(f.type()), nz(f.name()),
                        f.totalBytes() == null ? "" : size(f.usedBytes()) + " / " + size(f.totalBytes()));
            }
        }
        if (g.interfaces() != null) {
            row(out, "interfaces", g.interfaces().size() + "");
            for (GuestNetworkInterface i : g.interfaces()) {
                TerminalText.printf(out, "  %-16s %-18s %s%n", nz(i.name()), nz(i.hardwareAddress()), i.ipAddresses().stream()
                        .map(ip -> ip.address() + "/" + ip.prefix()).collect(Collectors.joining(" ")));
            }
        }
        for (Map.Entry<String, String> e : g.unavailable().entrySet()) {
            row(out, "unavailable", e.getKey() + ": " + e.getValue());
        }
    }

    private static void row(PrintWriter out, String key, String value) {
        TerminalText.printf(out, "%-12s %s%n", key, value);
    }

    private static String nz(String s) {
        return s == null ? "-" : s;
    }

    private static String size(Long bytes) {
        if (bytes == null) {
            return "?";
        }
        String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
        double v = bytes;
        int u = 0;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

}
