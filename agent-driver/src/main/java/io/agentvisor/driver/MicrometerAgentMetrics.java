package io.agentvisor.driver;

import io.agentvisor.driver.poll.AgentMetrics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;

/**
 * agentvisor_agent_call_seconds{command,outcome} (histogram), agentvisor_agent_timeouts_total{vm},
 * agentvisor_agent_reconnects_total{vm}. Commands are qemu-ga's names (a bounded set), VMs namespace/name.
 */
final class MicrometerAgentMetrics implements AgentMetrics {
    private final MeterRegistry registry;

    MicrometerAgentMetrics(MeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    public void call(String vm, String command, String outcome, Duration took) {
        Timer.builder("agentvisor.agent.call").description("guest agent call duration by command and outcome")
                .tag("command", command).tag("outcome", outcome).publishPercentileHistogram()
                .register(registry).record(took);
        if (outcome.equals("timeout")) {
            Counter.builder("agentvisor.agent.timeouts").description("guest agent calls that timed out, by VM")
                    .tag("vm", vm).register(registry).increment();
        }
    }

    @Override
    public void reconnected(String vm) {
        Counter.builder("agentvisor.agent.reconnects").description("guest agent answering again after losing it")
                .tag("vm", vm).register(registry).increment();
    }
}
