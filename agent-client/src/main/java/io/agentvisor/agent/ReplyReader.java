package io.agentvisor.agent;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;

/**
 * Reads a command's {@code return} value from the reply's token stream ({@link BoundedReader}: the parser is on
 * the value's first token and the reader consumes exactly that value).
 */
@FunctionalInterface
interface ReplyReader<T> {
    T read(BoundedReader r) throws IOException;

    /** Whether this reader builds a JSON tree (raw commands): such replies are held to a token count instead. */
    default boolean buildsTree() {
        return false;
    }

    /** The value as a JSON tree, as exact as the guest sent it (raw commands). */
    ReplyReader<JsonNode> TREE = new ReplyReader<>() {
        @Override
        public JsonNode read(BoundedReader r) throws IOException {
            return r.parser().readValueAsTree();
        }

        @Override
        public boolean buildsTree() {
            return true;
        }
    };
}
