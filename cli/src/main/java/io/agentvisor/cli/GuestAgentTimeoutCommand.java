package io.agentvisor.cli;

import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.AgentStatus;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code agentvisor guest-agent-timeout VM [--timeout V]}: virsh's verb, for a VM in the cluster. */
@Command(name = "guest-agent-timeout", mixinStandardHelpOptions = true,
        description = {"Show the guest agent response timeout applied to a VM and where it comes from, or set it.",
            "With --timeout, sets spec.guestAgent.responseTimeout of the VM (or, with --policy, spec.responseTimeout "
                    + "of that GuestAgentPolicy); the node applies it to the live agent connection, no VM restart."})
final class GuestAgentTimeoutCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    ClusterOptions cluster;

    @Parameters(index = "0", paramLabel = "VM", description = "the VirtualMachine")
    String vmName;

    @Option(names = "--timeout", paramLabel = "V", converter = AgentSocketOptions.TimeoutConverter.class,
            description = "Block (-2), Default (-1, 5 s), NoWait (0) or seconds")
    ResponseTimeout timeout;

    @Option(names = "--policy", paramLabel = "NAME",
            description = "set the timeout of this GuestAgentPolicy instead of the VM's own")
    String policy;

    @Option(names = "--wait", description = "after setting, wait until the node reports the new timeout applied")
    boolean waitApplied;

    @Override
    public Integer call() throws InterruptedException {
        if (timeout == null && (policy != null || waitApplied)) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--policy and --wait need --timeout");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Cluster cluster = this.cluster.connect()) {
            VirtualMachine vm = cluster.vm(vmName);
            if (timeout == null) {
                TerminalText.println(out, describe(vm));
                return ExitCode.OK;
            }
            Object value = apiValue(spec.commandLine().getParseResult().matchedOption("--timeout").originalStringValues().get(0));
            if (policy != null) {
                cluster.requirePolicy(policy);
                cluster.mergePatchPolicy(policy, "{\"spec\":{\"responseTimeout\":" + json(value) + "}}");
                TerminalText.printf(out, "GuestAgentPolicy %s: responseTimeout set to %s%n", policy, value);
            } else {
                cluster.mergePatchVm(vmName, "{\"spec\":{\"guestAgent\":{\"responseTimeout\":" + json(value) + "}}}");
                TerminalText.printf(out, "%s: spec.guestAgent.responseTimeout set to %s%n", vmName, value);
            }
            if (waitApplied) {
                return waitUntilApplied(cluster, out);
            }
            return ExitCode.OK;
        }
    }

    /** Keeps the user's spelling: a name stays a name, a number becomes an integer. */
    private static Object apiValue(String given) {
        String v = given.strip();
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            return ResponseTimeout.parse(v, "--timeout").toString();
        }
    }

    private static String json(Object value) {
        return value instanceof Integer ? value.toString() : "\"" + value + "\"";
    }

    private int waitUntilApplied(Cluster cluster, PrintWriter out) throws InterruptedException {
        int wanted = timeout.value();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            VirtualMachine vm = cluster.vm(vmName);
            AgentPolicyStatus desired = vm.getStatus() == null ? null : vm.getStatus().getAgentPolicy();
            AgentStatus applied = vm.getStatus() == null ? null : vm.getStatus().getAgent();
            if (desired != null && Objects.equals(desired.getResponseTimeout(), wanted) && applied != null
                    && Objects.equals(applied.getResponseTimeout(), wanted)) {
                TerminalText.println(out, describe(vm));
                return ExitCode.OK;
            }
            Thread.sleep(500);
        }
        TerminalText.println(spec.commandLine().getErr(), "agentvisor: the node did not report timeout " + wanted
                + " applied within 60 s (is the VM running and a higher-priority setting in the way? see "
                + "'agentvisor guest-agent-timeout " + vmName + "')");
        return ExitCode.CLUSTER_ERROR;
    }

    static String describe(VirtualMachine vm) {
        String name = vm.getMetadata().getName();
        AgentPolicyStatus desired = vm.getStatus() == null ? null : vm.getStatus().getAgentPolicy();
        AgentStatus applied = vm.getStatus() == null ? null : vm.getStatus().getAgent();
        StringBuilder b = new StringBuilder();
        if (desired == null) {
            b.append(name).append(": no agent settings resolved yet (is the operator running?)");
        } else {
            b.append(name).append(": responseTimeout ").append(desired.getResponseTimeout()).append(" (")
                    .append(Timeouts.describe(desired.getResponseTimeout())).append(") from ")
                    .append(desired.getSource());
        }
        if (applied == null || applied.getResponseTimeout() == null) {
            b.append("; not applied on a node yet");
        } else if (desired != null && !Objects.equals(applied.getResponseTimeout(), desired.getResponseTimeout())) {
            b.append("; the node still applies ").append(applied.getResponseTimeout()).append(" (")
                    .append(Timeouts.describe(applied.getResponseTimeout())).append(")");
        } else {
            b.append("; applied on node ").append(vm.getStatus().getNodeName());
        }
        return b.toString();
    }
}
