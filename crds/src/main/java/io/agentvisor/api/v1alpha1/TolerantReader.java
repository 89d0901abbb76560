package io.agentvisor.api.v1alpha1;

import java.io.IOException;
import java.util.function.Supplier;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.BeanDescription;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.deser.ResolvableDeserializer;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.CustomResource;

/**
 * Reads one of our custom resources so that a stored object the Java types cannot hold (a number out of range, a
 * string where a number belongs: written before the schema was tightened) never fails the read. Such a failure in
 * an informer's watch would stop the watch, and with it the reconciliation of every other object of the kind.
 * <p>
 * The object is read strictly first; when that fails, it is read part by part: metadata always, {@code spec} and
 * {@code status} each only when it can be read on its own (else null), and the first problem is kept as
 * {@link Resource#unreadable()}: {@code <field path>: <what is wrong>}, e.g.
 * {@code spec.guestAgent.unresponsiveAfter: 3000000000 is out of range (at most 2147483647)}. Only the in-memory
 * object carries it (it is never serialized): a reader that received a copy made by serialization sees only the
 * missing spec, and reads the object again to learn why.
 */
public class TolerantReader<T extends TolerantReader.Resource<?, ?>> extends StdDeserializer<T>
        implements ResolvableDeserializer {
    /** Longest problem kept: the field path and a short reason, never the whole value. */
    static final int MAX_PROBLEM = 300;

    /** A custom resource that may have been read only in part. */
    public abstract static class Resource<S, T> extends CustomResource<S, T> {
        @JsonIgnore
        private transient String unreadable;

        /**
         * Why this object could be read only in part ({@code <field path>: <reason>}), or null when it was read
         * whole.
         */
        @JsonIgnore
        public String unreadable() {
            return unreadable;
        }

        void unreadable(String problem) {
            this.unreadable = problem;
        }
    }

    private final Class<T> type;
    private final Supplier<T> empty;
    private transient JsonDeserializer<Object> strict;

    protected TolerantReader(Class<T> type, Supplier<T> empty) {
        super(type);
        this.type = type;
        this.empty = empty;
    }

    @Override
    public void resolve(DeserializationContext ctxt) throws JsonMappingException {
        // the plain bean deserializer of the type, built without the class annotation that names this reader
        JavaType t = ctxt.constructType(type);
        BeanDescription description = ctxt.getConfig().introspect(t);
        JsonDeserializer<Object> d = ctxt.getFactory().createBeanDeserializer(ctxt, t, description);
        if (d instanceof ResolvableDeserializer r) {
            r.resolve(ctxt);
        }
        strict = d;
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
        TokenBuffer copy = ctxt.bufferAsCopyOfValue(p);
        try (JsonParser again = copy.asParser(p.getCodec())) {
            again.nextToken();
            return (T) strict.deserialize(again, ctxt);
        } catch (IOException e) {
            JsonNode tree;
            try (JsonParser forTree = copy.asParser(p.getCodec())) {
                forTree.nextToken();
                tree = ctxt.readTree(forTree);
            }
            if (!(tree instanceof ObjectNode object)) {
                throw e;
            }
            T partial = empty.get();
            partial.setMetadata(part(object, "metadata", ObjectMeta.class, ctxt));
            setSpec(partial, object, ctxt);
            setStatus(partial, object, ctxt);
            partial.unreadable(describe(e, object));
            return partial;
        }
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private void setSpec(T partial, ObjectNode object, DeserializationContext ctxt) {
        Object spec = part(object, "spec", specType(partial), ctxt);
        ((CustomResource) partial).setSpec(spec);
    }

    @SuppressWarnings({ "unchecked", "rawtypes" })
    private void setStatus(T partial, ObjectNode object, DeserializationContext ctxt) {
        Object status = part(object, "status", statusType(partial), ctxt);
        ((CustomResource) partial).setStatus(status);
    }

    private static Class<?> specType(CustomResource<?, ?> r) {
        return typeOf(r, "getSpec");
    }

    private static Class<?> statusType(CustomResource<?, ?> r) {
        return typeOf(r, "getStatus");
    }

    /** The declared spec or status class of the subclass (CustomResource's type arguments). */
    private static Class<?> typeOf(CustomResource<?, ?> r, String getter) {
        java.lang.reflect.Type g = r.getClass().getGenericSuperclass();
        if (g instanceof java.lang.reflect.ParameterizedType pt) {
            java.lang.reflect.Type arg = pt.getActualTypeArguments()[getter.equals("getSpec") ? 0 : 1];
            if (arg instanceof Class<?> c) {
                return c;
            }
        }
        throw new IllegalStateException(r.getClass() + " does not name its spec and status classes");
    }

    private static <P> P part(ObjectNode object, String field, Class<P> cls, DeserializationContext ctxt) {
        JsonNode node = object.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return ctxt.readTreeAsValue(node, cls);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** {@code <field path>: <reason>} of a read failure, bounded and without control characters. */
    static String describe(IOException e, JsonNode object) {
        StringBuilder path = new StringBuilder();
        JsonNode at = object;
        if (e instanceof JsonMappingException m) {
            for (JsonMappingException.Reference r : m.getPath()) {
                if (r.getFieldName() != null) {
                    if (path.length() > 0) {
                        path.append('.');
                    }
                    path.append(r.getFieldName());
                    at = at == null ? null : at.get(r.getFieldName());
                } else if (r.getIndex() >= 0) {
                    path.append('[').append(r.getIndex()).append(']');
                    at = at == null ? null : at.get(r.getIndex());
                }
            }
        }
        String reason;
        if (at != null && at.isIntegralNumber()) {
            reason = at.asText() + " is out of range for this field";
        } else if (at != null && at.isValueNode()) {
            reason = "cannot hold " + abbreviate(at.toString(), 60);
        } else {
            String original = e instanceof JsonMappingException m ? m.getOriginalMessage() : e.getMessage();
            reason = original == null ? e.getClass().getSimpleName() : original.lines().findFirst().orElse("");
        }
        String text = (path.length() == 0 ? "(object)" : path) + ": " + reason
                + " (the object was stored before the schema allowed it; fix or delete it)";
        return Text.printable(abbreviate(text, MAX_PROBLEM));
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max - 3) + "...";
    }
}
