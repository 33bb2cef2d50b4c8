/**
 * What the official Keycloak image (quay.io/keycloak/keycloak, the Dockerfile's BASE_IMAGE) holds
 * on its PATH: every program a task-definition command (the container health check, the
 * entrypoint, the cluster-metrics sidecar) may start, and the only programs the tests' stand-in
 * base (scripts/build-keycloak-base-stand-in.sh) keeps. A command naming anything else works on a
 * Debian host and fails on Fargate.
 *
 * Derived from Keycloak's own container build, `quarkus/container/Dockerfile` of keycloak/keycloak
 * (https://github.com/keycloak/keycloak/blob/26.8.1/quarkus/container/Dockerfile, the same text
 * in every 26.x tag read, 26.0 to 26.8.1): the final stage is `registry.access.redhat.com/ubi9-micro`
 * plus the root filesystem `ubi-null.sh java-21-openjdk-headless glibc-langpack-en findutils`
 * installs, which adds `bash` and `coreutils-single` itself, follows the packages' requirements and
 * erases everything else (dnf, microdnf and rpm included; gawk, python3 on its disallow list).
 * Keycloak's docs: "very few packages are available, only enough for a bash shell, and to run
 * Keycloak itself"; no curl or wget (keycloak#39373: "There are no plans to add it").
 */
import { constant } from "../shared/constant";

/** Programs per RPM of the real base's root filesystem, as they appear on PATH (/usr/bin, /usr/sbin). */
export const REAL_BASE_PACKAGES = constant({
  /** ubi-null.sh's keep list; /bin/sh is bash there (kc.sh is `#!/bin/sh`). */
  bash: ["bash", "sh"],
  /** ubi-null.sh's keep list: one multi-call binary, no kill, hostname or uptime (procps, hostname). */
  "coreutils-single": [
    "[", "arch", "b2sum", "base32", "base64", "basename", "basenc", "cat", "chcon", "chgrp", "chmod", "chown", "chroot", "cksum",
    "comm", "cp", "csplit", "cut", "date", "dd", "df", "dir", "dircolors", "dirname", "du", "echo", "env", "expand", "expr",
    "factor", "false", "fmt", "fold", "groups", "head", "hostid", "id", "install", "join", "link", "ln", "logname", "ls",
    "md5sum", "mkdir", "mkfifo", "mknod", "mktemp", "mv", "nice", "nl", "nohup", "nproc", "numfmt", "od", "paste", "pathchk",
    "pinky", "pr", "printenv", "printf", "ptx", "pwd", "readlink", "realpath", "rm", "rmdir", "runcon", "seq", "sha1sum",
    "sha224sum", "sha256sum", "sha384sum", "sha512sum", "shred", "shuf", "sleep", "sort", "split", "stat", "stdbuf", "stty",
    "sum", "sync", "tac", "tail", "tee", "test", "timeout", "touch", "tr", "true", "truncate", "tsort", "tty", "uname",
    "unexpand", "uniq", "unlink", "users", "vdir", "wc", "who", "whoami", "yes",
  ],
  /** Requested by the Dockerfile; kc.sh pipes JAVA_OPTS through xargs. */
  findutils: ["find", "xargs"],
  /** In the closure: kc.sh's esceval runs sed, and Keycloak's own HEALTHCHECK recipe runs grep. */
  grep: ["grep", "egrep", "fgrep"],
  sed: ["sed"],
  /** Requested by the Dockerfile; `-headless` has no jcmd, jstack or jps (those are in -devel). */
  "java-21-openjdk-headless": ["java", "keytool", "jfr", "rmiregistry"],
  /** glibc's requirement. */
  "glibc-common": ["getconf", "getent", "iconv", "ldd", "locale", "localedef", "pldd", "zdump"],
});

/** Every program on the real base's PATH. */
export const REAL_BASE_PROGRAMS: readonly string[] = Object.values(REAL_BASE_PACKAGES).flat();

/**
 * Bash's builtins and keywords: no program needed. `kill` is one (procps' kill is absent), so is
 * `read -t` and the /dev/tcp redirection the health check and the sidecar use.
 */
export const BASH_BUILTINS = constant([
  ".", ":", "[", "[[", "]]", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command", "compgen", "complete",
  "compopt", "continue", "declare", "dirs", "disown", "echo", "enable", "eval", "exec", "exit", "export", "false", "fc", "fg",
  "getopts", "hash", "help", "history", "jobs", "kill", "let", "local", "logout", "mapfile", "popd", "printf", "pushd", "pwd",
  "read", "readarray", "readonly", "return", "set", "shift", "shopt", "source", "suspend", "test", "times", "trap", "true",
  "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
]);

/** What the project's image adds on PATH (docker/Dockerfile: ENV PATH=/opt/keycloak/bin:$PATH). */
export const IMAGE_ADDED_PROGRAMS = constant(["kc.sh", "kcadm.sh", "kcreg.sh", "entrypoint.sh"]);
