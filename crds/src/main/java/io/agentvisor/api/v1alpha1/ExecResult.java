package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;

/** {@code status.exec}: how the program ended and what it wrote (bounded). */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class ExecResult {

    @JsonPropertyDescription("Exit code (guest-exec-status exitcode).")
    @Min(0)
    @Max(255)
    private Integer exitCode;

    @JsonPropertyDescription("The signal that ended it, if any.")
    @Min(0)
    @Max(128)
    private Integer signal;

    @JsonPropertyDescription("Standard output (UTF-8, at most 16 KiB); absent when the program wrote none.")
    @Size(max = Bounds.EXEC_OUTPUT)
    private String stdout;

    @JsonPropertyDescription("Standard error (UTF-8, at most 16 KiB); absent when the program wrote none.")
    @Size(max = Bounds.EXEC_OUTPUT)
    private String stderr;

    @JsonPropertyDescription("Output was cut to the bounds (by the driver or by qemu-ga).")
    private Boolean truncated;

    public Integer getExitCode() {
        return exitCode;
    }

    public void setExitCode(Integer exitCode) {
        this.exitCode = exitCode;
    }

    public Integer getSignal() {
        return signal;
    }

    public void setSignal(Integer signal) {
        this.signal = signal;
    }

    public String getStdout() {
        return stdout;
    }

    public void setStdout(String stdout) {
        this.stdout = stdout;
    }

    public String getStderr() {
        return stderr;
    }

    public void setStderr(String stderr) {
        this.stderr = stderr;
    }

    public Boolean getTruncated() {
        return truncated;
    }

    public void setTruncated(Boolean truncated) {
        this.truncated = truncated;
    }
}
