package io.agentvisor.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code agentvisor daemon status|stop}: the resident CLI JVMs ({@link CliDaemon}) of this user. bin/agentvisor
 * names their directory ({@code -Dagentvisor.cli.runtimeDir}) and runs this verb in a plain JVM.
 */
@Command(name = "daemon", mixinStandardHelpOptions = true,
        description = {"The resident CLI JVMs behind bin/agentvisor (one per working directory and environment; "
            + "each exits after AGENTVISOR_CLI_DAEMON_IDLE seconds without a call, default 600).",
            "AGENTVISOR_CLI_DAEMON=off runs every call in a fresh JVM instead."})
final class DaemonCommand implements Callable<Integer> {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    enum Action { status, stop }

    @Parameters(index = "0", paramLabel = "status|stop", description = "status: list them; stop: end them all")
    Action action;

    /** One daemon as its files describe it. */
    private record Daemon(String key, Path directory, Optional<ProcessHandle> process) {
        Path file(String suffix) {
            return directory.resolve(key + suffix);
        }

        /** Its process, if it still runs and is the daemon of this socket (a pid can be reused). */
        Optional<ProcessHandle> live() {
            String socket = file(CliDaemon.SOCKET_SUFFIX).toString();
            return process.filter(ProcessHandle::isAlive).filter(p -> p.info().arguments()
                    .map(a -> List.of(a).contains(socket)).orElse(false));
        }
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        String dir = System.getProperty("agentvisor.cli.runtimeDir");
        if (dir == null || dir.isBlank()) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "no CLI runtime directory: bin/agentvisor names one from AGENTVISOR_CLI_RUNTIME_DIR, XDG_RUNTIME_DIR or HOME, and none is set");
        }
        List<Daemon> daemons = daemons(Path.of(dir));
        if (action == Action.status) {
            List<String[]> rows = new ArrayList<>();
            rows.add(new String[] {"PID", "AGE", "RSS", "WORKING DIRECTORY"});
            for (Daemon d : daemons) {
                d.live().ifPresent(p -> rows.add(new String[] {Long.toString(p.pid()),
                    p.info().startInstant().map(s -> Ages.human(Duration.between(s, Instant.now()))).orElse("?"),
                    rss(p.pid()), cwd(p.pid())}));
            }
            if (rows.size() == 1) {
                out.println("no CLI daemon running (" + dir + ")");
            } else {
                Tables.print(out, rows);
            }
            return ExitCode.OK;
        }
        int stopped = 0;
        for (Daemon d : daemons) {
            Optional<ProcessHandle> p = d.live();
            if (p.isPresent()) {
                p.get().destroy(); // SIGTERM: its shutdown hook removes its files
                try {
                    p.get().onExit().get(java.util.concurrent.TimeUnit.SECONDS.toMillis(10),
                            java.util.concurrent.TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    p.get().destroyForcibly();
                }
                stopped++;
            }
            for (String suffix : List.of(CliDaemon.SOCKET_SUFFIX, CliDaemon.PID_SUFFIX, CliDaemon.LOG_SUFFIX,
                    CliDaemon.LOCK_SUFFIX)) {
                Files.deleteIfExists(d.file(suffix));
            }
        }
        out.println(stopped == 0 ? "no CLI daemon running (" + dir + ")" : "stopped " + stopped + " CLI daemon"
                + (stopped == 1 ? "" : "s"));
        return ExitCode.OK;
    }

    /** Every daemon with a pid file in the directory (a missing directory has none). */
    private static List<Daemon> daemons(Path dir) throws IOException {
        List<Daemon> found = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return found;
        }
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(CliDaemon.PID_SUFFIX)) {
                    continue;
                }
                String key = name.substring(0, name.length() - CliDaemon.PID_SUFFIX.length());
                Optional<ProcessHandle> process;
                try {
                    process = ProcessHandle.of(Long.parseLong(Files.readString(f).strip()));
                } catch (IOException | NumberFormatException e) {
                    process = Optional.empty();
                }
                found.add(new Daemon(key, dir, process));
            }
        }
        return found;
    }

    private static String rss(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    return (kib / 1024) + "Mi";
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone meanwhile
        }
        return "?";
    }

    private static String cwd(long pid) {
        try {
            return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "cwd")).toString();
        } catch (IOException e) {
            return "?";
        }
    }
}
