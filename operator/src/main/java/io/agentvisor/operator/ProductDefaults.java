package io.agentvisor.operator;

import java.util.Optional;

import io.agentvisor.agent.ResponseTimeout;

/**
 * The product-wide defaults the operator is configured with, parsed and checked. Only the response timeout is
 * configurable; the other agent defaults are the API's ({@code PollGroup}, {@code AgentTuning}).
 */
public final class ProductDefaults {
    static final String RESPONSE_TIMEOUT_KEY_SUFFIX = "default-response-timeout";
    /** The configuration key (environment variable {@code AGENTVISOR_DEFAULT_RESPONSE_TIMEOUT}). */
    public static final String RESPONSE_TIMEOUT_KEY = "agentvisor." + RESPONSE_TIMEOUT_KEY_SUFFIX;

    private ProductDefaults() {
    }

    /**
     * The configured default response timeout, in the forms of the API (see {@link ResponseTimeout#parse}).
     *
     * @throws IllegalArgumentException with one line naming {@link #RESPONSE_TIMEOUT_KEY} and the reason
     */
    public static ResponseTimeout responseTimeout(String configured) {
        return ResponseTimeout.parse(configured, RESPONSE_TIMEOUT_KEY);
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
