/**
 * The QEMU guest agent client, with libvirt's response-timeout semantics and no Kubernetes in sight.
 *
 * <p>Use: one {@link io.agentvisor.agent.AgentRuntime} per process (its selector thread carries every agent),
 * one {@link io.agentvisor.agent.GuestAgent} per VM socket from {@code runtime.open(socket, options)}, then typed
 * calls ({@code agent.ping()}, {@code agent.guestInfo()}, or {@code agent.call(GuestCommands.fsInfo())})
 * returning {@code CompletableFuture<AgentOutcome<T>>}. Outcomes are values: {@code Success},
 * {@code CommandError}, {@code NotResponding}, {@code AgentError}, {@code NotConnected}, each with a one-line
 * {@code message()}. The timeout ({@link io.agentvisor.agent.ResponseTimeout}), per-command overrides and
 * blocked commands can be changed on the live agent.
 *
 * <p>Where things live: {@link io.agentvisor.agent.ResponseTimeout} decides how long everything waits,
 * {@link io.agentvisor.agent.GuestAgent} owns the connection, sync and deadlines, {@code ReplyFramer} cuts the
 * byte stream, {@link io.agentvisor.agent.GuestCommands} builds requests and parses replies.
 */
package io.agentvisor.agent;
