package io.agentvisor.qmp;

/** A QMP call that did not succeed: timed out, the connection failed, or QEMU answered with an error. */
public class QmpException extends Exception {
    public QmpException(String message) {
        super(message);
    }

    public QmpException(String message, Throwable cause) {
        super(message, cause);
    }
}
