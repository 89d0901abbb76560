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

    @Test
    void theCliResultsBecomeRowsAfterThePs(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("cli.json"), """
                {"date":"2026-11-29","runs":15,
                 "rows":[
                  {"verb":"status (list)","kind":"cluster","agentvisorWallMs":1642.0,"referenceWallMs":122.5,"ratio":13.4,"goalMet":false},
                  {"verb":"agent-command guest-ping","kind":"socket","agentvisorWallMs":579.0,"referenceWallMs":35.8,"ratio":16.2,"goalMet":null}
                 ]}
                """);
        Report node = new Report("Node", dir.resolve("node"));
        node.row("P7", "driver restart", "4.00 s", "", "", "seconds", "");
        node.write();

        Summary.Rendered r = Summary.render(List.of(dir.resolve("cli.json"), dir.resolve("node.json")));

        assertEquals(List.of(), r.failures());
        String md = r.markdown();
        assertTrue(md.indexOf("| P7 | driver restart") < md.indexOf("| CLI | agentvisor status (list)"), md);
        assertTrue(md.contains("| CLI | agentvisor status (list), median wall time | 1642 ms | kubectl: 123 ms | 13.4× | ≤ 5× kubectl | NOT met |"), md);
        assertTrue(md.contains("| raw socket (socat): 36 ms | 16.2× | ≤ 5× virsh (virsh not measured) |  |"), md);
    }
}
