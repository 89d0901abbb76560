package io.agentvisor.agent;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * The one JSON reader of the agent protocol: the reply envelope ({@code {"return": …}} or {@code {"error": …}}, one
 * object, nothing after it) read as a token stream, its {@code return} value handed to the command's
 * {@link ReplyReader}. No reply is ever parsed into a tree first: the typed guest-info readers keep what their bounds
 * allow and skip the rest; only raw commands (the user's own, {@code virsh qemu-agent-command}) build a tree, of at
 * most {@link #RAW_MAX_TOKENS} tokens.
 */
final class Json {
    private Json() {
    }

    /** Deeper than any qemu-ga reply (they nest about 5 levels). */
    static final int MAX_DEPTH = 64;
    /** Longest field name (qemu-ga's are under 32 characters). */
    static final int MAX_NAME = 256;
    /** The largest raw reply tree (about 100 bytes of heap per token). */
    static final long RAW_MAX_TOKENS = 100_000;
    /** Budget of an error reply's class and description. */
    private static final int ERROR_BUDGET = 2 * BoundedReader.MAX_CHARS;

    /** Strict (no trailing tokens) mapper for requests the user writes; its factory reads typed replies. */
    static final ObjectMapper MAPPER = JsonMapper.builder(factory(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH)))
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    private static final ObjectMapper RAW = JsonMapper.builder(factory(StreamReadConstraints.builder()
                    .maxNestingDepth(MAX_DEPTH).maxTokenCount(RAW_MAX_TOKENS)))
            .build();

    /**
     * UTF-8 byte parsers (they need field-name canonicalization: without it Jackson decodes through a Reader and
     * {@link BoundedReader} cannot find a string in the line). The factory's shared symbol table keeps names of at
     * most {@link #MAX_NAME} characters and stops growing past Jackson's reuse limit (6000 names); names are never
     * interned in the JVM's string table.
     */
    private static JsonFactory factory(StreamReadConstraints.Builder constraints) {
        return JsonFactory.builder().streamReadConstraints(constraints.maxNameLength(MAX_NAME).build())
                .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
                .build();
    }

    /** What one reply line says. */
    sealed interface Reply<T> {
    }

    /** {@code {"return": …}}, read. */
    record Returned<T>(T value) implements Reply<T> {
    }

    /** {@code {"error": {"class": …, "desc": …}}}, bounded and printable. */
    record Errored<T>(String errorClass, String description) implements Reply<T> {
    }

    /** A well-formed reply whose return value the command cannot read: the stream is in step. */
    record Unreadable<T>(String why) implements Reply<T> {
    }

    /** Not a reply: not JSON, not one object, or neither return nor error. The stream cannot be trusted. */
    record Garbage<T>(String why) implements Reply<T> {
    }

    /** Reads one reply line of a command. */
    static <T> Reply<T> reply(byte[] line, int off, int len, AgentCommand<T> command) {
        ReplyReader<T> reader = command.reader();
        ObjectMapper mapper = reader.buildsTree() ? RAW : MAPPER;
        BoundedReader r = null;
        boolean returned = false;
        T value = null;
        String errorClass = null;
        String errorDesc = null;
        boolean errorSeen = false;
        try (JsonParser p = mapper.createParser(line, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return new Garbage<>("not a JSON object");
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if ("return".equals(name) && !returned) {
                    returned = true;
                    r = new BoundedReader(p, line, off, len, BoundedReader.BUDGET);
                    value = reader.read(r);
                } else if ("error".equals(name) && !errorSeen && p.currentToken() == JsonToken.START_OBJECT) {
                    errorSeen = true;
                    BoundedReader e = new BoundedReader(p, line, off, len, ERROR_BUDGET);
                    String[] ce = new String[2];
                    e.object(false, f -> {
                        if ("class".equals(f)) {
                            ce[0] = e.string();
                        } else if ("desc".equals(f)) {
                            ce[1] = e.string();
                        } else {
                            e.skip();
                        }
                    });
                    errorClass = ce[0];
                    errorDesc = ce[1];
                } else {
                    p.skipChildren();
                }
            }
            if (p.currentToken() != JsonToken.END_OBJECT || p.nextToken() != null) {
                return new Garbage<>("not a single JSON object");
            }
        } catch (StreamConstraintsException e) {
            // well-formed as far as it was read, but beyond what is accepted: the line itself was framed
            return new Unreadable<>("the reply is beyond the parser's bounds: " + e.getOriginalMessage());
        } catch (JsonProcessingException e) {
            return new Garbage<>("invalid JSON: " + e.getOriginalMessage());
        } catch (IOException | RuntimeException e) {
            return new Garbage<>("unreadable: " + e);
        }
        if (returned) {
            return r.shapeError() != null ? new Unreadable<>(r.shapeError()) : new Returned<>(value);
        }
        if (errorSeen) {
            return new Errored<>(errorClass == null ? "GenericError" : errorClass,
                    errorDesc == null ? "" : errorDesc);
        }
        return new Garbage<>("neither return nor error");
    }

    /**
     * The id of a guest-sync-delimited reply ({@code {"return": N}}), or null if the line is anything else. Reads
     * the line as a token stream: a huge line costs no tree.
     */
    static Long syncId(byte[] line, int off, int len) {
        Long id = null;
        try (JsonParser p = MAPPER.createParser(line, off, len)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if ("return".equals(name) && t == JsonToken.VALUE_NUMBER_INT
                        && p.getNumberType() != JsonParser.NumberType.BIG_INTEGER) {
                    id = p.getLongValue();
                } else {
                    p.skipChildren();
                }
            }
            return p.currentToken() == JsonToken.END_OBJECT && p.nextToken() == null ? id : null;
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
