package io.agentvisor.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One guest agent request and how to read its reply. Built by {@link GuestCommands}; immutable and reusable,
 * so a poller can keep one instance per command.
 */
public final class AgentCommand<T> {
    private final String name;
    private final byte[] wire;
    private final ReplyReader<T> reader;
    private final ResponseTimeout fixedTimeout;
    private final VmEvent awaitEvent;

    /**
     * @param request      the request object; must have a string {@code execute}
     * @param reader       reads the reply's {@code return} member into T from the token stream
     * @param fixedTimeout a timeout that overrides every setting (guest-shutdown's 60 s), or null
     * @param awaitEvent   the command gets no reply on success: the VM event that means it took effect
     *                     (guest-shutdown: SHUTDOWN, or RESET for a reboot), else null
     */
    AgentCommand(ObjectNode request, ReplyReader<T> reader, ResponseTimeout fixedTimeout,
                 VmEvent awaitEvent) {
        JsonNode execute = request.get("execute");
        if (execute == null || !execute.isTextual() || execute.asText().isBlank()) {
            throw new IllegalArgumentException("a guest agent request needs a string \"execute\" member");
        }
        this.name = execute.asText();
        // compact JSON is UTF-8 without raw newlines, so it can never contain the 0xFF delimiter
        this.wire = (request.toString() + "\n").getBytes(StandardCharsets.UTF_8);
        this.reader = Objects.requireNonNull(reader);
        this.fixedTimeout = fixedTimeout;
        this.awaitEvent = awaitEvent;
    }

    /** The command name ({@code execute}), the key for timeouts, blocking and messages. */
    public String name() {
        return name;
    }

    byte[] wireBytes() {
        return wire;
    }

    ReplyReader<T> reader() {
        return reader;
    }

    /** The result of a command that gets no reply and took effect (guest-shutdown): its reader given {}. */
    T noReply() {
        Json.Reply<T> r = Json.reply(NO_REPLY, 0, NO_REPLY.length, this);
        return r instanceof Json.Returned<T> v ? v.value() : null;
    }

    private static final byte[] NO_REPLY = "{\"return\":{}}".getBytes(StandardCharsets.US_ASCII);

    ResponseTimeout fixedTimeout() {
        return fixedTimeout;
    }

    /** The VM event that completes this command successfully (it gets no reply), or null. */
    public VmEvent awaitEvent() {
        return awaitEvent;
    }

    @Override
    public String toString() {
        return new String(wire, 0, wire.length - 1, StandardCharsets.UTF_8);
    }

    /**
     * What QEMU reports about the VM (QMP events) that completes an agent call which gets no reply: libvirt's
     * await_event. guest-shutdown's powerdown and halt modes await {@link #SHUTDOWN}, its reboot mode {@link #RESET}.
     */
    public enum VmEvent {
        SHUTDOWN, RESET
    }
}
