package io.agentvisor.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import io.agentvisor.api.v1alpha1.AgentOperationStatus;
import io.agentvisor.api.v1alpha1.Agentvisor;
import io.agentvisor.api.v1alpha1.GuestAgentPolicy;
import io.agentvisor.api.v1alpha1.GuestCommand;
import io.agentvisor.api.v1alpha1.GuestCommandSpec;
import io.agentvisor.api.v1alpha1.VirtualMachine;
import io.agentvisor.api.v1alpha1.VirtualMachineStatus;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.dsl.base.ResourceDefinitionContext;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The cluster side of the CLI: a fabric8 client configured from kubeconfig exactly as kubectl finds it
 * (contexts, namespaces, tokens, client certificates, exec plugins), and reads of VirtualMachines that take only
 * what a verb shows (metadata and status). Objects are read as the API stores them and their status is decoded
 * per object, so one object the Java types cannot hold (a number out of range, stored before a schema got its
 * bounds) is reported by name and field while every other object is still shown.
 */
final class Cluster implements AutoCloseable {
    private static final ResourceDefinitionContext VMS = ResourceDefinitionContext.fromResourceType(VirtualMachine.class);
    private static final ResourceDefinitionContext POLICIES =
            ResourceDefinitionContext.fromResourceType(GuestAgentPolicy.class);
    private static final ResourceDefinitionContext GUEST_COMMANDS =
            ResourceDefinitionContext.fromResourceType(GuestCommand.class);

    private final KubernetesClient client;

    private Cluster(KubernetesClient client) {
        this.client = client;
    }

    static Cluster connect(Path kubeconfig, String namespace) {
        skipModelScan();
        Config config;
        if (kubeconfig != null) {
            try {
                config = Config.fromKubeconfig(Files.readString(kubeconfig));
            } catch (IOException e) {
                throw new ClusterOptions.ClusterException("cannot read kubeconfig " + kubeconfig + ": "
                        + (e instanceof java.nio.file.NoSuchFileException ? "no such file" : e.getMessage()));
            }
        } else {
            config = Config.autoConfigure(null);
        }
        // a CLI should fail in seconds, not retry for minutes
        config.setRequestRetryBackoffLimit(0);
        config.setConnectionTimeout(5_000);
        config.setRequestTimeout(15_000);
        if (namespace != null) {
            config.setNamespace(namespace);
        }
        if (config.getNamespace() == null) {
            config.setNamespace("default");
        }
        // one request per call: HTTP/1.1 over TLS, no HTTP/2 machinery (what the start-up archive holds)
        config.setHttp2Disable(true);
        return new Cluster(new KubernetesClientBuilder().withConfig(config).withHttpClientFactory(new KubeconfigTrust())
                .build());
    }

    /**
     * fabric8's deserializer for untyped Kubernetes resources fills its kind-to-class table, on first use, by
     * instantiating every model class of every kubernetes-model jar through ServiceLoader (about 1,000 classes,
     * ~14% of a call's CPU); kubeconfig parsing triggers it. The CLI never deserializes an untyped resource by kind
     * (it reads kubeconfig, VirtualMachines as generic objects, typed statuses, API errors as Status), so the table
     * starts empty instead: an unknown kind would be read as a GenericKubernetesResource. If fabric8 changes inside,
     * this does nothing and the table is filled as before.
     */
    private static void skipModelScan() {
        try {
            java.lang.reflect.Field table = io.fabric8.kubernetes.internal.KubernetesDeserializer.class
                    .getDeclaredField("DEFAULT_MAPPING");
            table.setAccessible(true);
            synchronized (io.fabric8.kubernetes.internal.KubernetesDeserializer.class) {
                if (table.get(null) == null) {
                    java.lang.reflect.Constructor<?> empty = Class.forName(
                            "io.fabric8.kubernetes.internal.KubernetesDeserializer$Mapping").getDeclaredConstructor();
                    empty.setAccessible(true);
                    table.set(null, empty.newInstance());
                }
            }
        } catch (ReflectiveOperationException | RuntimeException e) {
            // fabric8 changed: the scan happens as before
        }
    }

    String namespace() {
        return client.getNamespace();
    }

    /** The VM of the current namespace; missing is a {@link ClusterOptions.ClusterException}. */
    VirtualMachine vm(String name) {
        GenericKubernetesResource r = client.genericKubernetesResources(VMS).withName(name).get();
        if (r == null) {
            throw new ClusterOptions.ClusterException("VirtualMachine " + namespace() + "/" + name + " not found");
        }
        return decode(r);
    }

    /**
     * The VMs of the current namespace (or of all): each decoded on its own; one that cannot be decoded goes to
     * {@code unreadable} and is left out of the result.
     */
    List<VirtualMachine> vms(boolean allNamespaces, Consumer<UnreadableObjectException> unreadable) {
        List<GenericKubernetesResource> items = allNamespaces
                ? client.genericKubernetesResources(VMS).inAnyNamespace().list().getItems()
                : client.genericKubernetesResources(VMS).list().getItems();
        List<VirtualMachine> vms = new ArrayList<>(items.size());
        for (GenericKubernetesResource r : items) {
            try {
                vms.add(decode(r));
            } catch (UnreadableObjectException e) {
                unreadable.accept(e);
            }
        }
        return vms;
    }

    /** Fails with a {@link ClusterOptions.ClusterException} when the policy does not exist. */
    void requirePolicy(String name) {
        if (client.genericKubernetesResources(POLICIES).withName(name).get() == null) {
            throw new ClusterOptions.ClusterException("GuestAgentPolicy " + namespace() + "/" + name + " not found");
        }
    }

    void mergePatchVm(String name, String patch) {
        client.genericKubernetesResources(VMS).withName(name).patch(merge(), patch);
    }

    void mergePatchPolicy(String name, String patch) {
        client.genericKubernetesResources(POLICIES).withName(name).patch(merge(), patch);
    }

    private static PatchContext merge() {
        return new PatchContext.Builder().withPatchType(PatchType.JSON_MERGE).build();
    }

    /** Metadata and status of a VM as the API has it (the spec is not needed by any verb, so never decoded). */
    private VirtualMachine decode(GenericKubernetesResource r) {
        VirtualMachine vm = new VirtualMachine();
        vm.setMetadata(r.getMetadata());
        Object status = r.getAdditionalProperties().get("status");
        if (status != null) {
            try {
                vm.setStatus(client.getKubernetesSerialization().convertValue(status, VirtualMachineStatus.class));
            } catch (IllegalArgumentException e) {
                throw new UnreadableObjectException("VirtualMachine " + r.getMetadata().getNamespace() + "/"
                        + r.getMetadata().getName() + ": cannot read " + field("status", e) + ": " + reason(e)
                        + " (fix or delete the object; other objects are not affected)");
            }
        }
        return vm;
    }

    /** The field Jackson stopped at, as a JSON path below {@code root} ("status.agent.responseTimeout"). */
    static String field(String root, Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof JsonMappingException m && !m.getPath().isEmpty()) {
                StringBuilder b = new StringBuilder(root);
                for (JsonMappingException.Reference ref : m.getPath()) {
                    if (ref.getFieldName() != null) {
                        b.append('.').append(ref.getFieldName());
                    } else if (ref.getIndex() >= 0) {
                        b.append('[').append(ref.getIndex()).append(']');
                    }
                }
                return b.toString();
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return root;
    }

    /** Why, in the user's terms ("value 3000000000 is out of range of a 32-bit integer ..."), else in Jackson's. */
    static String reason(Throwable e) {
        String reason = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof InvalidFormatException f && f.getTargetType() != null) {
                Class<?> type = f.getTargetType();
                if (type == Integer.class || type == int.class) {
                    return "value " + f.getValue() + " is out of range of a 32-bit integer (" + Integer.MIN_VALUE
                            + " to " + Integer.MAX_VALUE + ")";
                } else if (type == Long.class || type == long.class) {
                    return "value " + f.getValue() + " is out of range of a 64-bit integer";
                }
                return "value " + f.getValue() + " is not a valid " + type.getSimpleName();
            }
            if (t instanceof JsonProcessingException p && p.getOriginalMessage() != null) {
                reason = p.getOriginalMessage();
            }
        }
        if (reason == null) {
            reason = e.getMessage() == null ? e.toString() : e.getMessage();
        }
        return reason.lines().findFirst().orElse(reason).strip();
    }

    /** Creates a GuestCommand named {@code prefix} + a generated suffix in the current namespace: its name. */
    String createGuestCommand(String prefix, GuestCommandSpec spec) {
        GenericKubernetesResource r = new GenericKubernetesResource();
        r.setApiVersion(Agentvisor.API_VERSION);
        r.setKind("GuestCommand");
        r.setMetadata(new ObjectMetaBuilder().withGenerateName(prefix).withNamespace(namespace()).build());
        r.setAdditionalProperty("spec", client.getKubernetesSerialization().convertValue(spec, java.util.Map.class));
        return client.genericKubernetesResources(GUEST_COMMANDS).resource(r).create().getMetadata().getName();
    }

    /**
     * The status of a GuestCommand of the current namespace (an empty one before the driver wrote any); a missing
     * object is a {@link ClusterOptions.ClusterException}.
     */
    AgentOperationStatus guestCommandStatus(String name) {
        GenericKubernetesResource r = client.genericKubernetesResources(GUEST_COMMANDS).withName(name).get();
        if (r == null) {
            throw new ClusterOptions.ClusterException("GuestCommand " + namespace() + "/" + name
                    + " was deleted before it finished");
        }
        Object status = r.getAdditionalProperties().get("status");
        return status == null ? new AgentOperationStatus()
                : client.getKubernetesSerialization().convertValue(status, AgentOperationStatus.class);
    }

    @Override
    public void close() {
        client.close();
    }

    /** An object the CLI cannot decode: one line naming it and its field; exit {@link ExitCode#UNREADABLE_OBJECT}. */
    static final class UnreadableObjectException extends RuntimeException {
        UnreadableObjectException(String message) {
            super(message);
        }
    }
}
