/**
 * A QMP (QEMU Machine Protocol) client: one {@link io.agentvisor.qmp.QmpClient} per monitor socket, commands
 * paired with replies, events handed to a listener, every call bounded by a timeout. Used by the node driver and
 * by the VM launcher inside each VM pod.
 */
package io.agentvisor.qmp;
