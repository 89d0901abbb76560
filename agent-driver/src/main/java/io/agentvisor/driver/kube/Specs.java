package io.agentvisor.driver.kube;

import io.agentvisor.api.v1alpha1.AgentPolicyStatus;
import io.agentvisor.api.v1alpha1.AgentTuning;
import io.agentvisor.api.v1alpha1.Disk;
import io.agentvisor.api.v1alpha1.Durations;
import io.agentvisor.api.v1alpha1.PollIntervals;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.api.v1alpha1.PollGroup;
import io.agentvisor.driver.qemu.ImageDirs;
import io.agentvisor.driver.qemu.VmSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** From API objects to the driver's validated inputs. Every failure is an IllegalArgumentException for the status. */
public final class Specs {
    private Specs() {
    }

    public static VmSpec vmSpec(VirtualMachine vm, ImageDirs images) {
        VirtualMachineSpec s = vm.getSpec();
        if (s == null) {
            throw new IllegalArgumentException("spec is missing");
        }
        if (s.getMemory() == null) {
            throw new IllegalArgumentException("spec.memory is missing");
        }
        long bytes = Quantity.getAmountInBytes(s.getMemory()).longValue();
        long mib = (bytes + (1 << 20) - 1) >> 20;
        int cores = s.getCpu() == null || s.getCpu().getCores() == null ? 1 : s.getCpu().getCores();
        Path kernel = null;
        Path initrd = null;
        String cmdline = null;
        if (s.getBoot() != null && s.getBoot().getKernel() != null) {
            kernel = images.check("spec.boot.kernel", s.getBoot().getKernel());
            if (s.getBoot().getInitrd() != null) {
                initrd = images.check("spec.boot.initrd", s.getBoot().getInitrd());
            }
            cmdline = s.getBoot().getCmdline();
        }
        List<VmSpec.DiskSpec> disks = new ArrayList<>();
        if (s.getDisks() != null) {
            for (Disk d : s.getDisks()) {
                disks.add(new VmSpec.DiskSpec(d.getName(), images.check("spec.disks[" + d.getName() + "].path",
                        d.getPath()), d.getFormat() == null ? "raw" : d.getFormat().name().toLowerCase(),
                        Boolean.TRUE.equals(d.getReadOnly())));
            }
        }
        return new VmSpec(vm.getMetadata().getNamespace(), vm.getMetadata().getName(), vm.getMetadata().getUid(), mib,
                cores, kernel, initrd, cmdline, disks, true);
    }

    /**
     * The settings to apply: status.agentPolicy (the operator's resolution) when present, else {@code fallback}
     * (what is on disk, or the product default), with spec.guestAgent.enabled honoured in both cases.
     */
    public static AgentSettings agentSettings(VirtualMachine vm, AgentSettings fallback) {
        AgentPolicyStatus p = vm.getStatus() == null ? null : vm.getStatus().getAgentPolicy();
        Boolean specEnabled = vm.getSpec() == null || vm.getSpec().getGuestAgent() == null ? null
                : vm.getSpec().getGuestAgent().getEnabled();
        if (p == null) {
            boolean enabled = specEnabled != null ? specEnabled : fallback.enabled();
            return new AgentSettings(enabled, fallback.responseTimeout(), fallback.commandTimeouts(),
                    fallback.blockedCommands(), fallback.pollIntervals(), fallback.unresponsiveAfter());
        }
        Map<String, Long> intervals = new HashMap<>();
        PollIntervals pi = p.getPollIntervals();
        if (pi != null) {
            put(intervals, PollGroup.USERS, pi.getUsers());
            put(intervals, PollGroup.OS_INFO, pi.getOsInfo());
            put(intervals, PollGroup.FILESYSTEMS, pi.getFilesystems());
            put(intervals, PollGroup.INTERFACES, pi.getInterfaces());
            put(intervals, PollGroup.AGENT_INFO, pi.getAgentInfo());
        }
        boolean enabled = p.getEnabled() != null ? p.getEnabled() : specEnabled == null || specEnabled;
        return new AgentSettings(enabled, p.getResponseTimeout() == null ? -1 : p.getResponseTimeout(),
                p.getCommandTimeouts(), p.getBlockedCommands() == null ? null : new java.util.HashSet<>(
                        p.getBlockedCommands()), intervals,
                p.getUnresponsiveAfter() == null ? AgentTuning.DEFAULT_UNRESPONSIVE_AFTER : p.getUnresponsiveAfter());
    }

    private static void put(Map<String, Long> m, PollGroup g, String text) {
        if (text != null) {
            try {
                long ms = Durations.parsePositive(text, "pollIntervals." + g.key).toMillis();
                m.put(g.key, Math.max(1, (ms + 999) / 1000));
            } catch (IllegalArgumentException ignored) {
                // the schema validates these; a bad one keeps the group's default
            }
        }
    }
}
