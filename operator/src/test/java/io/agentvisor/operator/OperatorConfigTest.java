package io.agentvisor.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class OperatorConfigTest {

    @Test
    void acceptsTheFormsOfTheApi() {
        assertEquals(-2, OperatorConfig.parseResponseTimeout("Block").value());
        assertEquals(-1, OperatorConfig.parseResponseTimeout("Default").value());
        assertEquals(0, OperatorConfig.parseResponseTimeout("NoWait").value());
        assertEquals(-2, OperatorConfig.parseResponseTimeout("-2").value());
        assertEquals(0, OperatorConfig.parseResponseTimeout("0").value());
        assertEquals(30, OperatorConfig.parseResponseTimeout("30").value());
        assertEquals(12, OperatorConfig.parseResponseTimeout(" 12 ").value()); // as a YAML block or a shell may leave it
    }

    @Test
    void anInvalidValueIsOneLineNamingTheKeyAndTheReason() {
        assertEquals("agentvisor.default-response-timeout: -3 is below -2 (Block)", message("-3"));
        assertEquals("agentvisor.default-response-timeout: \"Forever\" is not a timeout: use an integer >= -2 "
                + "(seconds) or Block, Default, NoWait", message("Forever"));
        // case matters, as in the CRD
        assertEquals("agentvisor.default-response-timeout: \"block\" is not a timeout: use an integer >= -2 "
                + "(seconds) or Block, Default, NoWait", message("block"));
        assertEquals("agentvisor.default-response-timeout: \"5s\" is not a timeout: use an integer >= -2 "
                + "(seconds) or Block, Default, NoWait", message("5s"));
        assertEquals("agentvisor.default-response-timeout: 99999999999 is too large", message("99999999999"));
        assertEquals("agentvisor.default-response-timeout: empty: use an integer >= -2 (seconds) or Block, "
                + "Default, NoWait", message(" "));
    }

    private static String message(String value) {
        return assertThrows(IllegalArgumentException.class, () -> OperatorConfig.parseResponseTimeout(value))
                .getMessage();
    }
}
