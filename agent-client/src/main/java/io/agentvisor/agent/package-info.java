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
 * byte stream (long lines share the runtime's {@code LineMemory}), {@code Json} reads a reply's envelope as a token
 * stream, {@link io.agentvisor.agent.GuestCommands} builds requests and reads return values through
 * {@code BoundedReader}: guest-info replies are kept to bounded counts and lengths at parse time
 * ({@link io.agentvisor.agent.GuestList} says what was dropped).
 */
package io.agentvisor.agent;
