package io.agentvisor.api.v1alpha1;

import java.util.UUID;

/**
 * Names of core/v1 Events about our objects: {@code <object name>.<8 random hex>}, the object's name shortened when
 * the whole would pass the 253 characters a name may have (a VM's name may use all 253), never ending the prefix in
 * '.' or '-' (which would make the name invalid).
 */
public final class EventNames {
    static final int MAX = 253;
    static final int SUFFIX = 8;

    private EventNames() {
    }

    public static String of(String object) {
        return of(object, UUID.randomUUID().toString().substring(0, SUFFIX));
    }

    static String of(String object, String suffix) {
        String prefix = object.length() > MAX - 1 - SUFFIX ? object.substring(0, MAX - 1 - SUFFIX) : object;
        int end = prefix.length();
        while (end > 0 && (prefix.charAt(end - 1) == '.' || prefix.charAt(end - 1) == '-')) {
            end--;
        }
        return (end == 0 ? "event" : prefix.substring(0, end)) + "." + suffix;
    }
}
