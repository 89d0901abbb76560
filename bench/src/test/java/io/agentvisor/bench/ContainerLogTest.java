package io.agentvisor.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;

import org.junit.jupiter.api.Test;

class ContainerLogTest {
    static final String LOG = """
            23:59:58.100 INFO  [i.a.d.p.AgentPoller] bench/b1: guest agent is responsive (guest-sync answered: ok)
            23:59:59.900 INFO  [i.a.d.k.VmRuntime] bench/b2: attached to QEMU pid 42 in pod vm-b2
            00:00:01.250 INFO  [i.a.d.p.AgentPoller] bench/b2: guest agent is responsive (guest-sync answered: ok)
            """;

    @Test
    void timesOfDayAreReadAgainstTheDateOfTheReferenceAcrossMidnight() {
        NodeBench.ContainerLog log = new NodeBench.ContainerLog(LOG);
        Instant killed = Instant.parse("2026-11-29T23:59:59Z");

        assertEquals(Instant.parse("2026-11-30T00:00:01.250Z"), log.first(" bench/b2: guest agent is responsive", killed));
        assertNull(log.first(" bench/b1: guest agent is responsive", killed), "logged before the reference");
        assertNull(log.first(" bench/b3: guest agent is responsive", killed));
    }
}
