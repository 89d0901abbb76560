package io.agentvisor.operator;

import java.util.Optional;

import io.agentvisor.api.v1alpha1.ResponseTimeout;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * The product-wide defaults the operator is configured with, parsed and checked. Only the response timeout is
 * configurable; the other agent defaults are constants of {@link PolicyResolver}.
 */
public final class ProductDefaults {
    static final String RESPONSE_TIMEOUT_KEY_SUFFIX = "default-response-timeout";
    /** The configuration key (environment variable {@code AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT}). */
    public static final String RESPONSE_TIMEOUT_KEY = "agentvisor." + RESPONSE_TIMEOUT_KEY_SUFFIX;

    private ProductDefaults() {
    }

    /**
     * libvirt's integer for a configured default response timeout, accepting the forms of the API: an integer
     * &ge; -2, or {@code Block}, {@code Default}, {@code NoWait} (surrounding blanks are ignored).
     *
     * @throws IllegalArgumentException with one line naming {@link #RESPONSE_TIMEOUT_KEY} and the reason
     */
    public static int responseTimeout(String configured) {
        String text = configured == null ? "" : configured.strip();
        IntOrString value;
        if (text.matches("-?\\d+")) {
            try {
                value = new IntOrString(Integer.parseInt(text));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(RESPONSE_TIMEOUT_KEY + ": " + text + " is too large");
            }
        } else if (text.isEmpty()) {
            throw new IllegalArgumentException(RESPONSE_TIMEOUT_KEY
                    + ": empty: use an integer >= -2 (seconds) or Block, Default, NoWait");
        } else {
            value = new IntOrString(text);
        }
        return ResponseTimeout.toLibvirt(value, RESPONSE_TIMEOUT_KEY);
    }

    /** The problem with the configuration, as one line, or empty when the operator can start with it. */
    public static Optional<String> check(OperatorConfig config) {
        try {
            responseTimeout(config.defaultResponseTimeout());
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
