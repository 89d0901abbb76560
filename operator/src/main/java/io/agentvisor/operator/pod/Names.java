package io.agentvisor.operator.pod;

import java.util.regex.Pattern;

/**
 * Validation of every CR-derived string that ends up in QEMU's argv or a pod. Kubernetes already restricts names,
 * but the operator does not trust that: a name that passes here cannot contain '/', ',' or "..", so it can neither
 * name another path nor inject a QEMU option.
 */
public final class Names {
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern DNS_SUBDOMAIN = Pattern.compile(
            "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
    private static final Pattern UID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");

    private Names() {
    }

    public static String requireDnsLabel(String what, String value) {
        if (value == null || !DNS_LABEL.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be a DNS label (a-z, 0-9, '-'; at most 63), not '"
                    + value + "'");
        }
        return value;
    }

    public static String requireDnsSubdomain(String what, String value) {
        if (value == null || value.length() > 253 || !DNS_SUBDOMAIN.matcher(value).matches()) {
            throw new IllegalArgumentException(what + " must be a DNS subdomain (a-z, 0-9, '-', '.'), not '"
                    + value + "'");
        }
        return value;
    }

    /** A Kubernetes uid (RFC 4122 text form, lower case): used in socket paths and as QEMU's -uuid. */
    public static String requireUid(String value) {
        if (value == null || !UID.matcher(value).matches()) {
            throw new IllegalArgumentException("uid must be a lower-case UUID, not '" + value + "'");
        }
        return value;
    }
}
