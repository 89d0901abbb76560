package io.agentvisor.api.v1alpha1;

/** QEMU block formats a disk image may have. */
public enum DiskFormat {
    raw, qcow2
}
