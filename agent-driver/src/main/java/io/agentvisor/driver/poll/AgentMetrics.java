package io.agentvisor.driver.poll;

import java.time.Duration;

/** What the poller reports for metrics (Micrometer in the app, a no-op or a recorder in tests). */
public interface AgentMetrics {
    AgentMetrics NONE = new AgentMetrics() {
        @Override
        public void call(String vm, String command, String outcome, Duration took) {
        }

        @Override
        public void reconnected(String vm) {
        }
    };

    /** @param outcome success, command_error, timeout, agent_error, not_connected */
    void call(String vm, String command, String outcome, Duration took);

    void reconnected(String vm);
}
