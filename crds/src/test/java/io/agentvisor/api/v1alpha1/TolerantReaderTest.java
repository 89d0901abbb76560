package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

import io.fabric8.kubernetes.api.model.KubernetesResourceList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.Test;

class TolerantReaderTest {
    static final KubernetesSerialization JSON = new KubernetesSerialization();

    static String vm(String name, String guestAgent, String status) {
        return "{\"apiVersion\":\"agentvisor.io/v1alpha1\",\"kind\":\"VirtualMachine\",\"metadata\":{\"name\":\"" + name
                + "\",\"namespace\":\"ns\",\"uid\":\"u-" + name + "\"},\"spec\":{\"memory\":\"256Mi\",\"guestAgent\":"
                + guestAgent + "},\"status\":" + status + "}";
    }

    @Test
    void anObjectTheTypesCanHoldIsReadWhole() {
        VirtualMachine vm = JSON.unmarshal(vm("good", "{\"unresponsiveAfter\":3}", "{\"phase\":\"Running\"}"),
                VirtualMachine.class);
        assertNull(vm.unreadable());
        assertEquals(3, vm.getSpec().getGuestAgent().getUnresponsiveAfter());
        assertEquals(Phase.Running, vm.getStatus().getPhase());
    }

    @Test
    void aNumberOutOfRangeLeavesTheSpecOutAndNamesTheField() {
        VirtualMachine vm = JSON.unmarshal(vm("bad", "{\"unresponsiveAfter\":3000000000}",
                "{\"phase\":\"Running\",\"podName\":\"vm-bad\"}"), VirtualMachine.class);
        assertEquals("spec.guestAgent.unresponsiveAfter: 3000000000 is out of range for this field (the object was "
                + "stored before the schema allowed it; fix or delete it)", vm.unreadable());
        assertNull(vm.getSpec());
        assertEquals("bad", vm.getMetadata().getName());
        assertEquals("u-bad", vm.getMetadata().getUid());
        assertEquals("vm-bad", vm.getStatus().getPodName(), "the readable status is kept");
    }

    @Test
    void aBadStatusLeavesTheSpecReadable() {
        VirtualMachine vm = JSON.unmarshal(vm("st", "{}", "{\"restartCount\":3000000000}"),
                VirtualMachine.class);
        assertTrue(vm.unreadable().startsWith("status.restartCount: 3000000000 is out of range"), vm.unreadable());
        assertEquals("256Mi", vm.getSpec().getMemory().toString());
        assertNull(vm.getStatus());
    }

    @Test
    void aWrongTypeAndControlCharactersInTheValueAreNamedHarmlessly() {
        GuestAgentPolicy p = JSON.unmarshal("{\"apiVersion\":\"agentvisor.io/v1alpha1\",\"kind\":\"GuestAgentPolicy\","
                + "\"metadata\":{\"name\":\"p\"},\"spec\":{\"priority\":\"high\\u001b[31m\"}}", GuestAgentPolicy.class);
        assertEquals("spec.priority: cannot hold \"high\\u001B[31m\" (the object was stored before the schema "
                + "allowed it; fix or delete it)", p.unreadable());
        assertNull(p.getSpec());
    }

    @Test
    void oneBadItemOfAListDoesNotFailTheList() {
        String list = "{\"apiVersion\":\"agentvisor.io/v1alpha1\",\"kind\":\"VirtualMachineList\",\"metadata\":{},"
                + "\"items\":[" + vm("a", "{\"unresponsiveAfter\":3000000000}", "{}") + "," + vm("b", "{}", "{}")
                + "]}";
        KubernetesResourceList<VirtualMachine> l = JSON.unmarshal(new java.io.ByteArrayInputStream(
                list.getBytes(java.nio.charset.StandardCharsets.UTF_8)), new com.fasterxml.jackson.core.type
                        .TypeReference<io.fabric8.kubernetes.api.model.DefaultKubernetesResourceList<VirtualMachine>>() {
                });
        List<VirtualMachine> items = l.getItems();
        assertEquals(2, items.size());
        assertTrue(items.get(0).unreadable().startsWith("spec.guestAgent.unresponsiveAfter"));
        assertNull(items.get(1).unreadable());
        assertEquals("256Mi", items.get(1).getSpec().getMemory().toString());
    }

    @Test
    void aWatchEventCarryingABadObjectIsRead() {
        JSON.registerKubernetesResource(VirtualMachine.class);
        io.fabric8.kubernetes.api.model.WatchEvent e = JSON.unmarshal("{\"type\":\"ADDED\",\"object\":"
                + vm("w", "{\"unresponsiveAfter\":3000000000}", "{}") + "}",
                io.fabric8.kubernetes.api.model.WatchEvent.class);
        VirtualMachine vm = (VirtualMachine) e.getObject();
        assertEquals("w", vm.getMetadata().getName());
        assertTrue(vm.unreadable().startsWith("spec.guestAgent.unresponsiveAfter"), vm.unreadable());
    }
}
