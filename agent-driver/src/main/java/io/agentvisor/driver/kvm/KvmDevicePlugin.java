package io.agentvisor.driver.kvm;

import io.agentvisor.driver.kvm.v1beta1.AllocateRequest;
import io.agentvisor.driver.kvm.v1beta1.AllocateResponse;
import io.agentvisor.driver.kvm.v1beta1.ContainerAllocateRequest;
import io.agentvisor.driver.kvm.v1beta1.ContainerAllocateResponse;
import io.agentvisor.driver.kvm.v1beta1.ContainerPreferredAllocationRequest;
import io.agentvisor.driver.kvm.v1beta1.ContainerPreferredAllocationResponse;
import io.agentvisor.driver.kvm.v1beta1.Device;
import io.agentvisor.driver.kvm.v1beta1.DevicePluginGrpc;
import io.agentvisor.driver.kvm.v1beta1.DevicePluginOptions;
import io.agentvisor.driver.kvm.v1beta1.DeviceSpec;
import io.agentvisor.driver.kvm.v1beta1.Empty;
import io.agentvisor.driver.kvm.v1beta1.ListAndWatchResponse;
import io.agentvisor.driver.kvm.v1beta1.PreStartContainerRequest;
import io.agentvisor.driver.kvm.v1beta1.PreStartContainerResponse;
import io.agentvisor.driver.kvm.v1beta1.PreferredAllocationRequest;
import io.agentvisor.driver.kvm.v1beta1.PreferredAllocationResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.jboss.logging.Logger;

/**
 * The kubelet's side of the KVM resource (device plugin API v1beta1): a fixed number of interchangeable devices
 * ({@code kvm-0} ... {@code kvm-<n-1>}), each of which stands for "may open /dev/kvm". KVM is not a device one
 * VM holds exclusively: the count only bounds how many KVM VM pods the node admits (KubeVirt offers 1,000).
 *
 * <p>Every device is Healthy while KVM is usable on the node and Unhealthy when it stops being usable: the kubelet
 * then counts none of them allocatable, so no new VM pod that asks for KVM is admitted here, while pods already
 * running keep what they have. Allocate gives each container {@code /dev/kvm} with cgroup permissions {@code rw}
 * (the runtime creates the device node and allows it in the container's device cgroup).
 */
public final class KvmDevicePlugin extends DevicePluginGrpc.DevicePluginImplBase {
    private static final Logger LOG = Logger.getLogger(KvmDevicePlugin.class);

    public static final String HEALTHY = "Healthy";
    public static final String UNHEALTHY = "Unhealthy";
    public static final String DEVICE_ID_PREFIX = "kvm-";
    /** The most devices one node offers (the kubelet keeps one entry per device in its checkpoint). */
    public static final int MAX_DEVICES = 10_000;

    private final int count;
    private final String devicePath;
    private volatile boolean healthy;
    private final List<ServerCallStreamObserver<ListAndWatchResponse>> watchers = new CopyOnWriteArrayList<>();

    /**
     * @param count      how many devices to offer (1..{@value #MAX_DEVICES})
     * @param devicePath the host's KVM device, given to containers at the same path
     * @param healthy    whether KVM is usable now
     */
    public KvmDevicePlugin(int count, String devicePath, boolean healthy) {
        if (count < 1 || count > MAX_DEVICES) {
            throw new IllegalArgumentException("agentvisor.driver.kvm.device-count: " + count + " is not between 1 and "
                    + MAX_DEVICES);
        }
        if (devicePath == null || !devicePath.startsWith("/")) {
            throw new IllegalArgumentException("agentvisor.driver.kvm-device: \"" + devicePath
                    + "\" is not an absolute path");
        }
        this.count = count;
        this.devicePath = devicePath;
        this.healthy = healthy;
    }

    public boolean healthy() {
        return healthy;
    }

    /** Marks every device Healthy or Unhealthy and tells every kubelet watching (a no-op when unchanged). */
    public void setHealthy(boolean healthy) {
        if (this.healthy == healthy) {
            return;
        }
        this.healthy = healthy;
        ListAndWatchResponse list = deviceList();
        for (ServerCallStreamObserver<ListAndWatchResponse> w : watchers) {
            send(w, list);
        }
    }

    /** The devices as the kubelet sees them now. */
    public ListAndWatchResponse deviceList() {
        String health = healthy ? HEALTHY : UNHEALTHY;
        ListAndWatchResponse.Builder b = ListAndWatchResponse.newBuilder();
        for (int i = 0; i < count; i++) {
            b.addDevices(Device.newBuilder().setID(DEVICE_ID_PREFIX + i).setHealth(health));
        }
        return b.build();
    }

    /** Kubelets currently watching the device list (one per kubelet connection). */
    public int watchers() {
        return watchers.size();
    }

    @Override
    public void getDevicePluginOptions(Empty request, StreamObserver<DevicePluginOptions> response) {
        response.onNext(DevicePluginOptions.newBuilder().setPreStartRequired(false)
                .setGetPreferredAllocationAvailable(false).build());
        response.onCompleted();
    }

    @Override
    public void listAndWatch(Empty request, StreamObserver<ListAndWatchResponse> response) {
        ServerCallStreamObserver<ListAndWatchResponse> w = (ServerCallStreamObserver<ListAndWatchResponse>) response;
        w.setOnCancelHandler(() -> watchers.remove(w));
        watchers.add(w);
        send(w, deviceList());
        LOG.debugf("kubelet watches the KVM devices (%d device(s), %s)", count, healthy ? HEALTHY : UNHEALTHY);
    }

    private static void send(ServerCallStreamObserver<ListAndWatchResponse> w, ListAndWatchResponse list) {
        synchronized (w) {
            if (w.isCancelled()) {
                return;
            }
            try {
                w.onNext(list);
            } catch (RuntimeException e) {
                LOG.debugf("a kubelet's device watch went away: %s", e.getMessage());
            }
        }
    }

    @Override
    public void allocate(AllocateRequest request, StreamObserver<AllocateResponse> response) {
        try {
            response.onNext(allocate(request));
            response.onCompleted();
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    /**
     * One response per container: {@code /dev/kvm} read-write. Device IDs this plugin never offered, or a request
     * while KVM is not usable, are refused (the kubelet then fails the pod's admission with this message).
     */
    public AllocateResponse allocate(AllocateRequest request) {
        if (!healthy) {
            throw new IllegalArgumentException("KVM is not usable on this node any more; its devices are Unhealthy");
        }
        AllocateResponse.Builder b = AllocateResponse.newBuilder();
        for (ContainerAllocateRequest c : request.getContainerRequestsList()) {
            for (String id : c.getDevicesIDsList()) {
                if (!known(id)) {
                    throw new IllegalArgumentException("device \"" + id + "\" is not one of " + DEVICE_ID_PREFIX + "0.."
                            + DEVICE_ID_PREFIX + (count - 1));
                }
            }
            b.addContainerResponses(ContainerAllocateResponse.newBuilder().addDevices(DeviceSpec.newBuilder()
                    .setHostPath(devicePath).setContainerPath(devicePath).setPermissions("rw")));
        }
        return b.build();
    }

    private boolean known(String id) {
        if (!id.startsWith(DEVICE_ID_PREFIX)) {
            return false;
        }
        String n = id.substring(DEVICE_ID_PREFIX.length());
        if (n.isEmpty() || n.length() > 5 || !n.chars().allMatch(Character::isDigit) || (n.length() > 1 && n.charAt(0) == '0')) {
            return false;
        }
        return Integer.parseInt(n) < count;
    }

    /** Not announced in the options (any device is as good as another), answered anyway: the first ones asked. */
    @Override
    public void getPreferredAllocation(PreferredAllocationRequest request,
            StreamObserver<PreferredAllocationResponse> response) {
        PreferredAllocationResponse.Builder b = PreferredAllocationResponse.newBuilder();
        for (ContainerPreferredAllocationRequest c : request.getContainerRequestsList()) {
            Set<String> pick = new LinkedHashSet<>(c.getMustIncludeDeviceIDsList());
            List<String> available = new ArrayList<>(c.getAvailableDeviceIDsList());
            for (String id : available) {
                if (pick.size() >= c.getAllocationSize()) {
                    break;
                }
                pick.add(id);
            }
            b.addContainerResponses(ContainerPreferredAllocationResponse.newBuilder().addAllDeviceIDs(pick));
        }
        response.onNext(b.build());
        response.onCompleted();
    }

    @Override
    public void preStartContainer(PreStartContainerRequest request, StreamObserver<PreStartContainerResponse> response) {
        response.onNext(PreStartContainerResponse.getDefaultInstance());
        response.onCompleted();
    }

    /** Ends every watch (the server is going away; the kubelet will see the stream end). */
    void closeWatches() {
        for (ServerCallStreamObserver<ListAndWatchResponse> w : watchers) {
            synchronized (w) {
                try {
                    if (!w.isCancelled()) {
                        w.onCompleted();
                    }
                } catch (RuntimeException ignored) {
                    // already gone
                }
            }
        }
        watchers.clear();
    }
}
