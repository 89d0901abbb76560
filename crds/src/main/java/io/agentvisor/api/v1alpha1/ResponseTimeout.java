package io.agentvisor.api.v1alpha1;

import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * The guest agent response timeout as the API carries it. In a spec it is an int-or-string ({@code Block},
 * {@code Default}, {@code NoWait} or an integer ≥ -2); in {@code status} it is always libvirt's integer: -2 block,
 * -1 default, 0 no wait, N seconds. What each value means for a call (how long a command and its guest-sync
 * wait) is decided in one place only: the agent client's {@code io.agentvisor.agent.ResponseTimeout}.
 */
public final class ResponseTimeout {
    public static final int BLOCK = -2;
    public static final int DEFAULT = -1;
    public static final int NOWAIT = 0;

    private ResponseTimeout() {
    }

    /**
     * libvirt's integer for an API value.
     *
     * @param field the field path for the error message, e.g. {@code spec.responseTimeout}
     * @throws IllegalArgumentException naming the field and the reason when the value is not a valid timeout
     */
    public static int toLibvirt(IntOrString value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": a timeout is required");
        }
        if (value.getIntVal() != null) {
            int n = value.getIntVal();
            if (n < BLOCK) {
                throw new IllegalArgumentException(field + ": " + n + " is below -2 (Block)");
            }
            return n;
        }
        String s = value.getStrVal();
        if (s == null) {
            throw new IllegalArgumentException(field + ": a timeout is required");
        }
        switch (s) {
            case "Block":
                return BLOCK;
            case "Default":
                return DEFAULT;
            case "NoWait":
                return NOWAIT;
            default:
                throw new IllegalArgumentException(field + ": \"" + s
                        + "\" is not a timeout: use an integer >= -2 (seconds) or Block, Default, NoWait");
        }
    }

    /** The API form of a libvirt integer: the name for -2, -1 and 0, else the integer. */
    public static IntOrString toApi(int libvirt) {
        switch (libvirt) {
            case BLOCK:
                return new IntOrString("Block");
            case DEFAULT:
                return new IntOrString("Default");
            case NOWAIT:
                return new IntOrString("NoWait");
            default:
                if (libvirt < BLOCK) {
                    throw new IllegalArgumentException(libvirt + " is below -2 (Block)");
                }
                return new IntOrString(libvirt);
        }
    }
}
