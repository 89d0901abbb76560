package io.agentvisor.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** One entry of guest-get-users. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class UserStatus {
    private String userName;
    private String domain;

    @JsonPropertyDescription("Login time, seconds since the epoch.")
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
