package io.agentvisor.operator;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.agentvisor.agent.ResponseTimeout;
import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.AgentTuning;
import io.agentvisor.api.v1alpha1.ApiTimeout;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.GuestAgentPolicySpec;
import io.agentvisor.api.v1alpha1.GuestAgentSettings;
import io.agentvisor.api.v1alpha1.PollGroup;
import io.agentvisor.api.v1alpha1.PollIntervals;
import io.agentvisor.api.v1alpha1.SpecValidation;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.IntOrString;

/**
 * Policy resolution as a plain function: the effective guest agent settings of a VM, field by field, from its own
 * {@code spec.guestAgent}, else the winning GuestAgentPolicy of its namespace (highest priority; a tie is broken by
 * name, smallest first), else the product default. The product default response timeout is
 * {@code agentvisor.default-response-timeout} ({@code Default}, i.e. bounded 5 s and never blocking, unless
 * configured otherwise); either way the source is {@value #SOURCE_DEFAULT}.
 */
public final class PolicyResolver {
    public static final String SOURCE_VM = "VirtualMachine";
    public static final String SOURCE_DEFAULT = "Default";

    /** Highest priority first, then by name. */
    static final Comparator<GuestAgentPolicy> PRECEDENCE = Comparator
            .comparingInt((GuestAgentPolicy p) -> -priority(p)).thenComparing(p -> p.getMetadata().getName());

    private PolicyResolver() {
    }

    /**
     * The outcome for one VM.
     *
     * @param settings the effective settings, or null when the VM's own spec.guestAgent is invalid
     * @param winner the winning policy, or null
     * @param tied the policies (winner included, in precedence order) that share the winner's priority, when more
     *        than one; else empty
     * @param errors why the VM's own settings cannot be applied (field: reason)
     */
    public record Resolution(AgentPolicyStatus settings, GuestAgentPolicy winner, List<GuestAgentPolicy> tied,
            List<String> errors) {
    }

    public static String ref(GuestAgentPolicy p) {
        return "GuestAgentPolicy/" + p.getMetadata().getNamespace() + "/" + p.getMetadata().getName();
    }

    static int priority(GuestAgentPolicy p) {
        return p.getSpec() == null || p.getSpec().getPriority() == null ? 0 : p.getSpec().getPriority();
    }

    /** Whether a policy takes part in resolution: its spec passes {@link SpecValidation#validatePolicy}. */
    public static boolean usable(GuestAgentPolicy p) {
        return SpecValidation.validatePolicy(p.getSpec()).isEmpty();
    }

    /** Usable policies of the VM's namespace whose selector matches the VM, in precedence order. */
    public static List<GuestAgentPolicy> matching(VirtualMachine vm, Collection<GuestAgentPolicy> policies) {
        List<GuestAgentPolicy> out = new ArrayList<>();
        for (GuestAgentPolicy p : policies) {
            if (Objects.equals(p.getMetadata().getNamespace(), vm.getMetadata().getNamespace()) && p.getSpec() != null
                    && usable(p) && LabelSelectors.matches(p.getSpec().getSelector(), vm.getMetadata().getLabels())) {
                out.add(p);
            }
        }
        out.sort(PRECEDENCE);
        return out;
    }

    /**
     * {@link #resolve(VirtualMachine, Collection, ResponseTimeout)} with the unconfigured product default,
     * {@code Default}.
     */
    public static Resolution resolve(VirtualMachine vm, Collection<GuestAgentPolicy> policies) {
        return resolve(vm, policies, ResponseTimeout.DEFAULT);
    }

    /**
     * @param defaultResponseTimeout the product default response timeout, applied when neither the VM nor the
     *        winning policy sets one
     */
    public static Resolution resolve(VirtualMachine vm, Collection<GuestAgentPolicy> policies,
            ResponseTimeout defaultResponseTimeout) {
        List<GuestAgentPolicy> matched = matching(vm, policies);
        GuestAgentPolicy winner = matched.isEmpty() ? null : matched.get(0);
        List<GuestAgentPolicy> tied = new ArrayList<>();
        if (winner != null) {
            for (GuestAgentPolicy p : matched) {
                if (priority(p) == priority(winner)) {
                    tied.add(p);
                }
            }
            if (tied.size() < 2) {
                tied.clear();
            }
        }
        GuestAgentSettings own = vm.getSpec() == null ? null : vm.getSpec().getGuestAgent();
        List<String> errors = new ArrayList<>(SpecValidation.validateGuestAgent(own));
        for (GuestAgentPolicy p : policies) {
            // its selector is unknown: it may be the one that should win, so nothing is resolved without it
            if (p.unreadable() != null && Objects.equals(p.getMetadata().getNamespace(),
                    vm.getMetadata().getNamespace())) {
                errors.add(ref(p) + " cannot be read (" + p.unreadable() + "): the settings last applied are kept");
            }
        }
        if (!errors.isEmpty()) {
            return new Resolution(null, winner, List.copyOf(tied), errors);
        }
        return new Resolution(merge(own, winner, defaultResponseTimeout), winner, List.copyOf(tied), List.of());
    }

    private static AgentPolicyStatus merge(GuestAgentSettings own, GuestAgentPolicy winner,
            ResponseTimeout defaultResponseTimeout) {
        GuestAgentPolicySpec pol = winner == null ? null : winner.getSpec();
        String polRef = winner == null ? null : ref(winner);
        List<String> overrides = new ArrayList<>();
        AgentPolicyStatus s = new AgentPolicyStatus();

        Boolean enabled = own == null ? null : own.getEnabled();
        if (enabled != null) {
            overrides.add("enabled");
        }
        s.setEnabled(enabled == null || enabled);

        IntOrString timeout;
        if (own != null && own.getResponseTimeout() != null) {
            timeout = own.getResponseTimeout();
            s.setSource(SOURCE_VM);
            overrides.add("responseTimeout");
        } else if (pol != null && pol.getResponseTimeout() != null) {
            timeout = pol.getResponseTimeout();
            s.setSource(polRef);
        } else {
            timeout = null;
            s.setSource(SOURCE_DEFAULT);
        }
        s.setResponseTimeout((timeout == null ? defaultResponseTimeout
                : ApiTimeout.parse(timeout, "responseTimeout")).value());

        Map<String, Integer> commands = new TreeMap<>();
        if (pol != null && pol.getCommandTimeouts() != null) {
            pol.getCommandTimeouts().forEach((k, v) -> commands.put(k, ApiTimeout.parse(v, k).value()));
        }
        if (own != null && own.getCommandTimeouts() != null && !own.getCommandTimeouts().isEmpty()) {
            own.getCommandTimeouts().forEach((k, v) -> commands.put(k, ApiTimeout.parse(v, k).value()));
            overrides.add("commandTimeouts");
        }
        s.setCommandTimeouts(new LinkedHashMap<>(commands));

        PollIntervals ownPoll = own == null ? null : own.getPollIntervals();
        PollIntervals polPoll = pol == null ? null : pol.getPollIntervals();
        PollIntervals poll = new PollIntervals();
        for (PollGroup g : PollGroup.values()) {
            String mine = ownPoll == null ? null : ownPoll.get(g);
            String theirs = polPoll == null ? null : polPoll.get(g);
            if (mine != null) {
                overrides.add("pollIntervals." + g.key);
            }
            poll.set(g, mine != null ? mine : theirs != null ? theirs : g.defaultText);
        }
        s.setPollIntervals(poll);

        if (own != null && own.getBlockedCommands() != null) {
            s.setBlockedCommands(List.copyOf(own.getBlockedCommands()));
            overrides.add("blockedCommands");
        } else if (pol != null && pol.getBlockedCommands() != null) {
            s.setBlockedCommands(List.copyOf(pol.getBlockedCommands()));
        } else {
            s.setBlockedCommands(List.of());
        }

        if (own != null && own.getUnresponsiveAfter() != null) {
            s.setUnresponsiveAfter(own.getUnresponsiveAfter());
            overrides.add("unresponsiveAfter");
        } else if (pol != null && pol.getUnresponsiveAfter() != null) {
            s.setUnresponsiveAfter(pol.getUnresponsiveAfter());
        } else {
            s.setUnresponsiveAfter(AgentTuning.DEFAULT_UNRESPONSIVE_AFTER);
        }

        s.setPolicy(polRef);
        s.setOverrides(overrides.isEmpty() ? null : overrides);
        return s;
    }

    /**
     * What the operator writes to a policy's status: how many VMs it governs and which policies it ties with.
     *
     * @param governed names of the VMs whose winning policy this is, sorted
     * @param tiedWith names of the other policies it ties with over at least one VM, sorted
     * @param tiedOver names of the VMs over which it ties, sorted
     */
    public record PolicyReport(List<String> governed, List<String> tiedWith, List<String> tiedOver) {
    }

    /** Reports for every policy of one namespace, over the VMs of that namespace. */
    public static Map<String, PolicyReport> report(Collection<VirtualMachine> vms, Collection<GuestAgentPolicy> policies) {
        Map<String, java.util.SortedSet<String>> governed = new TreeMap<>();
        Map<String, java.util.SortedSet<String>> tiedWith = new TreeMap<>();
        Map<String, java.util.SortedSet<String>> tiedOver = new TreeMap<>();
        for (GuestAgentPolicy p : policies) {
            String n = p.getMetadata().getName();
            governed.put(n, new java.util.TreeSet<>());
            tiedWith.put(n, new java.util.TreeSet<>());
            tiedOver.put(n, new java.util.TreeSet<>());
        }
        for (VirtualMachine vm : vms) {
            List<GuestAgentPolicy> matched = matching(vm, policies);
            if (matched.isEmpty()) {
                continue;
            }
            GuestAgentPolicy winner = matched.get(0);
            String vmName = vm.getMetadata().getName();
            governed.computeIfAbsent(winner.getMetadata().getName(), k -> new java.util.TreeSet<>()).add(vmName);
            List<String> tie = matched.stream().filter(p -> priority(p) == priority(winner))
                    .map(p -> p.getMetadata().getName()).toList();
            if (tie.size() > 1) {
                for (String a : tie) {
                    for (String b : tie) {
                        if (!a.equals(b)) {
                            tiedWith.computeIfAbsent(a, k -> new java.util.TreeSet<>()).add(b);
                        }
                    }
                    tiedOver.computeIfAbsent(a, k -> new java.util.TreeSet<>()).add(vmName);
                }
            }
        }
        Map<String, PolicyReport> out = new TreeMap<>();
        for (String n : governed.keySet()) {
            out.put(n, new PolicyReport(List.copyOf(governed.get(n)), List.copyOf(tiedWith.get(n)),
                    List.copyOf(tiedOver.get(n))));
        }
        return out;
    }
}
