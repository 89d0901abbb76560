package io.agentvisor.agent;

/**
 * What QEMU reports about the VM (QMP events) that completes an agent call which gets no reply: libvirt's
 * await_event. guest-shutdown's powerdown and halt modes await {@link #SHUTDOWN}, its reboot mode {@link #RESET}.
 */
public enum VmEvent {
    SHUTDOWN, RESET
}
