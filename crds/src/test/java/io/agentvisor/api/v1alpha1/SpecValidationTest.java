package io.agentvisor.api.v1alpha1;

import static io.agentvisor.api.v1alpha1.AccessCredential.sshPublicKey;
import static io.agentvisor.api.v1alpha1.AccessCredential.userPassword;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.Quantity;
import org.junit.jupiter.api.Test;

class SpecValidationTest {
    private static final List<Path> ALLOWED = List.of(Path.of("/var/lib/agentvisor/images"));

    static VirtualMachineSpec vm(String kernel) {
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setMemory(new Quantity("256Mi"));
        Boot boot = new Boot();
        boot.setKernel(kernel);
        spec.setBoot(boot);
        return spec;
    }

    @Test
    void acceptsAKernelInsideAnAllowedDirectory() {
        assertEquals(List.of(), SpecValidation.validateVirtualMachine(vm("/var/lib/agentvisor/images/vmlinuz"), ALLOWED));
    }

    @Test
    void rejectsPathsOutsideOrEscapingTheAllowedDirectories() {
        assertEquals(List.of("spec.boot.kernel: \"/etc/passwd\" is outside the allowed image directories "
                + "[/var/lib/agentvisor/images]"), SpecValidation.validateVirtualMachine(vm("/etc/passwd"), ALLOWED));
        assertEquals(List.of("spec.boot.kernel: \"/var/lib/agentvisor/images/../../../etc/shadow\" is not a normalized"
                + " path (no '.', '..', '//' or trailing '/')"),
                SpecValidation.validateVirtualMachine(vm("/var/lib/agentvisor/images/../../../etc/shadow"), ALLOWED));
        assertEquals(List.of("spec.boot.kernel: \"/var/lib/agentvisor/imagesX/k\" is outside the allowed image "
                + "directories [/var/lib/agentvisor/images]"),
                SpecValidation.validateVirtualMachine(vm("/var/lib/agentvisor/imagesX/k"), ALLOWED));
    }

    @Test
    void needsSomethingToBootAndEnoughMemory() {
        VirtualMachineSpec spec = vm(null);
        spec.setBoot(null);
        spec.setMemory(new Quantity("1Mi"));
        assertEquals(List.of("spec.memory: 1Mi is less than the minimum of 16Mi",
                "spec: needs boot.kernel or at least one disk to boot from"),
                SpecValidation.validateVirtualMachine(spec, ALLOWED));
    }

    @Test
    void duplicateDiskNames() {
        VirtualMachineSpec spec = vm("/var/lib/agentvisor/images/k");
        Disk a = new Disk();
        a.setName("root");
        a.setPath("/var/lib/agentvisor/images/a.img");
        Disk b = new Disk();
        b.setName("root");
        b.setPath("/var/lib/agentvisor/images/b.img");
        spec.setDisks(List.of(a, b));
        assertEquals(List.of("spec.disks[1].name: \"root\" is used by another disk"),
                SpecValidation.validateVirtualMachine(spec, ALLOWED));
    }

    @Test
    void aNodePathDiskIsReadOnlyAndWritableDisksComeFromClaims() {
        VirtualMachineSpec spec = vm("/var/lib/agentvisor/images/k");
        Disk hostWritable = new Disk();
        hostWritable.setName("0data");
        hostWritable.setPath("/var/lib/agentvisor/images/shared.img");
        hostWritable.setReadOnly(false);
        Disk both = new Disk();
        both.setName("both");
        both.setPath("/var/lib/agentvisor/images/b.img");
        both.setPersistentVolumeClaim(claim("data", null));
        Disk neither = new Disk();
        neither.setName("neither");
        Disk badFile = new Disk();
        badFile.setName("bad");
        badFile.setPersistentVolumeClaim(claim("data", ".."));
        Disk fine = new Disk();
        fine.setName("root");
        fine.setPersistentVolumeClaim(claim("root-disk", "disk.img"));
        Disk sharedReadOnly = new Disk();
        sharedReadOnly.setName("iso");
        sharedReadOnly.setPath("/var/lib/agentvisor/images/tools.img");
        spec.setDisks(List.of(hostWritable, both, neither, badFile, fine, sharedReadOnly));
        assertEquals(List.of("spec.disks[0].readOnly: a disk from a node path is always read-only; a writable disk "
                + "comes from a persistentVolumeClaim of the namespace",
                "spec.disks[1]: needs exactly one of path (a read-only image on the node) and persistentVolumeClaim",
                "spec.disks[2]: needs exactly one of path (a read-only image on the node) and persistentVolumeClaim",
                "spec.disks[3].persistentVolumeClaim.file: \"..\" is not a file name at the root of the volume"),
                SpecValidation.validateVirtualMachine(spec, ALLOWED));
    }

    @Test
    void forwardedPortsAreUniquePerProtocol() {
        VirtualMachineSpec spec = vm("/var/lib/agentvisor/images/k");
        Interface nic = new Interface();
        nic.setName("default");
        nic.setPorts(List.of(port("http", 80, null), port("http2", 80, Port.Protocol.TCP),
                port("dns", 53, Port.Protocol.UDP), port("dns", 53, Port.Protocol.TCP)));
        spec.setInterfaces(List.of(nic));
        assertEquals(List.of("spec.interfaces[0].ports[1].port: TCP 80 is listed twice",
                "spec.interfaces[0].ports[3].name: \"dns\" is used by another port"),
                SpecValidation.validateVirtualMachine(spec, ALLOWED));
    }

    static PersistentVolumeClaimDisk claim(String name, String file) {
        PersistentVolumeClaimDisk c = new PersistentVolumeClaimDisk();
        c.setClaimName(name);
        c.setFile(file);
        return c;
    }

    static Port port(String name, int number, Port.Protocol protocol) {
        Port p = new Port();
        p.setName(name);
        p.setPort(number);
        p.setProtocol(protocol);
        return p;
    }

    @Test
    void policyCommandTimeoutKeysAndValuesAreChecked() {
        GuestAgentPolicySpec spec = new GuestAgentPolicySpec();
        spec.setSelector(new LabelSelector());
        spec.setCommandTimeouts(Map.of("rm -rf", new IntOrString(3)));
        PollIntervals p = new PollIntervals();
        p.setUsers("0s");
        spec.setPollIntervals(p);
        assertEquals(List.of("spec.commandTimeouts.rm -rf: \"rm -rf\" is not a qemu-ga command name (guest-...)",
                "spec.pollIntervals.users: \"0s\" must be a positive duration"), SpecValidation.validatePolicy(spec));
    }

    @Test
    void memoryBeyondALongIsRefusedNotTreatedAsZero() {
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setMemory(new Quantity("64Ei"));
        Boot boot = new Boot();
        boot.setKernel("/var/lib/agentvisor/images/k");
        spec.setBoot(boot);
        var errors = SpecValidation.validateVirtualMachine(spec, List.of(Path.of("/var/lib/agentvisor/images")));
        assertEquals(List.of("spec.memory: 64Ei is more than the maximum of 16Ti"), errors);
    }

    @Test
    void accessCredentialsNameTheirSecretAndUsers() {
        VirtualMachineSpec spec = vm("/var/lib/agentvisor/images/k");
        spec.setAccessCredentials(List.of(sshPublicKey("keys", "demo", "root"), userPassword("passwords")));
        assertEquals(List.of(), SpecValidation.validateVirtualMachine(spec, ALLOWED));
    }

    @Test
    void badAccessCredentialsAreRefusedNamingTheField() {
        VirtualMachineSpec spec = vm("/var/lib/agentvisor/images/k");
        AccessCredential both = sshPublicKey("a", "demo");
        both.setUserPassword(userPassword("b").getUserPassword());
        spec.setAccessCredentials(List.of(new AccessCredential(), both, sshPublicKey("keys"), sshPublicKey("Keys!", "demo", "demo"),
                sshPublicKey("keys", "bad user", "x".repeat(33)), userPassword(null), userPassword("keys")));
        assertEquals(List.of("spec.accessCredentials[0]: needs exactly one of sshPublicKey and userPassword",
                "spec.accessCredentials[1]: needs exactly one of sshPublicKey and userPassword",
                "spec.accessCredentials[2].sshPublicKey.users: needs at least one guest user",
                "spec.accessCredentials[3].sshPublicKey.secretName: \"Keys!\" is not a Secret name (a DNS subdomain)",
                "spec.accessCredentials[3].sshPublicKey.users[1]: \"demo\" is listed twice",
                "spec.accessCredentials[4].sshPublicKey.secretName: Secret \"keys\" is already used by "
                        + "spec.accessCredentials[2]",
                "spec.accessCredentials[4].sshPublicKey.users[0]: \"bad user\" is not a user name (letters, digits, "
                        + "'_', '.', '-', at most 32)",
                "spec.accessCredentials[4].sshPublicKey.users[1]: \"" + "x".repeat(33) + "\" is not a user name "
                        + "(letters, digits, '_', '.', '-', at most 32)",
                "spec.accessCredentials[5].userPassword.secretName: is required",
                "spec.accessCredentials[6].userPassword.secretName: Secret \"keys\" is already used by "
                        + "spec.accessCredentials[2]"),
                SpecValidation.validateVirtualMachine(spec, ALLOWED));
    }

    @Test
    void tooManyAccessCredentials() {
        VirtualMachineSpec spec = vm("/var/lib/agentvisor/images/k");
        List<AccessCredential> many = new java.util.ArrayList<>();
        for (int i = 0; i <= Bounds.ACCESS_CREDENTIALS; i++) {
            many.add(userPassword("p" + i));
        }
        spec.setAccessCredentials(many);
        assertEquals(List.of("spec.accessCredentials: 17 entries, at most 16"),
                SpecValidation.validateVirtualMachine(spec, ALLOWED));
    }
}
