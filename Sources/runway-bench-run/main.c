// runway-bench-run: the process timer of the benchmark suite (scripts/bench.sh).
//
//   runway-bench-run [--out FILE] -- CMD ARGS...
//
// Runs CMD with stdin from /dev/null and stdout and stderr to FILE (default /dev/null), and prints
// "<wall seconds> <peak RSS KB> <exit status>": the monotonic clock around posix_spawn .. wait4, and the child's own
// ru_maxrss. Written in C on purpose: Linux carries the spawning process's resident-set high-water mark into the
// child across exec (posix_spawn shares the parent's memory until then), so the timer must be small itself or
// every small child would report the timer's RSS (this one: about 1 MB; a Swift binary: about 11 MB).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

extern char **environ;

int main(int argc, char **argv) {
    const char *output = "/dev/null";
    int index = 1;
    while (index < argc && strcmp(argv[index], "--") != 0) {
        if (strcmp(argv[index], "--out") == 0 && index + 1 < argc) {
            output = argv[index + 1];
            index += 2;
        } else {
            fprintf(stderr, "runway-bench-run: unknown option %s\n", argv[index]);
            return 2;
        }
    }
    if (index + 1 >= argc) {
        fprintf(stderr, "usage: runway-bench-run [--out FILE] -- CMD ARGS...\n");
        return 2;
    }
    char **command = argv + index + 1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    struct timespec start, end;
    pid_t pid;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int spawned = posix_spawnp(&pid, command[0], &actions, NULL, command, environ);
    if (spawned != 0) {
        fprintf(stderr, "runway-bench-run: cannot start %s: %s\n", command[0], strerror(spawned));
        return 2;
    }
    int status = 0;
    struct rusage usage;
    while (wait4(pid, &status, 0, &usage) < 0) {
        if (errno != EINTR) {
            perror("runway-bench-run: wait4");
            return 2;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &end);
    double wall = (double)(end.tv_sec - start.tv_sec) + (double)(end.tv_nsec - start.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    printf("%.6f %ld %d\n", wall, usage.ru_maxrss, code);
    return 0;
}
