package io.agentvisor.api.v1alpha1;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The contract of a VM's pod, shared by the operator (creates it), the node driver (attaches to it) and the
 * launcher image: one pod per VM that should run, owned by the VM (controller ownerReference).
 * <ul>
 * <li>name {@link #podName}: {@code vm-<vm name>}, shortened with a hash suffix only past 253 characters;</li>
 * <li>labels {@link #APP_LABEL}={@link #APP}, {@link #VM_LABEL}={@link #vmLabelValue}, {@link #VM_UID_LABEL}=uid;</li>
 * <li>container {@link #CONTAINER}; an emptyDir {@link #RUN_VOLUME} at {@link #RUN_DIR} holds {@link #QMP_SOCKET}
 * (the driver's), {@link #LAUNCHER_QMP_SOCKET} (the launcher's) and {@link #AGENT_SOCKET} (guest agent);</li>
 * <li>each Secret of {@code spec.accessCredentials[i]} is a secret volume {@link #credentialVolume}(i), mounted
 * read-only under {@link #CREDENTIALS_DIR} (the kubelet sets up only volumes a container mounts); the node driver
 * reads it from the kubelet's directory of the pod, never from the API;</li>
 * <li>the serial console is the container's stdout.</li>
 * </ul>
 */
public final class VmPods {
    public static final String APP_LABEL = "app.kubernetes.io/name";
    public static final String APP = "agentvisor-vm";
    public static final String VM_LABEL = "agentvisor.io/vm";
    public static final String VM_UID_LABEL = "agentvisor.io/vm-uid";
    /** The label selector of every VM pod. */
    public static final String SELECTOR = APP_LABEL + "=" + APP;
    public static final String CONTAINER = "qemu";
    public static final String RUN_VOLUME = "agentvisor-run";
    public static final String RUN_DIR = "/run/agentvisor";
    public static final String QMP_SOCKET = "qmp.sock";
    public static final String LAUNCHER_QMP_SOCKET = "launcher-qmp.sock";
    public static final String AGENT_SOCKET = "qga.sock";
    /** QEMU's chardev of the agent socket (query-chardev's label) and the id of its virtserialport (VSERPORT_CHANGE). */
    public static final String AGENT_CHARDEV = "qga0";
    public static final String AGENT_PORT_ID = "qga0-port";
    /**
     * Annotation on a VirtualMachine with runStrategy Manual: {@code Running} asks for a pod, {@code Stopped} has it
     * deleted (the guest is shut down within the pod's termination grace).
     */
    public static final String REQUESTED_STATE = "agentvisor.io/requested-state";
    /** Annotation on a VM's pod: a hash of the pod spec it was created with (to tell when it is outdated). */
    public static final String POD_SPEC_HASH = "agentvisor.io/pod-spec-hash";
    /**
     * The extended resource the node driver's device plugin offers where its KVM probe passed: a VM pod that runs
     * under KVM requests one, and the kubelet gives its container {@code /dev/kvm}.
     */
    public static final String KVM_RESOURCE = "devices.agentvisor.io/kvm";
    /**
     * QEMU's machine and CPU options under KVM: VM pods run with exactly these, and the driver's KVM probe tests
     * exactly these (an answer about other options would say nothing about the VMs).
     */
    public static final java.util.List<String> KVM_QEMU_OPTIONS = java.util.List.of("-machine", "q35", "-accel", "kvm",
            "-cpu", "host");

    /** Where the access credentials' secret volumes are mounted in the qemu container (QEMU does not read them). */
    public static final String CREDENTIALS_DIR = "/run/agentvisor-credentials";
    /** Name prefix of the access credentials' secret volumes. */
    public static final String CREDENTIAL_VOLUME_PREFIX = "access-credential-";

    private static final int MAX_NAME = 253;
    private static final int MAX_LABEL = 63;

    private VmPods() {
    }

    /** {@code vm-<vm name>}; past 253 characters, cut and suffixed with {@code -<10 hex of sha-256(vm name)>}. */
    public static String podName(String vmName) {
        String name = "vm-" + vmName;
        if (name.length() <= MAX_NAME) {
            return name;
        }
        String cut = name.substring(0, MAX_NAME - 11);
        while (cut.endsWith("-") || cut.endsWith(".")) {
            cut = cut.substring(0, cut.length() - 1);
        }
        return cut + "-" + sha256(vmName).substring(0, 10);
    }

    /** The secret volume of {@code spec.accessCredentials[index]}. */
    public static String credentialVolume(int index) {
        return CREDENTIAL_VOLUME_PREFIX + index;
    }

    /** The VM's name as a label value; past 63 characters, the first 40 hex digits of its sha-256. */
    public static String vmLabelValue(String vmName) {
        return vmName.length() <= MAX_LABEL ? vmName : sha256(vmName).substring(0, 40);
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
