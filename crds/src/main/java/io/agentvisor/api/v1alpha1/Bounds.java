package io.agentvisor.api.v1alpha1;

/**
 * The bounds of the API: the schema's maxima and lengths (so the apiserver answers 422 naming the field) and the
 * caps writers apply to what they copy into status (guest data above all), so that one object stays small. Every
 * integer bound fits the field's Java type.
 * <p>
 * Guest data in {@code status.guest} is capped at {@link #USERS} users, {@link #FILESYSTEMS} filesystems with
 * {@link #DISKS_PER_FILESYSTEM} disks each, {@link #INTERFACES} interfaces with {@link #ADDRESSES} addresses each,
 * strings at {@link #GUEST_STRING} or {@link #SHORT} characters: at most {@link #GUEST_STATUS_BYTES} bytes of JSON
 * however the guest answers (GuestStatusBoundTest measures the worst case).
 */
public final class Bounds {
    /** Entries of commandTimeouts and blockedCommands. */
    public static final int COMMANDS = 64;
    /** Length of a qemu-ga command name. */
    public static final int COMMAND = 64;
    /** Entries of status.agent.supportedCommands (qemu-ga 7 has about 50). */
    public static final int SUPPORTED_COMMANDS = 256;
    public static final int UNRESPONSIVE_AFTER = 1000;
    /** Largest response timeout in seconds (a day); larger integers are refused, -2/Block waits forever. */
    public static final int TIMEOUT_SECONDS = 86_400;
    public static final int PRIORITY = 1_000_000_000;
    /** Length of a duration such as 1h30m. */
    public static final int DURATION = 32;
    /** Length of a node path. */
    public static final int PATH = 4096;
    /** Largest metadata.generation a condition records (2^53 - 1: exact in every JSON reader). */
    public static final long GENERATION = 9_007_199_254_740_991L;
    /** Conditions of one object (both writers). */
    public static final int CONDITIONS = 16;
    public static final int CONDITION_TYPE = 64;
    public static final int REASON = 128;
    /** Condition and error messages. */
    public static final int MESSAGE = 1024;
    /** An RFC 3339 time. */
    public static final int TIME = 64;
    /** A Kubernetes object name. */
    public static final int NAME = 253;
    /** Short words: types, MACs, addresses, device and interface names, domains, field names. */
    public static final int SHORT = 64;
    /** Guest-reported names: hostname, user name, filesystem name, mount point, OS strings. */
    public static final int GUEST_STRING = 256;
    /** An agent operation's reply (JSON) and an exec's captured stdout / stderr, in characters. */
    public static final int OPERATION_REPLY = 64 * 1024;
    public static final int EXEC_OUTPUT = 16 * 1024;
    public static final int USERS = 32;
    public static final int FILESYSTEMS = 16;
    public static final int DISKS_PER_FILESYSTEM = 2;
    public static final int INTERFACES = 16;
    public static final int ADDRESSES = 16;
    /** Entries of spec.accessCredentials (each is a secret volume of the VM's pod). */
    public static final int ACCESS_CREDENTIALS = 16;
    /** Users of one sshPublicKey access credential. */
    public static final int CREDENTIAL_USERS = 16;
    /** Length of a guest user name (useradd's limit). */
    public static final int GUEST_USER = 32;
    /** Entries of status.guest.truncated (one per capped list or field group). */
    public static final int TRUNCATED = 8;
    /** Length of one status.guest.truncated entry. */
    public static final int TRUNCATED_ENTRY = 128;
    /** Seconds since the epoch (year 5138). */
    public static final double EPOCH_SECONDS = 1e11;
    /** Byte counts (2^62, exact as a double). */
    public static final long BYTES = 1L << 62;
    /** A UTC offset. */
    public static final int DAY_SECONDS = 86_400;
    /** Linux PID_MAX_LIMIT. */
    public static final long PID = 4_194_304;
    /** Worst case of status.guest as JSON (UTF-8), every list full and every string at its bound. */
    public static final int GUEST_STATUS_BYTES = 144 * 1024;

    private Bounds() {
    }
}
