package io.agentvisor.cli;

import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code agentvisor status}: the VMs at a glance, for people who do not want jsonpath. */
@Command(name = "status", mixinStandardHelpOptions = true,
        description = "A compact table of VirtualMachines: phase, node, agent state, applied timeout, guest OS.")
final class StatusCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Option(names = {"-A", "--all-namespaces"}, description = "VMs of every namespace")
    boolean allNamespaces;

    @Override
    public Integer call() {
        try (Cluster c = cluster.connect()) {
            // an object the CLI cannot decode gets its own line on stderr; every other VM is still listed
            List<String> unreadable = new ArrayList<>();
            List<VirtualMachine> vms = c.vms(allNamespaces, e -> unreadable.add(e.getMessage()));
            for (String u : unreadable) {
                TerminalText.println(spec.commandLine().getErr(), "agentvisor: " + u);
            }
            int exit = unreadable.isEmpty() ? ExitCode.OK : ExitCode.UNREADABLE_OBJECT;
            vms.sort(Comparator.comparing((VirtualMachine v) -> v.getMetadata().getNamespace())
                    .thenComparing(v -> v.getMetadata().getName()));
            PrintWriter out = spec.commandLine().getOut();
            if (vms.isEmpty()) {
                if (unreadable.isEmpty()) {
                    TerminalText.println(spec.commandLine().getErr(), "no VirtualMachines in "
                            + (allNamespaces ? "any namespace" : "namespace " + c.namespace()));
                }
                return exit;
            }
            List<String[]> rows = new ArrayList<>();
            rows.add(allNamespaces ? new String[] {"NAMESPACE", "NAME", "PHASE", "NODE", "AGENT", "TIMEOUT", "SOURCE",
                "OS", "PID", "AGE"} : new String[] {"NAME", "PHASE", "NODE", "AGENT", "TIMEOUT", "SOURCE", "OS", "PID",
                    "AGE"});
            Instant now = Instant.now();
            for (VirtualMachine vm : vms) {
                VirtualMachineStatus s = vm.getStatus() == null ? new VirtualMachineStatus() : vm.getStatus();
                List<String> row = new ArrayList<>();
                if (allNamespaces) {
                    row.add(vm.getMetadata().getNamespace());
                }
                row.add(vm.getMetadata().getName());
                row.add(s.getPhase() == null ? "Pending" : s.getPhase().toString());
                row.add(or(s.getNodeName()));
                row.add(s.getAgent() == null || s.getAgent().getState() == null ? "-" : s.getAgent().getState().toString());
                row.add(Timeouts.describe(s.getAgent() == null ? null : s.getAgent().getResponseTimeout()));
                row.add(s.getAgentPolicy() == null ? "-" : or(s.getAgentPolicy().getSource()));
                row.add(s.getGuest() == null || s.getGuest().getOsInfo() == null ? "-"
                        : or(s.getGuest().getOsInfo().getPrettyName()));
                row.add(s.getQemu() == null || s.getQemu().getPid() == null ? "-" : s.getQemu().getPid().toString());
                row.add(Ages.since(vm.getMetadata().getCreationTimestamp(), now));
                rows.add(row.toArray(String[]::new));
            }
            Tables.print(out, rows);
            return exit;
        }
    }

    private static String or(String s) {
        return s == null || s.isEmpty() ? "-" : s;
    }
}
