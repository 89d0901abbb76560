package io.agentvisor.api.v1alpha1;

import java.util.List;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * CRD-generation hook: declares the list property named by {@code input} ({@code conditions}) as a map list keyed by
 * {@code type}, so server-side apply lets each writer own its own condition entries. Used only while generating the
 * CRD YAML ({@code @SchemaCustomizer} on the status classes); not loaded at run time.
 */
public class ConditionsMapList implements SchemaCustomizer.Customizer {
    @Override
    public JSONSchemaProps apply(JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
        JSONSchemaProps list = schema.getProperties() == null ? null : schema.getProperties().get(input);
        if (list == null) {
            throw new IllegalArgumentException("no property " + input + " to declare as a map list");
        }
        list.setXKubernetesListType("map");
        list.setXKubernetesListMapKeys(List.of("type"));
        return schema;
    }
}
