package io.agentvisor.testsupport;

import io.fabric8.kubernetes.client.KubernetesClient;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * {@code @ExtendWith(KubeApiServerExtension.class)}: injects the run's real control plane
 * ({@link KubeApiServer}) or its shared {@link KubernetesClient} into test constructors, methods and lifecycle
 * methods. The control plane is started once per test JVM, however many test classes use it.
 */
public final class KubeApiServerExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == KubeApiServer.class || type == KubernetesClient.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        KubeApiServer server = KubeApiServer.shared();
        return parameter.getParameter().getType() == KubeApiServer.class ? server : server.client();
    }
}
