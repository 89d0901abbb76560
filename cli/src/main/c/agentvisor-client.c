/*
 * agentvisor-client: the native front of bin/agentvisor. It hands the call to a resident CLI JVM
 * (io.agentvisor.cli.CliDaemon) over a unix socket and copies back its output and exit code, so a verb costs a
 * connect instead of a JVM start, class loading and TLS set-up. It starts that JVM when none serves this caller
 * yet, and runs a plain JVM for the call (what bin/agentvisor does with AGENTVISOR_CLI_DAEMON=off) whenever the
 * daemon cannot be used: nothing about a verb's output or exit code depends on which way it ran.
 *
 * One daemon serves one caller context: user, jar (path, size, mtime), JVM options, working directory and the
 * whole environment (kubeconfig lookup, exec credential plugins and tokens all read it). The socket's name is a
 * hash of that context and the daemon compares the request's context with its own before it runs anything.
 * The wire protocol is described in CliDaemon.java.
 *
 * usage: agentvisor-client RUNTIME_DIR JAR N JVM_OPTION*N ARG...
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define DAEMON_CLASS "io.agentvisor.cli.CliDaemon"
#define START_WAIT_MS 30000 /* a cold JVM on a loaded machine; the call runs without the daemon after that */
#define MAX_FRAME (16u << 20)

static const char *jar;
static char **jvm_options;
static int jvm_count;
static char **args;
static int arg_count;

/* The call without the daemon: exactly what bin/agentvisor runs when the daemon is off. */
static void run_direct(void) {
    char **argv = calloc((size_t) jvm_count + arg_count + 4, sizeof(char *));
    if (argv == NULL) {
        perror("agentvisor");
        exit(4);
    }
    int n = 0;
    argv[n++] = "java";
    for (int i = 0; i < jvm_count; i++) argv[n++] = jvm_options[i];
    argv[n++] = "-jar";
    argv[n++] = (char *) jar;
    for (int i = 0; i < arg_count; i++) argv[n++] = args[i];
    argv[n] = NULL;
    execvp("java", argv);
    fprintf(stderr, "agentvisor: cannot run java: %s\n", strerror(errno));
    exit(4);
}

/* ---- the context hash: two 64-bit FNV-1a streams with different offsets, 128 bits as 32 hex digits ---- */
static uint64_t h1 = 0xcbf29ce484222325ULL, h2 = 0x84222325cbf29ce4ULL;

static void hash_bytes(const void *data, size_t len) {
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h1 = (h1 ^ p[i]) * 0x100000001b3ULL;
        h2 = (h2 ^ p[i]) * 0x100000001b3ULL;
        h2 ^= h2 >> 29;
    }
}

static void hash_string(const char *s) { hash_bytes(s, strlen(s) + 1); }

/* Bash sets "_" to the path of each program it runs: it says nothing about the caller. */
static int ignored_variable(const char *entry) { return strncmp(entry, "_=", 2) == 0; }

/* ---- the request ---- */
struct buffer {
    unsigned char *data;
    size_t length, capacity;
};

static void put(struct buffer *b, const void *data, size_t len) {
    if (b->length + len > b->capacity) {
        size_t capacity = b->capacity ? b->capacity : 4096;
        while (capacity < b->length + len) capacity *= 2;
        unsigned char *grown = realloc(b->data, capacity);
        if (grown == NULL) run_direct();
        b->data = grown;
        b->capacity = capacity;
    }
    memcpy(b->data + b->length, data, len);
    b->length += len;
}

static void put_u32(struct buffer *b, uint32_t v) {
    unsigned char be[4] = {v >> 24, v >> 16, v >> 8, v};
    put(b, be, 4);
}

static void put_string(struct buffer *b, const char *s) {
    size_t len = strlen(s);
    put_u32(b, (uint32_t) len);
    put(b, s, len);
}

static int write_all(int fd, const void *data, size_t len) {
    const unsigned char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

static int read_all(int fd, void *data, size_t len) {
    unsigned char *p = data;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return -1;
        p += n;
        len -= (size_t) n;
    }
    return 0;
}

static int connect_to(const char *path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    strcpy(address.sun_path, path); /* length checked by the caller */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr *) &address, sizeof address) == 0) return fd;
    close(fd);
    return -1;
}

static void sleep_ms(long ms) {
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {
    }
}

/* Starts the daemon for this context in its own session, detached from the caller's terminal and files. */
static pid_t start_daemon(const char *socket_path, const char *log_path) {
    pid_t pid = fork();
    if (pid != 0) return pid;
    setsid();
    int in = open("/dev/null", O_RDONLY);
    int log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || log < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0) _exit(127);
    /* the caller's other descriptors (a script's pipes, make's job server) must not live as long as the daemon */
    if (syscall(SYS_close_range, 3U, ~0U, 0) != 0) {
        for (int fd = 3; fd < 65536; fd++) close(fd);
    }
    char **argv = calloc((size_t) jvm_count + 9, sizeof(char *));
    if (argv == NULL) _exit(127);
    int n = 0;
    argv[n++] = "java";
    /* a resident JVM keeps a small heap that shrinks back between calls (~100 MiB resident instead of ~170);
       before the caller's options, which win */
    argv[n++] = "-Xms8m";
    argv[n++] = "-XX:MinHeapFreeRatio=10";
    argv[n++] = "-XX:MaxHeapFreeRatio=20";
    for (int i = 0; i < jvm_count; i++) argv[n++] = jvm_options[i];
    argv[n++] = "-cp";
    argv[n++] = (char *) jar;
    argv[n++] = DAEMON_CLASS;
    argv[n++] = (char *) socket_path;
    argv[n] = NULL;
    execvp("java", argv);
    _exit(127);
}

/* Connects to this context's daemon, starting it first if none answers; -1 if it cannot be had in time. */
static int daemon_connection(const char *socket_path, const char *log_path) {
    int fd = connect_to(socket_path);
    if (fd >= 0) return fd;
    pid_t pid = start_daemon(socket_path, log_path);
    if (pid < 0) return -1;
    for (long waited = 0; waited < START_WAIT_MS; waited += 5) {
        sleep_ms(5);
        fd = connect_to(socket_path);
        if (fd >= 0) return fd;
        int status;
        if (pid > 0 && waitpid(pid, &status, WNOHANG) == pid) {
            /* exit 0: another client's daemon for this context holds the lock and is starting; wait for it */
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return connect_to(socket_path); /* java failed */
            pid = 0;
        }
    }
    return -1;
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: agentvisor-client RUNTIME_DIR JAR N JVM_OPTION*N ARG...\n");
        return 2;
    }
    const char *dir = argv[1];
    jar = argv[2];
    jvm_count = atoi(argv[3]);
    if (jvm_count < 0 || 4 + jvm_count > argc) {
        fprintf(stderr, "agentvisor-client: %d JVM options announced, %d given\n", jvm_count, argc - 4);
        return 2;
    }
    jvm_options = argv + 4;
    args = argv + 4 + jvm_count;
    arg_count = argc - 4 - jvm_count;
    /* like the JVM, which ignores SIGPIPE: output to a closed pipe is dropped, the exit code stays the verb's */
    signal(SIGPIPE, SIG_IGN);

    /* the runtime directory must be the caller's own and closed to everyone else, or the daemon is not used */
    struct stat d, j;
    char cwd[4096];
    if (lstat(dir, &d) != 0 || !S_ISDIR(d.st_mode) || d.st_uid != getuid() || (d.st_mode & 077) != 0
            || stat(jar, &j) != 0 || getcwd(cwd, sizeof cwd) == NULL) {
        run_direct();
    }

    uid_t uid = getuid();
    hash_bytes(&uid, sizeof uid);
    hash_string(jar);
    hash_bytes(&j.st_size, sizeof j.st_size);
    hash_bytes(&j.st_mtim, sizeof j.st_mtim);
    for (int i = 0; i < jvm_count; i++) hash_string(jvm_options[i]);
    hash_string(cwd);
    for (char **e = environ; *e != NULL; e++) {
        if (!ignored_variable(*e)) hash_string(*e);
    }
    char socket_path[sizeof(((struct sockaddr_un *) 0)->sun_path)];
    char log_path[4096];
    if (snprintf(socket_path, sizeof socket_path, "%s/%016llx%016llx.sock", dir, (unsigned long long) h1,
                 (unsigned long long) h2) >= (int) sizeof socket_path) {
        run_direct(); /* a unix socket path has at most 107 bytes */
    }
    snprintf(log_path, sizeof log_path, "%.*s.log", (int) (strlen(socket_path) - 5), socket_path);

    struct buffer request = {0};
    put(&request, "AVC1", 4);
    unsigned char flags = isatty(0) && isatty(1) ? 1 : 0; /* what System.console() would say */
    put(&request, &flags, 1);
    put_string(&request, cwd);
    uint32_t variables = 0;
    for (char **e = environ; *e != NULL; e++) variables += !ignored_variable(*e);
    put_u32(&request, variables);
    for (char **e = environ; *e != NULL; e++) {
        if (!ignored_variable(*e)) put_string(&request, *e);
    }
    put_u32(&request, (uint32_t) arg_count);
    for (int i = 0; i < arg_count; i++) put_string(&request, args[i]);

    int fd = daemon_connection(socket_path, log_path);
    if (fd < 0 || write_all(fd, request.data, request.length) != 0) run_direct();

    /* frames: type, u32 length, payload */
    int accepted = 0;
    unsigned char *payload = NULL;
    for (;;) {
        unsigned char header[5];
        if (read_all(fd, header, sizeof header) != 0) break;
        uint32_t len = (uint32_t) header[1] << 24 | (uint32_t) header[2] << 16 | (uint32_t) header[3] << 8 | header[4];
        if (len > MAX_FRAME) break;
        unsigned char *grown = realloc(payload, len ? len : 1);
        if (grown == NULL) break;
        payload = grown;
        if (read_all(fd, payload, len) != 0) break;
        switch (header[0]) {
            case 'A':
                accepted = 1;
                break;
            case 'R': /* another context (a hash collision or a changed file): this call runs without it */
                close(fd);
                run_direct();
                break;
            case 'O':
                write_all(1, payload, len);
                break;
            case 'E':
                write_all(2, payload, len);
                break;
            case 'X':
                if (len == 4) return (int) ((uint32_t) payload[0] << 24 | payload[1] << 16 | payload[2] << 8 | payload[3]);
                break;
            default:
                break;
        }
    }
    /* nothing ran yet: the daemon went away before it took the call (idle exit, a new build) */
    if (!accepted) {
        close(fd);
        run_direct();
    }
    fprintf(stderr, "agentvisor: internal error: the CLI daemon ended during the call (its log: %s)\n", log_path);
    return 4;
}
