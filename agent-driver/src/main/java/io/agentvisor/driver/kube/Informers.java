package io.agentvisor.driver.kube;

import io.fabric8.kubernetes.client.dsl.Informable;
import io.fabric8.kubernetes.client.informers.ExceptionHandler;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;

/**
 * The driver's informers: like {@link Informable#inform(ResourceEventHandler, long)} (no resync; returns once the
 * first list is in), except that a failed list or watch is retried also before that first list: fabric8 stops an
 * informer whose first list fails, and a driver that exits because the API failed once while it started helps
 * nobody. Only an object that cannot be read at all still stops it, as before.
 */
final class Informers {
    private Informers() {
    }

    static <T> SharedIndexInformer<T> inform(Informable<T> source, ResourceEventHandler<? super T> handler) {
        SharedIndexInformer<T> informer = source.runnableInformer(0);
        informer.exceptionHandler((started, t) -> !ExceptionHandler.isDeserializationException(t));
        informer.addEventHandler(handler);
        return informer.run();
    }
}
