package io.agentvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.agentvisor.api.v1alpha1.Boot;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineSpec;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.Arrays;

/** Runs the CLI in-process and keeps what it printed; the objects the cluster tests seed. */
record Cli(int exit, String out, String err) {

    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), false, args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** Runs a cluster verb against this kubeconfig's cluster, in this namespace. */
    static Cli inCluster(Path kubeconfig, String namespace, String... args) {
        String[] all = Arrays.copyOf(args, args.length + 4);
        all[args.length] = "--kubeconfig";
        all[args.length + 1] = kubeconfig.toString();
        all[args.length + 2] = "-n";
        all[args.length + 3] = namespace;
        return run(all);
    }

    /** A VirtualMachine as a user would apply it: 256Mi, the tiny guest's kernel. */
    static VirtualMachine newVm(String namespace, String name) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace)
                .build());
        VirtualMachineSpec spec = new VirtualMachineSpec();
        spec.setMemory(new Quantity("256Mi"));
        Boot boot = new Boot();
        boot.setKernel("/var/lib/agentvisor/images/tiny-guest/vmlinuz");
        spec.setBoot(boot);
        vm.setSpec(spec);
        return vm;
    }

    /** Errors are one line on stderr, never a stack trace. */
    Cli assertOneLineError(int expectedExit) {
        assertEquals(expectedExit, exit, this::toString);
        assertEquals(1, err.strip().lines().count(), this::toString);
        assertFalse(err.contains("Exception") || err.contains("\tat "), this::toString);
        return this;
    }
}
