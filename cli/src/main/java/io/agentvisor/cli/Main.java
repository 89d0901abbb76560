package io.agentvisor.cli;

import java.io.PrintWriter;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code agentvisor}: the top-level command. A new verb is a class annotated with {@code @Command} added to
 * {@code subcommands} below; it returns an {@link ExitCode} from {@code call()}.
 */
@Command(name = "agentvisor", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Virtual machines on Kubernetes with a bounded, observable QEMU guest agent.",
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:success",
            "1:the guest agent answered with an error",
            "2:usage error (bad flag or value, invalid JSON)",
            "3:the guest agent is not responding (timeout)",
            "4:guest agent error or not connected (no socket, EOF, oversize reply)",
            "5:cluster verbs: the Kubernetes API failed or the object does not exist",
            "6:cluster verbs: an object cannot be read (its field named on stderr); all others were printed",
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        int code = run(new PrintWriter(System.out, true), new PrintWriter(System.err, true), System.console() != null,
                args);
        stopHttpSelectors();
        System.exit(code);
    }

    /**
     * The JVM's exit waits up to 300 ms for every thread blocked in native code, and the JDK 17 HTTP client (under
     * fabric8) keeps its selector thread in epoll until the client is garbage: closing the Kubernetes client does
     * not end it. Interrupting that idle thread wakes its selector and ends it; its client is closed already.
     */
    private static void stopHttpSelectors() {
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t != Thread.currentThread() && t.getName().startsWith("HttpClient-")
                    && t.getName().endsWith("-SelectorManager")) {
                t.interrupt();
                try {
                    t.join(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    /** The verbs, in the order {@code --help} lists them. */
    private static final List<String> VERBS = List.of("agent-command", "guestinfo", "guest-agent-timeout", "status",
            "daemon", "help");

    /** A new command object for a verb (a switch: method references would each be linked anew on every start). */
    private static Object verb(String name) {
        switch (name) {
            case "agent-command":
                return new AgentCommandCommand();
            case "guestinfo":
                return new GuestInfoCommand();
            case "guest-agent-timeout":
                return new GuestAgentTimeoutCommand();
            case "status":
                return new StatusCommand();
            case "daemon":
                return new DaemonCommand();
            case "help":
                return new CommandLine.HelpCommand();
            default:
                throw new IllegalArgumentException("no verb " + name);
        }
    }

    /**
     * The command line for these arguments. Picocli builds the model of every registered verb by reflection on
     * each start; when the first argument names a verb, only that verb is registered (its parsing, help and errors
     * are the same either way), otherwise all of them (top-level help, suggestions for a mistyped verb).
     */
    static CommandLine commandLine(String... args) {
        CommandLine cl = new CommandLine(new Main());
        String first = args.length > 0 ? args[0] : null;
        if (first != null && VERBS.contains(first) && !first.equals("help")) {
            cl.addSubcommand(first, verb(first));
        } else {
            for (String name : VERBS) {
                cl.addSubcommand(name, verb(name));
            }
        }
        return cl;
    }

    /**
     * Runs the CLI in-process and returns its exit code: for {@link #main}, a {@link CliDaemon} call and tests.
     * {@code terminal}: whether stdin and stdout are a terminal (help is coloured only then).
     */
    public static int run(PrintWriter out, PrintWriter err, boolean terminal, String... args) {
        CommandLine cl = commandLine(args);
        cl.setOut(out);
        cl.setErr(err);
        cl.setColorScheme(CommandLine.Help.defaultColorScheme(ansi(terminal)));
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        // usage errors: one line on stderr, no usage dump
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            TerminalText.println(c.getErr(), c.getCommandSpec().qualifiedName() + ": " + ex.getMessage()
                    + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            c.getErr().flush();
            return ExitCode.USAGE;
        });
        // a bug must still be one line, never a stack trace
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof Cluster.UnreadableObjectException) {
                TerminalText.println(c.getErr(), "agentvisor: " + ex.getMessage());
                c.getErr().flush();
                return ExitCode.UNREADABLE_OBJECT;
            }
            if (ex instanceof ClusterOptions.ClusterException || isKubernetesClientException(ex)) {
                TerminalText.println(c.getErr(), "agentvisor: " + clusterMessage(ex));
                c.getErr().flush();
                return ExitCode.CLUSTER_ERROR;
            }
            TerminalText.println(c.getErr(), "agentvisor: internal error: " + ex);
            c.getErr().flush();
            return ExitCode.AGENT_ERROR;
        });
        int code = cl.execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /**
     * Picocli's automatic choice on Linux, with the terminal given instead of asked of {@code System.console()}
     * (a daemon's console is not the caller's): NO_COLOR and CLICOLOR_FORCE win, CLICOLOR=0 turns colour off,
     * otherwise colour on a terminal only.
     */
    static CommandLine.Help.Ansi ansi(boolean terminal) {
        if (System.getenv("NO_COLOR") != null) {
            return CommandLine.Help.Ansi.OFF;
        }
        String force = System.getenv("CLICOLOR_FORCE");
        if (force != null && !force.equals("0")) {
            return CommandLine.Help.Ansi.ON;
        }
        if ("0".equals(System.getenv("CLICOLOR")) || "OFF".equals(System.getenv("ConEmuANSI"))) {
            return CommandLine.Help.Ansi.OFF;
        }
        return terminal ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF;
    }

    /** By name: a verb that never touched the cluster must not load the Kubernetes client to find out. */
    private static boolean isKubernetesClientException(Throwable ex) {
        for (Class<?> c = ex.getClass(); c != null; c = c.getSuperclass()) {
            if (c.getName().equals("io.fabric8.kubernetes.client.KubernetesClientException")) {
                return true;
            }
        }
        return false;
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
