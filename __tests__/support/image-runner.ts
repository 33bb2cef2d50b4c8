import { execFileSync } from "node:child_process";
import { chownSync, copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { resolveCommand } from "./command-stubs";
import { RUNTIME_FILES, type BuiltImage } from "./image-build";

/**
 * A container from the built image's filesystem, as ECS runs the image on Fargate, without a
 * container engine (podman cannot set rlimits here): the image's root read-only
 * (`readonlyRootFilesystem`), writable only at the image's declared VOLUMEs, each a fresh
 * directory per start holding the image's content there (Fargate copies it into the task's
 * storage), run as the image's USER through its ENTRYPOINT with the task definition's `command`
 * (else its CMD), with the image's ENV under the task's environment and secrets.
 *
 * Runs inside the node's network namespace and task cgroup (keycloak-node.ts wraps `argv`):
 * `unshare --mount` gives it private mounts, then bind mounts and `chroot --userspec`.
 */

// $1 image root, $2 the container's directory, $3 uid:gid, $4 supplementary groups, volumes up
// to "--", the command after it. /dev, /proc and /sys are the namespace's (with its cgroup
// mounts, which the JVM reads its limits from); /etc/hosts and /etc/resolv.conf too, as a
// runtime writes them per container.
const RUN_SCRIPT = `
set -euo pipefail
image_root=$1 dir=$2 user=$3 groups=$4
shift 4
volumes=()
while [[ $1 != -- ]]; do volumes+=("$1"); shift; done
shift
root="$dir/root"
mount --bind "$image_root" "$root"
mount -o remount,bind,ro "$root"
for volume in "\${volumes[@]}"; do mount --bind "$dir/volumes$volume" "$root$volume"; done
mount --rbind /dev "$root/dev"
mount --rbind /proc "$root/proc"
mount --rbind /sys "$root/sys"
for file in ${RUNTIME_FILES.join(" ")}; do mount --bind "$file" "$root$file"; done
exec chroot --userspec="$user" --groups="$groups" "$root" "$@"
`;

export class ImageContainer {
  private readonly uid: number;
  private readonly gid: number;

  /** `dir` is the container's own: its volumes and mount point live there. */
  constructor(
    readonly image: BuiltImage,
    readonly dir: string,
  ) {
    const workingDir = image.config.WorkingDir ?? "";
    // chroot starts in /; a WORKDIR would need a runner that changes into it.
    if (workingDir !== "" && workingDir !== "/") throw new Error(`the image's WORKDIR ${workingDir} is not supported by the runner`);
    ({ uid: this.uid, gid: this.gid } = userOf(image));
  }

  /** The image's declared VOLUMEs, sorted. */
  get volumes(): string[] {
    return Object.keys(this.image.config.Volumes ?? {}).sort();
  }

  /** uid:gid the container's processes run as (the image's USER, resolved in its /etc/passwd). */
  get user(): string {
    return `${this.uid}:${this.gid}`;
  }

  /**
   * Files (container path inside a volume -> host file) added to every start's fresh volumes, as if
   * the image had them there: how a benchmark tries a file the image build would add (e.g. a
   * class-data sharing archive) without rebuilding the image.
   */
  readonly seeds = new Map<string, string>();

  /**
   * New, empty-but-for-the-image's-content volumes: a replacement task starts with fresh task
   * storage, never with its predecessor's.
   */
  freshVolumes(): void {
    rmSync(join(this.dir, "volumes"), { recursive: true, force: true });
    mkdirSync(join(this.dir, "root"), { recursive: true });
    for (const volume of this.volumes) {
      const target = join(this.dir, "volumes", volume);
      mkdirSync(join(target, ".."), { recursive: true });
      // cp -a keeps owner and mode: uid 1000 owns /opt/keycloak/data, /tmp stays 1777.
      execFileSync("cp", ["-a", join(this.image.rootfs, volume), target], { stdio: ["ignore", "ignore", "pipe"] });
    }
    for (const [path, hostFile] of this.seeds) {
      const volume = this.volumes.find((v) => path.startsWith(`${v}/`));
      if (volume === undefined) throw new Error(`seed ${path} is in none of the image's volumes (${this.volumes.join(", ")})`);
      const target = join(this.dir, "volumes", path);
      copyFileSync(hostFile, target);
      chownSync(target, this.uid, this.gid);
    }
  }

  /** The argv running `argv` (absolute inside the image) in the container. */
  exec(argv: string[]): string[] {
    return [
      resolveCommand("unshare"), "--mount", "--propagation", "private", "--",
      resolveCommand("bash"), "-c", RUN_SCRIPT, "run-image", this.image.rootfs, this.dir, this.user, String(this.gid), ...this.volumes, "--", ...argv,
    ];
  }

  /** ECS's start: the image's ENTRYPOINT with the task definition's `command`, or the image's CMD without one. */
  start(command: string[]): string[] {
    const entrypoint = this.image.config.Entrypoint ?? [];
    return this.exec([...entrypoint, ...(command.length > 0 ? command : (this.image.config.Cmd ?? []))]);
  }

  /**
   * The container's environment: the image's ENV, HOME from its /etc/passwd (as Docker sets it),
   * then the task definition's environment and the resolved secrets over it.
   */
  environment(taskEnvironment: Record<string, string>, secrets: Record<string, string>, extra: Record<string, string> = {}): Record<string, string> {
    const imageEnv = Object.fromEntries((this.image.config.Env ?? []).map((entry) => [entry.slice(0, entry.indexOf("=")), entry.slice(entry.indexOf("=") + 1)]));
    return { HOME: passwdEntry(this.image, this.uid)?.home ?? "/", ...imageEnv, ...taskEnvironment, ...secrets, ...extra };
  }
}

function passwdEntry(image: BuiltImage, uid: number): { name: string; uid: number; gid: number; home: string } | undefined {
  for (const line of readFileSync(join(image.rootfs, "etc", "passwd"), "utf8").split("\n")) {
    const [name, , id, gid, , home] = line.split(":");
    if (Number(id) === uid && id !== "") return { name, uid, gid: Number(gid), home };
  }
  return undefined;
}

/** Docker's reading of USER: a name or uid, optionally `:group`; the group defaults to the passwd entry's, else 0. */
export function userOf(image: BuiltImage): { uid: number; gid: number } {
  const [user = "", group] = (image.config.User ?? "").split(":");
  const lines = readFileSync(join(image.rootfs, "etc", "passwd"), "utf8").split("\n").map((line) => line.split(":"));
  const byName = lines.find((fields) => fields[0] === user);
  const uid = user === "" ? 0 : /^\d+$/.test(user) ? Number(user) : Number(byName?.[2] ?? NaN);
  if (Number.isNaN(uid)) throw new Error(`the image's USER ${user} is not in its /etc/passwd`);
  if (group !== undefined) {
    if (!/^\d+$/.test(group)) throw new Error(`the runner takes a numeric group in USER, not ${group}`);
    return { uid, gid: Number(group) };
  }
  return { uid, gid: passwdEntry(image, uid)?.gid ?? 0 };
}
