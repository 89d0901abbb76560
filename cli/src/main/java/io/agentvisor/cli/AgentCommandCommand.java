package io.agentvisor.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentvisor.agent.AgentCommand;
import io.agentvisor.agent.AgentOutcome;
import io.agentvisor.agent.AgentRuntime;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.agent.GuestCommands;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code agentvisor agent-command}: one raw command, like {@code virsh qemu-agent-command}. */
@Command(name = "agent-command", mixinStandardHelpOptions = true,
        description = {"Send one command to a guest agent socket and print the agent's reply object as is.",
            "Re-synchronises first (guest-sync-delimited); guest-shutdown waits 60 s and counts the agent "
                    + "going away as success."})
final class AgentCommandCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Mixin
    AgentSocketOptions agent;

    @Parameters(index = "0", paramLabel = "JSON", description = "the command, e.g. '{\"execute\":\"guest-ping\"}'")
    String json;

    @Override
    public Integer call() {
        if (agent.socket == null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--socket=PATH'");
        }
        AgentCommand<JsonNode> command;
        try {
            command = GuestCommands.raw(json);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
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
