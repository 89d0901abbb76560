package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

/** {@code spec} of a GuestCommand: a raw agent command or a program run in the guest. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@io.fabric8.crdv2.generator.v1.SchemaCustomizer(value = IntOrStringRules.class, input = Patterns.OPERATION_TIMEOUT_RULE)
public class GuestCommandSpec extends AgentOperationSpec {

    @JsonPropertyDescription("AgentCommand (spec.command, any qemu-ga command) or Exec (spec.exec).")
    @Required
    private GuestCommandOperation operation;

    @JsonPropertyDescription("AgentCommand: the request, a JSON object like {\"execute\":\"guest-ping\"}.")
    @Size(max = 65536)
    private String command;

    @JsonPropertyDescription("Exec: the program.")
    private ExecSpec exec;

    public GuestCommandOperation getOperation() {
        return operation;
    }

    public void setOperation(GuestCommandOperation operation) {
        this.operation = operation;
    }

    public String getCommand() {
        return command;
    }

    public void setCommand(String command) {
        this.command = command;
    }

    public ExecSpec getExec() {
        return exec;
    }

    public void setExec(ExecSpec exec) {
        this.exec = exec;
    }
}
