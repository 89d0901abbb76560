#!/usr/bin/env bash
# Agentvisor's container images, built without a container daemon and without a registry: Debian packages
# (mmdebstrap) and our jars, packed as OCI image layouts with umoci, kept as OCI archives in the cache and
# imported into the local node's containerd.
#
#   scripts/images.sh build [NAME...]        build what is missing (default: all images)
#   scripts/images.sh bases                  only the Debian base layers (no jars needed)
#   scripts/images.sh ref NAME               the image reference NAME is built as (repository:tag)
#   scripts/images.sh load DIR [NAME...]     import into the containerd of the local node whose state is in DIR
#   scripts/images.sh save NAME FILE         write NAME as an OCI archive (for `skopeo copy oci-archive:FILE ...`)
#   scripts/images.sh helm-values            the --set flags that point the chart at these images
#
# Images: pause (the node's sandbox image: busybox), operator (JRE + operator), agent-driver (JRE + QEMU +
# driver), vm-launcher (JRE + QEMU + launcher; one per VM pod). A tag is a digest of the image's inputs (base
# recipe, exact Debian package versions resolved at base build time, our files), so an image is rebuilt only
# when its inputs change. The exact package versions of each base are recorded beside its archive and inside
# the image at /usr/share/agentvisor/packages.txt.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/lib.sh"
OUT="$AGENTVISOR_CACHE/images"
REPO_PREFIX="agentvisor.local"
BASE_RECIPE="v1"
JRE_PACKAGES="openjdk-17-jre-headless"
QEMU_PACKAGES="openjdk-17-jre-headless,qemu-system-x86,qemu-utils,seabios,ipxe-qemu"

log() { [ -n "${QUIET:-}" ] || printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { echo "images: $*" >&2; exit 1; }

hash_of() { md5sum | cut -c1-12; }
tree_hash() { (cd "$1" && find . -type f -print0 | sort -z | xargs -0 md5sum) | hash_of; }

# app NAME -> base name, source directory, install directory, entrypoint
app_base() { case "$1" in operator) echo jre;; agent-driver|vm-launcher) echo qemu;; esac; }
# what goes into /opt/agentvisor/NAME/ (the contents of these directories and these files)
app_src() {
  case "$1" in
    operator) echo "$ROOT/operator/target/quarkus-app/";;
    agent-driver) echo "$ROOT/agent-driver/target/quarkus-app/";;
    vm-launcher) echo "$ROOT/vm-launcher/target/agentvisor-vm-launcher.jar $ROOT/vm-launcher/target/lib";;
  esac
}
app_hash() {
  local p
  for p in $(app_src "$1"); do
    [ -e "$p" ] || die "$p missing: run 'make build' first"
    if [ -d "$p" ]; then printf '%s %s\n' "$(basename "$p")" "$(tree_hash "$p")"; else printf '%s %s\n' "$(basename "$p")" "$(md5sum < "$p")"; fi
  done | hash_of
}
app_entrypoint() {
  case "$1" in
    operator) echo '["java","-XX:+UseSerialGC","-XX:MaxRAMPercentage=60","-jar","/opt/agentvisor/operator/quarkus-run.jar"]';;
    agent-driver) echo '["java","-XX:+UseSerialGC","-XX:MaxRAMPercentage=60","-jar","/opt/agentvisor/agent-driver/quarkus-run.jar"]';;
    vm-launcher) echo '["java","-XX:+UseSerialGC","-XX:TieredStopAtLevel=1","-Xss512k","-Xmx24m","-XX:MaxMetaspaceSize=32m","-Xshare:auto","-jar","/opt/agentvisor/vm-launcher/agentvisor-vm-launcher.jar"]';;
  esac
}

base_tag() { printf '%s|%s|%s' "$BASE_RECIPE" "$1" "$(base_packages "$1")" | hash_of; }
base_packages() { case "$1" in jre) echo "$JRE_PACKAGES";; qemu) echo "$QEMU_PACKAGES";; esac; }

ref() {
  local name="$1"
  case "$name" in
    pause) echo "$REPO_PREFIX/pause:$(printf 'pause|%s|%s' "$BASE_RECIPE" "$(md5sum < /bin/busybox)" | hash_of)";;
    operator|agent-driver|vm-launcher)
      echo "$REPO_PREFIX/$name:$(printf '%s|%s|%s' "$(base_tag "$(app_base "$name")")" "$(app_hash "$name")" \
        "$(app_entrypoint "$name")" | hash_of)";;
    *) die "unknown image '$name' (pause, operator, agent-driver, vm-launcher)";;
  esac
}

archive_of() { local r; r="$(ref "$1")"; echo "$OUT/${1}-${r##*:}.oci.tar"; }

# a Debian root file system for a base, as an OCI layout with one layer (cached by its recipe)
build_base() {
  local base="$1" tag; tag="$(base_tag "$base")"
  local layout="$OUT/base-$base-$tag"
  [ -f "$layout/index.json" ] && [ -f "$layout.packages" ] && return 0
  log "base image '$base': Debian bookworm + $(base_packages "$base") (mmdebstrap, ~1-2 min, once)"
  local work; work="$(mktemp -d "$OUT/.work-XXXXXX")"
  mmdebstrap --quiet --variant=essential --include="$(base_packages "$base")" \
    --aptopt='APT::Install-Recommends "false"' \
    --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version}\n" > "$1/.packages"' \
    --customize-hook='rm -rf "$1/var/cache/apt/archives"/*.deb "$1/var/lib/apt/lists"/*' \
    bookworm "$work/rootfs.tar" >"$work/mmdebstrap.log" 2>&1 \
    || { tail -20 "$work/mmdebstrap.log" >&2; rm -rf "$work"; die "mmdebstrap failed for base '$base'"; }
  umoci init --layout "$work/layout"
  umoci new --image "$work/layout:base"
  umoci unpack --image "$work/layout:base" "$work/bundle" >/dev/null
  tar -xf "$work/rootfs.tar" -C "$work/bundle/rootfs"
  mkdir -p "$work/bundle/rootfs/usr/share/agentvisor"
  mv "$work/bundle/rootfs/.packages" "$work/bundle/rootfs/usr/share/agentvisor/packages.txt"
  cp "$work/bundle/rootfs/usr/share/agentvisor/packages.txt" "$work/packages"
  umoci repack --image "$work/layout:base" "$work/bundle"
  umoci config --image "$work/layout:base" --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.user 65534:65534 --config.workingdir / --history.comment "agentvisor base $base"
  rm -rf "$layout"
  mv "$work/layout" "$layout"
  mv "$work/packages" "$layout.packages"
  rm -rf "$work"
  log "  base '$base': $(wc -l < "$layout.packages") packages, recorded in $layout.packages"
}

build_pause() {
  local archive; archive="$(archive_of pause)"
  [ -f "$archive" ] && return 0
  log "image pause: busybox (the node's sandbox image)"
  local work; work="$(mktemp -d "$OUT/.work-XXXXXX")"
  umoci init --layout "$work/layout"
  umoci new --image "$work/layout:img"
  umoci unpack --image "$work/layout:img" "$work/bundle" >/dev/null
  mkdir -p "$work/bundle/rootfs/bin"
  cp /bin/busybox "$work/bundle/rootfs/bin/busybox"
  umoci repack --image "$work/layout:img" "$work/bundle"
  umoci config --image "$work/layout:img" --config.entrypoint /bin/busybox --config.cmd sleep \
    --config.cmd 2147483647 --config.user 65534:65534
  pack "$work/layout" img "$(ref pause)" "$archive"
  rm -rf "$work"
}

build_app() {
  local name="$1" base; base="$(app_base "$name")"
  local archive; archive="$(archive_of "$name")"
  [ -f "$archive" ] && return 0
  build_base "$base"
  log "image $name: $(ref "$name") (base '$base' + $(app_src "$name"))"
  local work; work="$(mktemp -d "$OUT/.work-XXXXXX")"
  cp -r "$OUT/base-$base-$(base_tag "$base")" "$work/layout"
  umoci unpack --image "$work/layout:base" "$work/bundle" >/dev/null
  mkdir -p "$work/bundle/rootfs/opt/agentvisor/$name"
  local p
  for p in $(app_src "$name"); do
    case "$p" in */) cp -r "$p." "$work/bundle/rootfs/opt/agentvisor/$name/";; *) cp -r "$p" "$work/bundle/rootfs/opt/agentvisor/$name/";; esac
  done
  chmod -R a+rX "$work/bundle/rootfs/opt/agentvisor"
  umoci repack --image "$work/layout:base" "$work/bundle"
  local ep; ep="$(app_entrypoint "$name")"
  local args=()
  while IFS= read -r a; do args+=(--config.entrypoint "$a"); done < <(python3 -c 'import json,sys; print("\n".join(json.loads(sys.argv[1])))' "$ep")
  umoci config --image "$work/layout:base" "${args[@]}" --config.workingdir "/opt/agentvisor/$name" \
    --config.label "io.agentvisor.component=$name" --history.comment "agentvisor $name"
  pack "$work/layout" base "$(ref "$name")" "$archive"
  cp "$OUT/base-$base-$(base_tag "$base").packages" "${archive%.oci.tar}.packages"
  rm -rf "$work"
}

# pack LAYOUT TAG REF ARCHIVE: an OCI archive whose only image is named REF
pack() {
  local layout="$1" tag="$2" ref="$3" archive="$4"
  umoci gc --layout "$layout"
  # containerd names an imported image by this annotation: the full reference, so no import-<date> alias appears
  python3 - "$layout/index.json" "$tag" "$ref" <<'EOF'
import json, sys
path, tag, ref = sys.argv[1:]
index = json.load(open(path))
index["manifests"] = [m for m in index["manifests"]
                      if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag]
for m in index["manifests"]:
    m["annotations"]["org.opencontainers.image.ref.name"] = ref
    m["annotations"]["io.containerd.image.name"] = ref
json.dump(index, open(path, "w"))
EOF
  tar -C "$layout" -cf "$archive.tmp" .
  mv "$archive.tmp" "$archive"
}

build() {
  mkdir -p "$OUT"
  local names=("$@"); [ ${#names[@]} -gt 0 ] || names=(pause operator agent-driver vm-launcher)
  local n
  for n in "${names[@]}"; do
    case "$n" in pause) build_pause;; *) build_app "$n";; esac
  done
}

# Whether the node's containerd knows an image name. Not `ctr ... | grep -q`: under pipefail that pipeline fails
# when grep has matched and quit before ctr wrote its last line (ctr dies of SIGPIPE), now and then.
node_has_image() {
  local names; names="$(ctr --address "$1" -n k8s.io images ls -q)"
  grep -qx "$2" <<<"$names"
}

load() {
  local dir="$1"; shift
  local names=("$@"); [ ${#names[@]} -gt 0 ] || names=(pause operator agent-driver vm-launcher)
  local sock; sock="$(sed -n 's/^CONTAINERD_SOCK=//p' "$dir/node.env" 2>/dev/null)"
  [ -S "$sock" ] || die "no local node in $dir (scripts/cluster.sh up $dir --node)"
  local n r
  for n in "${names[@]}"; do
    build "$n"
    r="$(ref "$n")"
    if node_has_image "$sock" "$r"; then continue; fi
    log "importing $r into the node"
    ctr --address "$sock" -n k8s.io images import --no-unpack=false "$(archive_of "$n")" >/dev/null
    node_has_image "$sock" "$r" || die "import of $r did not register that name"
  done
}

helm_values() {
  local n r
  for n in operator agent-driver vm-launcher; do
    r="$(ref "$n")"
    local key; case "$n" in operator) key=operator;; agent-driver) key=agentDriver;; vm-launcher) key=vmLauncher;; esac
    printf -- '--set %s.image.repository=%s --set %s.image.tag=%s ' "$key" "${r%:*}" "$key" "${r##*:}"
  done
  echo
}

case "${1:-}" in
  build) shift; build "$@";;
  bases) mkdir -p "$OUT"; build_base jre; build_base qemu;;
  ref) ref "$2";;
  load) shift; load "$@";;
  save) build "$2"; cp "$(archive_of "$2")" "$3"; log "wrote $3 ($(ref "$2"))";;
  helm-values) helm_values;;
  *) echo "usage: $0 build [NAME...] | bases | ref NAME | load DIR [NAME...] | save NAME FILE | helm-values" >&2; exit 2;;
esac
