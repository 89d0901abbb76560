package io.agentvisor.api.v1alpha1;

/** What a GuestMaintenance does (the kind for backups and clocks: no command of the user's choosing). */
public enum GuestMaintenanceOperation {
    FsFreeze, FsThaw, SetTime
}
