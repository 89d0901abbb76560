package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;

import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

/** A status apply carries only the operator's fields: no spec, no driver fields, no nulls. */
class ApplyPayloadTest {

    @Test
    void statusApplyContainsOnlyOwnedFields() {
        VirtualMachine apply = new VirtualMachine();
        apply.setMetadata(new ObjectMetaBuilder().withName("v").withNamespace("ns").build());
        VirtualMachineStatus s = new VirtualMachineStatus();
        s.setNodeName("n1");
        s.setConditions(List.of());
        apply.setStatus(s);
        assertEquals("{\"apiVersion\":\"agentvisor.io/v1alpha1\",\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"v\","
                + "\"namespace\":\"ns\"},\"status\":{\"nodeName\":\"n1\",\"conditions\":[]}}",
                new KubernetesSerialization().asJson(apply));
    }
}
