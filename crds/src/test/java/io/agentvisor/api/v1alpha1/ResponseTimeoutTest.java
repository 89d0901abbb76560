package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;


import io.fabric8.kubernetes.api.model.IntOrString;
import org.junit.jupiter.api.Test;

class ResponseTimeoutTest {

    @Test
    void namesAndIntegersNormaliseToLibvirtIntegers() {
        assertEquals(-2, ResponseTimeout.toLibvirt(new IntOrString("Block"), "f"));
        assertEquals(-1, ResponseTimeout.toLibvirt(new IntOrString("Default"), "f"));
        assertEquals(0, ResponseTimeout.toLibvirt(new IntOrString("NoWait"), "f"));
        assertEquals(-2, ResponseTimeout.toLibvirt(new IntOrString(-2), "f"));
        assertEquals(30, ResponseTimeout.toLibvirt(new IntOrString(30), "f"));
    }

    @Test
    void badValuesNameTheFieldAndTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ResponseTimeout.toLibvirt(new IntOrString(-3), "spec.responseTimeout"));
        assertEquals("spec.responseTimeout: -3 is below -2 (Block)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ResponseTimeout.toLibvirt(new IntOrString("forever"), "spec.responseTimeout"));
        assertTrue(e.getMessage().startsWith("spec.responseTimeout: \"forever\" is not a timeout"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ResponseTimeout.toLibvirt(new IntOrString("10"), "f"));
    }

    @Test
    void apiFormRoundTrips() {
        for (int n = -2; n <= 7; n++) {
            assertEquals(n, ResponseTimeout.toLibvirt(ResponseTimeout.toApi(n), "f"));
        }
        assertEquals("Block", ResponseTimeout.toApi(-2).getStrVal());
    }
}
