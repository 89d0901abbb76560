package io.agentvisor.api.v1alpha1;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/** One agent command or guest program run against one VM, at most once, by the agent-driver of the VM's node through the VM's own agent connection. Full control of the guest: grant it as you grant pods/exec. */
@Group(Agentvisor.GROUP)
@Version(Agentvisor.VERSION)
@Kind("GuestCommand")
@Plural("guestcommands")
@Singular("guestcommand")
@ShortNames("gcmd")
@AdditionalPrinterColumn(name = "VM", jsonPath = ".spec.virtualMachine", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Operation", jsonPath = ".spec.operation", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Reason", jsonPath = ".status.reason", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class GuestCommand extends CustomResource<GuestCommandSpec, AgentOperationStatus> implements Namespaced {
}
