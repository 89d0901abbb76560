package io.agentvisor.driver.credentials;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.agentvisor.api.v1alpha1.AccessCredential;
import io.agentvisor.api.v1alpha1.SpecValidation;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * What a VM's {@code spec.accessCredentials} ask of its guest agent, from the Secrets as its pod's volumes hold them
 * now: a pure function, so what is sent and what status says can be tested without a guest.
 * <ul>
 * <li>{@code sshPublicKey}: every value of the Secret holds authorized_keys lines (blank lines and {@code #}
 * comments skipped, keys in key order); for each listed user one {@code guest-ssh-add-authorized-keys} with
 * {@code reset}: the user's authorized_keys becomes exactly these keys (KubeVirt's semantics), so a key taken out
 * of the Secret leaves the guest.</li>
 * <li>{@code userPassword}: each key of the Secret is a user name, its value the password (one trailing newline,
 * as {@code echo} leaves it, is dropped); one {@code guest-set-user-password} per user.</li>
 * </ul>
 * Each step carries a hash of its content (kept in the driver's memory only, never written anywhere: a hash of a
 * password is material for guessing it) to tell when it changed. Problems name the Secret, its key and the rule
 * broken, never a value.
 */
public final class CredentialPlan {
    public static final String ADD_KEYS = "guest-ssh-add-authorized-keys";
    public static final String SET_PASSWORD = "guest-set-user-password";
    /** Keys of one sshPublicKey Secret, and the length of one authorized_keys line. */
    public static final int MAX_KEYS = 256;
    public static final int MAX_KEY_LINE = 16 * 1024;
    public static final int MAX_PASSWORD = 1024;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Reasons of the AccessCredentialsSynchronized condition decided here. */
    public static final String SECRET_NOT_MOUNTED = "SecretNotMounted";
    public static final String SECRET_EMPTY = "SecretEmpty";
    public static final String INVALID_SECRET = "InvalidSecret";

    private CredentialPlan() {
    }

    /** Reads one secret volume: its data, or null when the directory is not there. */
    @FunctionalInterface
    public interface VolumeReader {
        Map<String, byte[]> read(String volume) throws java.io.IOException;
    }

    /**
     * One guest agent call.
     *
     * @param id       what it sets: {@code <secret>/<kind>/<user>}
     * @param describe for status and logs (names only)
     * @param hash     of the content (memory only)
     * @param secrets  the values a message about this step must not show (keys, the password and its base64)
     */
    public record Step(String id, String secretName, String user, String command, ObjectNode request, String describe,
            String hash, List<String> secrets) {
        @Override
        public String toString() {
            return id; // never the request
        }
    }

    /** One entry of spec.accessCredentials: its steps, or the problem that keeps it from being applied. */
    public record Entry(int index, String secretName, List<Step> steps, String reason, String problem) {
        public boolean ok() {
            return problem == null;
        }
    }

    /**
     * @param creds           the VM's spec.accessCredentials
     * @param volumeOfSecret  secret name -> the name of the pod's secret volume holding it
     * @param reader          reads a volume
     */
    public static List<Entry> plan(List<AccessCredential> creds, Map<String, String> volumeOfSecret,
            VolumeReader reader) {
        List<Entry> out = new ArrayList<>();
        if (creds == null) {
            return out;
        }
        for (int i = 0; i < creds.size(); i++) {
            AccessCredential c = creds.get(i);
            String secret = c == null ? null : c.secretName();
            if (secret == null || (c.getSshPublicKey() == null) == (c.getUserPassword() == null)) {
                out.add(new Entry(i, secret, List.of(), INVALID_SECRET, "spec.accessCredentials[" + i
                        + "]: needs exactly one of sshPublicKey and userPassword"));
                continue;
            }
            String volume = volumeOfSecret.get(secret);
            if (volume == null) {
                out.add(new Entry(i, secret, List.of(), SECRET_NOT_MOUNTED, "Secret " + secret + " is not a volume of "
                        + "the VM's pod (spec.accessCredentials changed after the pod was created: it applies when the"
                        + " pod is replaced)"));
                continue;
            }
            Map<String, byte[]> data;
            try {
                data = reader.read(volume);
            } catch (java.io.IOException e) {
                out.add(new Entry(i, secret, List.of(), INVALID_SECRET, "Secret " + secret + ": " + e.getMessage()));
                continue;
            }
            if (data == null) {
                out.add(new Entry(i, secret, List.of(), SECRET_NOT_MOUNTED, "Secret " + secret + ": the kubelet has not "
                        + "set up the pod's volume " + volume + " on this node yet"));
                continue;
            }
            if (data.isEmpty()) {
                out.add(new Entry(i, secret, List.of(), SECRET_EMPTY, "Secret " + secret + " is missing or has no data "
                        + "(the pod's volume is empty): nothing applied"));
                continue;
            }
            try {
                out.add(new Entry(i, secret, c.getSshPublicKey() != null
                        ? sshSteps(secret, c.getSshPublicKey().getUsers(), data) : passwordSteps(secret, data), null,
                        null));
            } catch (IllegalArgumentException e) {
                out.add(new Entry(i, secret, List.of(), INVALID_SECRET, "Secret " + secret + ": " + e.getMessage()));
            }
        }
        return out;
    }

    static List<Step> sshSteps(String secret, List<String> users, Map<String, byte[]> data) {
        if (users == null || users.isEmpty()) {
            throw new IllegalArgumentException("sshPublicKey.users is empty");
        }
        List<String> keys = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : data.entrySet()) {
            String text = utf8(e.getKey(), e.getValue());
            String[] lines = text.split("\r?\n", -1);
            for (int n = 0; n < lines.length; n++) {
                String line = lines[n].strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                if (line.length() > MAX_KEY_LINE) {
                    throw new IllegalArgumentException("key " + e.getKey() + ", line " + (n + 1) + ": longer than "
                            + MAX_KEY_LINE + " characters");
                }
                if (line.chars().anyMatch(ch -> ch < 0x20 && ch != '\t' || ch == 0x7f)) {
                    throw new IllegalArgumentException("key " + e.getKey() + ", line " + (n + 1) + ": has control "
                            + "characters");
                }
                if (!keys.contains(line)) {
                    keys.add(line);
                }
            }
        }
        if (keys.size() > MAX_KEYS) {
            throw new IllegalArgumentException(keys.size() + " keys, at most " + MAX_KEYS);
        }
        List<Step> steps = new ArrayList<>();
        for (String user : users) {
            if (!SpecValidation.isGuestUser(user)) {
                throw new IllegalArgumentException("sshPublicKey.users: \"" + user + "\" is not a user name");
            }
            ObjectNode req = JSON.createObjectNode().put("execute", ADD_KEYS);
            ObjectNode args = req.putObject("arguments").put("username", user);
            keys.forEach(args.putArray("keys")::add);
            args.put("reset", true);
            steps.add(new Step(secret + "/sshPublicKey/" + user, secret, user, ADD_KEYS, req, keys.size()
                    + " authorized key(s) for " + user, hash(ADD_KEYS, user, String.join("\n", keys)), List.copyOf(keys)));
        }
        return steps;
    }

    static List<Step> passwordSteps(String secret, Map<String, byte[]> data) {
        List<Step> steps = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : data.entrySet()) {
            String user = e.getKey();
            if (!SpecValidation.isGuestUser(user)) {
                throw new IllegalArgumentException("key \"" + user + "\" is not a user name (letters, digits, '_', '.',"
                        + " '-', at most 32)");
            }
            String password = utf8(user, e.getValue());
            if (password.endsWith("\r\n")) {
                password = password.substring(0, password.length() - 2);
            } else if (password.endsWith("\n")) {
                password = password.substring(0, password.length() - 1);
            }
            if (password.isEmpty()) {
                throw new IllegalArgumentException("the password of " + user + " is empty");
            }
            if (password.length() > MAX_PASSWORD) {
                throw new IllegalArgumentException("the password of " + user + " is longer than " + MAX_PASSWORD
                        + " characters");
            }
            if (password.chars().anyMatch(ch -> ch == '\n' || ch == '\r' || ch == 0)) {
                throw new IllegalArgumentException("the password of " + user + " is more than one line");
            }
            String b64 = Base64.getEncoder().encodeToString(password.getBytes(StandardCharsets.UTF_8));
            ObjectNode req = JSON.createObjectNode().put("execute", SET_PASSWORD);
            req.putObject("arguments").put("username", user).put("password", b64).put("crypted", false);
            steps.add(new Step(secret + "/userPassword/" + user, secret, user, SET_PASSWORD, req, "password of " + user,
                    hash(SET_PASSWORD, user, password), List.of(password, b64)));
        }
        return steps;
    }

    private static String utf8(String key, byte[] bytes) {
        try {
            CharBuffer c = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return c.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("key " + key + " is not UTF-8 text");
        }
    }

    private static String hash(String... parts) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (String p : parts) {
                byte[] b = p.getBytes(StandardCharsets.UTF_8);
                d.update(ByteBuffer.allocate(4).putInt(b.length).array());
                d.update(b);
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * What of the agent's own words about a failed step may be shown: for a password step nothing if they contain
     * any of its secrets (redacting a short password in place would show where its characters are), for a keys
     * step the text with every key replaced by {@code <redacted>}.
     */
    public static String safeDetail(String agentText, Step step) {
        if (agentText == null) {
            return null;
        }
        if (SET_PASSWORD.equals(step.command())) {
            return step.secrets().stream().anyMatch(s -> !s.isEmpty() && agentText.contains(s)) ? null : agentText;
        }
        return redact(agentText, step.secrets());
    }

    /** {@code text} with every secret value in it replaced by {@code <redacted>} (longest first). */
    static String redact(String text, List<String> secrets) {
        if (text == null) {
            return null;
        }
        String out = text;
        List<String> sorted = new ArrayList<>(secrets);
        sorted.sort((a, b) -> b.length() - a.length());
        for (String s : sorted) {
            if (s != null && !s.isEmpty()) {
                out = out.replace(s, "<redacted>");
            }
        }
        return out;
    }
}
