package io.agentvisor.cli;

import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.AgentOperationPhase;
import io.agentvisor.api.v1alpha1.AgentOperationStatus;
import io.agentvisor.api.v1alpha1.GuestCommandOperation;
import io.agentvisor.api.v1alpha1.GuestCommandSpec;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * {@code agentvisor agent-command VM 'JSON'}: one raw agent command to a managed VM, through the cluster. It
 * creates a GuestCommand (the node driver of the VM runs it at most once through the VM's own agent connection,
 * with the VM's timeout or {@code --timeout}), waits for its outcome and prints it like the socket form, with the
 * same exit codes. The GuestCommand stays for {@link #TTL_SECONDS} s (the record of who did what is the
 * apiserver's audit log).
 */
final class ClusterAgentCommand {
    static final int TTL_SECONDS = 300;
    /** How long the CLI waits for a driver to claim the operation before it says nobody did. */
    static final Duration CLAIM_WAIT = Duration.ofSeconds(60);

    private ClusterAgentCommand() {
    }

    /** @param timeout the operation's own timeout, null for the VM's */
    static int run(Cluster cluster, String vmName, String json, ResponseTimeout timeout, PrintWriter out,
            PrintWriter err) throws InterruptedException {
        cluster.vm(vmName); // a clear "not found" before anything is created
        GuestCommandSpec spec = new GuestCommandSpec();
        spec.setVirtualMachine(vmName);
        spec.setOperation(GuestCommandOperation.AgentCommand);
        spec.setCommand(json);
        spec.setTtlSecondsAfterFinished(TTL_SECONDS);
        if (timeout != null) {
            spec.setTimeout(timeout.value() <= 0 ? new IntOrString(timeout.toString()) : new IntOrString(timeout.value()));
        }
        String ns = cluster.namespace();
        String name;
        try {
            name = cluster.createGuestCommand("agent-command-", spec);
        } catch (KubernetesClientException e) {
            throw new ClusterOptions.ClusterException("cannot create a GuestCommand in " + ns + ": "
                    + (e.getStatus() != null && e.getStatus().getMessage() != null ? e.getStatus().getMessage()
                    : e.getMessage()));
        }
        long claimDeadline = System.nanoTime() + CLAIM_WAIT.toNanos();
        while (true) {
            AgentOperationStatus s = cluster.guestCommandStatus(name);
            AgentOperationPhase phase = s.getPhase() == null ? AgentOperationPhase.Pending : s.getPhase();
            if (phase == AgentOperationPhase.Succeeded) {
                out.println("{\"return\":" + (s.getReply() == null ? "{}" : s.getReply()) + "}");
                if (Boolean.TRUE.equals(s.getReplyTruncated())) {
                    err.println("agentvisor: the reply was cut to its first " + s.getReply().length()
                            + " characters (GuestCommand " + ns + "/" + name + ")");
                }
                return ExitCode.OK;
            }
            if (phase == AgentOperationPhase.Failed) {
                err.println("agentvisor: " + s.getMessage() + " (" + s.getReason() + ", GuestCommand " + ns + "/" + name
                        + ")");
                return exitCode(s.getReason());
            }
            if (phase == AgentOperationPhase.Pending && System.nanoTime() > claimDeadline) {
                throw new ClusterOptions.ClusterException("no agent-driver took GuestCommand " + ns + "/" + name
                        + " within " + CLAIM_WAIT.toSeconds() + " s (is the VM " + vmName
                        + " running on a node with a driver?)");
            }
            Thread.sleep(100);
        }
    }

    /** The socket form's exit codes for the operation's typed reason. */
    static int exitCode(String reason) {
        return switch (reason == null ? "" : reason) {
            case "CommandError", "BlockedByPolicy" -> ExitCode.COMMAND_ERROR;
            case "Timeout" -> ExitCode.NOT_RESPONDING;
            case "AgentError", "NotConnected", "NotConfigured", "OutcomeUnknown" -> ExitCode.AGENT_ERROR;
            case "Invalid" -> ExitCode.USAGE;
            default -> ExitCode.CLUSTER_ERROR;
        };
    }
}
