package io.agentvisor.agent;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one JSON reader of the agent protocol: strict, so "{} trailing junk" is garbage, not a reply. */
final class Json {
    private Json() {
    }

    static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    /** Parses one reply line; null if it is not a JSON object. */
    static JsonNode parseObject(byte[] buf, int off, int len) {
        try {
            JsonNode n = MAPPER.readTree(buf, off, len);
            return n != null && n.isObject() ? n : null;
        } catch (java.io.IOException | RuntimeException e) {
            return null;
        }
    }
}
