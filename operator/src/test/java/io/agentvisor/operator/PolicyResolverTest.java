package io.agentvisor.operator;

import static io.agentvisor.operator.Fixtures.agent;
import static io.agentvisor.operator.Fixtures.expression;
import static io.agentvisor.operator.Fixtures.labels;
import static io.agentvisor.operator.Fixtures.policy;
import static io.agentvisor.operator.Fixtures.vm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;

import io.agentvisor.agent.ResponseTimeout;

import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.PollIntervals;

import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.api.model.IntOrString;
import org.junit.jupiter.api.Test;

class PolicyResolverTest {

    @Test
    void noPolicyGivesTheBoundedProductDefault() {
        AgentPolicyStatus s = PolicyResolver.resolve(vm("ns", "a", Map.of(), "256Mi"), List.of()).settings();
        assertEquals(-1, s.getResponseTimeout());
        assertEquals("Default", s.getSource());
        assertNull(s.getPolicy());
        assertEquals(true, s.getEnabled());
        assertEquals(3, s.getUnresponsiveAfter());
        assertEquals("10s", s.getPollIntervals().getUsers());
        assertEquals("120s", s.getPollIntervals().getOsInfo());
        assertEquals("300s", s.getPollIntervals().getFilesystems());
        assertEquals("120s", s.getPollIntervals().getInterfaces());
        assertEquals("300s", s.getPollIntervals().getAgentInfo());
    }

    @Test
    void aConfiguredProductDefaultAppliesOnlyWhereNeitherTheVmNorAPolicySetsATimeout() {
        VirtualMachine lonely = vm("ns", "lonely", Map.of(), "256Mi");
        AgentPolicyStatus s = PolicyResolver.resolve(lonely, List.of(), ResponseTimeout.ofSeconds(10)).settings();
        assertEquals(10, s.getResponseTimeout());
        assertEquals("Default", s.getSource());
        assertNull(s.getPolicy());
        assertNull(s.getOverrides());

        // a matching policy without responseTimeout governs the other settings; the timeout stays the product's
        GuestAgentPolicy quiet = policy("ns", "quiet", 5, labels(), null);
        quiet.getSpec().setUnresponsiveAfter(7);
        s = PolicyResolver.resolve(lonely, List.of(quiet), ResponseTimeout.BLOCK).settings();
        assertEquals(-2, s.getResponseTimeout());
        assertEquals("Default", s.getSource());
        assertEquals("GuestAgentPolicy/ns/quiet", s.getPolicy());
        assertEquals(7, s.getUnresponsiveAfter());

        // a policy that sets one, or the VM's own setting, wins over the product default
        GuestAgentPolicy web = policy("ns", "web", 9, labels(), "NoWait");
        s = PolicyResolver.resolve(lonely, List.of(quiet, web), ResponseTimeout.ofSeconds(10)).settings();
        assertEquals(0, s.getResponseTimeout());
        assertEquals("GuestAgentPolicy/ns/web", s.getSource());
        VirtualMachine own = vm("ns", "own", Map.of(), "256Mi");
        own.getSpec().setGuestAgent(agent("Default"));
        s = PolicyResolver.resolve(own, List.of(quiet), ResponseTimeout.ofSeconds(10)).settings();
        assertEquals(-1, s.getResponseTimeout());
        assertEquals("VirtualMachine", s.getSource());
    }

    @Test
    void highestPriorityMatchingPolicyWins() {
        VirtualMachine vm = vm("ns", "web-1", Map.of("app", "web"), "256Mi");
        List<GuestAgentPolicy> ps = List.of(policy("ns", "all", 0, labels(), 30),
                policy("ns", "web", 10, labels("app", "web"), "Block"),
                policy("ns", "db", 20, labels("app", "db"), 2),
                policy("other", "web-elsewhere", 100, labels("app", "web"), 1));
        PolicyResolver.Resolution r = PolicyResolver.resolve(vm, ps);
        assertEquals(-2, r.settings().getResponseTimeout());
        assertEquals("GuestAgentPolicy/ns/web", r.settings().getSource());
        assertEquals("GuestAgentPolicy/ns/web", r.settings().getPolicy());
        assertTrue(r.tied().isEmpty());
    }

    @Test
    void tieIsBrokenByNameRegardlessOfOrder() {
        VirtualMachine vm = vm("ns", "v", Map.of("app", "web"), "256Mi");
        GuestAgentPolicy b = policy("ns", "b", 5, labels("app", "web"), 7);
        GuestAgentPolicy a = policy("ns", "a", 5, labels(), 3);
        for (List<GuestAgentPolicy> ps : List.of(List.of(a, b), List.of(b, a))) {
            PolicyResolver.Resolution r = PolicyResolver.resolve(vm, ps);
            assertEquals(3, r.settings().getResponseTimeout());
            assertEquals("GuestAgentPolicy/ns/a", r.settings().getSource());
            assertEquals(List.of("a", "b"), r.tied().stream().map(p -> p.getMetadata().getName()).toList());
        }
        Map<String, PolicyResolver.PolicyReport> report = PolicyResolver.report(List.of(vm), List.of(a, b));
        assertEquals(List.of("v"), report.get("a").governed());
        assertEquals(List.of(), report.get("b").governed());
        assertEquals(List.of("b"), report.get("a").tiedWith());
        assertEquals(List.of("a"), report.get("b").tiedWith());
        assertEquals(List.of("v"), report.get("b").tiedOver());
    }

    @Test
    void matchExpressions() {
        GuestAgentPolicy in = policy("ns", "in", 1, expression("tier", "In", "gold", "silver"), 11);
        GuestAgentPolicy notIn = policy("ns", "notin", 0, expression("tier", "NotIn", "gold"), 12);
        GuestAgentPolicy exists = policy("ns", "exists", 2, expression("legacy", "Exists"), 13);
        GuestAgentPolicy absent = policy("ns", "absent", -1, expression("tier", "DoesNotExist"), 14);
        List<GuestAgentPolicy> ps = List.of(in, notIn, exists, absent);
        assertEquals(11, timeout(vm("ns", "g", Map.of("tier", "gold"), "1Gi"), ps));
        assertEquals(12, timeout(vm("ns", "b", Map.of("tier", "bronze"), "1Gi"), ps));
        assertEquals(13, timeout(vm("ns", "l", Map.of("tier", "gold", "legacy", ""), "1Gi"), ps));
        assertEquals(12, timeout(vm("ns", "n", Map.of(), "1Gi"), ps)); // NotIn (0) beats DoesNotExist (-1)
        assertEquals(14, timeout(vm("ns", "n", Map.of(), "1Gi"), List.of(absent, in)));
    }

    @Test
    void vmOverridesFieldByFieldAndSaysSo() {
        VirtualMachine vm = vm("ns", "v", Map.of("app", "web"), "256Mi");
        vm.getSpec().setGuestAgent(agent("NoWait"));
        PollIntervals mine = new PollIntervals();
        mine.setUsers("1m");
        vm.getSpec().getGuestAgent().setPollIntervals(mine);
        vm.getSpec().getGuestAgent().setCommandTimeouts(Map.of("guest-get-fsinfo", new IntOrString(60)));
        GuestAgentPolicy web = policy("ns", "web", 1, labels("app", "web"), 30);
        PollIntervals theirs = new PollIntervals();
        theirs.setUsers("20s");
        theirs.setOsInfo("5m");
        web.getSpec().setPollIntervals(theirs);
        web.getSpec().setUnresponsiveAfter(5);
        web.getSpec().setBlockedCommands(List.of("guest-exec"));
        web.getSpec().setCommandTimeouts(Map.of("guest-get-fsinfo", new IntOrString(10),
                "guest-get-users", new IntOrString("Default")));
        AgentPolicyStatus s = PolicyResolver.resolve(vm, List.of(web)).settings();
        assertEquals(0, s.getResponseTimeout());
        assertEquals("VirtualMachine", s.getSource());
        assertEquals("GuestAgentPolicy/ns/web", s.getPolicy());
        assertEquals("1m", s.getPollIntervals().getUsers());
        assertEquals("5m", s.getPollIntervals().getOsInfo());
        assertEquals("300s", s.getPollIntervals().getFilesystems());
        assertEquals(5, s.getUnresponsiveAfter());
        assertEquals(List.of("guest-exec"), s.getBlockedCommands());
        assertEquals(Map.of("guest-get-fsinfo", 60, "guest-get-users", -1), s.getCommandTimeouts());
        assertEquals(List.of("responseTimeout", "commandTimeouts", "pollIntervals.users"), s.getOverrides());
    }

    @Test
    void invalidPoliciesDoNotTakePartAndInvalidVmSettingsAreReported() {
        VirtualMachine vm = vm("ns", "v", Map.of(), "256Mi");
        GuestAgentPolicy bad = policy("ns", "bad", 9, labels(), 30);
        bad.getSpec().setCommandTimeouts(Map.of("reboot now", new IntOrString(1)));
        GuestAgentPolicy good = policy("ns", "good", 1, labels(), 4);
        assertEquals(4, timeout(vm, List.of(bad, good)));
        GuestAgentPolicy badOp = policy("ns", "bad-op", 9, expression("a", "Near", "b"), 30);
        assertEquals(4, timeout(vm, List.of(badOp, good)));

        vm.getSpec().setGuestAgent(agent(-7));
        PolicyResolver.Resolution r = PolicyResolver.resolve(vm, List.of(good));
        assertNull(r.settings());
        assertEquals(List.of("spec.guestAgent.responseTimeout: -7 is below -2 (Block)"), r.errors());
    }

    private static int timeout(VirtualMachine vm, List<GuestAgentPolicy> ps) {
        return PolicyResolver.resolve(vm, ps).settings().getResponseTimeout();
    }
}
