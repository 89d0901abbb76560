package io.agentvisor.agent;

import java.util.List;

/**
 * One mounted filesystem from guest-get-fsinfo. {@code usedBytes}/{@code totalBytes} are null on agents
 * older than 3.0 or when statvfs failed.
 */
public record GuestFilesystem(String name, String mountPoint, String type, Long usedBytes, Long totalBytes,
                              List<Disk> disks) {

    public GuestFilesystem {
        disks = GuestList.copyOf(disks);
    }

    /** A disk under the filesystem; fields the agent could not determine are null. */
    public record Disk(String device, String serial, String busType, Integer bus, Integer target,
                       Integer unit) {
    }
}
