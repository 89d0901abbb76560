package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;

@JsonInclude(JsonInclude.Include.NON_NULL)
public class Disk {

    @JsonPropertyDescription("Disk name, a DNS label unique within the VM.")
    @Required
    @Pattern(Patterns.DNS_LABEL)
    private String name;

    @JsonPropertyDescription("Absolute path of the image on the node, inside an allowed image directory.")
    @Required
    @Pattern(Patterns.ABSOLUTE_PATH)
    private String path;

    @JsonPropertyDescription("Image format: raw or qcow2.")
    @Default("raw")
    private DiskFormat format;

    @JsonPropertyDescription("Attach the disk read-only.")
    @Default("false")
    private Boolean readOnly;

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public DiskFormat getFormat() {
        return format;
    }

    public void setFormat(DiskFormat format) {
        this.format = format;
    }

    public Boolean getReadOnly() {
        return readOnly;
    }

    public void setReadOnly(Boolean readOnly) {
        this.readOnly = readOnly;
    }
}
