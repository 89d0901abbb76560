package io.agentvisor.cli;

import io.agentvisor.agent.AgentOptions;
import io.agentvisor.agent.ResponseTimeout;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of the local socket verbs: which agent, and its response timeout. */
final class AgentSocketOptions {
    @Option(names = "--socket", paramLabel = "PATH",
            description = "the guest agent's unix socket (host side of org.qemu.guest_agent.0)")
    Path socket;

    @Option(names = "--timeout", paramLabel = "V", defaultValue = "Default", converter = TimeoutConverter.class,
            description = "response timeout: Block (-2), Default (-1, 5 s), NoWait (0) or seconds; "
                    + "guest-sync waits min(V, 5 s). Default: ${DEFAULT-VALUE}")
    ResponseTimeout timeout;

    AgentOptions agentOptions() {
        return AgentOptions.defaults().withResponseTimeout(timeout);
    }

    static final class TimeoutConverter implements CommandLine.ITypeConverter<ResponseTimeout> {
        @Override
        public ResponseTimeout convert(String value) {
            try {
                return ResponseTimeout.parse(value, "--timeout");
            } catch (IllegalArgumentException e) {
                throw new CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }
}
