package io.agentvisor.helm;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.InstallCommand;
import com.marcnuri.helm.Release;
import com.marcnuri.helm.UpgradeCommand;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntConsumer;

/**
 * {@code bin/helm}: the helm verbs Agentvisor's users and scripts need (install, upgrade --install, uninstall,
 * list, template, lint) with helm's own flags, run by Helm's Go library through helm-java, because Debian ships
 * no helm binary. Anything it does not know is refused with exit code 2, never guessed.
 */
public final class HelmTool {
    private HelmTool() {
    }

    public static void main(String[] args) {
        try {
            System.exit(run(args));
        } catch (UsageException e) {
            System.err.println("helm: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
        } catch (RuntimeException e) {
            System.err.println("helm: " + (e.getMessage() == null ? e.toString() : e.getMessage().strip()));
            System.exit(1);
        }
    }

    static final String USAGE = """
            usage: bin/helm install|upgrade [--install] RELEASE CHART [-n NS] [--create-namespace] [--set K=V]...
                                            [-f VALUES] [--wait] [--timeout SECONDS[s]] [--kubeconfig FILE]
                   bin/helm uninstall RELEASE [-n NS] [--kubeconfig FILE]
                   bin/helm list [-n NS | -A] [--kubeconfig FILE]
                   bin/helm template RELEASE CHART [-n NS] [--set K=V]... [-f VALUES]
                   bin/helm lint CHART""";

    static int run(String[] argv) {
        Args a = Args.parse(argv);
        switch (a.verb) {
            case "install", "upgrade" -> {
                a.expectPositional(2);
                Release r = a.verb.equals("install") && !a.install ? install(a) : upgrade(a);
                System.out.println("Release \"" + r.getName() + "\" in namespace " + r.getNamespace() + ": "
                        + r.getStatus() + " (revision " + r.getRevision() + ")");
                return 0;
            }
            case "uninstall" -> {
                a.expectPositional(1);
                System.out.println(Helm.uninstall(a.positional.get(0)).withNamespace(a.namespace)
                        .withKubeConfig(a.kubeconfig()).call().strip());
                return 0;
            }
            case "list" -> {
                a.expectPositional(0);
                var list = Helm.list().withKubeConfig(a.kubeconfig());
                if (a.allNamespaces) {
                    list.allNamespaces();
                } else {
                    list.withNamespace(a.namespace);
                }
                System.out.printf("%-24s %-20s %-10s %-10s %s%n", "NAME", "NAMESPACE", "REVISION", "STATUS", "CHART");
                for (Release r : list.call()) {
                    System.out.printf("%-24s %-20s %-10s %-10s %s%n", r.getName(), r.getNamespace(), r.getRevision(),
                            r.getStatus(), r.getChart());
                }
                return 0;
            }
            case "template" -> {
                a.expectPositional(2);
                var t = new Helm(chart(a.positional.get(1))).template().withName(a.positional.get(0))
                        .withNamespace(a.namespace);
                a.values.forEach(t::set);
                if (a.valuesFile != null) {
                    throw new UsageException("-f is not supported with template; use --set");
                }
                System.out.print(t.call());
                return 0;
            }
            case "lint" -> {
                a.expectPositional(1);
                var result = new Helm(chart(a.positional.get(0))).lint().call();
                result.getMessages().forEach(System.out::println);
                return result.isFailed() ? 1 : 0;
            }
            default -> throw new UsageException("unknown command '" + a.verb + "'");
        }
    }

    private static Release install(Args a) {
        InstallCommand c = new Helm(chart(a.positional.get(1))).install().withName(a.positional.get(0))
                .withNamespace(a.namespace).withKubeConfig(a.kubeconfig());
        shared(a, c::createNamespace, t -> c.waitReady().withTimeout(t), c::withValuesFile, c::set);
        return c.call();
    }

    private static Release upgrade(Args a) {
        UpgradeCommand c = new Helm(chart(a.positional.get(1))).upgrade().withName(a.positional.get(0))
                .withNamespace(a.namespace).withKubeConfig(a.kubeconfig());
        if (a.install || a.verb.equals("install")) {
            c.install();
        }
        shared(a, c::createNamespace, t -> c.waitReady().withTimeout(t), c::withValuesFile, c::set);
        return c.call();
    }

    /** The options install and upgrade have in common (helm-java's two commands share no type for them). */
    private static void shared(Args a, Runnable createNamespace, IntConsumer waitReady, Consumer<Path> valuesFile,
            BiConsumer<String, Object> set) {
        if (a.createNamespace) {
            createNamespace.run();
        }
        if (a.waitReady) {
            waitReady.accept(a.timeoutSeconds);
        }
        if (a.valuesFile != null) {
            valuesFile.accept(a.valuesFile);
        }
        a.values.forEach(set);
    }

    private static Path chart(String path) {
        Path p = Path.of(path);
        if (!Files.isRegularFile(p.resolve("Chart.yaml"))) {
            throw new UsageException("CHART '" + path + "' is not a chart directory (no Chart.yaml)");
        }
        return p;
    }

    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** helm's own flag spellings; values keep their order (a later --set of the same key wins, as in helm). */
    static final class Args {
        String verb;
        final List<String> positional = new ArrayList<>();
        final Map<String, String> values = new LinkedHashMap<>();
        String namespace = "default";
        boolean createNamespace;
        boolean install;
        boolean waitReady;
        boolean allNamespaces;
        int timeoutSeconds = 300;
        Path valuesFile;
        Path kubeconfig;

        static Args parse(String[] argv) {
            Args a = new Args();
            if (argv.length == 0 || argv[0].equals("-h") || argv[0].equals("--help")) {
                throw new UsageException("a command is required");
            }
            a.verb = argv[0];
            String ns = System.getenv("HELM_NAMESPACE");
            if (ns != null && !ns.isBlank()) {
                a.namespace = ns;
            }
            for (int i = 1; i < argv.length; i++) {
                String arg = argv[i];
                String inline = null;
                int eq = arg.indexOf('=');
                if (arg.startsWith("--") && eq > 0) {
                    inline = arg.substring(eq + 1);
                    arg = arg.substring(0, eq);
                }
                switch (arg) {
                    case "-n", "--namespace" -> a.namespace = inline != null ? inline : next(argv, ++i, arg);
                    case "--create-namespace" -> a.createNamespace = true;
                    case "-i", "--install" -> a.install = true;
                    case "--wait" -> a.waitReady = true;
                    case "-A", "--all-namespaces" -> a.allNamespaces = true;
                    case "--timeout" -> a.timeoutSeconds = seconds(inline != null ? inline : next(argv, ++i, arg));
                    case "-f", "--values" -> a.valuesFile = Path.of(inline != null ? inline : next(argv, ++i, arg));
                    case "--kubeconfig" -> a.kubeconfig = Path.of(inline != null ? inline : next(argv, ++i, arg));
                    case "--set" -> {
                        String kv = inline != null ? inline : next(argv, ++i, arg);
                        int at = kv.indexOf('=');
                        if (at <= 0) {
                            throw new UsageException("--set wants KEY=VALUE, got '" + kv + "'");
                        }
                        a.values.put(kv.substring(0, at), kv.substring(at + 1));
                    }
                    default -> {
                        if (arg.startsWith("-")) {
                            throw new UsageException("unknown flag '" + arg + "'");
                        }
                        a.positional.add(arg);
                    }
                }
            }
            return a;
        }

        Path kubeconfig() {
            if (kubeconfig != null) {
                return kubeconfig;
            }
            String env = System.getenv("KUBECONFIG");
            Path p = env != null && !env.isBlank() ? Path.of(env.split(":")[0])
                    : Path.of(System.getProperty("user.home"), ".kube", "config");
            if (!Files.isRegularFile(p)) {
                throw new UsageException("no kubeconfig at " + p + " (set KUBECONFIG or pass --kubeconfig)");
            }
            return p;
        }

        void expectPositional(int n) {
            if (positional.size() != n) {
                throw new UsageException(verb + " takes " + n + " argument(s), got " + positional);
            }
        }

        private static String next(String[] argv, int i, String flag) {
            if (i >= argv.length) {
                throw new UsageException(flag + " needs a value");
            }
            return argv[i];
        }

        private static int seconds(String s) {
            String digits = s.endsWith("s") ? s.substring(0, s.length() - 1) : s;
            try {
                int v = Integer.parseInt(digits);
                if (v > 0) {
                    return v;
                }
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new UsageException("--timeout wants whole seconds like 300 or 300s, got '" + s + "'");
        }
    }
}
