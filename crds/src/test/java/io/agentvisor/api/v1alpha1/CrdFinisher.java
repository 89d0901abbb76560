package io.agentvisor.api.v1alpha1;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceColumnDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The last step of CRD generation (run by the build after crd-generator-maven-plugin, output in target/crds/):
 * <ul>
 * <li>printer columns in the order users read them (the generator sorts them by JSONPath, which puts Age
 * first); Age stays last as kubectl users expect;</li>
 * <li>{@code priority: 0} dropped: it is the default, and an apiserver that stores the CRD without it makes every
 * later {@code kubectl apply --server-side} of the same file conflict on {@code .spec.versions}.</li>
 * </ul>
 */
public final class CrdFinisher {
    static final Map<String, List<String>> COLUMN_ORDER = Map.of(
            "virtualmachines.agentvisor.io", List.of("Phase", "Node", "Agent", "Timeout", "OS", "Restarts", "Last Exit",
                    "Pod", "Age"),
            "guestagentpolicies.agentvisor.io", List.of("Priority", "Timeout", "VMs", "Age"),
            "guestcommands.agentvisor.io", List.of("VM", "Operation", "Phase", "Reason", "Age"),
            "guestmaintenances.agentvisor.io", List.of("VM", "Operation", "Phase", "Reason", "Age"));

    private CrdFinisher() {
    }

    public static void main(String[] args) throws IOException {
        Path in = Path.of(args[0]);
        Path out = Path.of(args[1]);
        Files.createDirectories(out);
        for (String crd : COLUMN_ORDER.keySet()) {
            String generated = Files.readString(in.resolve(crd + "-v1.yml"));
            Files.writeString(out.resolve(crd + ".yaml"), finish(crd, generated));
        }
    }

    static String finish(String crd, String generatedYaml) {
        CustomResourceDefinition def = Serialization.unmarshal(generatedYaml, CustomResourceDefinition.class);
        List<String> order = COLUMN_ORDER.get(crd);
        def.getSpec().getVersions().forEach(v -> {
            List<CustomResourceColumnDefinition> columns = new ArrayList<>(v.getAdditionalPrinterColumns());
            for (CustomResourceColumnDefinition c : columns) {
                if (!order.contains(c.getName())) {
                    throw new IllegalStateException(crd + ": printer column " + c.getName()
                            + " has no place in CrdFinisher.COLUMN_ORDER");
                }
                if (c.getPriority() != null && c.getPriority() == 0) {
                    c.setPriority(null);
                }
            }
            columns.sort(Comparator.comparingInt(c -> order.indexOf(c.getName())));
            v.setAdditionalPrinterColumns(columns);
        });
        return Serialization.asYaml(def);
    }
}
