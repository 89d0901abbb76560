package io.agentvisor.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code agentvisor}: the top-level command. A new verb is a class annotated with {@code @Command} added to
 * {@code subcommands} below; it returns an {@link ExitCode} from {@code call()}.
 */
@Command(name = "agentvisor", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Virtual machines on Kubernetes with a bounded, observable QEMU guest agent.",
        subcommands = {
            AgentCommandCommand.class,
            GuestInfoCommand.class,
            GuestAgentTimeoutCommand.class,
            StatusCommand.class,
            CommandLine.HelpCommand.class,
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:the guest agent answered with an error",
            "2:usage error (bad flag or value, invalid JSON)",
            "3:the guest agent is not responding (timeout)",
            "4:guest agent error or not connected (no socket, EOF, oversize reply)",
            "5:cluster verbs: the Kubernetes API failed or the object does not exist",
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), args));
    }

    /** Runs the CLI in-process and returns its exit code (tests use this). */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new Main());
        cl.setOut(out);
        cl.setErr(err);
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // usage errors: one line on stderr, no usage dump
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(c.getCommandSpec().qualifiedName() + ": " + ex.getMessage()
                    + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return ExitCode.USAGE;
        });
        // a bug must still be one line, never a stack trace
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof ClusterOptions.ClusterException
                    || ex instanceof io.fabric8.kubernetes.client.KubernetesClientException) {
                c.getErr().println("agentvisor: " + clusterMessage(ex));
                c.getErr().flush();
                return ExitCode.CLUSTER_ERROR;
            }
            c.getErr().println("agentvisor: internal error: " + ex);
            c.getErr().flush();
            return ExitCode.AGENT_ERROR;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The first line of what the API said, without fabric8's request dump. */
    private static String clusterMessage(Exception ex) {
        if (ex instanceof io.fabric8.kubernetes.client.KubernetesClientException k && k.getStatus() != null
                && k.getStatus().getMessage() != null) {
            return k.getStatus().getMessage();
        }
        Throwable root = ex;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String m = ex.getMessage() == null ? ex.toString() : ex.getMessage().lines().findFirst().orElse("");
        return root != ex && root.getMessage() != null ? m + " (" + root.getMessage() + ")" : m;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"agentvisor " + (v == null ? "(development build)" : v)};
        }
    }
}
