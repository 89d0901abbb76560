package io.agentvisor.qmp;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A QMP connection: JSON lines over QEMU's monitor socket, greeting + {@code qmp_capabilities}, commands paired
 * with replies by QMP's {@code id}, events handed to a listener.
 *
 * <p>One reader thread per connection, so a frozen QEMU parks only its own reader; every call is bounded by a
 * timeout, and a call that times out closes the connection (a frozen QEMU's socket would otherwise fill with
 * commands it never reads, and a late reply could not be trusted anyway). Closing unblocks everything.
 */
public final class QmpClient implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** QMP replies are small; a line longer than this means the peer is not QMP. */
    private static final int MAX_LINE = 4 * 1024 * 1024;

    private final SocketChannel channel;
    private final Consumer<QmpEvent> events;
    private final Runnable onClose;
    private final Map<Long, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final CompletableFuture<JsonNode> greeting = new CompletableFuture<>();
    private final AtomicLong ids = new AtomicLong();
    private final AtomicBoolean closed = new AtomicBoolean();

    private QmpClient(SocketChannel channel, Consumer<QmpEvent> events, Runnable onClose) {
        this.channel = channel;
        this.events = events;
        this.onClose = onClose;
    }

    /**
     * Connects, reads the greeting and negotiates capabilities within {@code timeout}.
     *
     * @param events  called on the reader thread for every event (must not block)
     * @param onClose called once when the connection ends for any reason (EOF: usually QEMU exited)
     */
    public static QmpClient connect(Path socket, Duration timeout, String threadName, Consumer<QmpEvent> events,
            Runnable onClose) throws QmpException {
        SocketChannel ch = null;
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            // non-blocking connect: on AF_UNIX it only waits when the listen backlog is full (a frozen QEMU that
            // stopped accepting), and then the caller's deadline must still hold
            ch = SocketChannel.open(java.net.StandardProtocolFamily.UNIX);
            ch.configureBlocking(false);
            boolean connected = ch.connect(UnixDomainSocketAddress.of(socket));
            while (!connected) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("connect did not complete within " + timeout.toMillis() + " ms");
                }
                Thread.sleep(10);
                connected = ch.finishConnect();
            }
            ch.configureBlocking(true);
        } catch (IOException e) {
            closeQuietly(ch);
            throw new QmpException("cannot connect to QMP at " + socket + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            closeQuietly(ch);
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted");
        }
        QmpClient c = new QmpClient(ch, events, onClose);
        Thread reader = new Thread(c::readLoop, threadName);
        reader.setDaemon(true);
        reader.start();
        try {
            c.greeting.get(Math.max(1, (deadline - System.nanoTime()) / 1_000_000), TimeUnit.MILLISECONDS);
            c.execute("qmp_capabilities", null, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            return c;
        } catch (TimeoutException e) {
            c.close();
            throw new QmpException("no QMP greeting from " + socket + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            c.close();
            throw new QmpException("QMP connection to " + socket + " failed: " + e.getCause().getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            c.close();
            throw new QmpException("interrupted");
        } catch (QmpException e) {
            c.close();
            throw e;
        }
    }

    /** Runs one command and returns its {@code return} value; fails on error, timeout or a closed connection. */
    public JsonNode execute(String command, ObjectNode arguments, Duration timeout) throws QmpException {
        long id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        ObjectNode msg = JSON.createObjectNode().put("execute", command);
        if (arguments != null) {
            msg.set("arguments", arguments);
        }
        msg.put("id", id);
        try {
            if (closed.get()) {
                throw new QmpException("QMP connection is closed");
            }
            byte[] line = (JSON.writeValueAsString(msg) + "\n").getBytes(StandardCharsets.UTF_8);
            synchronized (channel) {
                ByteBuffer buf = ByteBuffer.wrap(line);
                while (buf.hasRemaining()) {
                    channel.write(buf);
                }
            }
            JsonNode r = reply.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (r.has("error")) {
                throw new QmpException(command + ": " + r.path("error").path("class").asText() + ": "
                        + r.path("error").path("desc").asText());
            }
            return r.path("return");
        } catch (TimeoutException e) {
            close();
            throw new QmpException("QEMU did not answer " + command + " within " + timeout.toMillis() + " ms");
        } catch (ExecutionException e) {
            throw new QmpException(command + ": " + e.getCause().getMessage(), e.getCause());
        } catch (IOException e) {
            close();
            throw new QmpException(command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new QmpException("interrupted");
        } finally {
            pending.remove(id);
        }
    }

    /** An empty arguments object for {@link #execute}. */
    public ObjectNode arguments() {
        return JSON.createObjectNode();
    }

    /** query-status: "running", "paused", "shutdown", "internal-error", ... */
    public String queryStatus(Duration timeout) throws QmpException {
        return execute("query-status", null, timeout).path("status").asText();
    }

    public void systemPowerdown(Duration timeout) throws QmpException {
        execute("system_powerdown", null, timeout);
    }

    /** Asks QEMU to exit. QEMU may close the socket before or after replying; both count as success. */
    public void quit(Duration timeout) throws QmpException {
        try {
            execute("quit", null, timeout);
        } catch (QmpException e) {
            if (!closed.get()) {
                throw e;
            }
        }
    }

    public boolean isOpen() {
        return !closed.get();
    }

    private void readLoop() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (channel.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        dispatch(line.toString(StandardCharsets.UTF_8));
                        line.reset();
                    } else if (line.size() >= MAX_LINE) {
                        throw new IOException("QMP line over " + MAX_LINE + " bytes");
                    } else {
                        line.write(b);
                    }
                }
                buf.clear();
            }
        } catch (IOException | RuntimeException e) {
            // EOF, a closed channel or garbage: all end the connection the same way
        } finally {
            close();
        }
    }

    private void dispatch(String text) {
        JsonNode msg;
        try {
            msg = JSON.readTree(text);
        } catch (IOException e) {
            return;
        }
        if (msg == null || !msg.isObject()) {
            return;
        }
        if (msg.has("QMP")) {
            greeting.complete(msg);
        } else if (msg.has("event")) {
            try {
                events.accept(new QmpEvent(msg.path("event").asText(), msg.get("data")));
            } catch (RuntimeException ignored) {
                // a listener bug must not kill the connection
            }
        } else if (msg.has("id")) {
            CompletableFuture<JsonNode> f = pending.get(msg.path("id").asLong());
            if (f != null) {
                f.complete(msg);
            }
        }
    }

    private static void closeQuietly(SocketChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // already failing
            }
        }
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            channel.close();
        } catch (IOException ignored) {
            // nothing left to do
        }
        QmpException gone = new QmpException("QMP connection closed");
        greeting.completeExceptionally(gone);
        pending.values().forEach(f -> f.completeExceptionally(gone));
        try {
            onClose.run();
        } catch (RuntimeException ignored) {
            // the listener's problem
        }
    }

    /** An asynchronous QMP event, e.g. SHUTDOWN {"guest":true,"reason":"guest-shutdown"}, RESET, STOP, RESUME. */
    public record QmpEvent(String name, JsonNode data) {
        public boolean guestInitiated() {
            return data != null && data.path("guest").asBoolean(false);
        }

        public String reason() {
            return data == null ? "" : data.path("reason").asText("");
        }
    }
}
