package io.agentvisor.qmp;

import com.fasterxml.jackson.databind.JsonNode;

/** An asynchronous QMP event, e.g. SHUTDOWN {"guest":true,"reason":"guest-shutdown"}, RESET, STOP, RESUME. */
public record QmpEvent(String name, JsonNode data) {
    public boolean guestInitiated() {
        return data != null && data.path("guest").asBoolean(false);
    }

    public String reason() {
        return data == null ? "" : data.path("reason").asText("");
    }
}
