package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Size;

/** One entry of guest-get-users. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UserStatus {
    @Size(max = Bounds.GUEST_STRING)
    private String userName;
    @Size(max = Bounds.SHORT)
    private String domain;

    @JsonPropertyDescription("Login time, seconds since the epoch.")
    @Min(0)
    @Max(Bounds.EPOCH_SECONDS)
    private Double loginTime;

    public String getUserName() {
        return userName;
    }

    public void setUserName(String userName) {
        this.userName = userName;
    }

    public String getDomain() {
        return domain;
    }

    public void setDomain(String domain) {
        this.domain = domain;
    }

    public Double getLoginTime() {
        return loginTime;
    }

    public void setLoginTime(Double loginTime) {
        this.loginTime = loginTime;
    }
}
