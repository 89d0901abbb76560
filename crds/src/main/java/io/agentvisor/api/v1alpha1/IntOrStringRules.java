package io.agentvisor.api.v1alpha1;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * CRD-generation hook: fabric8 drops {@code @Min}/{@code @Pattern} on int-or-string types (IntOrString, Quantity).
 * This puts {@code minimum}, {@code maximum}, {@code maxLength} and {@code pattern} side by side on such a property (each
 * applies only to its own type in a structural schema). Input: {@code <property>;<minimum>;<maximum>;<maxLength>;
 * <pattern>}; a property ending in {@code .*} means the values of a map. Used only while generating the CRD YAML; not loaded at run time.
 */
public class IntOrStringRules implements SchemaCustomizer.Customizer {
    @Override
    public JSONSchemaProps apply(JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
        String[] parts = input.split(";", 5);
        if (parts.length != 5) {
            throw new IllegalArgumentException("expected <property>;<minimum>;<maximum>;<maxLength>;<pattern>, got "
                    + input);
        }
        boolean mapValues = parts[0].endsWith(".*");
        String name = mapValues ? parts[0].substring(0, parts[0].length() - 2) : parts[0];
        JSONSchemaProps property = schema.getProperties() == null ? null : schema.getProperties().get(name);
        if (property == null) {
            throw new IllegalArgumentException("no property " + name);
        }
        JSONSchemaProps target = mapValues ? property.getAdditionalProperties().getSchema() : property;
        if (target == null || !Boolean.TRUE.equals(target.getXKubernetesIntOrString())) {
            throw new IllegalArgumentException(parts[0] + " is not an int-or-string");
        }
        target.setMinimum(Double.valueOf(parts[1]));
        target.setMaximum(Double.valueOf(parts[2]));
        target.setMaxLength(Long.valueOf(parts[3]));
        target.setPattern(parts[4]);
        return schema;
    }
}
