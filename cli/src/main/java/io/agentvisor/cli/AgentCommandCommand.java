package io.agentvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentvisor.agent.AgentCommand;
import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.agent.GuestCommands;
import io.agentvisor.agent.ResponseTimeout;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code agentvisor agent-command}: one raw command, like {@code virsh qemu-agent-command}. */
@Command(name = "agent-command", mixinStandardHelpOptions = true,
        description = {"Send one command to a managed VM's guest agent (VM JSON: through the cluster, as a GuestCommand"
                + " run by the VM's node driver with the VM's timeout or --timeout) or to an agent socket (--socket"
                + " PATH JSON), and print the agent's reply object as is.",
            "Re-synchronises first (guest-sync-delimited); guest-shutdown waits 60 s."})
final class AgentCommandCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    AgentSocketOptions agent;

    @Mixin
    ClusterOptions cluster;

    @Parameters(arity = "1..2", paramLabel = "[VM] JSON",
            description = "the VM (without --socket) and the command, e.g. '{\"execute\":\"guest-ping\"}'")
    java.util.List<String> params;

    String json;

    @Override
    public Integer call() throws InterruptedException {
        if (agent.socket == null && params.size() != 2) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "give a VM and the command (through the cluster), or --socket=PATH and the command");
        }
        if (agent.socket != null && params.size() != 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "with --socket give only the command");
        }
        json = params.get(params.size() - 1);
        AgentCommand<JsonNode> command;
        try {
            command = GuestCommands.raw(json);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        if (agent.socket == null) {
            ResponseTimeout own = spec.commandLine().getParseResult().hasMatchedOption("--timeout") ? agent.timeout : null;
            try (Cluster c = cluster.connect()) {
                return ClusterAgentCommand.run(c, params.get(0), json, own, spec.commandLine().getOut(),
                        spec.commandLine().getErr());
            }
        }
        AgentOutcome<JsonNode> outcome;
        // completions run inline: a one-shot CLI needs no completion threads
        try (AgentRuntime runtime = AgentRuntime.create(1, Runnable::run)) {
            GuestAgent ga = runtime.open(agent.socket, agent.agentOptions());
            outcome = ga.callAndWait(command);
        }
        if (outcome instanceof AgentOutcome.Success<JsonNode> s) {
            JsonNode ret = s.result() == null ? JsonNodeFactory.instance.objectNode() : s.result();
            ObjectNode reply = JsonNodeFactory.instance.objectNode();
            reply.set("return", ret);
            spec.commandLine().getOut().println(reply.toString());
            return ExitCode.OK;
        }
        TerminalText.println(spec.commandLine().getErr(), "agentvisor: " + outcome.message());
        return ExitCode.of(outcome);
    }
}
