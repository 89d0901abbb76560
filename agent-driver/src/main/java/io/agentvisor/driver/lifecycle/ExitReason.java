package io.agentvisor.driver.lifecycle;

/** Why a QEMU process ended, as far as the driver can know (it is not QEMU's parent: see QemuSupervisor). */
public enum ExitReason {
    /** The guest powered itself off (QMP SHUTDOWN with guest=true): KubeVirt's "Succeeded". */
    GUEST_SHUTDOWN,
    /** The driver stopped it on purpose (Halted, deletion, a stop request). */
    STOPPED,
    /** Anything else: killed by a signal, crashed, exited without a guest shutdown. KubeVirt's "Failed". */
    FAILED
}
