package io.agentvisor.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.agentvisor.testsupport.Repo;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** The chart under test (helm/agentvisor), rendered by the real Helm library through helm-java. */
final class Chart {
    static final String RELEASE = "av";
    static final String NAMESPACE = "agentvisor-system";
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    private Chart() {
    }

    static Path dir() {
        return Repo.root().resolve("helm/agentvisor");
    }

    static Path repoCrds() {
        return Repo.root().resolve("crds");
    }

    static Path chartCrds() {
        return dir().resolve("crds");
    }

    /** `helm template av helm/agentvisor -n agentvisor-system --set k=v ...`; throws when Helm refuses. */
    static String template(Map<String, ?> sets) {
        return template(RELEASE, NAMESPACE, sets);
    }

    static String template(String release, String namespace, Map<String, ?> sets) {
        TemplateCommand cmd = new Helm(dir()).template().withName(release).withNamespace(namespace);
        sets.forEach(cmd::set);
        return cmd.call();
    }

    static Rendered render(Map<String, ?> sets) {
        return new Rendered(parse(template(sets)));
    }

    static Rendered render() {
        return render(Map.of());
    }

    static Map<String, Object> sets(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    @SuppressWarnings("unchecked")
    static List<HasMetadata> parse(String yaml) {
        Object parsed = SERIALIZATION.unmarshal(yaml);
        if (parsed instanceof List<?> list) {
            List<HasMetadata> out = new ArrayList<>();
            list.stream().filter(o -> o != null).forEach(o -> out.add((HasMetadata) o));
            return out;
        }
        return parsed == null ? List.of() : List.of((HasMetadata) parsed);
    }

    /** The YAML files of a CRD directory, by file name. */
    static Map<String, byte[]> yamlFiles(Path dir) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        if (!Files.isDirectory(dir)) {
            return files;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList()) {
                files.put(p.getFileName().toString(), Files.readAllBytes(p));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** A rendered release: typed objects (fabric8 model; unknown kinds as GenericKubernetesResource). */
    record Rendered(List<HasMetadata> objects) {
        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        List<HasMetadata> ofKind(String kind) {
            return objects.stream().filter(o -> o.getKind().equals(kind)).toList();
        }

        <T extends HasMetadata> T one(Class<T> type, String name) {
            List<T> found = all(type).stream().filter(o -> o.getMetadata().getName().equals(name)).toList();
            if (found.size() != 1) {
                throw new AssertionError("expected one " + type.getSimpleName() + " " + name + ", found " + found.size()
                        + " among " + objects.stream().map(o -> o.getKind() + "/" + o.getMetadata().getName()).toList());
            }
            return found.get(0);
        }
    }
}
