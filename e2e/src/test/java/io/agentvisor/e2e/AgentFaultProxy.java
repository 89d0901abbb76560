package io.agentvisor.e2e;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A man in the middle on a VM's agent socket: it forwards to the real agent (qemu-ga inside the guest, through
 * QEMU's chardev, moved aside to {@code upstream}) and misbehaves on demand, as a real agent cannot: holds its
 * replies (frozen), delivers them late, floods the driver with bytes, answers a command with a reply of its own
 * (a hostile guest), or goes away and comes back. Requests always pass; each driver connection gets its own upstream connection (QEMU serves one client at a time).
 */
final class AgentFaultProxy implements AutoCloseable {
    private static final int FLOOD_CHUNK = 1 << 20;
    private static final Pattern EXECUTE = Pattern.compile("\"execute\"\\s*:\\s*\"([a-z0-9-]+)\"");

    private final Path listen;
    private final Path upstream;
    private final AtomicInteger connections = new AtomicInteger();
    private final AtomicLong floodLeft = new AtomicLong();
    /** commands that came in (guest-sync-delimited not counted: its reply is sought past any debris) */
    private final AtomicLong requests = new AtomicLong();
    /** the flood waits until the command count passes this (-1: it does not wait) */
    private volatile long floodAfterRequest = -1;
    private volatile long delayMillis;
    private volatile boolean held;
    /** command name -> the reply line that replaces the agent's (without its newline) */
    private final Map<String, String> rewrites = new ConcurrentHashMap<>();
    private volatile ServerSocketChannel server;
    private volatile Conn current;

    private AgentFaultProxy(Path listen, Path upstream) {
        this.listen = listen;
        this.upstream = upstream;
    }

    static AgentFaultProxy start(Path listen, Path upstream) throws IOException {
        AgentFaultProxy p = new AgentFaultProxy(listen, upstream);
        p.comeBack();
        return p;
    }

    /** Driver connections accepted so far. */
    int connections() {
        return connections.get();
    }

    /** Frozen: replies are kept (and delivered late when released). */
    void hold(boolean hold) {
        held = hold;
    }

    /** Every reply reaches the driver this long after the agent sent it. */
    void delay(long millis) {
        delayMillis = millis;
    }

    /** Sends this many bytes of 'x' (no newline) to the driver now, ahead of any reply, across reconnections. */
    void flood(long bytes) {
        floodAfterRequest = -1;
        floodLeft.set(bytes);
    }

    /** Like {@link #flood}, but only once the next command has come in: a call is waiting for its reply line. */
    void floodAsReply(long bytes) {
        floodAfterRequest = requests.get();
        floodLeft.set(bytes);
    }

    /** The agent's reply to every {@code command} is replaced by {@code replyLine} (null: the agent's again). */
    void answer(String command, String replyLine) {
        if (replyLine == null) {
            rewrites.remove(command);
        } else {
            rewrites.put(command, replyLine);
        }
    }

    long floodLeft() {
        return floodLeft.get();
    }

    /** Like qemu-ga exiting: the connection drops and the socket is gone until {@link #comeBack}. */
    synchronized void goAway() {
        closeQuietly(server);
        server = null;
        try {
            Files.deleteIfExists(listen);
        } catch (IOException ignored) {
            // a leftover socket file only refuses connections, which is the point
        }
        Conn c = current;
        if (c != null) {
            c.close();
        }
    }

    synchronized void comeBack() throws IOException {
        Files.deleteIfExists(listen);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(listen));
        server = s;
        Thread t = new Thread(() -> accept(s), "agent-proxy-accept");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() {
        goAway();
    }

    private void accept(ServerSocketChannel s) {
        while (s.isOpen()) {
            try {
                SocketChannel down = s.accept();
                SocketChannel up = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    up.connect(UnixDomainSocketAddress.of(upstream));
                } catch (IOException e) {
                    closeQuietly(down);
                    closeQuietly(up);
                    continue;
                }
                Conn old = current;
                if (old != null) {
                    old.close();
                }
                connections.incrementAndGet();
                current = new Conn(down, up);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // going away anyway
            }
        }
    }

    private record Chunk(byte[] bytes, long dueNanos) {
    }

    /** One driver connection and its upstream: requests pass at once, replies go through the fault rules. */
    private final class Conn {
        private final SocketChannel down;
        private final SocketChannel up;
        private final BlockingQueue<Chunk> replies = new LinkedBlockingQueue<>();
        /** the reply line that replaces the agent's next one (the agent answers one command at a time) */
        private final AtomicReference<String> replaceNext = new AtomicReference<>();
        private volatile boolean open = true;

        Conn(SocketChannel down, SocketChannel up) {
            this.down = down;
            this.up = up;
            daemon("agent-proxy-requests", this::forwardRequests);
            daemon("agent-proxy-replies-in", this::readReplies);
            daemon("agent-proxy-replies-out", this::writeReplies);
        }

        private void daemon(String name, Runnable r) {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.start();
        }

        private void forwardRequests() {
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            try {
                while (open && down.read(b) >= 0) {
                    String text = new String(b.array(), 0, b.position(), java.nio.charset.StandardCharsets.ISO_8859_1);
                    if (text.contains("\"execute\"") && !text.contains("guest-sync")) {
                        requests.incrementAndGet(); // before the agent can answer: a flood as reply goes first
                    }
                    Matcher m = EXECUTE.matcher(text);
                    if (m.find() && rewrites.containsKey(m.group(1))) {
                        replaceNext.set(rewrites.get(m.group(1)));
                    }
                    b.flip();
                    while (b.hasRemaining()) {
                        up.write(b);
                    }
                    b.clear();
                }
            } catch (IOException ignored) {
                // either side went away
            }
            close();
        }

        private void readReplies() {
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            try {
                int n;
                boolean dropping = false; // inside an agent reply line that a replacement stands for
                while (open && (n = up.read(b)) >= 0) {
                    byte[] bytes = Arrays.copyOf(b.array(), n);
                    b.clear();
                    String replacement = dropping ? null : replaceNext.getAndSet(null);
                    if (replacement != null || dropping) {
                        int nl = indexOf(bytes, (byte) '\n');
                        if (replacement != null) {
                            queue((replacement + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
                        }
                        dropping = nl < 0;
                        bytes = nl < 0 ? new byte[0] : Arrays.copyOfRange(bytes, nl + 1, bytes.length);
                    }
                    if (bytes.length > 0) {
                        queue(bytes);
                    }
                }
            } catch (IOException ignored) {
                // QEMU closed the chardev connection
            }
            close();
        }

        private void queue(byte[] bytes) {
            replies.add(new Chunk(bytes, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delayMillis)));
        }

        private static int indexOf(byte[] bytes, byte b) {
            for (int i = 0; i < bytes.length; i++) {
                if (bytes[i] == b) {
                    return i;
                }
            }
            return -1;
        }

        private void writeReplies() {
            byte[] flood = new byte[FLOOD_CHUNK];
            Arrays.fill(flood, (byte) 'x');
            try {
                while (open) {
                    flood(flood);
                    Chunk c = replies.poll(50, TimeUnit.MILLISECONDS);
                    if (c == null) {
                        continue;
                    }
                    while (open && (held || System.nanoTime() - c.dueNanos() < 0)) {
                        Thread.sleep(10);
                    }
                    flood(flood); // one that came due with this reply's request goes out before the reply
                    write(ByteBuffer.wrap(c.bytes()));
                }
            } catch (IOException | InterruptedException ignored) {
                // the driver hung up (e.g. at its reply cap)
            }
            close();
        }

        private void flood(byte[] chunk) throws IOException {
            long left;
            while (open && (left = floodLeft.get()) > 0 && requests.get() > floodAfterRequest) {
                int n = (int) Math.min(left, chunk.length);
                write(ByteBuffer.wrap(chunk, 0, n));
                floodLeft.addAndGet(-n);
            }
        }

        private void write(ByteBuffer b) throws IOException {
            while (b.hasRemaining()) {
                down.write(b);
            }
        }

        void close() {
            open = false;
            closeQuietly(down);
            closeQuietly(up);
        }
    }
}
