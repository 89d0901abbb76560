package io.agentvisor.api.v1alpha1;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every field of our CRDs is bounded (integers from both sides, strings, lists and maps in size, int-or-strings as
 * both), and every integer bound fits the Java type that reads the field: a value the apiserver accepts can always
 * be read.
 */
class SchemaBoundsTest {

    @ParameterizedTest
    @CsvSource({ "virtualmachines.agentvisor.io, io.agentvisor.api.v1alpha1.VirtualMachine",
            "guestagentpolicies.agentvisor.io, io.agentvisor.api.v1alpha1.GuestAgentPolicy",
            "guestcommands.agentvisor.io, io.agentvisor.api.v1alpha1.GuestCommand",
            "guestmaintenances.agentvisor.io, io.agentvisor.api.v1alpha1.GuestMaintenance" })
    void everyFieldIsBoundedWithinItsJavaType(String crd, Class<?> type) throws IOException {
        CustomResourceDefinition def = Serialization.unmarshal(Files.readString(Path.of(crd + ".yaml")),
                CustomResourceDefinition.class);
        List<String> problems = new ArrayList<>();
        JSONSchemaProps root = def.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema();
        for (String top : List.of("spec", "status")) {
            walk(root.getProperties().get(top), top, field(type, top), problems);
        }
        assertEquals(List.of(), problems);
    }

    private static void walk(JSONSchemaProps s, String path, Type java, List<String> problems) {
        if (Boolean.TRUE.equals(s.getXKubernetesIntOrString())) {
            if (s.getMaximum() == null || s.getMaxLength() == null && s.getPattern() == null) {
                problems.add(path + ": int-or-string without maximum and maxLength/pattern");
            }
            fits(s, path, Integer.class.equals(raw(java)) ? Integer.class : Long.class, problems);
            return;
        }
        String t = s.getType();
        if ("integer".equals(t) || "number".equals(t)) {
            if (s.getMinimum() == null || s.getMaximum() == null) {
                problems.add(path + ": " + t + " without minimum and maximum");
            } else {
                fits(s, path, raw(java), problems);
            }
        } else if ("string".equals(t)) {
            if (s.getMaxLength() == null && (s.getEnum() == null || s.getEnum().isEmpty())) {
                problems.add(path + ": string without maxLength");
            }
        } else if ("array".equals(t)) {
            if (s.getMaxItems() == null) {
                problems.add(path + ": array without maxItems");
            }
            walk(s.getItems().getSchema(), path + "[]", typeArgument(java, 0), problems);
        } else if ("object".equals(t)) {
            if (s.getAdditionalProperties() != null && s.getAdditionalProperties().getSchema() != null) {
                if (s.getMaxProperties() == null) {
                    problems.add(path + ": map without maxProperties");
                }
                walk(s.getAdditionalProperties().getSchema(), path + ".*", typeArgument(java, 1), problems);
            }
            if (s.getProperties() != null) {
                for (Map.Entry<String, JSONSchemaProps> e : s.getProperties().entrySet()) {
                    walk(e.getValue(), path + "." + e.getKey(), field(raw(java), e.getKey()), problems);
                }
            }
        }
    }

    private static void fits(JSONSchemaProps s, String path, Class<?> java, List<String> problems) {
        double min;
        double max;
        if (Integer.class.equals(java) || int.class.equals(java)) {
            min = Integer.MIN_VALUE;
            max = Integer.MAX_VALUE;
        } else if (Long.class.equals(java) || long.class.equals(java)) {
            min = -Math.pow(2, 63); // exact as a double; 2^63 - 1 is not, so the maximum must stay below 2^63
            max = Math.nextDown(Math.pow(2, 63));
        } else if (Double.class.equals(java) || double.class.equals(java)) {
            return;
        } else {
            problems.add(path + ": a number read as " + java);
            return;
        }
        if (s.getMinimum() != null && s.getMinimum() < min || s.getMaximum() != null && s.getMaximum() > max) {
            problems.add(path + ": [" + s.getMinimum() + ", " + s.getMaximum() + "] does not fit " + java.getSimpleName());
        }
    }

    private static Type field(Type owner, String json) {
        if (owner instanceof Class<?> c && c.getGenericSuperclass() instanceof ParameterizedType pt
                && (json.equals("spec") || json.equals("status"))) {
            return pt.getActualTypeArguments()[json.equals("spec") ? 0 : 1];
        }
        for (Class<?> c = raw(owner); c != null; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
                com.fasterxml.jackson.annotation.JsonProperty p = f.getAnnotation(
                        com.fasterxml.jackson.annotation.JsonProperty.class);
                if (f.getName().equals(json) || p != null && p.value().equals(json)) {
                    return f.getGenericType();
                }
            }
        }
        throw new IllegalStateException("no Java field for " + json + " in " + owner);
    }

    private static Type typeArgument(Type t, int i) {
        if (t instanceof ParameterizedType pt) {
            Type[] args = pt.getActualTypeArguments();
            return args[Math.min(i, args.length - 1)];
        }
        throw new IllegalStateException(t + " is not a parameterized list or map");
    }

    private static Class<?> raw(Type t) {
        if (t instanceof Class<?> c) {
            return c;
        }
        if (t instanceof ParameterizedType pt) {
            return (Class<?>) pt.getRawType();
        }
        if (t instanceof java.lang.reflect.AnnotatedType a) {
            return raw(a.getType());
        }
        throw new IllegalStateException("cannot read " + t);
    }
}
