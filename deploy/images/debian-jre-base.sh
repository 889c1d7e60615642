#!/usr/bin/env bash
# Builds a Java 17 runtime base image (Debian bookworm + openjdk-17-jre-headless) as a
# `docker save`-format tarball, from Debian's package mirror alone: no Docker daemon and no
# container registry needed. Jib takes it as a base with `-Dimage.base=tar://<this tarball>`.
#
# For machines that cannot reach a container registry; where one is reachable, the images'
# default bases (eclipse-temurin:17-jre, flink:2.2.1-java17) need none of this.
#
# Usage: deploy/images/debian-jre-base.sh [OUT.tar]   (default target/images/debian-jre-17.tar)
# Needs: root (debootstrap chroots), debootstrap, and a reachable Debian mirror (DEBIAN_MIRROR).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="${1:-$ROOT/target/images/debian-jre-17.tar}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
SUITE="${DEBIAN_SUITE:-bookworm}"
TAG="${BASE_TAG:-llm-audit/debian-jre:17}"

command -v debootstrap >/dev/null || { echo "debootstrap is missing: apt-get install debootstrap" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "debootstrap needs root" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
ROOTFS="$WORK/rootfs"

echo "debian-jre-base: debootstrap $SUITE from $MIRROR (a few minutes)..." >&2
debootstrap --variant=minbase --include=openjdk-17-jre-headless,ca-certificates \
  "$SUITE" "$ROOTFS" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
  || { tail -20 "$WORK/debootstrap.log" >&2; exit 1; }

# Slim the image: package caches, docs and man pages are not needed at run time.
rm -rf "$ROOTFS"/var/cache/apt/archives/*.deb "$ROOTFS"/var/lib/apt/lists/* \
  "$ROOTFS"/usr/share/doc/* "$ROOTFS"/usr/share/man/* "$ROOTFS"/usr/share/info/* \
  "$ROOTFS"/var/log/* "$ROOTFS"/tmp/*
# An unprivileged user for the services (uid/gid 1000, the CLI image's user and the manifests' securityContext).
chroot "$ROOTFS" groupadd --gid 1000 llm-audit
chroot "$ROOTFS" useradd --uid 1000 --gid 1000 --home-dir /home/llm-audit --create-home llm-audit
"$ROOTFS/usr/lib/jvm/java-17-openjdk-amd64/bin/java" -version 2>/dev/null || true
test -x "$ROOTFS/usr/lib/jvm/java-17-openjdk-amd64/bin/java" || { echo "no java in the rootfs" >&2; exit 1; }

# One layer; numeric owners, sorted names and a fixed mtime (file contents such as dpkg logs still differ
# between runs, so two builds are not byte-identical).
mkdir -p "$WORK/image"
tar --numeric-owner --sort=name --exclude=./dev/* --exclude=./proc/* --exclude=./sys/* --mtime='2020-01-01 00:00Z' -C "$ROOTFS" -cf "$WORK/image/layer.tar" .
DIFF_ID="sha256:$(sha256sum "$WORK/image/layer.tar" | cut -d' ' -f1)"
cat > "$WORK/image/config.json" <<JSON
{"architecture":"amd64","os":"linux",
 "config":{"Env":["PATH=/usr/lib/jvm/java-17-openjdk-amd64/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                  "JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64","LANG=C.UTF-8"],
           "User":"1000:1000","WorkingDir":"/home/llm-audit"},
 "rootfs":{"type":"layers","diff_ids":["$DIFF_ID"]},
 "history":[{"created_by":"deploy/images/debian-jre-base.sh ($SUITE, openjdk-17-jre-headless)"}]}
JSON
cat > "$WORK/image/manifest.json" <<JSON
[{"Config":"config.json","RepoTags":["$TAG"],"Layers":["layer.tar"]}]
JSON
mkdir -p "$(dirname "$OUT")"
tar -C "$WORK/image" -cf "$OUT" manifest.json config.json layer.tar
echo "debian-jre-base: wrote $OUT ($(du -h "$OUT" | cut -f1), layer $DIFF_ID)" >&2
