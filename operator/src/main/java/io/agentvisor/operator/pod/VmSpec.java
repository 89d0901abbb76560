package io.agentvisor.operator.pod;

import java.util.List;
import java.util.Objects;

/**
 * What the VM's pod and QEMU need to know about one VM, already validated and independent of the Kubernetes types,
 * so that the pod and the command line are pure functions of it.
 *
 * @param namespace  Kubernetes namespace (a DNS label)
 * @param name       Kubernetes name (a DNS subdomain)
 * @param uid        the object's uid (QEMU's {@code -uuid}, the pod's label)
 * @param memoryMiB  guest memory in MiB
 * @param kernel     node path of the kernel (read-only), or null to boot from the first disk
 * @param network    whether the guest gets a NIC on the pod network
 * @param ports      ports forwarded from the pod to the guest (only with {@code network})
 * @param agent      whether the VM gets the guest agent channel
 */
public record VmSpec(String namespace, String name, String uid, long memoryMiB, int cores, String kernel, String initrd,
        String cmdline, List<DiskSpec> disks, boolean network, List<PortSpec> ports, boolean agent) {

    /** Where a disk's image comes from: a read-only file on the node, or a file in a claim of the namespace. */
    public sealed interface Source permits HostFile, Claim {
    }

    /** A read-only image file on the node (inside an allowed image directory, checked by SpecValidation). */
    public record HostFile(String path) implements Source {
        public HostFile {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/") || path.indexOf('\0') >= 0) {
                throw new IllegalArgumentException("disk path must be an absolute path, not '" + path + "'");
            }
        }
    }

    /** An image file at the root of a Filesystem-mode PersistentVolumeClaim of the VM's namespace. */
    public record Claim(String claimName, String file) implements Source {
        public Claim {
            Names.requireDnsSubdomain("persistentVolumeClaim.claimName", claimName);
            if (file == null || file.isEmpty() || file.equals(".") || file.equals("..") || file.indexOf('/') >= 0
                    || file.indexOf('\0') >= 0 || file.length() > 255) {
                throw new IllegalArgumentException("persistentVolumeClaim.file must be a file name at the root of the "
                        + "volume, not '" + file + "'");
            }
        }
    }

    public record DiskSpec(String name, Source source, String format, boolean readOnly) {
        public DiskSpec {
            Names.requireDnsLabel("disk name", name);
            Objects.requireNonNull(source, "disk source");
            if (!"raw".equals(format) && !"qcow2".equals(format)) {
                throw new IllegalArgumentException("disk " + name + ": format must be raw or qcow2, not " + format);
            }
            if (source instanceof HostFile && !readOnly) {
                throw new IllegalArgumentException("disk " + name + ": a disk from a node path is read-only");
            }
        }
    }

    public record PortSpec(String name, int port, String protocol) {
        public PortSpec {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, not " + port);
            }
            if (!"TCP".equals(protocol) && !"UDP".equals(protocol)) {
                throw new IllegalArgumentException("port " + port + ": protocol must be TCP or UDP, not " + protocol);
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
        ports = ports == null ? List.of() : List.copyOf(ports);
        if (!network && !ports.isEmpty()) {
            throw new IllegalArgumentException("forwarded ports need a network interface");
        }
        if (ports.stream().map(p -> p.protocol() + "/" + p.port()).distinct().count() != ports.size()) {
            throw new IllegalArgumentException("a port is forwarded twice");
        }
    }

    /** "namespace/name", for messages and logs. */
    public String key() {
        return namespace + "/" + name;
    }
}
