package io.agentvisor.cli;

import io.agentvisor.api.v1alpha1.AgentState;
import io.agentvisor.api.v1alpha1.AgentStatus;
import io.agentvisor.api.v1alpha1.FilesystemStatus;
import io.agentvisor.api.v1alpha1.GuestInterface;
import io.agentvisor.api.v1alpha1.OsInfoStatus;
import io.agentvisor.api.v1alpha1.GuestStatus;
import io.agentvisor.api.v1alpha1.UserStatus;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.PrintWriter;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Guest info of a VM as its node last reported it in {@code status.guest}, printed in {@code virsh guestinfo}'s
 * key : value shape, with how old it is. Values are last known good: a failed poll never blanks them.
 */
final class ClusterGuestInfo {
    private ClusterGuestInfo() {
    }

    static void print(PrintWriter out, VirtualMachine vm, boolean json, Instant now) {
        GuestStatus g = vm.getStatus() == null || vm.getStatus().getGuest() == null ? new GuestStatus()
                : vm.getStatus().getGuest();
        AgentStatus a = vm.getStatus() == null || vm.getStatus().getAgent() == null ? new AgentStatus()
                : vm.getStatus().getAgent();
        if (json) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("namespace", vm.getMetadata().getNamespace());
            doc.put("name", vm.getMetadata().getName());
            doc.put("node", vm.getStatus() == null ? null : vm.getStatus().getNodeName());
            doc.put("agent", a);
            doc.put("guest", g);
            out.println(Serialization.asJson(doc));
            return;
        }
        row(out, "vm", vm.getMetadata().getNamespace() + "/" + vm.getMetadata().getName()
                + (vm.getStatus() != null && vm.getStatus().getNodeName() != null
                        ? " on node " + vm.getStatus().getNodeName() : ""));
        row(out, "agent.state", a.getState() == null ? "unknown" : a.getState().toString());
        if (a.getVersion() != null) {
            row(out, "agent.version", a.getVersion());
        }
        // the stamp only moves with another status change (idle VMs cost no writes): say so while the agent answers
        row(out, "agent.last-contact", a.getLastContact() == null ? "never"
                : a.getLastContact() + " (" + Ages.since(a.getLastContact(), now) + " ago"
                        + (a.getState() == AgentState.Responsive ? "; still answering: stamped on status changes only"
                                : "") + ")");
        if (a.getLastError() != null && a.getLastError().getReason() != null) {
            row(out, "agent.last-error", a.getLastError().getReason() + ": " + a.getLastError().getMessage());
        }
        OsInfoStatus os = g.getOsInfo();
        if (os != null) {
            opt(out, "os.id", os.getId());
            opt(out, "os.name", os.getName());
            opt(out, "os.pretty-name", os.getPrettyName());
            opt(out, "os.version", os.getVersion());
            opt(out, "os.version-id", os.getVersionId());
            opt(out, "os.kernel-release", os.getKernelRelease());
            opt(out, "os.kernel-version", os.getKernelVersion());
            opt(out, "os.machine", os.getMachine());
        }
        if (g.getTimezone() != null) {
            opt(out, "timezone.name", g.getTimezone().getName());
            if (g.getTimezone().getOffset() != null) {
                row(out, "timezone.offset", g.getTimezone().getOffset().toString());
            }
        }
        opt(out, "hostname", g.getHostname());
        List<UserStatus> users = g.getUsers();
        if (users != null) {
            row(out, "user.count", Integer.toString(users.size()));
            for (int i = 0; i < users.size(); i++) {
                UserStatus u = users.get(i);
                opt(out, "user." + i + ".name", u.getUserName());
                opt(out, "user." + i + ".domain", u.getDomain());
                if (u.getLoginTime() != null) {
                    row(out, "user." + i + ".login-time", Long.toString((long) (u.getLoginTime() * 1000)));
                }
            }
        }
        List<FilesystemStatus> fss = g.getFilesystems();
        if (fss != null) {
            row(out, "fs.count", Integer.toString(fss.size()));
            for (int i = 0; i < fss.size(); i++) {
                FilesystemStatus f = fss.get(i);
                opt(out, "fs." + i + ".name", f.getName());
                opt(out, "fs." + i + ".mountpoint", f.getMountPoint());
                opt(out, "fs." + i + ".fstype", f.getType());
                if (f.getTotalBytes() != null) {
                    row(out, "fs." + i + ".total-bytes", f.getTotalBytes().toString());
                }
                if (f.getUsedBytes() != null) {
                    row(out, "fs." + i + ".used-bytes", f.getUsedBytes().toString());
                }
            }
        }
        List<GuestInterface> ifs = g.getInterfaces();
        if (ifs != null) {
            row(out, "if.count", Integer.toString(ifs.size()));
            for (int i = 0; i < ifs.size(); i++) {
                GuestInterface n = ifs.get(i);
                opt(out, "if." + i + ".name", n.getName());
                opt(out, "if." + i + ".hwaddr", n.getMac());
                List<String> addrs = n.getIpAddresses() == null ? List.of() : n.getIpAddresses();
                row(out, "if." + i + ".addr.count", Integer.toString(addrs.size()));
                for (int j = 0; j < addrs.size(); j++) {
                    row(out, "if." + i + ".addr." + j + ".addr", addrs.get(j));
                }
            }
        }
    }

    private static void opt(PrintWriter out, String key, String value) {
        if (value != null) {
            row(out, key, value);
        }
    }

    private static void row(PrintWriter out, String key, String value) {
        TerminalText.printf(out, "%-22s: %s%n", key, value);
    }
}
