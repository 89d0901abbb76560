package io.agentvisor.operator;

import java.io.IOException;
import java.net.URI;
import java.net.URL;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** Plain HTTP GETs against the operator's endpoints, and reading their answers (health JSON, Prometheus text). */
final class Http {
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private static final ObjectMapper JSON = new ObjectMapper();

    private Http() {
    }

    record Response(int status, String body) {
    }

    static Response get(URL root, String path) throws IOException, InterruptedException {
        URI uri = URI.create(root.toString()).resolve(path);
        HttpResponse<String> r = CLIENT.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Response(r.statusCode(), r.body());
    }

    static JsonNode json(Response r) throws IOException {
        return JSON.readTree(r.body());
    }

    /** The check of that name in a health answer. */
    static JsonNode check(JsonNode health, String name) {
        for (JsonNode c : health.path("checks")) {
            if (name.equals(c.path("name").asText())) {
                return c;
            }
        }
        throw new AssertionError("no check " + name + " in " + health);
    }

    /** The value of one sample (name and labels exactly as Prometheus prints them) in a scrape. */
    static double sample(String scrape, String series) {
        return scrape.lines().filter(l -> l.startsWith(series + " ")).findFirst()
                .map(l -> Double.parseDouble(l.substring(series.length() + 1).trim().split(" ")[0]))
                .orElseThrow(() -> new AssertionError("no sample " + series + " in:\n" + scrape));
    }
}
