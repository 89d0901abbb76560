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
 * Guest agent settings for the VirtualMachines its selector matches in the same namespace. When several policies
 * match a VM the highest {@code priority} wins; a tie is broken by name (lexicographically smallest wins) and
 * reported with the {@code Conflict} condition on every policy involved. The status is written by the operator.
 */
@Group(Agentvisor.GROUP)
@Version(Agentvisor.VERSION)
@Kind("GuestAgentPolicy")
@Plural("guestagentpolicies")
@Singular("guestagentpolicy")
@ShortNames("gap")
@AdditionalPrinterColumn(name = "Priority", jsonPath = ".spec.priority", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Timeout", jsonPath = ".spec.responseTimeout", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "VMs", jsonPath = ".status.virtualMachines", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
@JsonDeserialize(using = GuestAgentPolicy.Reader.class)
public class GuestAgentPolicy extends TolerantReader.Resource<GuestAgentPolicySpec, GuestAgentPolicyStatus>
        implements Namespaced {
    /** Reads a GuestAgentPolicy without ever failing on a field the Java types cannot hold. */
    public static final class Reader extends TolerantReader<GuestAgentPolicy> {
        public Reader() {
            super(GuestAgentPolicy.class, GuestAgentPolicy::new);
        }
    }
}
