package io.agentvisor.driver.poll;

import java.util.function.UnaryOperator;

/**
 * What the poller knows about one VM's agent and guest: an immutable snapshot in the cache that reconciles and
 * the status writer read.
 *
 * @param link  how the agent answers: connected, responsive, the last failure, the call it is busy with
 * @param guest what the guest reported, last-known-good: a failed poll never blanks it
 */
public record AgentView(AgentLink link, GuestFacts guest) {

    public static final AgentView INITIAL = new AgentView(AgentLink.INITIAL, GuestFacts.NONE);

    public AgentView with(AgentLink l) {
        return new AgentView(l, guest);
    }

    public AgentView withGuest(UnaryOperator<GuestFacts> change) {
        return new AgentView(link, change.apply(guest));
    }

    /** The view of a VM that is not running: no agent to talk to; guest facts as last known, nothing frozen. */
    public AgentView detached() {
        return new AgentView(link.detached(), guest.withFrozen(false));
    }
}
