package io.agentvisor.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * The class-data-sharing training run behind {@code bin/agentvisor}'s start-up time. The build (and the launcher,
 * when the archive is missing or older than the jar) runs this once with {@code -XX:ArchiveClassesAtExit}: every
 * verb runs in-process against throw-away local endpoints (a local HTTPS server answering like the Kubernetes
 * API for one VirtualMachine over TLS verified against the kubeconfig's CA, with a token and with a client
 * certificate, a local unix socket answering like qemu-ga), so the archive holds the classes a real call loads:
 * picocli's model, kubeconfig parsing, the fabric8 client over the JDK HTTP client, TLS and certificate checks,
 * Jackson and the agent client. Nothing here is a test: outputs are discarded, and any failure only makes the
 * archive smaller (the CLI works the same without it).
 */
public final class CdsTraining {
    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("agentvisor-cds");
        try {
            run("--help");
            run("--version");
            for (String verb : new String[] {"agent-command", "guestinfo", "guest-agent-timeout", "status"}) {
                run(verb, "--help");
            }
            run("guestinfo"); // a usage error
            trainCluster(dir);
            trainAgent(dir);
        } finally {
            try (var files = Files.list(dir)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
        }
    }

    private static int run(String... args) {
        return Main.run(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()), false, args);
    }

    private static final String VM = """
            {"apiVersion":"agentvisor.io/v1alpha1","kind":"VirtualMachine","metadata":{"name":"demo",\
            "namespace":"default","uid":"0a3c3e5e-1d3c-4f5e-9c1e-2a1b5e6f7a8b","resourceVersion":"1",\
            "generation":1,"creationTimestamp":"2026-01-01T00:00:00Z","labels":{"app":"demo"}},\
            "spec":{"runStrategy":"Always","cpu":{"cores":1},"memory":"256Mi","boot":{"kernel":"/k","initrd":"/i",\
            "cmdline":"console=ttyS0"},"guestAgent":{"enabled":true,"responseTimeout":3}},\
            "status":{"phase":"Running","nodeName":"node-a","qemu":{"pid":4242},\
            "agentPolicy":{"responseTimeout":3,"unresponsiveAfter":3,"source":"GuestAgentPolicy/default/demo",\
            "commandTimeouts":{"guest-get-fsinfo":10}},\
            "agent":{"state":"Responsive","connected":true,"responsive":true,"responseTimeout":3,"version":"7.2.0",\
            "lastContact":"2026-01-01T00:00:00Z","lastError":{"reason":"Timeout","message":"m"}},\
            "guest":{"hostname":"guest","osInfo":{"id":"tiny","name":"Tiny","prettyName":"Tiny 1.0",\
            "version":"1","versionId":"1","kernelRelease":"6.1","kernelVersion":"#1","machine":"x86_64"},\
            "timezone":{"name":"UTC","offset":0},"users":[{"userName":"root","domain":"d","loginTime":1.5}],\
            "filesystems":[{"name":"vda","mountPoint":"/","type":"ext4","usedBytes":1,"totalBytes":2}],\
            "interfaces":[{"name":"eth0","mac":"52:54:00:00:00:01","ipAddresses":["10.0.2.15/24"]}]},\
            "conditions":[{"type":"Ready","status":"True","reason":"Ready","message":"m",\
            "lastTransitionTime":"2026-01-01T00:00:00Z","observedGeneration":1}]}}""";

    private static final String POLICY = """
            {"apiVersion":"agentvisor.io/v1alpha1","kind":"GuestAgentPolicy","metadata":{"name":"demo",\
            "namespace":"default","resourceVersion":"1"},"spec":{"selector":{},"responseTimeout":3}}""";

    private static void trainCluster(Path dir) throws Exception {
        Tls tls = tls(dir);
        HttpServer server = tls == null ? HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0) : tls.server();
        server.createContext("/", CdsTraining::api);
        server.start();
        try {
            // as kubeconfigs are written: the cluster's CA verifies the server (else no verification, if keytool
            // failed); one user with a bearer token, one with a client certificate and key
            String scheme = tls == null ? "http" : "https";
            String trust = tls == null ? "insecure-skip-tls-verify: true" : "certificate-authority-data: " + tls.caData;
            String certUser = tls == null ? "token: training" : "client-certificate-data: " + tls.certData
                    + "\n    client-key-data: " + tls.keyData;
            Path kubeconfig = dir.resolve("kubeconfig");
            Files.writeString(kubeconfig, """
                    apiVersion: v1
                    kind: Config
                    clusters:
                    - name: local
                      cluster:
                        server: %s://127.0.0.1:%d
                        %s
                    users:
                    - name: user
                      user:
                        token: training
                    - name: cert-user
                      user:
                        %s
                    contexts:
                    - name: local
                      context:
                        cluster: local
                        user: user
                        namespace: default
                    - name: cert
                      context:
                        cluster: local
                        user: cert-user
                    current-context: local
                    """.formatted(scheme, server.getAddress().getPort(), trust, certUser));
            Path certKubeconfig = dir.resolve("kubeconfig-cert");
            Files.writeString(certKubeconfig, Files.readString(kubeconfig)
                    .replace("current-context: local", "current-context: cert"));
            String kc = kubeconfig.toString();
            String cert = certKubeconfig.toString();
            run("status", "--kubeconfig", kc);
            run("status", "-A", "--kubeconfig", cert);
            run("guestinfo", "demo", "--kubeconfig", kc);
            run("guestinfo", "demo", "-o", "json", "--kubeconfig", cert);
            run("guest-agent-timeout", "demo", "--kubeconfig", kc);
            run("guest-agent-timeout", "demo", "--timeout", "2", "--kubeconfig", kc);
            run("guest-agent-timeout", "demo", "--timeout", "Block", "--policy", "demo", "--kubeconfig", cert);
            run("guestinfo", "missing", "--kubeconfig", kc);
            run("status", "--kubeconfig", dir.resolve("no-such-kubeconfig").toString());
        } finally {
            server.stop(0);
        }
    }

    /** The training cluster's TLS material: an HTTPS server and its certificate and key as kubeconfig data. */
    private record Tls(SSLContext context, String caData, String certData, String keyData) {
        HttpsServer server() throws IOException {
            HttpsServer https = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            https.setHttpsConfigurator(new HttpsConfigurator(context) {
                @Override
                public void configure(HttpsParameters params) {
                    // like kube-apiserver: asks every client for a certificate, accepts one without
                    SSLParameters p = context.getDefaultSSLParameters();
                    p.setWantClientAuth(true);
                    params.setSSLParameters(p);
                }
            });
            return https;
        }
    }

    /**
     * Throw-away TLS material from the JDK's keytool, shaped like a cluster's (RSA, as kubeadm and most clusters
     * issue): an authority, and a certificate for 127.0.0.1 issued by it that serves as the server's and as the
     * client certificate; null if keytool fails (the training then runs over plain HTTP).
     */
    private static Tls tls(Path dir) throws Exception {
        String store = dir.resolve("training.p12").toString();
        String csr = dir.resolve("server.csr").toString();
        String crt = dir.resolve("server.crt").toString();
        List<String> common = List.of("-storetype", "PKCS12", "-keystore", store, "-storepass", "training");
        if (!keytool(common, "-genkeypair", "-alias", "ca", "-keyalg", "RSA", "-keysize", "2048",
                "-dname", "CN=training-ca", "-ext", "bc:c", "-validity", "2")
                || !keytool(common, "-genkeypair", "-alias", "server", "-keyalg", "RSA", "-keysize", "2048",
                        "-dname", "CN=127.0.0.1", "-validity", "2")
                || !keytool(common, "-certreq", "-alias", "server", "-file", csr)
                || !keytool(common, "-gencert", "-alias", "ca", "-infile", csr, "-outfile", crt, "-validity", "2",
                        "-ext", "SAN=ip:127.0.0.1,dns:localhost", "-ext", "EKU=serverAuth,clientAuth")
                || !keytool(common, "-importcert", "-alias", "server", "-file", crt, "-noprompt")) {
            return null;
        }
        char[] password = "training".toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(Path.of(store))) {
            ks.load(in, password);
        }
        Certificate ca = ks.getCertificate("ca");
        Certificate[] chain = ks.getCertificateChain("server");
        Key key = ks.getKey("server", password);
        KeyStore server = KeyStore.getInstance("PKCS12");
        server.load(null, null);
        server.setKeyEntry("server", key, password, chain);
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(server, password);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return new Tls(ssl, kubeconfigData("CERTIFICATE", ca.getEncoded()),
                kubeconfigData("CERTIFICATE", chain[0].getEncoded()), kubeconfigData("PRIVATE KEY", key.getEncoded()));
    }

    private static boolean keytool(List<String> common, String... args) throws InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        cmd.addAll(List.of(args));
        cmd.addAll(common);
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** base64 of the PEM text, as kubeconfig's *-data fields hold it. */
    private static String kubeconfigData(String type, byte[] der) {
        String pem = "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
                + "\n-----END " + type + "-----\n";
        return Base64.getEncoder().encodeToString(pem.getBytes(StandardCharsets.US_ASCII));
    }

    private static final Pattern ONE = Pattern.compile(".*/namespaces/[^/]+/(virtualmachines|guestagentpolicies)/([^/]+)");

    private static void api(HttpExchange ex) throws IOException {
        ex.getRequestBody().readAllBytes();
        String path = ex.getRequestURI().getPath();
        Matcher one = ONE.matcher(path);
        String body;
        int code = 200;
        if (one.matches() && !one.group(2).equals("demo")) {
            code = 404;
            body = "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404,"
                    + "\"message\":\"not found\"}";
        } else if (one.matches()) {
            body = one.group(1).equals("virtualmachines") ? VM : POLICY;
        } else {
            body = "{\"apiVersion\":\"agentvisor.io/v1alpha1\",\"kind\":\"VirtualMachineList\",\"metadata\":"
                    + "{\"resourceVersion\":\"1\"},\"items\":[" + VM + "," + VM.replace("\"demo\"", "\"other\"") + "]}";
        }
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(code, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** A unix socket answering like qemu-ga: sync, ping, info; every other command is refused. */
    private static void trainAgent(Path dir) throws Exception {
        Path socket = dir.resolve("qga.sock");
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread agent = new Thread(() -> {
                while (server.isOpen()) {
                    try (SocketChannel c = server.accept()) {
                        answer(c);
                    } catch (IOException e) {
                        return;
                    }
                }
            }, "cds-training-agent");
            agent.setDaemon(true);
            agent.start();
            String s = socket.toString();
            run("agent-command", "--socket", s, "{\"execute\":\"guest-ping\"}");
            run("agent-command", "--socket", s, "--timeout", "2", "{\"execute\":\"guest-get-host-name\"}");
            run("guestinfo", "--socket", s);
            run("guestinfo", "--socket", s, "-o", "table");
            run("agent-command", "--socket", dir.resolve("none.sock").toString(), "{\"execute\":\"guest-ping\"}");
        } finally {
            Files.deleteIfExists(socket);
        }
    }

    private static void answer(SocketChannel c) throws IOException {
        InputStream in = Channels.newInputStream(c);
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        int depth = 0;
        boolean string = false;
        boolean escaped = false;
        for (int b; (b = in.read()) >= 0;) {
            if (b == 0xff) {
                continue;
            }
            if (depth > 0 || b == '{') {
                request.write(b);
            }
            if (string) {
                escaped = !escaped && b == '\\';
                string = escaped || b != '"';
                continue;
            }
            if (b == '"') {
                string = true;
            } else if (b == '{') {
                depth++;
            } else if (b == '}' && --depth == 0) {
                c.write(ByteBuffer.wrap(reply(request.toString(StandardCharsets.UTF_8))));
                request.reset();
            }
        }
    }

    private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*(-?\\d+)");

    private static byte[] reply(String request) {
        String r;
        if (request.contains("guest-sync")) {
            Matcher id = ID.matcher(request);
            r = (request.contains("guest-sync-delimited") ? "\u00ff" : "") + "{\"return\": "
                    + (id.find() ? id.group(1) : "0") + "}";
            return (r + "\n").getBytes(StandardCharsets.ISO_8859_1);
        } else if (request.contains("\"guest-ping\"")) {
            r = "{\"return\": {}}";
        } else if (request.contains("\"guest-info\"")) {
            r = "{\"return\": {\"version\": \"7.2.0\", \"supported_commands\": [{\"enabled\": true, \"name\": "
                    + "\"guest-ping\", \"success-response\": true}, {\"enabled\": true, \"name\": \"guest-get-host-name\","
                    + " \"success-response\": true}, {\"enabled\": false, \"name\": \"guest-exec\", "
                    + "\"success-response\": true}]}}";
        } else if (request.contains("\"guest-get-host-name\"")) {
            r = "{\"return\": {\"host-name\": \"guest\"}}";
        } else if (request.contains("\"guest-get-time\"")) {
            r = "{\"return\": " + Instant.now().toEpochMilli() * 1_000_000 + "}";
        } else {
            r = "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command has not been found\"}}";
        }
        return (r + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
