package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import java.util.List;

/** {@code spec.exec} of a GuestCommand: a program run in the guest by qemu-ga's guest-exec. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ExecSpec {

    @JsonPropertyDescription("Absolute path of the program in the guest.")
    @Required
    @Pattern(Patterns.ABSOLUTE_PATH)
    @Size(max = 1024)
    private String path;

    @JsonPropertyDescription("Arguments (argv[1..]).")
    @Size(max = 256)
    private List<@Size(max = 4096) String> args;

    @JsonPropertyDescription("Standard input (text, at most 64 KiB).")
    @Size(max = 65536)
    private String input;

    @JsonPropertyDescription("How long the program may run before the operation fails as not responding (it keeps running in the guest).")
    @Default("60")
    @Min(1)
    @Max(3600)
    private Integer timeoutSeconds;

    public String getPath() {
        return path;
    }

    public void setPath(String path) {
        this.path = path;
    }

    public List<@Size(max = 4096) String> getArgs() {
        return args;
    }

    public void setArgs(List<@Size(max = 4096) String> args) {
        this.args = args;
    }

    public String getInput() {
        return input;
    }

    public void setInput(String input) {
        this.input = input;
    }

    public Integer getTimeoutSeconds() {
        return timeoutSeconds;
    }

    public void setTimeoutSeconds(Integer timeoutSeconds) {
        this.timeoutSeconds = timeoutSeconds;
    }
}
