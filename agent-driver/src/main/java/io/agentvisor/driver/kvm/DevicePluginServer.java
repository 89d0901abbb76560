package io.agentvisor.driver.kvm;

import io.agentvisor.driver.kvm.v1beta1.DevicePluginOptions;
import io.agentvisor.driver.kvm.v1beta1.RegisterRequest;
import io.agentvisor.driver.kvm.v1beta1.RegistrationGrpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * Serves a {@link KvmDevicePlugin} to the kubelet: a gRPC server on {@code <dir>/<endpoint>} (a unix socket in the
 * kubelet's device-plugins directory) and a registration at {@code <dir>/kubelet.sock}.
 *
 * <p>The kubelet forgets plugins when it restarts: it deletes every socket in that directory (ours included) and
 * creates a new {@code kubelet.sock}. So the directory is watched: when our socket is gone the server is started
 * again on a new one, and when {@code kubelet.sock} is (re)created, or a registration failed, the plugin registers
 * again. A check every {@code recheck} repeats the same decisions in case an event was missed.
 */
public final class DevicePluginServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DevicePluginServer.class);

    public static final String API_VERSION = "v1beta1";
    public static final String KUBELET_SOCKET = "kubelet.sock";
    static final Duration REGISTER_TIMEOUT = Duration.ofSeconds(10);

    private final Path dir;
    private final String endpoint;
    private final String resourceName;
    private final KvmDevicePlugin plugin;
    private final Duration recheck;
    private final ScheduledExecutorService loop;
    private final EventLoopGroup events;
    private Server server;
    private WatchService watch;
    private Thread watcher;
    /** the kubelet.sock (file key) we registered with last, null when not registered */
    private Object registeredWith;
    private volatile int registrations;
    private volatile String lastProblem;
    private volatile boolean closed;

    /**
     * @param dir          the kubelet's device-plugins directory as the driver sees it
     * @param endpoint     our socket's file name in {@code dir}
     * @param resourceName the extended resource, e.g. devices.agentvisor.io/kvm
     * @param recheck      how often to check the socket and the registration besides the directory's events
     */
    public DevicePluginServer(Path dir, String endpoint, String resourceName, KvmDevicePlugin plugin, Duration recheck) {
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("the KVM device plugin needs Netty's epoll transport (Linux x86_64) for "
                    + "unix sockets: " + Epoll.unavailabilityCause());
        }
        if (endpoint.contains("/") || endpoint.equals(KUBELET_SOCKET)) {
            throw new IllegalArgumentException("endpoint must be a file name other than kubelet.sock: " + endpoint);
        }
        this.dir = dir.toAbsolutePath().normalize();
        if (this.dir.resolve(endpoint).toString().length() > 107) {
            throw new IllegalArgumentException("agentvisor.driver.kvm.device-plugin-dir: " + this.dir.resolve(endpoint)
                    + " is longer than a unix socket path may be (107 bytes)");
        }
        this.endpoint = endpoint;
        this.resourceName = resourceName;
        this.plugin = plugin;
        this.recheck = recheck;
        this.loop = Executors.newSingleThreadScheduledExecutor(named("kvm-device-plugin"));
        this.events = new EpollEventLoopGroup(1, named("kvm-device-plugin-io"));
    }

    private static ThreadFactory named(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    /** Starts serving and registering; returns at once (the kubelet may not be there yet). */
    public void start() throws IOException {
        Files.createDirectories(dir);
        watch = dir.getFileSystem().newWatchService();
        dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
        watcher = new Thread(this::watchLoop, "kvm-device-plugin-watch");
        watcher.setDaemon(true);
        watcher.start();
        loop.execute(this::ensure);
        loop.scheduleWithFixedDelay(this::ensure, recheck.toMillis(), recheck.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void watchLoop() {
        try {
            while (!closed) {
                WatchKey key = watch.take();
                boolean relevant = false;
                for (WatchEvent<?> e : key.pollEvents()) {
                    Object ctx = e.context();
                    String name = ctx == null ? "" : ctx.toString();
                    relevant |= e.kind() == StandardWatchEventKinds.OVERFLOW || name.equals(KUBELET_SOCKET)
                            || name.equals(endpoint);
                }
                key.reset();
                if (relevant && !closed) {
                    loop.execute(this::ensure);
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    /** Our socket served and registered with the kubelet that is there now; run on the loop thread only. */
    private void ensure() {
        if (closed) {
            return;
        }
        try {
            Path socket = dir.resolve(endpoint);
            if (server == null || !Files.exists(socket)) {
                restartServer(socket);
            }
            Path kubelet = dir.resolve(KUBELET_SOCKET);
            if (!Files.exists(kubelet)) {
                registeredWith = null;
                problem("no kubelet socket at " + kubelet + " yet: waiting for the kubelet");
                return;
            }
            Object key = Files.readAttributes(kubelet, java.nio.file.attribute.BasicFileAttributes.class).fileKey();
            if (key == null || !key.equals(registeredWith)) {
                register(kubelet);
                registeredWith = key;
            }
        } catch (IOException | RuntimeException e) {
            registeredWith = null;
            problem(e.getMessage());
        }
    }

    private void problem(String message) {
        if (!message.equals(lastProblem)) {
            LOG.warnf("KVM device plugin: %s", message);
            lastProblem = message;
        }
    }

    private void restartServer(Path socket) throws IOException {
        if (server != null) {
            plugin.closeWatches();
            server.shutdownNow();
            server = null;
            LOG.infof("KVM device plugin: %s was removed (the kubelet restarted?): serving a new socket", socket);
        }
        registeredWith = null;
        Files.deleteIfExists(socket); // ours, left by a driver that was killed
        server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(events).workerEventLoopGroup(events)
                .addService(plugin).build().start();
    }

    private void register(Path kubelet) {
        ManagedChannel ch = NettyChannelBuilder.forAddress(new DomainSocketAddress(kubelet.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(events).overrideAuthority("localhost")
                .usePlaintext().build();
        try {
            RegistrationGrpc.newBlockingStub(ch).withDeadlineAfter(REGISTER_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .register(RegisterRequest.newBuilder().setVersion(API_VERSION).setEndpoint(endpoint)
                            .setResourceName(resourceName).setOptions(DevicePluginOptions.getDefaultInstance()).build());
            registrations++;
            lastProblem = null;
            LOG.infof("KVM device plugin registered with the kubelet: %s (%s devices), socket %s", resourceName,
                    plugin.healthy() ? KvmDevicePlugin.HEALTHY : KvmDevicePlugin.UNHEALTHY, dir.resolve(endpoint));
        } catch (StatusRuntimeException e) {
            throw new IllegalStateException("registration of " + resourceName + " with the kubelet at " + kubelet
                    + " failed: " + e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
                            : ": " + e.getStatus().getDescription()) + "; trying again", e);
        } finally {
            ch.shutdownNow();
        }
    }

    /** How many times the plugin registered with a kubelet (one per kubelet start it saw). */
    public int registrations() {
        return registrations;
    }

    public KvmDevicePlugin plugin() {
        return plugin;
    }

    /** Stops serving and removes our socket; the kubelet sees the device watch end. */
    @Override
    public void close() {
        closed = true;
        try {
            loop.submit(() -> {
                if (server != null) {
                    plugin.closeWatches();
                    server.shutdownNow();
                    server = null;
                }
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.debugf("KVM device plugin: stopping: %s", e.getMessage());
        }
        loop.shutdownNow();
        try {
            if (watch != null) {
                watch.close();
            }
            Files.deleteIfExists(dir.resolve(endpoint));
        } catch (IOException e) {
            LOG.debugf("KVM device plugin: cleaning up: %s", e.getMessage());
        }
        events.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
}
