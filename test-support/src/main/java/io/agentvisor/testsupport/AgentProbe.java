package io.agentvisor.testsupport;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A deliberately minimal guest-agent peer for test fixtures (readiness checks), independent of the product's
 * agent client so that the fixtures can test that client. Blocking I/O bounded by closing the channel.
 */
public final class AgentProbe {
    private AgentProbe() {
    }

    /** Sends 0xFF + guest-sync-delimited and returns true when the matching 0xFF-prefixed reply arrives in time. */
    public static boolean syncs(Path socket, Duration timeout) {
        long id = System.nanoTime() & 0x7fffffffffffL;
        String reply = exchange(socket, "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":" + id + "}}", true,
                timeout);
        return reply != null && reply.replace(" ", "").equals("{\"return\":" + id + "}");
    }

    /** Syncs, then sends one command and returns its raw reply line, or null on timeout/EOF. */
    public static String command(Path socket, String json, Duration timeout) {
        return exchange(socket, json, false, timeout);
    }

    private static String exchange(Path socket, String json, boolean syncOnly, Duration timeout) {
        var executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "agent-probe");
            t.setDaemon(true);
            return t;
        });
        SocketChannel[] holder = new SocketChannel[1];
        try {
            var future = executor.submit(() -> {
                try (SocketChannel ch = SocketChannel.open(UnixDomainSocketAddress.of(socket))) {
                    holder[0] = ch;
                    long id = System.nanoTime() & 0x7fffffffffffL;
                    String sync = syncOnly ? json
                            : "{\"execute\":\"guest-sync-delimited\",\"arguments\":{\"id\":" + id + "}}";
                    ch.write(ByteBuffer.wrap(new byte[] {(byte) 0xFF}));
                    ch.write(ByteBuffer.wrap((sync + "\n").getBytes(StandardCharsets.UTF_8)));
                    String syncReply = readDelimited(ch);
                    if (syncOnly || syncReply == null) {
                        return syncReply;
                    }
                    ch.write(ByteBuffer.wrap((json + "\n").getBytes(StandardCharsets.UTF_8)));
                    return readLine(ch);
                }
            });
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } finally {
            try {
                if (holder[0] != null) {
                    holder[0].close();
                }
            } catch (IOException ignored) {
                // closing only unblocks the reader
            }
            executor.shutdownNow();
        }
    }

    /** Skips everything up to the 0xFF marker, then returns the line after it. */
    private static String readDelimited(SocketChannel ch) throws IOException {
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (ch.read(one) < 0) {
                return null;
            }
            if (one.get(0) == (byte) 0xFF) {
                return readLine(ch);
            }
        }
    }

    private static String readLine(SocketChannel ch) throws IOException {
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        ByteBuffer one = ByteBuffer.allocate(1);
        while (true) {
            one.clear();
            if (ch.read(one) < 0) {
                return null;
            }
            byte b = one.get(0);
            if (b == '\n') {
                return line.toString(StandardCharsets.UTF_8).trim();
            }
            line.write(b);
        }
    }
}
