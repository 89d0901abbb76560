package io.agentvisor.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A guest agent that misbehaves on demand, for what a real qemu-ga cannot be made to do (late replies, garbage,
 * wrong sync ids, oversize or cut-off replies). Like qemu-ga it serves one connection at a time on one thread,
 * answers a lone 0xFF with a parse error line, and handles requests strictly in order.
 */
public final class ScriptedAgent implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Decides how to answer one request; {@link Conn#standard} answers like a healthy agent. */
    @FunctionalInterface
    public interface Script {
        void onRequest(Conn conn, String command, JsonNode request) throws Exception;
    }

    /** Runs when a connection is accepted (e.g. to deliver a late reply left over from the last one). */
    @FunctionalInterface
    public interface OnConnect {
        void accepted(Conn conn) throws Exception;
    }

    private final Path dir;
    private final Path socket;
    private final ServerSocketChannel server;
    private final Thread thread;
    private final Script script;
    private volatile OnConnect onConnect = c -> { };
    private final AtomicInteger connections = new AtomicInteger();
    private final List<String> received = new CopyOnWriteArrayList<>();
    private volatile boolean closed;

    private ScriptedAgent(Script script) throws IOException {
        this.script = script;
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "avsa");
        this.socket = dir.resolve("agent.sock");
        this.server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        thread = new Thread(this::serve, "scripted-agent");
        thread.setDaemon(true);
        thread.start();
    }

    public static ScriptedAgent start(Script script) throws IOException {
        return new ScriptedAgent(script);
    }

    public ScriptedAgent onConnect(OnConnect c) {
        this.onConnect = c;
        return this;
    }

    public Path socket() {
        return socket;
    }

    /** Connections accepted so far. */
    public int connections() {
        return connections.get();
    }

    /** Commands received so far (guest-sync-delimited included). */
    public List<String> received() {
        return List.copyOf(received);
    }

    public final class Conn {
        private final SocketChannel ch;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }

        public void send(String text) throws IOException {
            sendBytes(text.getBytes(StandardCharsets.UTF_8));
        }

        public void sendBytes(byte[] bytes) throws IOException {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }

        public void close() throws IOException {
            ch.close();
        }

        /** What a healthy agent answers: sync, ping, host name, shutdown (by closing); others not found. */
        public void standard(String command, JsonNode request) throws IOException {
            switch (command) {
                case "guest-sync-delimited" -> {
                    sendBytes(new byte[] {(byte) 0xFF});
                    send("{\"return\": " + request.path("arguments").path("id").asLong() + "}\n");
                }
                case "guest-ping" -> send("{\"return\": {}}\n");
                case "guest-get-host-name" -> send("{\"return\": {\"host-name\": \"scripted\"}}\n");
                case "guest-shutdown" -> close();
                default -> send("{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command " + command
                        + " has not been found\"}}\n");
            }
        }
    }

    private void serve() {
        while (!closed) {
            try (SocketChannel ch = server.accept()) {
                connections.incrementAndGet();
                Conn conn = new Conn(ch);
                onConnect.accepted(conn);
                handle(conn, ch);
            } catch (Exception e) {
                // a client that went away (broken pipe) or the server closing: serve the next one
            }
        }
    }

    private void handle(Conn conn, SocketChannel ch) throws Exception {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(4096);
        while (ch.isOpen() && ch.read(buf) >= 0) {
            buf.flip();
            while (buf.hasRemaining()) {
                byte b = buf.get();
                if (b == (byte) 0xFF) {
                    line.reset(); // like qemu-ga: drop the half request, report the stray byte
                    conn.send("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error, stray '\\uFFFD'\"}}\n");
                } else if (b == '\n') {
                    String text = line.toString(StandardCharsets.UTF_8).strip();
                    line.reset();
                    if (!text.isEmpty()) {
                        JsonNode req = JSON.readTree(text);
                        String cmd = req.path("execute").asText();
                        received.add(cmd);
                        script.onRequest(conn, cmd, req);
                        if (!ch.isOpen()) {
                            return;
                        }
                    }
                } else {
                    line.write(b);
                }
            }
            buf.clear();
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        thread.interrupt();
        Files.deleteIfExists(socket);
        Files.deleteIfExists(dir);
    }
}
