package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;

/** A disk backing a guest filesystem. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class GuestDisk {
    private String serial;
    private String busType;
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
