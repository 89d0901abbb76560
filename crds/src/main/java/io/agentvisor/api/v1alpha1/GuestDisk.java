package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.generator.annotation.Size;

/** A disk backing a guest filesystem. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GuestDisk {
    @Size(max = Bounds.SHORT)
    private String serial;
    @Size(max = Bounds.SHORT)
    private String busType;
    @Size(max = Bounds.SHORT)
    private String dev;

    public String getSerial() {
        return serial;
    }

    public void setSerial(String serial) {
        this.serial = serial;
    }

    public String getBusType() {
        return busType;
    }

    public void setBusType(String busType) {
        this.busType = busType;
    }

    public String getDev() {
        return dev;
    }

    public void setDev(String dev) {
        this.dev = dev;
    }
}
