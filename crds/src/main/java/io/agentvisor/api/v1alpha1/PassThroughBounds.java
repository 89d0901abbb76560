package io.agentvisor.api.v1alpha1;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * CRD-generation hook: bounds every array, map and string inside a Kubernetes type we pass through (affinity,
 * tolerations, label selectors), which carry no bounds of their own, so one object cannot grow without limit. Input:
 * {@code <property>;<maxItems>;<maxLength>}; arrays and maps get {@code maxItems}/{@code maxProperties}, strings
 * {@code maxLength}, integers the range of a Java int (every integer of these types is an int or a long), unless the
 * schema already has a bound. Used only while generating the CRD YAML.
 */
public class PassThroughBounds implements SchemaCustomizer.Customizer {
    @Override
    public JSONSchemaProps apply(JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
        String[] parts = input.split(";", 3);
        if (parts.length != 3) {
            throw new IllegalArgumentException("expected <property>;<maxItems>;<maxLength>, got " + input);
        }
        JSONSchemaProps property = schema.getProperties() == null ? null : schema.getProperties().get(parts[0]);
        if (property == null) {
            throw new IllegalArgumentException("no property " + parts[0]);
        }
        bound(property, Long.parseLong(parts[1]), Long.parseLong(parts[2]));
        return schema;
    }

    private static void bound(JSONSchemaProps s, long maxItems, long maxLength) {
        if (s == null) {
            return;
        }
        if ("array".equals(s.getType())) {
            if (s.getMaxItems() == null) {
                s.setMaxItems(maxItems);
            }
            if (s.getItems() != null) {
                bound(s.getItems().getSchema(), maxItems, maxLength);
            }
        } else if ("string".equals(s.getType())) {
            if (s.getMaxLength() == null && (s.getEnum() == null || s.getEnum().isEmpty())) {
                s.setMaxLength(maxLength);
            }
        } else if ("integer".equals(s.getType())) {
            if (s.getMinimum() == null) {
                s.setMinimum((double) Integer.MIN_VALUE);
            }
            if (s.getMaximum() == null) {
                s.setMaximum((double) Integer.MAX_VALUE);
            }
        } else if ("object".equals(s.getType())) {
            if (s.getProperties() != null) {
                s.getProperties().values().forEach(p -> bound(p, maxItems, maxLength));
            }
            if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
                if (s.getMaxProperties() == null) {
                    s.setMaxProperties(maxItems);
                }
                bound(s.getAdditionalProperties().getSchema(), maxItems, maxLength);
            }
        }
    }
}
