#!/usr/bin/env bash
# Builds a local stand-in for the official Keycloak image (quay.io/keycloak/keycloak:<version>)
# with buildah, for machines that cannot pull it: the same layout (the Maven server distribution
# under /opt/keycloak owned by uid 1000 gid 0 and group-writable, user keycloak, OpenJDK 21, the
# same ENV, USER, EXPOSE and ENTRYPOINT) on a Debian root filesystem made by mmdebstrap instead
# of ubi9-micro, holding on its PATH only the programs the real base holds (--programs, from
# modules/image/base-image.ts: a command that works here works there). README "The image in the
# tests" lists every difference.
set -euo pipefail

readonly SCRIPT_NAME="build-keycloak-base-stand-in.sh"
# trixie: the first Debian release with OpenJDK 21, the JDK of the official image.
readonly SUITE="trixie"
readonly JDK_PACKAGE="openjdk-21-jre-headless"
readonly MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

VERSION=""
DIST=""
TAG=""
WORK_DIR=""
PROGRAMS=""
ROOT=""

usage() {
  echo "usage: ${SCRIPT_NAME} --version VERSION --dist FILE --tag IMAGE --work-dir DIR --programs 'NAME...' [--help]"
}

print_help() {
  usage
  cat <<EOF

Makes the image IMAGE (e.g. localhost/keycloak-base-stand-in:26.7.3) in buildah's storage from
  - a Debian ${SUITE} root filesystem with ${JDK_PACKAGE} (mmdebstrap, from ${MIRROR};
    DEBIAN_MIRROR overrides), kept in DIR/rootfs-${SUITE}.tar and reused when present,
  - FILE, the Keycloak server distribution keycloak-quarkus-dist-VERSION.tar.gz, unpacked to
    /opt/keycloak as the official image has it,
  - on PATH (/usr/bin, /usr/sbin, /usr/local/*) only the programs NAME... (the real base's list,
    modules/image/base-image.ts), everything else Debian brings removed (curl, awk, perl, ps,
    dpkg, ...), and /bin/sh being bash as on the real base (Debian's is dash).
One layer. Needs root, mmdebstrap and buildah; buildah's storage and isolation come from the
environment (CONTAINERS_STORAGE_CONF, BUILDAH_ISOLATION).
EOF
}

die() {
  printf '%s: error: %s\n' "${SCRIPT_NAME}" "$*" >&2
  exit 1
}

parse_args() {
  while [[ $# -gt 0 ]]; do
    case "$1" in
      --help | -h) print_help; exit 0 ;;
      --version | --dist | --tag | --work-dir | --programs)
        [[ $# -ge 2 ]] || die "$1 needs a value"
        case "$1" in
          --version) VERSION=$2 ;;
          --dist) DIST=$2 ;;
          --tag) TAG=$2 ;;
          --work-dir) WORK_DIR=$2 ;;
          --programs) PROGRAMS=$2 ;;
        esac
        shift 2 ;;
      *) usage >&2; die "unknown argument '$1'" ;;
    esac
  done
  [[ -n $VERSION && -n $DIST && -n $TAG && -n $WORK_DIR && -n $PROGRAMS ]] || { usage >&2; die "--version, --dist, --tag, --work-dir and --programs are required"; }
  [[ -s $DIST ]] || die "no distribution at $DIST"
}

debian_rootfs() {
  local tarball="$WORK_DIR/rootfs-${SUITE}.tar"
  if [[ ! -f $tarball || ! -s $tarball ]]; then
    command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap is not on PATH (Debian: apt-get install mmdebstrap)"
    # essential: the Essential:yes packages (bash, coreutils, ...) and what the JDK needs; no apt.
    # --format=tar: mmdebstrap picks the format from the target's name, and `.partial` would give a directory.
    mmdebstrap --mode=root --format=tar --variant=essential --include="$JDK_PACKAGE" \
      --dpkgopt='path-exclude=/usr/share/{doc,man,locale,info}/*' \
      "$SUITE" "$tarball.partial" "$MIRROR" >&2
    mv -- "$tarball.partial" "$tarball"
  fi
  printf '%s' "$tarball"
}

# The official image's Dockerfile: the distribution moved to /opt/keycloak, an empty data
# directory, everything group-writable (`chmod -R g+rwX`) and owned by 1000:0, and a keycloak user.
assemble_root() {
  local root="$1" tarball="$2"
  tar -xf "$tarball" -C "$root"
  mkdir -p "$root/opt"
  tar -xzf "$DIST" -C "$root/opt"
  mv -- "$root/opt/keycloak-${VERSION}" "$root/opt/keycloak"
  mkdir -p "$root/opt/keycloak/data"
  chmod -R g+rwX "$root/opt/keycloak"
  chown -R 1000:0 "$root/opt/keycloak"
  echo "keycloak:x:0:root" >>"$root/etc/group"
  echo "keycloak:x:1000:0:keycloak user:/opt/keycloak:/sbin/nologin" >>"$root/etc/passwd"
}

# Only the real base's programs stay on PATH: a stand-in with curl or awk would pass a command that
# fails on Fargate. /bin and /sbin are links into /usr on trixie (merged /usr).
keep_only_programs() {
  local root="$1" dir entry name
  local -A wanted=()
  for name in $PROGRAMS; do wanted[$name]=1; done
  [[ -n ${wanted[bash]:-} && -n ${wanted[java]:-} ]] || die "--programs must hold bash and java (the entrypoint and Keycloak need them)"
  for dir in usr/bin usr/sbin usr/local/bin usr/local/sbin; do
    [[ -d $root/$dir ]] || continue
    for entry in "$root/$dir"/* "$root/$dir"/.[!.]*; do
      [[ -e $entry || -L $entry ]] || continue
      name="${entry##*/}"
      [[ -n ${wanted[$name]:-} ]] || rm -rf -- "$entry"
    done
  done
  ln -sfn bash "$root/usr/bin/sh"
  for name in bash java; do
    [[ -x $root/usr/bin/$name || -L $root/usr/bin/$name ]] || die "$name is missing from the stand-in's /usr/bin after pruning"
  done
}

main() {
  parse_args "$@"
  command -v buildah >/dev/null 2>&1 || die "buildah is not on PATH (Debian: apt-get install buildah)"
  mkdir -p -- "$WORK_DIR"
  local tarball container
  tarball="$(debian_rootfs)"
  ROOT="$(mktemp -d "$WORK_DIR/root.XXXXXX")"
  trap 'rm -rf -- "$ROOT"' EXIT
  assemble_root "$ROOT" "$tarball"
  keep_only_programs "$ROOT"

  container="$(buildah from scratch)"
  buildah copy --quiet "$container" "$ROOT" / >/dev/null
  buildah config \
    --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 \
    --env KC_RUN_IN_CONTAINER=true \
    --user 1000 \
    --port 8080/tcp --port 8443/tcp --port 9000/tcp \
    --entrypoint '["/opt/keycloak/bin/kc.sh"]' \
    --cmd '' \
    --label "org.opencontainers.image.description=Local stand-in for quay.io/keycloak/keycloak:${VERSION}" \
    "$container"
  buildah commit --quiet --rm "$container" "$TAG" >/dev/null
  printf '%s\n' "$TAG"
}

main "$@"
