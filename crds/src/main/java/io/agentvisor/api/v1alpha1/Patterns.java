package io.agentvisor.api.v1alpha1;

/** Regular expressions shared by the schema annotations and by {@link SpecValidation} (RE2-compatible). */
public final class Patterns {
    /** String form of a response timeout; the integer form is checked by {@code minimum: -2}. */
    public static final String TIMEOUT_NAME = "^(Block|Default|NoWait)$";
    /** A memory quantity: a non-negative decimal with an optional binary or decimal SI suffix ("lots" is not). */
    public static final String MEMORY = "^([0-9]+(\\.[0-9]+)?|\\.[0-9]+)([KMGTPE]i|[kMGTPE])?$";
    /** A positive Kubernetes duration of whole units, e.g. 10s, 2m, 1h30m (the first component is not zero). */
    public static final String POSITIVE_DURATION = "^[0-9]*[1-9][0-9]*(ms|s|m|h)([0-9]+(ms|s|m|h))*$";
    /** A qemu-ga command name, e.g. guest-exec. */
    public static final String AGENT_COMMAND = "^guest-[a-z0-9][a-z0-9-]*$";
    /** An absolute path without NUL bytes; SpecValidation rejects the forms that are not normal ('..', '//', ...). */
    public static final String ABSOLUTE_PATH = "^/[^\\x00]*$";
    /** A DNS-1123 label, used for disk names (they become file and device names on the node). */
    public static final String DNS_LABEL = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

    /** A DNS-1123 subdomain (names of PersistentVolumeClaims, PriorityClasses). */
    public static final String DNS_SUBDOMAIN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";
    /** A file name inside a volume: one path component, not '.' or '..'. */
    public static final String FILE_NAME = "^[^/\\x00]+$";

    /** A guest user name (POSIX portable characters; a trailing '$' as Samba machine accounts have). */
    public static final String GUEST_USER = "^[A-Za-z0-9_][A-Za-z0-9_.-]*[$]?$";

    /** {@link IntOrStringRules} inputs. */
    static final String TIMEOUT_RULE = "responseTimeout;-2;" + Bounds.TIMEOUT_SECONDS + ";7;" + TIMEOUT_NAME;
    static final String OPERATION_TIMEOUT_RULE = "timeout;-2;" + Bounds.TIMEOUT_SECONDS + ";7;" + TIMEOUT_NAME;
    static final String COMMAND_TIMEOUTS_RULE = "commandTimeouts.*;-2;" + Bounds.TIMEOUT_SECONDS + ";7;" + TIMEOUT_NAME;
    /** The integer form in bytes up to SpecValidation's maximum (16Ti); the string form up to 32 characters. */
    static final String MEMORY_RULE = "memory;1;17592186044416;32;" + MEMORY;

    private Patterns() {
    }
}
