package io.agentvisor.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import io.agentvisor.agent.AgentCommand.VmEvent;
import io.agentvisor.agent.GuestAgent;
import io.agentvisor.qmp.QmpClient.QmpEvent;
import java.time.Duration;
import java.util.Optional;

/**
 * QEMU's view of a guest agent channel, fed into a {@link GuestAgent} the way libvirt feeds its agent: whether
 * the guest opened its end of the virtio-serial port (query-chardev {@code frontend-open}, event
 * {@code VSERPORT_CHANGE}, which QEMU only sends for a port with an id), whether the VM runs (STOP / RESUME), and
 * the events guest-shutdown awaits (SHUTDOWN, RESET).
 *
 * @param chardev the agent socket's chardev id (query-chardev's label)
 * @param portId  the virtserialport's device id (VSERPORT_CHANGE's id)
 */
public record AgentChannel(String chardev, String portId) {

    /**
     * Reads the current state from QEMU into the agent (after connecting, before relying on events).
     *
     * @return whether the guest has its end open; empty when QEMU has no such chardev (nothing is fed then)
     */
    public Optional<Boolean> init(QmpClient qmp, GuestAgent agent, Duration timeout) throws QmpException {
        Optional<Boolean> open = trackedGuestOpen(qmp, timeout);
        open.ifPresent(agent::setGuestPortOpen);
        agent.setPaused(!"running".equals(qmp.queryStatus(timeout)));
        return open;
    }

    /**
     * frontend-open of the chardev when QEMU will also report its changes (the port has the expected id, so
     * VSERPORT_CHANGE follows); empty otherwise, e.g. a VM started before its port had an id: feeding a state
     * that no event would ever update could leave the agent "not connected" for good.
     */
    public Optional<Boolean> trackedGuestOpen(QmpClient qmp, Duration timeout) throws QmpException {
        JsonNode devices = qmp.execute("qom-list", qmp.arguments().put("path", "/machine/peripheral"), timeout);
        for (JsonNode d : devices) {
            if (portId.equals(d.path("name").asText())) {
                return guestOpen(qmp, timeout);
            }
        }
        return Optional.empty();
    }

    /** frontend-open of the chardev, empty when QEMU has no chardev of that id. */
    public Optional<Boolean> guestOpen(QmpClient qmp, Duration timeout) throws QmpException {
        for (JsonNode c : qmp.execute("query-chardev", null, timeout)) {
            if (chardev.equals(c.path("label").asText())) {
                return Optional.of(c.path("frontend-open").asBoolean(false));
            }
        }
        return Optional.empty();
    }

    /** Applies one QMP event to the agent; true when it concerned the agent. */
    public boolean apply(QmpEvent e, GuestAgent agent) {
        switch (e.name()) {
            case "VSERPORT_CHANGE" -> {
                if (e.data() == null || !portId.equals(e.data().path("id").asText())) {
                    return false;
                }
                agent.setGuestPortOpen(e.data().path("open").asBoolean(false));
            }
            case "STOP" -> agent.setPaused(true);
            case "RESUME" -> agent.setPaused(false);
            case "SHUTDOWN" -> agent.vmEvent(VmEvent.SHUTDOWN);
            case "RESET" -> agent.vmEvent(VmEvent.RESET);
            default -> {
                return false;
            }
        }
        return true;
    }

    /** The port's new state if e is its VSERPORT_CHANGE. */
    public Optional<Boolean> portChange(QmpEvent e) {
        if ("VSERPORT_CHANGE".equals(e.name()) && e.data() != null && portId.equals(e.data().path("id").asText())) {
            return Optional.of(e.data().path("open").asBoolean(false));
        }
        return Optional.empty();
    }
}
