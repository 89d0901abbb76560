package io.agentvisor.cli;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

/**
 * The resident side of {@code bin/agentvisor}: a JVM that runs verbs for the native client
 * ({@code cli/src/main/c/agentvisor-client.c}) over a unix socket, so a call costs a connect instead of a JVM
 * start, class loading and TLS set-up. The client starts it with its own working directory and environment, and
 * it serves only calls made with exactly those (and by its own user): a verb run here sees what a fresh JVM would.
 * It exits after {@code AGENTVISOR_CLI_DAEMON_IDLE} seconds without a call (default 600), when its jar changes
 * (a new build) or when its socket is removed ({@code agentvisor daemon stop} does that and signals it).
 *
 * <p>Wire protocol, big-endian; a string is a u32 length and that many bytes:
 * <pre>
 * request   "AVC1", u8 flags (bit 0: stdin and stdout are a terminal), string cwd,
 *           u32 n, n strings "NAME=value" (the environment without "_"), u32 m, m strings (the arguments)
 * replies   frames of u8 type, u32 length, payload:
 *           'A' accepted (empty)  'R' refused, another context (reason)  'O' stdout bytes  'E' stderr bytes
 *           'X' exit code (u32)
 * </pre>
 * The client closing its socket cancels the call (its thread is interrupted), as Ctrl-C ends a plain JVM.
 */
public final class CliDaemon {
    /** Files a daemon keeps beside its socket: {@code <key>.pid} (for {@code daemon status|stop}), {@code .lock}. */
    static final String SOCKET_SUFFIX = ".sock";
    static final String PID_SUFFIX = ".pid";
    static final String LOCK_SUFFIX = ".lock";
    static final String LOG_SUFFIX = ".log";
    private static final int MAX_REQUEST_BYTES = 4 << 20;
    private static final long DEFAULT_IDLE_SECONDS = 600;

    private final Path socket;
    private final String key;
    private final String cwd;
    private final Map<String, String> environment;
    private final Path jar;
    private final long jarModified;
    private final long idleNanos;
    private final AtomicInteger active = new AtomicInteger();
    private final AtomicLong lastCall = new AtomicLong(System.nanoTime());
    private volatile Object socketFileKey;

    private CliDaemon(Path socket) throws IOException {
        this.socket = socket;
        String name = socket.getFileName().toString();
        this.key = name.substring(0, name.length() - SOCKET_SUFFIX.length());
        this.cwd = System.getProperty("user.dir");
        this.environment = withoutUnderscore(System.getenv());
        this.jar = Path.of(CliDaemon.class.getProtectionDomain().getCodeSource().getLocation().getPath());
        this.jarModified = Files.getLastModifiedTime(jar).toMillis();
        this.idleNanos = idleSeconds(environment.get("AGENTVISOR_CLI_DAEMON_IDLE")) * 1_000_000_000L;
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1 || !args[0].endsWith(SOCKET_SUFFIX)) {
            System.err.println("usage: CliDaemon RUNTIME_DIR/KEY" + SOCKET_SUFFIX);
            System.exit(2);
        }
        CliDaemon daemon = new CliDaemon(Path.of(args[0]).toAbsolutePath());
        FileLock lock = daemon.lock();
        if (lock == null) {
            return; // another daemon of this context is starting or serving: the client connects to it
        }
        daemon.serve();
    }

    private static long idleSeconds(String value) {
        if (value == null || value.isBlank()) {
            return DEFAULT_IDLE_SECONDS;
        }
        try {
            return Math.max(1, Long.parseLong(value.strip()));
        } catch (NumberFormatException e) {
            return DEFAULT_IDLE_SECONDS;
        }
    }

    private static Map<String, String> withoutUnderscore(Map<String, String> env) {
        Map<String, String> copy = new HashMap<>(env);
        copy.remove("_");
        return copy;
    }

    private Path sibling(String suffix) {
        return socket.resolveSibling(key + suffix);
    }

    /**
     * One daemon per context: the lock file is held for the daemon's life. (A start racing with another daemon's
     * exit can still get two: the one whose socket the other replaced sees it and exits, see {@link #watch}.)
     */
    private FileLock lock() throws IOException {
        FileChannel channel = FileChannel.open(sibling(LOCK_SUFFIX), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock lock = channel.tryLock();
        if (lock == null) {
            channel.close();
        }
        return lock;
    }

    private static Object fileKey(Path path) {
        try {
            return Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    private void serve() throws IOException {
        Files.deleteIfExists(socket); // stale: its daemon no longer holds the lock
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
        socketFileKey = fileKey(socket);
        Files.writeString(sibling(PID_SUFFIX), ProcessHandle.current().pid() + "\n");
        Runtime.getRuntime().addShutdownHook(new Thread(this::removeFiles, "cli-daemon-exit"));
        Thread watchdog = new Thread(() -> watch(server), "cli-daemon-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        int calls = 0;
        while (true) {
            SocketChannel connection;
            try {
                connection = server.accept();
            } catch (IOException e) {
                break; // closed by the watchdog
            }
            active.incrementAndGet();
            lastCall.set(System.nanoTime());
            Thread call = new Thread(() -> {
                try {
                    call(connection);
                } finally {
                    active.decrementAndGet();
                    lastCall.set(System.nanoTime());
                }
            }, "cli-call-" + ++calls);
            call.setDaemon(true);
            call.start();
        }
        while (active.get() > 0) {
            sleep(50);
        }
        System.exit(0);
    }

    /**
     * Ends the daemon when it has been idle long enough, its socket is gone or replaced, or its jar changed. Once
     * the calls have paused it collects their garbage: the JDK 17 HTTP client has no close, its selector thread
     * ends only when the client is collected, and a resident JVM should shrink back between bursts of calls.
     */
    private void watch(ServerSocketChannel server) {
        long collectedAfter = lastCall.get();
        while (true) {
            sleep(500);
            long last = lastCall.get();
            if (active.get() == 0 && last != collectedAfter && System.nanoTime() - last > 1_000_000_000L) {
                System.gc();
                collectedAfter = last;
            }
            boolean idle = active.get() == 0 && System.nanoTime() - last > idleNanos;
            boolean orphaned = !Objects.equals(fileKey(socket), socketFileKey);
            boolean rebuilt;
            try {
                rebuilt = Files.getLastModifiedTime(jar).toMillis() != jarModified;
            } catch (IOException e) {
                rebuilt = true;
            }
            if (idle || orphaned || rebuilt) {
                try {
                    server.close();
                } catch (IOException ignored) {
                    // exiting anyway
                }
                return;
            }
        }
    }

    private void removeFiles() {
        try {
            if (!Objects.equals(fileKey(socket), socketFileKey)) {
                return; // another daemon of this context took over: the files are its own now
            }
            Files.deleteIfExists(socket);
            Files.deleteIfExists(sibling(PID_SUFFIX));
            Files.deleteIfExists(sibling(LOG_SUFFIX));
            Files.deleteIfExists(sibling(LOCK_SUFFIX));
        } catch (IOException ignored) {
            // best effort at exit: a stale file is replaced by the next daemon of this context
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void call(SocketChannel connection) {
        Thread self = Thread.currentThread();
        try (connection) {
            UnixDomainPrincipal peer = connection.getOption(ExtendedSocketOptions.SO_PEERCRED);
            if (!peer.user().getName().equals(System.getProperty("user.name"))) {
                return; // the socket's directory is the user's own (0700); this is a second lock on that door
            }
            DataInputStream in = new DataInputStream(new BufferedInputStream(new InputStream() {
                @Override
                public int read() throws IOException {
                    byte[] one = new byte[1];
                    return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return connection.read(ByteBuffer.wrap(b, off, len));
                }
            }));
            DataOutputStream out = new DataOutputStream(new BufferedOutputStream(new OutputStream() {
                @Override
                public void write(int b) throws IOException {
                    write(new byte[] {(byte) b}, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
                    while (buffer.hasRemaining()) {
                        connection.write(buffer);
                    }
                }
            }));
            Request request = Request.read(in);
            String mismatch = mismatch(request);
            if (mismatch != null) {
                frame(out, 'R', mismatch.getBytes(StandardCharsets.UTF_8));
                out.flush();
                return;
            }
            frame(out, 'A', new byte[0]);
            out.flush();
            // the client never writes again: end of input means it is gone (Ctrl-C), so the call is cancelled.
            // (Not through Channels' streams: those hold one lock for reading and writing, this read would block
            // every write of the call.)
            Thread cancel = new Thread(() -> {
                try {
                    while (in.read() >= 0) {
                        // ignore
                    }
                } catch (IOException ignored) {
                    // closed
                }
                self.interrupt();
            }, "cli-cancel");
            cancel.setDaemon(true);
            cancel.start();
            Charset charset = Charset.defaultCharset();
            PrintWriter stdout = new PrintWriter(new OutputStreamWriter(new FrameStream(out, 'O'), charset), true);
            PrintWriter stderr = new PrintWriter(new OutputStreamWriter(new FrameStream(out, 'E'), charset), true);
            int code = Main.run(stdout, stderr, request.terminal(), request.args().toArray(String[]::new));
            stdout.flush();
            stderr.flush();
            synchronized (out) {
                frame(out, 'X', new byte[] {(byte) (code >>> 24), (byte) (code >>> 16), (byte) (code >>> 8),
                    (byte) code});
                out.flush();
            }
        } catch (IOException | RuntimeException e) {
            // the client went away, or sent something that is not a request: nothing to answer
        } finally {
            Thread.interrupted();
        }
    }

    /** Why this request is not this daemon's context, or null when it is. */
    private String mismatch(Request request) {
        if (!request.cwd().equals(cwd)) {
            return "working directory " + request.cwd() + ", daemon's " + cwd;
        }
        if (!request.environment().equals(environment)) {
            return "another environment";
        }
        return null;
    }

    private static void frame(DataOutputStream out, char type, byte[] payload) throws IOException {
        out.writeByte(type);
        out.writeInt(payload.length);
        out.write(payload);
    }

    /** A verb's stdout or stderr, as frames on the shared connection. */
    private static final class FrameStream extends OutputStream {
        private final DataOutputStream out;
        private final char type;

        FrameStream(DataOutputStream out, char type) {
            this.out = out;
            this.type = type;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            synchronized (out) {
                out.writeByte(type);
                out.writeInt(len);
                out.write(b, off, len);
            }
        }

        @Override
        public void flush() throws IOException {
            synchronized (out) {
                out.flush();
            }
        }
    }

    /** A call as the client sent it. Strings are decoded as the JVM decodes its own arguments and environment. */
    record Request(boolean terminal, String cwd, Map<String, String> environment, List<String> args) {
        private static final Charset PLATFORM = Charset.forName(System.getProperty("sun.jnu.encoding",
                Charset.defaultCharset().name()));

        static Request read(DataInputStream in) throws IOException {
            byte[] magic = in.readNBytes(4);
            if (!new String(magic, StandardCharsets.US_ASCII).equals("AVC1")) {
                throw new IOException("not a CLI request");
            }
            int[] budget = {MAX_REQUEST_BYTES};
            boolean terminal = (in.readUnsignedByte() & 1) != 0;
            String cwd = string(in, budget);
            int variables = count(in);
            Map<String, String> environment = new HashMap<>();
            for (int i = 0; i < variables; i++) {
                String entry = string(in, budget);
                int eq = entry.indexOf('=');
                if (eq > 0) {
                    environment.putIfAbsent(entry.substring(0, eq), entry.substring(eq + 1));
                }
            }
            int argc = count(in);
            List<String> args = new ArrayList<>(argc);
            for (int i = 0; i < argc; i++) {
                args.add(string(in, budget));
            }
            return new Request(terminal, cwd, environment, List.copyOf(args));
        }

        private static int count(DataInputStream in) throws IOException {
            int n = in.readInt();
            if (n < 0 || n > 100_000) {
                throw new IOException("bad count " + n);
            }
            return n;
        }

        private static String string(DataInputStream in, int[] budget) throws IOException {
            int length = in.readInt();
            if (length < 0 || length > budget[0]) {
                throw new EOFException("request larger than " + MAX_REQUEST_BYTES + " bytes");
            }
            budget[0] -= length;
            return new String(in.readNBytes(length), PLATFORM);
        }
    }
}
