package io.agentvisor.testsupport;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.client.Config;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A plain-HTTP proxy in front of a real kube-apiserver that, while faulting, answers a share of the requests it
 * chooses with a transient failure instead of passing them on: HTTP 500, 503 or 429 (a Kubernetes Status body), a
 * connection closed without an answer, a request left hanging until the client gives up, (watches only) 410 Gone, or
 * (writes only) a request carried out whose answer is lost (500). Watches are streamed through, and
 * {@link #dropStreams()} ends every open one (the clients re-watch, through the faults). Websocket upgrades are
 * refused (503), which makes fabric8 clients watch over plain HTTP. Components under test get a kubeconfig for it
 * ({@link #writeKubeconfig}); the test's own client goes to the apiserver directly.
 * <p>
 * It can be driven in-process or, for a component whose class loader differs (a Quarkus application under test),
 * over HTTP: {@code POST /__faults/on}, {@code POST /__faults/writes} (every write fails, reads pass),
 * {@code POST /__faults/off}, {@code POST /__faults/drop-streams}, {@code GET /__faults/stats}. Never forwarded.
 */
public final class ApiFaultProxy implements AutoCloseable {
    /** What the proxy did instead of (or after) forwarding a request. */
    public enum Fault {
        HTTP_500, HTTP_503, HTTP_429, RESET, TIMEOUT,
        /** watches only: 410 Gone, as after etcd compacted the watch's resourceVersion: the client must re-list */
        GONE,
        /** writes only: carried out, then answered 500 */
        LOST_RESPONSE
    }

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "expect", "host", "upgrade",
            "transfer-encoding", "keep-alive", "te", "trailer", "proxy-connection", "proxy-authorization",
            "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol");
    private static final String CONTROL = "/__faults/";

    private final URI upstream;
    private final HttpClient client;
    private final HttpServer server;
    private final ExecutorService threads;
    private final Random random;
    private final double share;
    private final Duration hang;
    private volatile boolean faulting;
    /** Every write fails (before it reaches the apiserver), every read goes through. */
    private volatile boolean writesFail;
    private volatile Predicate<String> targets = path -> true;
    private final Map<Fault, AtomicLong> injected = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> injectedByVerb = new ConcurrentHashMap<>();
    private final AtomicLong forwarded = new AtomicLong();
    private final Set<Runnable> streams = ConcurrentHashMap.newKeySet();

    private ApiFaultProxy(URI upstream, SSLContext tls, long seed, double share, Duration hang) throws IOException {
        this.upstream = upstream;
        this.random = new Random(seed);
        this.share = share;
        this.hang = hang;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(tls)
                .connectTimeout(Duration.ofSeconds(5)).followRedirects(HttpClient.Redirect.NEVER).build();
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "api-fault-proxy-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    /**
     * A proxy for {@code api}, not faulting yet.
     *
     * @param seed  the faults' random sequence (the same seed, the same choices for the same requests in order)
     * @param share of the requests that fail while faulting (0..1)
     * @param hang  how long a TIMEOUT request is held before its connection is closed
     */
    public static ApiFaultProxy start(KubeApiServer api, long seed, double share, Duration hang) {
        Config c = api.config();
        try {
            return new ApiFaultProxy(URI.create(api.url()), trusting(c.getCaCertData()), seed, share, hang);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException("cannot start the API fault proxy: " + e, e);
        }
    }

    private static SSLContext trusting(String caData) throws Exception {
        CertificateFactory cf = CertificateFactory.getInstance("X.509");
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Certificate cert : cf.generateCertificates(new ByteArrayInputStream(Base64.getDecoder().decode(caData)))) {
            ks.setCertificateEntry("ca" + i++, cert);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }

    /** http://127.0.0.1:port */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** A kubeconfig for the proxy with the apiserver's admin token. */
    public Path writeKubeconfig(KubeApiServer api, Path file) {
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^\\s*token:\\s*(\\S+)\\s*$")
                    .matcher(Files.readString(api.kubeconfig()));
            if (!m.find()) {
                throw new IllegalStateException("no token in " + api.kubeconfig());
            }
            String token = m.group(1);
            Files.writeString(file, "apiVersion: v1\nkind: Config\nclusters:\n- name: faulty\n  cluster:\n"
                    + "    server: " + url() + "\nusers:\n- name: admin\n  user:\n    token: " + token + "\n"
                    + "contexts:\n- name: faulty\n  context:\n    cluster: faulty\n    user: admin\n"
                    + "current-context: faulty\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    /** Starts or stops failing a share of all requests. */
    public void faulting(boolean on) {
        faulting = on;
        writesFail = false;
    }

    /**
     * Fails every write at once (500, 503, 429 or a closed connection; none reaches the apiserver) and no read: the
     * client sees every change and saves none.
     */
    public void failWrites() {
        writesFail = true;
        faulting = false;
    }

    /** Only requests whose path matches are faulted (all by default). */
    public void targets(Predicate<String> pathMatches) {
        this.targets = pathMatches;
    }

    /** Cuts every open response stream (watches): the clients see their watch end and start over. */
    public void dropStreams() {
        List<Runnable> open = List.copyOf(streams);
        open.forEach(Runnable::run);
    }

    /** How many requests got each fault so far. */
    public Map<Fault, Long> injected() {
        Map<Fault, Long> m = new TreeMap<>();
        injected.forEach((f, n) -> m.put(f, n.get()));
        return m;
    }

    /** How many faults each verb (GET, LIST, WATCH, POST, PATCH, PUT, DELETE) got so far. */
    public Map<String, Long> injectedByVerb() {
        Map<String, Long> m = new TreeMap<>();
        injectedByVerb.forEach((f, n) -> m.put(f, n.get()));
        return m;
    }

    public long forwarded() {
        return forwarded.get();
    }

    /** One line: what was injected (for assertions and test output). */
    public String stats() {
        return "forwarded=" + forwarded() + " injected=" + injected() + " byVerb=" + injectedByVerb();
    }

    private void handle(HttpExchange ex) throws IOException {
        try {
            String path = ex.getRequestURI().getRawPath();
            if (path.startsWith(CONTROL)) {
                control(ex, path.substring(CONTROL.length()));
                return;
            }
            if ("websocket".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Upgrade"))) {
                // no websockets here: fabric8 takes a 503 to the upgrade as the sign to watch over plain HTTP
                ex.getRequestBody().readAllBytes();
                status(ex, 503, "ServiceUnavailable", "this proxy relays no websockets: watch over HTTP");
                return;
            }
            Fault fault = choose(ex);
            if (fault != null) {
                injected.computeIfAbsent(fault, f -> new AtomicLong()).incrementAndGet();
                injectedByVerb.computeIfAbsent(verb(ex), f -> new AtomicLong()).incrementAndGet();
            }
            if (fault != null && fault != Fault.LOST_RESPONSE) {
                inject(ex, fault);
                return;
            }
            forward(ex, fault == Fault.LOST_RESPONSE);
        } catch (IOException | RuntimeException e) {
            ex.close();
        }
    }

    private void control(HttpExchange ex, String what) throws IOException {
        String body;
        switch (what) {
            case "on" -> {
                faulting(true);
                body = "faulting";
            }
            case "off" -> {
                faulting(false);
                body = "not faulting";
            }
            case "writes" -> {
                failWrites();
                body = "failing every write";
            }
            case "drop-streams" -> {
                dropStreams();
                body = "dropped";
            }
            case "stats" -> body = stats();
            default -> {
                respond(ex, 404, "text/plain", "unknown control " + what);
                return;
            }
        }
        respond(ex, 200, "text/plain", body);
    }

    private static String verb(HttpExchange ex) {
        String m = ex.getRequestMethod().toUpperCase(Locale.ROOT);
        if (!m.equals("GET")) {
            return m;
        }
        String q = ex.getRequestURI().getRawQuery();
        if (q != null && (q.contains("watch=true") || q.contains("watch=1"))) {
            return "WATCH";
        }
        // collections: /api/v1/pods, /api/v1/namespaces/x/pods, /apis/g/v/kinds, /apis/g/v/namespaces/x/kinds
        String p = ex.getRequestURI().getRawPath().replaceAll("/status$", "");
        int n = p.split("/").length;
        boolean core = p.startsWith("/api/");
        return core == (n % 2 == 1) ? "GET" : "LIST";
    }

    private Fault choose(HttpExchange ex) {
        String verb = verb(ex);
        boolean read = verb.equals("GET") || verb.equals("LIST") || verb.equals("WATCH");
        if (writesFail && !read) {
            synchronized (random) { // fast failures only: a client's retries are spent by the clock, not by timeouts
                return List.of(Fault.HTTP_500, Fault.HTTP_503, Fault.HTTP_429, Fault.RESET).get(random.nextInt(4));
            }
        }
        if (!faulting || !targets.test(ex.getRequestURI().getRawPath())) {
            return null;
        }
        List<Fault> kinds = new java.util.ArrayList<>(List.of(Fault.HTTP_500, Fault.HTTP_503, Fault.HTTP_429,
                Fault.RESET, Fault.TIMEOUT));
        if (verb.equals("WATCH")) {
            kinds.add(Fault.GONE);
        } else if (!read) {
            kinds.add(Fault.LOST_RESPONSE);
        }
        synchronized (random) {
            return random.nextDouble() < share ? kinds.get(random.nextInt(kinds.size())) : null;
        }
    }

    private void inject(HttpExchange ex, Fault fault) throws IOException {
        ex.getRequestBody().readAllBytes();
        switch (fault) {
            case HTTP_500 -> status(ex, 500, "InternalError", "injected: internal error");
            case HTTP_503 -> status(ex, 503, "ServiceUnavailable", "injected: service unavailable");
            case HTTP_429 -> {
                ex.getResponseHeaders().add("Retry-After", "1");
                status(ex, 429, "TooManyRequests", "injected: too many requests");
            }
            case GONE -> status(ex, 410, "Expired", "injected: too old resource version");
            case RESET -> ex.close(); // no answer: the connection is closed under the client
            case TIMEOUT -> {
                try {
                    Thread.sleep(hang.toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                ex.close();
            }
            default -> throw new AssertionError(fault);
        }
    }

    private static void status(HttpExchange ex, int code, String reason, String message) throws IOException {
        respond(ex, code, "application/json", "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},"
                + "\"status\":\"Failure\",\"message\":\"" + message + "\",\"reason\":\"" + reason + "\",\"code\":"
                + code + "}");
    }

    private static void respond(HttpExchange ex, int code, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(code, b.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(b);
        }
    }

    private void forward(HttpExchange ex, boolean loseResponse) throws IOException {
        byte[] body = ex.getRequestBody().readAllBytes();
        HttpRequest.Builder b = HttpRequest.newBuilder(upstream.resolve(ex.getRequestURI().toString()))
                .method(ex.getRequestMethod(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(body));
        ex.getRequestHeaders().forEach((name, values) -> {
            if (!HOP_BY_HOP.contains(name.toLowerCase(Locale.ROOT))) {
                values.forEach(v -> b.header(name, v));
            }
        });
        HttpResponse<InputStream> r;
        try {
            r = client.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            ex.close();
            return;
        }
        forwarded.incrementAndGet();
        if (loseResponse) {
            r.body().close();
            status(ex, 500, "InternalError", "injected: the answer was lost");
            return;
        }
        r.headers().map().forEach((name, values) -> {
            String n = name.toLowerCase(Locale.ROOT);
            if (!HOP_BY_HOP.contains(n) && !n.startsWith(":")) {
                ex.getResponseHeaders().put(name, values);
            }
        });
        boolean noBody = ex.getRequestMethod().equalsIgnoreCase("HEAD") || r.statusCode() == 204
                || r.statusCode() == 304;
        ex.sendResponseHeaders(r.statusCode(), noBody ? -1 : 0);
        InputStream in = r.body();
        // ends the response (the client sees its watch end) without racing the thread that writes it
        Runnable cut = () -> {
            try {
                in.close();
            } catch (IOException ignored) {
                // closing
            }
        };
        streams.add(cut);
        try (in; OutputStream os = ex.getResponseBody()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) >= 0) {
                os.write(buf, 0, n);
                os.flush(); // watch events must reach the client as they come
            }
        } finally {
            streams.remove(cut);
            ex.close();
        }
    }

    @Override
    public void close() {
        faulting = false;
        dropStreams();
        server.stop(0);
        threads.shutdownNow();
    }

    @Override
    public String toString() {
        return "ApiFaultProxy[" + url() + " -> " + upstream + ", " + stats() + "]";
    }
}
