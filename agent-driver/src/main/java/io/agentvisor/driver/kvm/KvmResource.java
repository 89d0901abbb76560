package io.agentvisor.driver.kvm;

import io.agentvisor.api.v1alpha1.VmPods;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import org.jboss.logging.Logger;

/**
 * Whether this node offers {@link VmPods#KVM_RESOURCE}, following the KVM probe: the device plugin starts the first
 * time the probe passes, its devices turn Unhealthy when a later probe fails (the kubelet then admits no new KVM
 * pod here) and Healthy again when one passes. A node whose probe never passed never offers the resource.
 */
public final class KvmResource implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KvmResource.class);
    /** Our socket in the kubelet's device-plugins directory. */
    public static final String ENDPOINT = "agentvisor-kvm.sock";
    static final Duration RECHECK = Duration.ofSeconds(10);

    private final Path dir;
    private final String kvmDevice;
    private final int deviceCount;
    private final boolean assumeAvailable;
    private DevicePluginServer server;
    private boolean closed;

    /**
     * @param dir             the kubelet's device-plugins directory
     * @param kvmDevice       the KVM device given to containers
     * @param deviceCount     how many devices to offer
     * @param assumeAvailable for tests only: offer KVM whatever the probe says
     */
    public KvmResource(Path dir, String kvmDevice, int deviceCount, boolean assumeAvailable) {
        // checks the values now (a bad setting stops the driver at start, not at the first probe)
        new KvmDevicePlugin(deviceCount, kvmDevice, false);
        this.dir = dir;
        this.kvmDevice = kvmDevice;
        this.deviceCount = deviceCount;
        this.assumeAvailable = assumeAvailable;
    }

    /** The probe's latest verdict. */
    public synchronized void probed(boolean works, String reason) {
        if (closed) {
            return;
        }
        boolean offer = works || assumeAvailable;
        if (!works && assumeAvailable) {
            LOG.warnf("KVM device plugin: offering %s although the KVM probe failed, because "
                    + "agentvisor.driver.kvm.test-only-assume-available is set (for tests only; VM pods under KVM "
                    + "will fail here): %s", VmPods.KVM_RESOURCE, reason);
        }
        if (server == null) {
            if (!offer) {
                return;
            }
            DevicePluginServer s = null;
            try {
                s = new DevicePluginServer(dir, ENDPOINT, VmPods.KVM_RESOURCE,
                        new KvmDevicePlugin(deviceCount, kvmDevice, true), RECHECK);
                s.start();
            } catch (IOException | RuntimeException e) {
                if (s != null) {
                    s.close();
                }
                LOG.errorf("KVM device plugin: cannot serve in %s: %s; %s is not offered", dir, e.getMessage(),
                        VmPods.KVM_RESOURCE);
                return;
            }
            server = s;
            LOG.infof("KVM device plugin: offering %d x %s in %s", deviceCount, VmPods.KVM_RESOURCE, dir);
            return;
        }
        if (server.plugin().healthy() != offer) {
            LOG.infof("KVM device plugin: %s devices are now %s (%s)", VmPods.KVM_RESOURCE,
                    offer ? KvmDevicePlugin.HEALTHY : KvmDevicePlugin.UNHEALTHY, reason);
        }
        server.plugin().setHealthy(offer);
    }

    /** The plugin's server, null while the resource is not offered. */
    public synchronized DevicePluginServer server() {
        return server;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (server != null) {
            server.close();
            server = null;
        }
    }
}
