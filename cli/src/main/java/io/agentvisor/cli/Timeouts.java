package io.agentvisor.cli;

/** How a libvirt-style response timeout reads to a person. */
final class Timeouts {
    private Timeouts() {
    }

    static String describe(Integer libvirt) {
        if (libvirt == null) {
            return "-";
        }
        return switch (libvirt) {
            case -2 -> "Block";
            case -1 -> "5s (Default)";
            case 0 -> "NoWait";
            default -> libvirt + "s";
        };
    }
}
