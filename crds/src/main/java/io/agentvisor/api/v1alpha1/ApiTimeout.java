package io.agentvisor.api.v1alpha1;

import io.agentvisor.agent.ResponseTimeout;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * The guest agent response timeout as the API carries it: in a spec an int-or-string ({@code Block},
 * {@code Default}, {@code NoWait} or an integer from -2 to {@link Bounds#TIMEOUT_SECONDS}), in {@code status} libvirt's integer. Parsing, printing,
 * the bound and the waits are {@link ResponseTimeout}'s; this only maps the int-or-string onto it.
 */
public final class ApiTimeout {

    private ApiTimeout() {
    }

    /**
     * The timeout of an API value.
     *
     * @param field the field path for the error message, e.g. {@code spec.responseTimeout}
     * @throws IllegalArgumentException {@code <field>: <reason>} when the value is not a valid timeout
     */
    public static ResponseTimeout parse(IntOrString value, String field) {
        if (value == null || value.getIntVal() == null && value.getStrVal() == null) {
            throw new IllegalArgumentException(field + ": a timeout is required");
        }
        if (value.getIntVal() != null && value.getIntVal() > Bounds.TIMEOUT_SECONDS) {
            throw new IllegalArgumentException(field + ": " + value.getIntVal() + " is more than the maximum of "
                    + Bounds.TIMEOUT_SECONDS + " seconds (use Block to wait forever)");
        }
        return value.getIntVal() != null ? ResponseTimeout.of(value.getIntVal(), field)
                : ResponseTimeout.parseName(value.getStrVal(), field);
    }

    /** The API form: the name for -2, -1 and 0, else the integer. */
    public static IntOrString toApi(ResponseTimeout t) {
        return t.value() > 0 ? new IntOrString(t.value()) : new IntOrString(t.toString());
    }
}
