package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.agent.ResponseTimeout;
import io.fabric8.kubernetes.api.model.IntOrString;
import org.junit.jupiter.api.Test;

class ApiTimeoutTest {

    @Test
    void namesAndIntegersNormaliseToLibvirtIntegers() {
        assertEquals(-2, ApiTimeout.parse(new IntOrString("Block"), "f").value());
        assertEquals(-1, ApiTimeout.parse(new IntOrString("Default"), "f").value());
        assertEquals(0, ApiTimeout.parse(new IntOrString("NoWait"), "f").value());
        assertEquals(-2, ApiTimeout.parse(new IntOrString(-2), "f").value());
        assertEquals(30, ApiTimeout.parse(new IntOrString(30), "f").value());
    }

    @Test
    void badValuesNameTheFieldAndTheReason() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ApiTimeout.parse(new IntOrString(-3), "spec.responseTimeout"));
        assertEquals("spec.responseTimeout: -3 is below -2 (Block)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ApiTimeout.parse(new IntOrString("forever"), "spec.responseTimeout"));
        assertTrue(e.getMessage().startsWith("spec.responseTimeout: \"forever\" is not a timeout"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ApiTimeout.parse(new IntOrString("10"), "f"));
        assertTrue(e.getMessage().startsWith("f: \"10\" is not a timeout"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> ApiTimeout.parse(null, "f"));
        assertEquals("f: a timeout is required", e.getMessage());
    }

    @Test
    void apiFormRoundTrips() {
        for (int n = -2; n <= 7; n++) {
            ResponseTimeout t = ResponseTimeout.ofSeconds(n);
            assertEquals(t, ApiTimeout.parse(ApiTimeout.toApi(t), "f"));
        }
        assertEquals("Block", ApiTimeout.toApi(ResponseTimeout.BLOCK).getStrVal());
        assertEquals(7, ApiTimeout.toApi(ResponseTimeout.ofSeconds(7)).getIntVal());
    }
}
