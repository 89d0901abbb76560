package io.agentvisor.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.GenericKubernetesResourceList;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.dsl.MixedOperation;
import io.fabric8.kubernetes.client.dsl.Resource;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** What the cluster benchmarks share: VM and policy clients, YAML, a watch that records every event, write diffs. */
final class Kube {
    static final ObjectMapper JSON = new ObjectMapper();
    static final ObjectMapper YAML = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory());

    private Kube() {
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> vms(
            KubernetesClient c) {
        return c.genericKubernetesResources("agentvisor.io/v1alpha1", "VirtualMachine");
    }

    static MixedOperation<GenericKubernetesResource, GenericKubernetesResourceList, Resource<GenericKubernetesResource>> policies(
            KubernetesClient c) {
        return c.genericKubernetesResources("agentvisor.io/v1alpha1", "GuestAgentPolicy");
    }

    static void namespace(KubernetesClient c, String ns) {
        if (c.namespaces().withName(ns).get() == null) {
            c.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
        }
    }

    static GenericKubernetesResource fromYaml(String yaml) {
        try {
            return JSON.treeToValue(YAML.readTree(yaml), GenericKubernetesResource.class);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    static JsonNode tree(GenericKubernetesResource r) {
        return JSON.valueToTree(r);
    }

    static String condition(JsonNode vm, String type) {
        for (JsonNode c : vm.path("status").path("conditions")) {
            if (type.equals(c.path("type").asText())) {
                return c.path("status").asText();
            }
        }
        return null;
    }

    /** What the watch saw: arrival time, type, object. */
    record Event(long nanos, String type, String name, String rv, JsonNode obj) {
    }

    static final class Recorder implements Watcher<GenericKubernetesResource> {
        final List<Event> events = new CopyOnWriteArrayList<>();
        final Map<String, JsonNode> latest = new ConcurrentHashMap<>();
        volatile String closed;

        @Override
        public void eventReceived(Action action, GenericKubernetesResource r) {
            JsonNode t = tree(r);
            String name = r.getMetadata().getName();
            events.add(new Event(System.nanoTime(), action.name(), name, r.getMetadata().getResourceVersion(), t));
            if (action == Action.DELETED) {
                latest.remove(name);
            } else {
                latest.put(name, t);
            }
        }

        @Override
        public void onClose(WatcherException cause) {
            closed = String.valueOf(cause);
        }

        /** Waits until an event of name shows the condition (checks at least once); returns the nanoTime it arrived, or -1. */
        long await(String name, Predicate<JsonNode> p, Duration max) {
            long t0 = System.nanoTime();
            do {
                for (Event e : events) {
                    if (e.name().equals(name) && !e.type().equals("DELETED") && p.test(e.obj())) {
                        return e.nanos();
                    }
                }
                Util.sleep(100);
            } while (Util.since(t0) < max.toSeconds());
            return -1;
        }

        List<Event> writesOf(String name, long from, long to) {
            List<Event> r = new ArrayList<>();
            for (Event e : events) {
                if (e.name().equals(name) && e.type().equals("MODIFIED") && e.nanos() >= from && e.nanos() < to) {
                    r.add(e);
                }
            }
            return r;
        }

        JsonNode before(Event e) {
            JsonNode prev = null;
            for (Event x : events) {
                if (x == e) {
                    return prev;
                }
                if (x.name().equals(e.name())) {
                    prev = x.obj();
                }
            }
            return prev;
        }
    }

    /** Which parts of the object a write changed, and by whom (the newest managedFields entry). */
    static String describe(JsonNode prev, JsonNode now) {
        Set<String> changed = new TreeSet<>();
        if (prev != null) {
            for (String k : List.of("labels", "annotations", "finalizers")) {
                if (!Objects.equals(prev.path("metadata").path(k), now.path("metadata").path(k))) {
                    changed.add("metadata." + k);
                }
            }
            if (!Objects.equals(prev.path("spec"), now.path("spec"))) {
                changed.add("spec");
            }
            Iterator<String> it = now.path("status").fieldNames();
            Set<String> keys = new TreeSet<>();
            it.forEachRemaining(keys::add);
            prev.path("status").fieldNames().forEachRemaining(keys::add);
            for (String k : keys) {
                if (k.equals("conditions")) {
                    for (JsonNode c : now.path("status").path("conditions")) {
                        JsonNode old = null;
                        for (JsonNode o : prev.path("status").path("conditions")) {
                            if (o.path("type").equals(c.path("type"))) {
                                old = o;
                            }
                        }
                        if (!c.equals(old)) {
                            changed.add("condition " + c.path("type").asText() + "=" + c.path("status").asText());
                        }
                    }
                } else if (!Objects.equals(prev.path("status").path(k), now.path("status").path(k))) {
                    JsonNode a = prev.path("status").path(k);
                    JsonNode b = now.path("status").path(k);
                    if (a.isObject() && b.isObject()) {
                        Set<String> sub = new TreeSet<>();
                        a.fieldNames().forEachRemaining(sub::add);
                        b.fieldNames().forEachRemaining(sub::add);
                        for (String f : sub) {
                            if (!Objects.equals(a.path(f), b.path(f))) {
                                changed.add("status." + k + "." + f);
                            }
                        }
                    } else {
                        changed.add("status." + k);
                    }
                }
            }
        }
        String who = "?";
        String newest = "";
        for (JsonNode m : now.path("metadata").path("managedFields")) {
            String t = m.path("time").asText();
            if (t.compareTo(newest) >= 0) {
                newest = t;
                who = m.path("manager").asText() + (m.hasNonNull("subresource") ? "/" + m.path("subresource").asText() : "");
            }
        }
        return who + ": " + (changed.isEmpty() ? "(no visible change)" : String.join(", ", changed));
    }

    static String list(List<Double> xs) {
        List<String> s = new ArrayList<>();
        for (double x : xs) {
            s.add(Util.f("%.1f s", x));
        }
        return String.join(", ", s);
    }
}
