package io.agentvisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SummaryTest {

    @Test
    void rendersTheRowsOfEveryResultsFileInOrderOfP(@TempDir Path dir) throws Exception {
        Report system = new Report("System", dir.resolve("system"));
        system.row("P3", "isolation", "1 s", "", "", "≤ 2 s", Report.verdict(true));
        system.row("P2", "precision", "3 ms", "libvirt: 30 ms", "0.1×", "≤ 50 ms", Report.verdict(false));
        system.write();
        Report agent = new Report("Agent", dir.resolve("agent"));
        agent.row("P1", "round trip", "30 µs", "raw socket: 28 µs", "1.07×", "≤ 1.3×", Report.MET);
        agent.write();

        Summary.Rendered r = Summary.render(List.of(dir.resolve("agent.json"), dir.resolve("system.json")));

        assertEquals(List.of(), r.failures());
        String md = r.markdown();
        assertTrue(md.indexOf("| P1 | round trip") < md.indexOf("| P2 | precision"), md);
        assertTrue(md.indexOf("| P2 | precision") < md.indexOf("| P3 | isolation"), md);
        assertTrue(md.contains("| 0.1× | ≤ 50 ms | NOT met |"), md);
        assertTrue(md.contains("- Agent: agent.md"), md);
    }

    @Test
    void aReferenceThatWasNotMeasuredOrAMissingResultFails(@TempDir Path dir) throws Exception {
        Report system = new Report("System", dir.resolve("system"));
        system.row("P2", "precision", "3 ms", "libvirt not measured", "", "≤ 50 ms", Report.FAILED);
        system.write();

        Summary.Rendered r = Summary.render(List.of(dir.resolve("system.json"), dir.resolve("agent.json")));

        assertEquals(2, r.failures().size(), r.failures().toString());
        assertTrue(r.failures().get(0).endsWith("agent.json: missing (the benchmark did not finish)"),
                r.failures().get(0));
        assertEquals("P2 precision: 3 ms / libvirt not measured", r.failures().get(1));
        assertTrue(Files.readString(dir.resolve("system.md")).contains("| failed |"));
        assertTrue(r.markdown().contains("## Failed"));
    }
}
