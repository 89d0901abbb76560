package io.agentvisor.helm;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import org.junit.jupiter.api.Test;

/** `helm lint --strict` (chart metadata, templates, values against values.schema.json). */
class ChartLintTest {
    @Test
    void chartPassesStrictLint() {
        LintResult result = new Helm(Chart.dir()).lint().strict().call();
        assertFalse(result.isFailed(), String.join("\n", result.getMessages()));
        assertTrue(result.getMessages().stream().noneMatch(m -> m.contains("[WARNING]") || m.contains("[ERROR]")),
                String.join("\n", result.getMessages()));
    }
}
