package io.agentvisor.driver.kube;

import io.agentvisor.agent.GuestFilesystem;
import io.agentvisor.agent.GuestList;
import io.agentvisor.agent.GuestNetworkInterface;
import io.agentvisor.api.v1alpha1.AgentError;
import io.agentvisor.api.v1alpha1.AgentState;
import io.agentvisor.api.v1alpha1.AgentStatus;
import io.agentvisor.api.v1alpha1.Bounds;
import io.agentvisor.api.v1alpha1.FilesystemStatus;
import io.agentvisor.api.v1alpha1.GuestDisk;
import io.agentvisor.api.v1alpha1.GuestInterface;
import io.agentvisor.api.v1alpha1.GuestStatus;
import io.agentvisor.api.v1alpha1.OsInfoStatus;
import io.agentvisor.api.v1alpha1.PendingCallStatus;
import io.agentvisor.api.v1alpha1.QemuStatus;
import io.agentvisor.api.v1alpha1.Text;
import io.agentvisor.api.v1alpha1.TimezoneStatus;
import io.agentvisor.api.v1alpha1.UserStatus;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.agentvisor.driver.poll.AgentLink;
import io.agentvisor.driver.poll.AgentSettings;
import io.agentvisor.driver.poll.AgentView;
import io.agentvisor.driver.poll.AgentView.GuestFacts;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;

/**
 * The driver-owned part of a VM's status, as a pure function of what the runtime and the agent cache say, and of
 * the status currently stored (for stable lastTransitionTime and lastContact). Deterministic: the same inputs give
 * an equal object, so "nothing changed" means "no write". The one clock-driven field, lastContact, never causes
 * a write by itself: {@link #build} keeps the stored stamp, and {@link #withContact} brings it up to date only on
 * a write that happens anyway, so an idle VM costs no writes at all. While the agent is Responsive, the stamp's
 * freshness is vouched for by the driver's pod being Ready (the driver would have written the change otherwise).
 */
public final class StatusBuilder {
    /** A stamp moves at most this often, even when other fields change on every poll. */
    public static final Duration CONTACT_RESOLUTION = Duration.ofMinutes(1);

    private StatusBuilder() {
    }

    public static VirtualMachineStatus build(VmState s, AgentView a, AgentSettings settings, VirtualMachineStatus stored,
            Long generation, Instant now) {
        VirtualMachineStatus st = new VirtualMachineStatus();
        if (s.running() && (s.qemu().pid() != null || s.qemu().accelerator() != null)) {
            QemuStatus q = new QemuStatus();
            q.setPid(s.qemu().pid());
            q.setAccelerator(s.qemu().accelerator());
            st.setQemu(q);
        }
        AgentStatus storedAgent = stored == null ? null : stored.getAgent();

        boolean agentLive = s.running() && s.agentConfigured();
        AgentLink l = a.link();
        GuestFacts g = a.guest();
        AgentStatus ag = new AgentStatus();
        ag.setResponseTimeout(settings.responseTimeout());
        ag.setConnected(agentLive && l.connected());
        ag.setResponsive(agentLive && l.responsive());
        ag.setState(!s.agentConfigured() ? AgentState.Disabled
                : !agentLive || !l.connected() && !l.responsive() ? AgentState.Disconnected
                : l.responsive() ? AgentState.Responsive : AgentState.Unresponsive);
        ag.setVersion(Text.bounded(g.version(), Bounds.SHORT));
        ag.setSupportedCommands(g.supportedCommands() == null ? null : g.supportedCommands().stream()
                .limit(Bounds.SUPPORTED_COMMANDS).map(c -> Text.bounded(c, Bounds.COMMAND)).toList());
        if (agentLive && l.lastError() != null) {
            AgentError e = new AgentError();
            e.setReason(Text.bounded(l.errorReason(), Bounds.REASON));
            e.setMessage(Text.bounded(l.lastError().message(), Bounds.MESSAGE));
            e.setTime(l.lastError().since() == null ? null : rfc3339(l.lastError().since()));
            ag.setLastError(e);
        }
        if (agentLive && l.pending() != null) {
            PendingCallStatus p = new PendingCallStatus();
            p.setCommand(l.pending().command());
            p.setPhase(l.pending().phase() == io.agentvisor.agent.AgentOutcome.Phase.SYNC ? "Sync" : "Command");
            p.setSince(rfc3339(l.pending().since()));
            p.setBlocking(l.pending().blocking() ? Boolean.TRUE : null);
            ag.setPendingCall(p);
        }
        ag.setLastContact(storedAgent == null ? null : storedAgent.getLastContact());
        st.setAgent(ag);
        st.setGuest(guest(a));

        st.setConditions(DriverConditions.build(s, a, settings, stored == null ? null : stored.getConditions(),
                generation, now).list());
        return st;
    }

    /**
     * The status about to be written (because something else changed) with lastContact brought up to date. The
     * stamp only rides along with other changes; see the class comment.
     */
    public static VirtualMachineStatus withContact(VirtualMachineStatus st, Instant latest) {
        if (st.getAgent() != null) {
            st.getAgent().setLastContact(contact(latest, st.getAgent().getLastContact()));
        }
        return st;
    }

    /** Keeps the stored stamp unless the new contact is at least {@link #CONTACT_RESOLUTION} newer. */
    static String contact(Instant latest, String stored) {
        if (latest == null) {
            return stored;
        }
        if (stored != null) {
            try {
                Instant s = Instant.parse(stored);
                if (Duration.between(s, latest).compareTo(CONTACT_RESOLUTION) < 0) {
                    return stored;
                }
            } catch (RuntimeException ignored) {
                // unparsable: replace it
            }
        }
        return rfc3339(latest);
    }

    static String rfc3339(Instant t) {
        return t.truncatedTo(ChronoUnit.SECONDS).toString();
    }

    /**
     * Guest facts as status holds them: at most {@link Bounds#USERS} users, {@link Bounds#FILESYSTEMS} filesystems
     * ({@link Bounds#DISKS_PER_FILESYSTEM} disks each), {@link Bounds#INTERFACES} interfaces ({@link Bounds#ADDRESSES}
     * addresses each), every string cut to its schema bound with control and bidi characters replaced, numbers
     * outside the schema's range left out; what was cut is named in {@code truncated}. However the guest answers,
     * the result fits the schema and stays under {@link Bounds#GUEST_STATUS_BYTES} bytes of JSON.
     */
    static GuestStatus guest(AgentView view) {
        GuestStatus g = new GuestStatus();
        Cuts cuts = new Cuts();
        GuestFacts a = view.guest();
        if (view.link().lastContact() != null) {
            g.setFsFreeze(a.frozen() ? "Frozen" : "Thawed");
        }
        if (a.osInfo() != null) {
            var o = a.osInfo();
            OsInfoStatus os = new OsInfoStatus();
            os.setId(cuts.guest(o.id()));
            os.setName(cuts.guest(o.name()));
            os.setPrettyName(cuts.guest(o.prettyName()));
            os.setVersion(cuts.guest(o.version()));
            os.setVersionId(cuts.guest(o.versionId()));
            os.setKernelRelease(cuts.guest(o.kernelRelease()));
            os.setKernelVersion(cuts.guest(o.kernelVersion()));
            os.setMachine(cuts.guest(o.machine()));
            g.setOsInfo(os);
        }
        g.setHostname(cuts.guest(a.hostname()));
        if (a.timezone() != null) {
            TimezoneStatus tz = new TimezoneStatus();
            tz.setName(cuts.text(a.timezone().zone(), Bounds.SHORT));
            int offset = a.timezone().offsetSeconds();
            tz.setOffset(Math.abs((long) offset) <= Bounds.DAY_SECONDS ? offset : null);
            g.setTimezone(tz);
        }
        if (a.users() != null) {
            g.setUsers(cuts.list("users", a.users(), Bounds.USERS).stream().map(u -> {
                UserStatus x = new UserStatus();
                x.setUserName(cuts.guest(u.user()));
                x.setDomain(cuts.text(u.domain(), Bounds.SHORT));
                double login = u.loginTime() == null ? -1 : u.loginTime().toEpochMilli() / 1000.0;
                x.setLoginTime(login >= 0 && login <= Bounds.EPOCH_SECONDS ? login : null);
                return x;
            }).toList());
        }
        if (a.filesystems() != null) {
            g.setFilesystems(cuts.list("filesystems", a.filesystems(), Bounds.FILESYSTEMS).stream()
                    .map(f -> filesystem(f, cuts)).toList());
        }
        if (a.interfaces() != null) {
            g.setInterfaces(cuts.list("interfaces", a.interfaces(), Bounds.INTERFACES).stream()
                    .map(i -> iface(i, cuts)).toList());
        }
        boolean empty = g.getOsInfo() == null && g.getHostname() == null && g.getTimezone() == null
                && g.getUsers() == null && g.getFilesystems() == null && g.getInterfaces() == null;
        g.setTruncated(cuts.summary());
        return empty ? null : g;
    }

    private static FilesystemStatus filesystem(GuestFilesystem f, Cuts cuts) {
        var x = new FilesystemStatus();
        x.setName(cuts.guest(f.name()));
        x.setMountPoint(cuts.guest(f.mountPoint()));
        x.setType(cuts.text(f.type(), Bounds.SHORT));
        x.setUsedBytes(bytes(f.usedBytes()));
        x.setTotalBytes(bytes(f.totalBytes()));
        if (f.disks() != null && !f.disks().isEmpty()) {
            x.setDisks(cuts.list("disks (of the filesystems kept)", f.disks(), Bounds.DISKS_PER_FILESYSTEM).stream().map(d -> {
                GuestDisk gd = new GuestDisk();
                gd.setDev(cuts.text(d.device(), Bounds.SHORT));
                gd.setSerial(cuts.text(d.serial(), Bounds.SHORT));
                gd.setBusType(cuts.text(d.busType(), Bounds.SHORT));
                return gd;
            }).toList());
        }
        return x;
    }

    private static Long bytes(Long n) {
        return n == null || n < 0 || n > Bounds.BYTES ? null : n;
    }

    private static GuestInterface iface(GuestNetworkInterface i, Cuts cuts) {
        GuestInterface x = new GuestInterface();
        x.setName(cuts.text(i.name(), Bounds.SHORT));
        x.setMac(cuts.text(i.hardwareAddress(), Bounds.SHORT));
        if (i.ipAddresses() != null && !i.ipAddresses().isEmpty()) {
            x.setIpAddresses(cuts.list("addresses (of the interfaces kept)", i.ipAddresses(), Bounds.ADDRESSES).stream()
                    .map(ip -> cuts.text(ip.address() + "/" + ip.prefix(), Bounds.SHORT)).toList());
        }
        return x;
    }

    /** What {@link #guest} cut, in the words of {@code status.guest.truncated}. */
    private static final class Cuts {
        private final java.util.Map<String, long[]> lists = new java.util.LinkedHashMap<>();
        private int strings;

        <T> List<T> list(String what, List<T> all, int max) {
            // a list the agent client already cut when it parsed the reply knows how many the guest reported
            long reported = all instanceof GuestList<?> g ? g.reported() : all.size();
            int keep = Math.min(max, all.size());
            if (reported <= keep) {
                return all;
            }
            long[] n = lists.computeIfAbsent(what, k -> new long[2]);
            n[0] += reported;
            n[1] += keep;
            return all.subList(0, keep);
        }

        String guest(String s) {
            return text(s, Bounds.GUEST_STRING);
        }

        String text(String s, int max) {
            if (Text.exceeds(s, max)) {
                strings++;
            }
            return Text.bounded(s, max);
        }

        List<String> summary() {
            List<String> out = new ArrayList<>();
            lists.forEach((what, n) -> out.add(what + ": " + n[0] + " reported, " + n[1] + " kept"));
            if (strings > 0) {
                out.add(strings + " string(s) cut to their maximum length");
            }
            return out.isEmpty() ? null : out.stream().limit(Bounds.TRUNCATED)
                    .map(e -> Text.bounded(e, Bounds.TRUNCATED_ENTRY)).toList();
        }
    }
}
