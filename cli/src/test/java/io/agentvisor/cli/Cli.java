package io.agentvisor.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the CLI in-process and keeps what it printed. */
record Cli(int exit, String out, String err) {

    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(err), false, args);
        return new Cli(code, out.toString(), err.toString());
    }

    /** Errors are one line on stderr, never a stack trace. */
    Cli assertOneLineError(int expectedExit) {
        assertEquals(expectedExit, exit, this::toString);
        assertEquals(1, err.strip().lines().count(), this::toString);
        assertFalse(err.contains("Exception") || err.contains("\tat "), this::toString);
        return this;
    }
}
