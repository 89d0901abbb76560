package io.agentvisor.driver.lifecycle;

/** spec.runStrategy with KubeVirt's meanings (mapped by name from the API enum). */
public enum Strategy {
    Always, Halted, RerunOnFailure, Manual, Once
}
