package io.agentvisor.cli;

import io.agentvisor.agent.ResponseTimeout;

/** How a libvirt-style response timeout reads to a person. */
final class Timeouts {
    private Timeouts() {
    }

    static String describe(Integer libvirt) {
        if (libvirt == null) {
            return "-";
        }
        return ResponseTimeout.of(libvirt, "responseTimeout").toString();
    }
}
