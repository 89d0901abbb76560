package io.agentvisor.api.v1alpha1;

import java.util.ArrayList;
import java.util.List;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaPropsBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;

/**
 * CRD-generation hook: an object must set exactly one of the listed properties ({@code oneOf} of {@code required}
 * lists, allowed in a structural schema), so the apiserver refuses an entry with none or two of them. Input: the
 * property names separated by {@code ;}. Used only while generating the CRD YAML.
 */
public class ExactlyOneOf implements SchemaCustomizer.Customizer {
    @Override
    public JSONSchemaProps apply(JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
        List<JSONSchemaProps> choices = new ArrayList<>();
        for (String p : input.split(";")) {
            if (schema.getProperties() == null || !schema.getProperties().containsKey(p)) {
                throw new IllegalArgumentException("no property " + p);
            }
            choices.add(new JSONSchemaPropsBuilder().withRequired(p).build());
        }
        schema.setOneOf(choices);
        return schema;
    }
}
