package io.agentvisor.driver.kvm;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.agentvisor.driver.kvm.v1beta1.AllocateRequest;
import io.agentvisor.driver.kvm.v1beta1.AllocateResponse;
import io.agentvisor.driver.kvm.v1beta1.ContainerAllocateRequest;
import io.agentvisor.driver.kvm.v1beta1.DevicePluginGrpc;
import io.agentvisor.driver.kvm.v1beta1.DevicePluginOptions;
import io.agentvisor.driver.kvm.v1beta1.Empty;
import io.agentvisor.driver.kvm.v1beta1.ListAndWatchResponse;
import io.agentvisor.driver.kvm.v1beta1.RegisterRequest;
import io.agentvisor.driver.kvm.v1beta1.RegistrationGrpc;
import io.agentvisor.testsupport.Repo;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The plugin's gRPC round trip over unix sockets against a stand-in for the kubelet's side that speaks the real
 * v1beta1 API (the Registration service on kubelet.sock, then calls to the plugin's own socket, as the kubelet's
 * device manager does). The real kubelet is the e2e suite's (KvmDevicePluginIT there).
 */
class KvmDevicePluginIT {
    Path dir;
    EventLoopGroup events;
    FakeKubelet kubelet;

    @BeforeEach
    void setUp() throws Exception {
        dir = Repo.shortTempDir("avdpit");
        events = new EpollEventLoopGroup(1);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (kubelet != null) {
            kubelet.close();
        }
        events.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
        Repo.deleteRecursively(dir);
    }

    /** The kubelet's registration service: records each Register, refuses what the kubelet refuses. */
    final class FakeKubelet implements AutoCloseable {
        final BlockingQueue<RegisterRequest> registered = new LinkedBlockingQueue<>();
        final Server server;

        FakeKubelet() throws Exception {
            server = NettyServerBuilder.forAddress(new DomainSocketAddress(dir.resolve("kubelet.sock").toString()))
                    .channelType(EpollServerDomainSocketChannel.class).bossEventLoopGroup(events)
                    .workerEventLoopGroup(events).addService(new RegistrationGrpc.RegistrationImplBase() {
                        @Override
                        public void register(RegisterRequest r, StreamObserver<Empty> response) {
                            if (!r.getVersion().equals("v1beta1")) {
                                response.onError(Status.UNKNOWN.withDescription("unsupported version").asException());
                                return;
                            }
                            registered.add(r);
                            response.onNext(Empty.getDefaultInstance());
                            response.onCompleted();
                        }
                    }).build().start();
        }

        /** The kubelet's side of a registered plugin: a client on the socket the plugin named. */
        ManagedChannel dial(RegisterRequest r) {
            return NettyChannelBuilder.forAddress(new DomainSocketAddress(dir.resolve(r.getEndpoint()).toString()))
                    .channelType(EpollDomainSocketChannel.class).eventLoopGroup(events).overrideAuthority("localhost")
                    .usePlaintext().build();
        }

        RegisterRequest nextRegistration() throws InterruptedException {
            RegisterRequest r = registered.poll(30, TimeUnit.SECONDS);
            assertTrue(r != null, "the plugin registered within 30 s");
            return r;
        }

        @Override
        public void close() throws Exception {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void registersListsAllocatesAndFollowsHealthAndKubeletRestarts() throws Exception {
        kubelet = new FakeKubelet();
        KvmDevicePlugin plugin = new KvmDevicePlugin(1000, "/dev/kvm", true);
        try (DevicePluginServer s = new DevicePluginServer(dir, "agentvisor-kvm.sock", "devices.agentvisor.io/kvm",
                plugin, Duration.ofSeconds(2))) {
            s.start();
            RegisterRequest r = kubelet.nextRegistration();
            assertEquals("v1beta1", r.getVersion());
            assertEquals("agentvisor-kvm.sock", r.getEndpoint());
            assertEquals("devices.agentvisor.io/kvm", r.getResourceName());
            assertFalse(r.getOptions().getPreStartRequired());

            ManagedChannel ch = kubelet.dial(r);
            try {
                DevicePluginGrpc.DevicePluginBlockingStub stub = DevicePluginGrpc.newBlockingStub(ch);
                DevicePluginOptions o = stub.getDevicePluginOptions(Empty.getDefaultInstance());
                assertFalse(o.getPreStartRequired());
                assertFalse(o.getGetPreferredAllocationAvailable());

                BlockingQueue<ListAndWatchResponse> lists = new LinkedBlockingQueue<>();
                DevicePluginGrpc.newStub(ch).listAndWatch(Empty.getDefaultInstance(), collect(lists));
                ListAndWatchResponse first = lists.poll(10, TimeUnit.SECONDS);
                assertEquals(1000, first.getDevicesCount());
                assertTrue(first.getDevicesList().stream().allMatch(d -> d.getHealth().equals("Healthy")));

                AllocateResponse a = stub.allocate(AllocateRequest.newBuilder().addContainerRequests(
                        ContainerAllocateRequest.newBuilder().addDevicesIDs("kvm-42")).build());
                assertEquals("/dev/kvm", a.getContainerResponses(0).getDevices(0).getHostPath());
                assertEquals("rw", a.getContainerResponses(0).getDevices(0).getPermissions());
                StatusRuntimeException bad = assertThrows(StatusRuntimeException.class,
                        () -> stub.allocate(AllocateRequest.newBuilder().addContainerRequests(
                                ContainerAllocateRequest.newBuilder().addDevicesIDs("kvm-1000")).build()));
                assertEquals(Status.Code.INVALID_ARGUMENT, bad.getStatus().getCode());
                assertTrue(bad.getStatus().getDescription().contains("\"kvm-1000\""), bad.getStatus().getDescription());

                // the probe stops passing: the watching kubelet gets the devices as Unhealthy, then Healthy again
                plugin.setHealthy(false);
                ListAndWatchResponse sick = lists.poll(10, TimeUnit.SECONDS);
                assertEquals(1000, sick.getDevicesCount());
                assertTrue(sick.getDevicesList().stream().allMatch(d -> d.getHealth().equals("Unhealthy")));
                plugin.setHealthy(true);
                assertTrue(lists.poll(10, TimeUnit.SECONDS).getDevicesList().stream()
                        .allMatch(d -> d.getHealth().equals("Healthy")));
            } finally {
                ch.shutdownNow();
            }

            // the kubelet restarts: it removes every socket in the directory (the plugin's too), then serves a new
            // kubelet.sock; the plugin must serve again and register with the new kubelet
            kubelet.close();
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            kubelet = new FakeKubelet();
            RegisterRequest again = kubelet.nextRegistration();
            assertEquals("devices.agentvisor.io/kvm", again.getResourceName());
            await().atMost(Duration.ofSeconds(10)).until(() -> s.registrations() == 2);
            ManagedChannel ch2 = kubelet.dial(again);
            try {
                assertEquals(1000, DevicePluginGrpc.newBlockingStub(ch2).listAndWatch(Empty.getDefaultInstance()).next()
                        .getDevicesCount());
            } finally {
                ch2.shutdownNow();
            }
        }
        assertFalse(Files.exists(dir.resolve("agentvisor-kvm.sock")), "the plugin removes its socket when it stops");
    }

    @Test
    void waitsForAKubeletThatIsNotThereYet() throws Exception {
        KvmDevicePlugin plugin = new KvmDevicePlugin(2, "/dev/kvm", true);
        try (DevicePluginServer s = new DevicePluginServer(dir, "agentvisor-kvm.sock", "devices.agentvisor.io/kvm",
                plugin, Duration.ofSeconds(2))) {
            s.start();
            await().atMost(Duration.ofSeconds(10)).until(() -> Files.exists(dir.resolve("agentvisor-kvm.sock")));
            assertEquals(0, s.registrations());
            kubelet = new FakeKubelet();
            assertEquals("devices.agentvisor.io/kvm", kubelet.nextRegistration().getResourceName());
        }
    }

    private static <T> StreamObserver<T> collect(BlockingQueue<T> into) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                into.add(value);
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        };
    }
}
