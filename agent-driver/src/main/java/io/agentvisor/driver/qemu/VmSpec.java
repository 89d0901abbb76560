package io.agentvisor.driver.qemu;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What QEMU needs to know about one VM, already validated and independent of the Kubernetes types, so the command
 * line and the process supervision can be built and tested without an API server.
 *
 * @param namespace  Kubernetes namespace (a DNS label)
 * @param name       Kubernetes name (a DNS subdomain)
 * @param uid        the object's uid: identifies the QEMU process ({@code -uuid}) across driver restarts
 * @param memoryMiB  guest memory in MiB
 * @param agent      whether the VM gets the guest agent channel
 */
public record VmSpec(String namespace, String name, String uid, long memoryMiB, int cores, Path kernel, Path initrd,
        String cmdline, List<DiskSpec> disks, boolean agent) {

    public record DiskSpec(String name, Path path, String format, boolean readOnly) {
        public DiskSpec {
            Names.requireDnsLabel("disk name", name);
            Objects.requireNonNull(path, "disk path");
            if (!format.equals("raw") && !format.equals("qcow2")) {
                throw new IllegalArgumentException("disk " + name + ": format must be raw or qcow2, not " + format);
            }
        }
    }

    public VmSpec {
        Names.requireDnsLabel("namespace", namespace);
        Names.requireDnsSubdomain("name", name);
        Names.requireUid(uid);
        if (memoryMiB < 16) {
            throw new IllegalArgumentException("memory must be at least 16 MiB, not " + memoryMiB + " MiB");
        }
        if (cores < 1 || cores > 256) {
            throw new IllegalArgumentException("cpu.cores must be between 1 and 256, not " + cores);
        }
        if (kernel == null && (disks == null || disks.isEmpty())) {
            throw new IllegalArgumentException("nothing to boot: set boot.kernel or at least one disk");
        }
        if (kernel == null && (initrd != null || cmdline != null)) {
            throw new IllegalArgumentException("boot.initrd and boot.cmdline need boot.kernel");
        }
        disks = disks == null ? List.of() : List.copyOf(disks);
        if (disks.stream().map(DiskSpec::name).distinct().count() != disks.size()) {
            throw new IllegalArgumentException("disk names must be unique");
        }
    }

    /** "namespace/name", for messages and logs. */
    public String key() {
        return namespace + "/" + name;
    }
}
