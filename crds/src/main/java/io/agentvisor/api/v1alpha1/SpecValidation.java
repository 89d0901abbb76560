package io.agentvisor.api.v1alpha1;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Quantity;

/**
 * Checks the schema cannot express (no CEL on Kubernetes 1.20). Each problem is one line
 * {@code <field path>: <reason>}. Used by the operator (conditions) and usable by the driver before it starts QEMU.
 */
public final class SpecValidation {
    private static final Pattern AGENT_COMMAND = Pattern.compile(Patterns.AGENT_COMMAND);
    /** Largest memory a VM may ask for (QEMU's x86_64 limit is far above; this keeps byte counts in a long). */
    public static final long MAX_MEMORY_BYTES = 16L << 40;

    /** Smallest memory a VM may ask for. */
    public static final long MIN_MEMORY_BYTES = 16L * 1024 * 1024;

    private SpecValidation() {
    }

    /** Problems with a VM spec; {@code allowedImageDirs} are absolute directories images must live in. */
    public static List<String> validateVirtualMachine(VirtualMachineSpec spec, Collection<Path> allowedImageDirs) {
        List<String> errors = new ArrayList<>();
        if (spec == null) {
            errors.add("spec: is required");
            return errors;
        }
        if (spec.getMemory() == null) {
            errors.add("spec.memory: is required");
        } else {
            try {
                BigDecimal bytes = Quantity.getAmountInBytes(spec.getMemory());
                if (bytes.compareTo(BigDecimal.valueOf(MIN_MEMORY_BYTES)) < 0) {
                    errors.add("spec.memory: " + spec.getMemory() + " is less than the minimum of 16Mi");
                } else if (bytes.compareTo(BigDecimal.valueOf(MAX_MEMORY_BYTES)) > 0) {
                    errors.add("spec.memory: " + spec.getMemory() + " is more than the maximum of 16Ti");
                }
            } catch (RuntimeException e) {
                errors.add("spec.memory: \"" + spec.getMemory() + "\" is not a quantity");
            }
        }
        boolean hasDisks = spec.getDisks() != null && !spec.getDisks().isEmpty();
        if (spec.getBoot() == null && !hasDisks) {
            errors.add("spec: needs boot.kernel or at least one disk to boot from");
        }
        if (spec.getBoot() != null) {
            checkImage(spec.getBoot().getKernel(), "spec.boot.kernel", allowedImageDirs, errors);
            if (spec.getBoot().getInitrd() != null) {
                checkImage(spec.getBoot().getInitrd(), "spec.boot.initrd", allowedImageDirs, errors);
            }
        }
        if (hasDisks) {
            Set<String> names = new HashSet<>();
            for (int i = 0; i < spec.getDisks().size(); i++) {
                Disk d = spec.getDisks().get(i);
                String f = "spec.disks[" + i + "]";
                if (d.getName() != null && !names.add(d.getName())) {
                    errors.add(f + ".name: \"" + d.getName() + "\" is used by another disk");
                }
                PersistentVolumeClaimDisk pvc = d.getPersistentVolumeClaim();
                if ((d.getPath() == null) == (pvc == null)) {
                    errors.add(f + ": needs exactly one of path (a read-only image on the node) and "
                            + "persistentVolumeClaim");
                } else if (pvc != null) {
                    if (pvc.getClaimName() == null || pvc.getClaimName().isEmpty()) {
                        errors.add(f + ".persistentVolumeClaim.claimName: is required");
                    }
                    String file = pvc.getFile();
                    if (file != null && (file.isEmpty() || file.equals(".") || file.equals("..")
                            || file.indexOf('/') >= 0 || file.indexOf('\0') >= 0)) {
                        errors.add(f + ".persistentVolumeClaim.file: \"" + file
                                + "\" is not a file name at the root of the volume");
                    }
                } else {
                    checkImage(d.getPath(), f + ".path", allowedImageDirs, errors);
                    if (Boolean.FALSE.equals(d.getReadOnly())) {
                        errors.add(f + ".readOnly: a disk from a node path is always read-only; a writable disk "
                                + "comes from a persistentVolumeClaim of the namespace");
                    }
                }
            }
        }
        if (spec.getInterfaces() != null) {
            for (int i = 0; i < spec.getInterfaces().size(); i++) {
                Interface nic = spec.getInterfaces().get(i);
                if (nic.getPorts() == null) {
                    continue;
                }
                Set<String> ports = new HashSet<>();
                Set<String> portNames = new HashSet<>();
                for (int j = 0; j < nic.getPorts().size(); j++) {
                    Port p = nic.getPorts().get(j);
                    String f = "spec.interfaces[" + i + "].ports[" + j + "]";
                    if (p.getPort() == null || p.getPort() < 1 || p.getPort() > 65535) {
                        errors.add(f + ".port: must be between 1 and 65535");
                        continue;
                    }
                    String proto = p.getProtocol() == null ? "TCP" : p.getProtocol().name();
                    if (!ports.add(proto + "/" + p.getPort())) {
                        errors.add(f + ".port: " + proto + " " + p.getPort() + " is listed twice");
                    }
                    if (p.getName() != null && !portNames.add(p.getName())) {
                        errors.add(f + ".name: \"" + p.getName() + "\" is used by another port");
                    }
                }
            }
        }
        errors.addAll(validateGuestAgent(spec.getGuestAgent()));
        validateAccessCredentials(spec.getAccessCredentials(), errors);
        return errors;
    }

    private static final Pattern SECRET_NAME = Pattern.compile(Patterns.DNS_SUBDOMAIN);
    private static final Pattern GUEST_USER = Pattern.compile(Patterns.GUEST_USER);

    /** Whether {@code user} can be a guest user name (also checked for the keys of a userPassword Secret). */
    public static boolean isGuestUser(String user) {
        return user != null && !user.isEmpty() && user.length() <= Bounds.GUEST_USER
                && GUEST_USER.matcher(user).matches();
    }

    static void validateAccessCredentials(List<AccessCredential> creds, List<String> errors) {
        if (creds == null) {
            return;
        }
        if (creds.size() > Bounds.ACCESS_CREDENTIALS) {
            errors.add("spec.accessCredentials: " + creds.size() + " entries, at most " + Bounds.ACCESS_CREDENTIALS);
            return;
        }
        java.util.Map<String, Integer> secrets = new java.util.HashMap<>();
        for (int i = 0; i < creds.size(); i++) {
            AccessCredential c = creds.get(i);
            String f = "spec.accessCredentials[" + i + "]";
            if (c == null || (c.getSshPublicKey() == null) == (c.getUserPassword() == null)) {
                errors.add(f + ": needs exactly one of sshPublicKey and userPassword");
                continue;
            }
            String kind = c.getSshPublicKey() != null ? "sshPublicKey" : "userPassword";
            String secret = c.secretName();
            if (secret == null || secret.isEmpty()) {
                errors.add(f + "." + kind + ".secretName: is required");
            } else if (secret.length() > Bounds.NAME || !SECRET_NAME.matcher(secret).matches()) {
                errors.add(f + "." + kind + ".secretName: \"" + Text.bounded(secret, Bounds.NAME)
                        + "\" is not a Secret name (a DNS subdomain)");
            } else {
                Integer first = secrets.putIfAbsent(secret, i);
                if (first != null) {
                    errors.add(f + "." + kind + ".secretName: Secret \"" + secret + "\" is already used by "
                            + "spec.accessCredentials[" + first + "]");
                }
            }
            if (c.getSshPublicKey() != null) {
                List<String> users = c.getSshPublicKey().getUsers();
                if (users == null || users.isEmpty()) {
                    errors.add(f + ".sshPublicKey.users: needs at least one guest user");
                } else if (users.size() > Bounds.CREDENTIAL_USERS) {
                    errors.add(f + ".sshPublicKey.users: " + users.size() + " entries, at most "
                            + Bounds.CREDENTIAL_USERS);
                } else {
                    Set<String> seen = new HashSet<>();
                    for (int j = 0; j < users.size(); j++) {
                        String u = users.get(j);
                        if (!isGuestUser(u)) {
                            errors.add(f + ".sshPublicKey.users[" + j + "]: \"" + Text.bounded(u, Bounds.SHORT)
                                    + "\" is not a user name (letters, digits, '_', '.', '-', at most "
                                    + Bounds.GUEST_USER + ")");
                        } else if (!seen.add(u)) {
                            errors.add(f + ".sshPublicKey.users[" + j + "]: \"" + u + "\" is listed twice");
                        }
                    }
                }
            }
        }
    }

    /** Problems with a VM's {@code spec.guestAgent} (none when it is null). */
    public static List<String> validateGuestAgent(GuestAgentSettings g) {
        List<String> errors = new ArrayList<>();
        if (g != null) {
            validateAgentSettings("spec.guestAgent", g.getResponseTimeout(), g.getCommandTimeouts(),
                    g.getPollIntervals(), g.getBlockedCommands(), g.getUnresponsiveAfter(), errors);
        }
        return errors;
    }

    /** Problems with a GuestAgentPolicy spec. */
    public static List<String> validatePolicy(GuestAgentPolicySpec spec) {
        List<String> errors = new ArrayList<>();
        if (spec == null) {
            errors.add("spec: is required");
            return errors;
        }
        if (spec.getSelector() == null) {
            errors.add("spec.selector: is required ({} selects every VirtualMachine of the namespace)");
        } else if (spec.getSelector().getMatchExpressions() != null) {
            List<LabelSelectorRequirement> expressions = spec.getSelector().getMatchExpressions();
            for (int i = 0; i < expressions.size(); i++) {
                LabelSelectorRequirement r = expressions.get(i);
                String f = "spec.selector.matchExpressions[" + i + "]";
                int values = r.getValues() == null ? 0 : r.getValues().size();
                String op = String.valueOf(r.getOperator());
                if (r.getKey() == null || r.getKey().isEmpty()) {
                    errors.add(f + ".key: is required");
                }
                if (op.equals("In") || op.equals("NotIn")) {
                    if (values == 0) {
                        errors.add(f + ".values: must not be empty for operator " + op);
                    }
                } else if (op.equals("Exists") || op.equals("DoesNotExist")) {
                    if (values != 0) {
                        errors.add(f + ".values: must be empty for operator " + op);
                    }
                } else {
                    errors.add(f + ".operator: \"" + op + "\" is not one of In, NotIn, Exists, DoesNotExist");
                }
            }
        }
        validateAgentSettings("spec", spec.getResponseTimeout(), spec.getCommandTimeouts(), spec.getPollIntervals(),
                spec.getBlockedCommands(), spec.getUnresponsiveAfter(), errors);
        return errors;
    }

    static void validateAgentSettings(String prefix, IntOrString responseTimeout, Map<String, IntOrString> commandTimeouts,
            PollIntervals pollIntervals, List<String> blockedCommands, Integer unresponsiveAfter, List<String> errors) {
        if (responseTimeout != null) {
            check(() -> ApiTimeout.parse(responseTimeout, prefix + ".responseTimeout"), errors);
        }
        if (commandTimeouts != null) {
            commandTimeouts.forEach((command, timeout) -> {
                String f = prefix + ".commandTimeouts." + command;
                if (command.length() > Bounds.COMMAND || !AGENT_COMMAND.matcher(command).matches()) {
                    errors.add(f + ": \"" + command + "\" is not a qemu-ga command name (guest-...)");
                }
                check(() -> ApiTimeout.parse(timeout, f), errors);
            });
        }
        if (pollIntervals != null) {
            for (PollGroup g : PollGroup.values()) {
                String value = pollIntervals.get(g);
                if (value != null) {
                    check(() -> Durations.parsePositive(value, prefix + ".pollIntervals." + g.key), errors);
                }
            }
        }
        if (blockedCommands != null) {
            for (int i = 0; i < blockedCommands.size(); i++) {
                String c = blockedCommands.get(i);
                if (c == null || c.length() > Bounds.COMMAND || !AGENT_COMMAND.matcher(c).matches()) {
                    errors.add(prefix + ".blockedCommands[" + i + "]: \"" + c
                            + "\" is not a qemu-ga command name (guest-...)");
                }
            }
        }
        if (unresponsiveAfter != null && unresponsiveAfter < 1) {
            errors.add(prefix + ".unresponsiveAfter: must be at least 1");
        } else if (unresponsiveAfter != null && unresponsiveAfter > Bounds.UNRESPONSIVE_AFTER) {
            errors.add(prefix + ".unresponsiveAfter: must be at most " + Bounds.UNRESPONSIVE_AFTER);
        }
        // what the schema bounds, checked again for objects stored before it did: they are copied into status
        if (commandTimeouts != null && commandTimeouts.size() > Bounds.COMMANDS) {
            errors.add(prefix + ".commandTimeouts: " + commandTimeouts.size() + " entries, at most " + Bounds.COMMANDS);
        }
        if (blockedCommands != null && blockedCommands.size() > Bounds.COMMANDS) {
            errors.add(prefix + ".blockedCommands: " + blockedCommands.size() + " entries, at most " + Bounds.COMMANDS);
        }
    }

    private static void check(Runnable r, List<String> errors) {
        try {
            r.run();
        } catch (IllegalArgumentException e) {
            errors.add(e.getMessage());
        }
    }

    private static void checkImage(String path, String field, Collection<Path> allowedDirs, List<String> errors) {
        if (path == null || path.isEmpty()) {
            errors.add(field + ": is required");
            return;
        }
        if (path.indexOf('\0') >= 0) {
            errors.add(field + ": contains a NUL byte");
            return;
        }
        Path p = Path.of(path);
        if (!p.isAbsolute()) {
            errors.add(field + ": \"" + path + "\" is not an absolute path");
            return;
        }
        if (!p.normalize().toString().equals(path)) {
            errors.add(field + ": \"" + path + "\" is not a normalized path (no '.', '..', '//' or trailing '/')");
            return;
        }
        for (Path dir : allowedDirs) {
            Path d = dir.normalize();
            if (p.startsWith(d) && !p.equals(d)) {
                return;
            }
        }
        errors.add(field + ": \"" + path + "\" is outside the allowed image directories " + allowedDirs);
    }
}
