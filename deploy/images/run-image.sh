#!/usr/bin/env bash
# Runs a command in an image tarball (as written by `jib:buildTar` or `docker save`) without a
# container engine: unpacks the layers into a directory and runs the image's entrypoint there with
# chroot, as the image's user, with the image's environment and working directory. The network is
# the host's, so the image reaches a broker on localhost. For checking images on machines without
# Docker (CI runners, this project's build machines); not an isolation boundary.
#
# Usage: deploy/images/run-image.sh IMAGE.tar [ARGS...]      (ARGS replace the image's CMD)
#        RUN_IMAGE_ENTRYPOINT="..." deploy/images/run-image.sh IMAGE.tar   (a shell command instead)
#        RUN_IMAGE_MOUNT=/host/dir:/in/image ...   (bind-mounts a host directory, like docker -v)
# Needs: root (chroot), python3 (reads the image's JSON).
set -euo pipefail

IMAGE="${1:?usage: run-image.sh IMAGE.tar [ARGS...]}"; shift
[ "$(id -u)" = 0 ] || { echo "run-image: chroot needs root" >&2; exit 1; }
WORK="$(mktemp -d)"
cleanup() {
  [ -n "${MOUNTED:-}" ] && umount "$MOUNTED" 2>/dev/null || true
  umount "$WORK/rootfs/proc" 2>/dev/null || true
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

tar -C "$WORK" -xf "$IMAGE" manifest.json
CONFIG="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["Config"])' "$WORK/manifest.json")"
tar -C "$WORK" -xf "$IMAGE" "$CONFIG"
mkdir -p "$WORK/rootfs"
# Layers in order; a layer may be plain or gzip'd tar (tar detects which).
python3 -c 'import json,sys; print("\n".join(json.load(open(sys.argv[1]))[0]["Layers"]))' "$WORK/manifest.json" |
while read -r layer; do
  tar -C "$WORK" -xf "$IMAGE" "$layer"
  tar -C "$WORK/rootfs" --numeric-owner --warning=no-unknown-keyword -xf "$WORK/$layer"
  rm -f "$WORK/$layer"
  # OCI whiteouts: .wh.NAME deletes NAME from lower layers (opaque-directory markers are not handled;
  # Jib and the Debian base write none).
  find "$WORK/rootfs" -name '.wh.*' -print0 | while IFS= read -r -d '' wh; do
    base="$(basename "$wh")"; rm -rf "$(dirname "$wh")/${base#.wh.}" "$wh"
  done
done

# The image's runtime settings, as a container engine would apply them.
eval "$(python3 - "$WORK/$CONFIG" "$@" <<'PY'
import json, shlex, sys
cfg = json.load(open(sys.argv[1])).get("config", {})
args = sys.argv[2:] or (cfg.get("Cmd") or [])
print("IMG_ENV=(%s)" % " ".join(shlex.quote(e) for e in cfg.get("Env") or []))
print("IMG_ENTRY=(%s)" % " ".join(shlex.quote(e) for e in (cfg.get("Entrypoint") or []) + args))
print("IMG_USER=%s" % shlex.quote(cfg.get("User") or "0:0"))
print("IMG_WORKDIR=%s" % shlex.quote(cfg.get("WorkingDir") or "/"))
PY
)"
if [ -n "${RUN_IMAGE_ENTRYPOINT:-}" ]; then IMG_ENTRY=(sh -c "$RUN_IMAGE_ENTRYPOINT"); fi
mkdir -p "$WORK/rootfs/proc" "$WORK/rootfs/tmp" && chmod 1777 "$WORK/rootfs/tmp"
mount -t proc proc "$WORK/rootfs/proc"
if [ -n "${RUN_IMAGE_MOUNT:-}" ]; then
  MOUNTED="$WORK/rootfs${RUN_IMAGE_MOUNT#*:}"
  mkdir -p "$MOUNTED" && mount --bind "${RUN_IMAGE_MOUNT%%:*}" "$MOUNTED"
fi
# What a container engine writes into every container: name resolution and the host name.
cp /etc/resolv.conf "$WORK/rootfs/etc/resolv.conf" 2>/dev/null || true
printf '127.0.0.1 localhost %s\n::1 localhost ip6-localhost\n' "$(hostname)" > "$WORK/rootfs/etc/hosts"
USERSPEC="$IMG_USER"; [[ "$USERSPEC" == *:* ]] || USERSPEC="$USERSPEC:$USERSPEC"
set +e
chroot --userspec="$USERSPEC" "$WORK/rootfs" /usr/bin/env -i "${IMG_ENV[@]}" HOME=/tmp \
  sh -c 'cd "$0" && exec "$@"' "$IMG_WORKDIR" "${IMG_ENTRY[@]}"
rc=$?
set -e
exit $rc
