package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A QEMU virtual machine. The spec is the user's desire; the status is written by two writers, each with its own
 * server-side-apply field manager (see {@link Agentvisor}): the operator (the VM's pod: phase, node; policy) and the
 * agent-driver of the VM's node (process, agent, guest). The VM runs in its own pod, {@link VmPods}.
 */
@Group(Agentvisor.GROUP)
@Version(Agentvisor.VERSION)
@Kind("VirtualMachine")
@Plural("virtualmachines")
@Singular("virtualmachine")
@ShortNames("vm")
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Node", jsonPath = ".status.nodeName", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Agent", jsonPath = ".status.agent.state", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Timeout", jsonPath = ".status.agent.responseTimeout",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "OS", jsonPath = ".status.guest.osInfo.prettyName",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Restarts", jsonPath = ".status.restartCount",
    type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Last Exit", jsonPath = ".status.lastTermination.reason",
    type = AdditionalPrinterColumn.Type.STRING, priority = 1)
@AdditionalPrinterColumn(name = "Pod", jsonPath = ".status.podName", type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@JsonDeserialize(using = VirtualMachine.Reader.class)
public class VirtualMachine extends TolerantReader.Resource<VirtualMachineSpec, VirtualMachineStatus>
        implements Namespaced {
    /** Reads a VirtualMachine without ever failing on a field the Java types cannot hold. */
    public static final class Reader extends TolerantReader<VirtualMachine> {
        public Reader() {
            super(VirtualMachine.class, VirtualMachine::new);
        }
    }
}
