#!/usr/bin/env bash
# Installs everything Agentvisor needs on a Debian/Ubuntu machine, idempotently:
#   1. Debian packages (only the missing ones),
#   2. kube-apiserver, kube-controller-manager, kube-scheduler, kubelet and kube-proxy 1.20.2 built from Debian's
#      own `kubernetes` source package,
#   3. the tiny guest (Debian kernel + an initramfs holding busybox, qemu-ga, DHCP, a web server, a freezable /data,
#      users root and demo whose password and authorized_keys the agent can set).
# The container images are scripts/images.sh's (they need our jars).
# Heavy results live in a cache outside the repository ($AGENTVISOR_CACHE, default ~/.cache/agentvisor) and
# are rebuilt only when missing. Usage: scripts/deps.sh [packages|apiserver|guest|all]
set -euo pipefail

source "$(dirname "$0")/lib.sh"

PACKAGES=(qemu-system-x86 qemu-guest-agent busybox-static cpio etcd-server golang-go
          golang-github-modern-go-reflect2-dev dpkg-dev openssl xz-utils rsync make procps
          containerd runc containernetworking-plugins umoci mmdebstrap socat iptables iproute2 conntrack
          util-linux ca-certificates gcc libc6-dev)
K8S_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)
K8S_VERSION=1.20.2

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

install_packages() {
  local missing=()
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  command -v kubectl >/dev/null || missing+=(kubernetes-client)
  if [ ${#missing[@]} -eq 0 ]; then log "Debian packages: all present"; return; fi
  log "Debian packages: installing ${missing[*]} (apt-get, needs root)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Private apt configuration for source/binary downloads: leaves /etc/apt and the system lists alone.
apt_private() {
  local dir="$AGENTVISOR_CACHE/apt"
  mkdir -p "$dir/lists/partial" "$dir/archives/partial"
  if [ ! -f "$dir/sources.list" ]; then
    local uri
    # first non-security Debian mirror the system uses (deb822 "URIs:" or one-line "deb" form)
    uri=$( { sed -n 's/^URIs:[[:space:]]*//p' /etc/apt/sources.list.d/*.sources 2>/dev/null
             sed -n 's/^deb[[:space:]]\+\(\[[^]]*\][[:space:]]\+\)\?\([^ ]*\).*/\2/p' /etc/apt/sources.list 2>/dev/null
           } | tr ' ' '\n' | grep -E '^https?://' | grep -v security | head -1 || true)
    printf 'deb %s bookworm main\ndeb-src %s bookworm main\n' "${uri:-http://deb.debian.org/debian}" \
      "${uri:-http://deb.debian.org/debian}" > "$dir/sources.list"
  fi
  apt-get -qq -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir" -o Dir::Cache::archives="$dir/archives" \
    -o APT::Sandbox::User=root "$@"
}

apt_private_update() {
  [ -n "$(ls "$AGENTVISOR_CACHE/apt/lists" 2>/dev/null | grep -v partial)" ] || apt_private update
}

build_apiserver() {
  local out="$K8S_BIN_DIR"
  local b missing_bin=""
  for b in "${K8S_BINARIES[@]}"; do [ -x "$out/$b" ] || missing_bin=1; done
  if [ -z "$missing_bin" ]; then
    log "Kubernetes $K8S_VERSION: cached in $out"
  else
    local src="$AGENTVISOR_CACHE/src"
    mkdir -p "$src" "$out"
    log "Kubernetes $K8S_VERSION: not cached; building ${K8S_BINARIES[*]} from Debian's kubernetes source package"
    log "  (no package ships them; this takes 6-20 min on 2 cores, once; result goes to $out)"
    apt_private_update
    if ! ls "$src"/kubernetes_*.dsc >/dev/null 2>&1; then
      log "  downloading the kubernetes source package into $src"
      (cd "$src" && apt_private source --download-only kubernetes)
    fi
    local tree="$src/gopath/src/k8s.io/kubernetes"
    if [ ! -f "$tree/.agentvisor-prepared" ]; then
      log "  unpacking the source tree into $tree"
      rm -rf "$src/gopath"; mkdir -p "$(dirname "$tree")"
      (cd "$src" && dpkg-source --no-check -x kubernetes_*.dsc "$tree" >/dev/null)
      # vendored reflect2 v1.0.1 segfaults under Go >= 1.18 on the first custom-resource create
      rm -rf "$tree/vendor/github.com/modern-go/reflect2"
      cp -r /usr/share/gocode/src/github.com/modern-go/reflect2 "$tree/vendor/github.com/modern-go/reflect2"
      cat > "$src/version.env" <<EOF
KUBE_GIT_VERSION='v$K8S_VERSION'
KUBE_GIT_MAJOR='1'
KUBE_GIT_MINOR='20'
KUBE_GIT_TREE_STATE='clean'
KUBE_GIT_COMMIT='faecb196815e248d3ecfb03c680a4507229c2a56'
EOF
      touch "$tree/.agentvisor-prepared"
    fi
    log "  compiling ${K8S_BINARIES[*]} (go $(go version | awk '{print $3}'))"
    (cd "$tree" && GOPATH="$src/gopath" GO111MODULE=off GOFLAGS= CGO_ENABLED=0 KUBE_GIT_VERSION_FILE="$src/version.env" \
       GOCACHE="$src/gocache" make WHAT="${K8S_BINARIES[*]/#/cmd/}" >"$src/build.log" 2>&1) \
      || { tail -30 "$src/build.log"; log "kube-apiserver build failed; full log: $src/build.log"; exit 1; }
    local built="$tree/_output/local/bin/linux/amd64"
    [ -x "$built/kube-apiserver" ] || built="$tree/_output/bin"
    for b in "${K8S_BINARIES[@]}"; do install -m 0755 "$built/$b" "$out/"; done
    log "  built $out/kube-apiserver ($("$out/kube-apiserver" --version))"
  fi
  # etcd and kubectl beside the apiserver, the layout kube-api-test and our launcher expect
  ln -sf "$(command -v etcd)" "$out/etcd"
  ln -sf "$(command -v kubectl)" "$out/kubectl"
}

build_guest() {
  local out="$GUEST_DIR"
  if [ -f "$out/vmlinuz" ] && [ -f "$out/initramfs.cpio.gz" ] && [ "$(cat "$out/recipe" 2>/dev/null)" = "$GUEST_RECIPE" ]; then
    log "tiny guest: cached in $out"; return
  fi
  log "tiny guest: building Debian kernel + busybox/qemu-ga initramfs into $out (~10 s)"
  local work="$AGENTVISOR_CACHE/guest-work"
  rm -rf "$work"; mkdir -p "$work/deb" "$work/root" "$out"
  apt_private_update
  local kpkg
  kpkg=$(apt_private_cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -1)
  [ -n "$kpkg" ] || { log "cannot resolve the kernel package behind linux-image-amd64"; exit 1; }
  log "  kernel package: $kpkg"
  (cd "$work/deb" && apt_private download "$kpkg")
  dpkg-deb -x "$work"/deb/*.deb "$work/kernel"
  local kver; kver=$(ls "$work/kernel/lib/modules" | head -1)
  cp "$work/kernel/boot/vmlinuz-$kver" "$out/vmlinuz.new"

  local r="$work/root"
  mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,run,tmp,var/run,lib/modules,usr/bin,etc/acpi/PWRF,etc/acpi/button}
  cp /bin/busybox "$r/bin/busybox"
  for app in $("$r/bin/busybox" --list); do [ -e "$r/bin/$app" ] || ln -s busybox "$r/bin/$app"; done
  cp "$(command -v qemu-ga || echo /usr/sbin/qemu-ga)" "$r/usr/bin/qemu-ga"
  for lib in $(ldd "$r/usr/bin/qemu-ga" | grep -oE '/[^ ]+'); do
    mkdir -p "$r$(dirname "$lib")"; cp -L "$lib" "$r$lib"
  done
  for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev \
           drivers/virtio/virtio_pci_legacy_dev drivers/virtio/virtio_pci drivers/char/virtio_console \
           drivers/input/evdev drivers/acpi/button net/core/failover drivers/net/net_failover drivers/net/virtio_net \
           drivers/block/virtio_blk lib/crc16 crypto/crc32c_generic fs/mbcache fs/jbd2/jbd2 fs/ext4/ext4 \
           drivers/block/loop; do
    local f; f=$(ls "$work/kernel/lib/modules/$kver/kernel/$m".ko* 2>/dev/null | head -1 || true)
    [ -n "$f" ] || continue
    case "$f" in *.xz) xz -dc "$f" > "$r/lib/modules/$(basename "$m").ko";;
                 *.zst) zstd -qdc "$f" > "$r/lib/modules/$(basename "$m").ko";;
                 *) cp "$f" "$r/lib/modules/$(basename "$m").ko";; esac
  done
  cat > "$r/etc/os-release" <<'EOF'
PRETTY_NAME="Agentvisor Tiny Guest 1.0 (Debian 12 userland)"
NAME="Agentvisor Tiny Guest"
VERSION_ID="1.0"
VERSION="1.0 (bookworm)"
ID=agentvisor-tiny
ID_LIKE=debian
EOF
  echo agentvisor-guest > "$r/etc/hostname"
  mkdir -p "$r/www"
  printf 'hello from the agentvisor tiny guest\n' > "$r/www/index.html"
  cat > "$r/etc/udhcpc.script" <<'EOF'
#!/bin/sh
case "$1" in
  bound|renew)
    ip addr flush dev "$interface"
    ip addr add "$ip/${mask:-24}" dev "$interface"
    [ -n "$router" ] && ip route add default via "${router%% *}" dev "$interface"
    [ -n "$dns" ] && for d in $dns; do echo "nameserver $d"; done > /etc/resolv.conf
    ;;
esac
exit 0
EOF
  chmod 0755 "$r/etc/udhcpc.script"
  # users for the agent's credential commands: root and demo (uid 1000), with homes, shadow entries (no password
  # yet) and groups; qemu-ga finds them with getpwnam (glibc's files backend, built into libc.so.6 since 2.34)
  printf 'root:x:0:0:root:/root:/bin/sh\ndemo:x:1000:1000:demo:/home/demo:/bin/sh\n' > "$r/etc/passwd"
  printf 'root:*:19000:0:99999:7:::\ndemo:!:19000:0:99999:7:::\n' > "$r/etc/shadow"
  printf 'root:x:0:\ndemo:x:1000:\n' > "$r/etc/group"
  printf 'passwd: files\ngroup: files\nshadow: files\n' > "$r/etc/nsswitch.conf"
  chmod 0600 "$r/etc/shadow"
  mkdir -p "$r/root" "$r/home/demo"
  chmod 0700 "$r/root"
  chown 1000:1000 "$r/home/demo"
  # qemu-ga's guest-set-user-password pipes "user:password" into chpasswd [-e], which busybox lacks: a small one
  # (the password goes through stdin to busybox mkpasswd, never into an argv)
  cat > "$r/bin/chpasswd" <<'CHPASSWD'
#!/bin/sh
# chpasswd [-e]: reads user:password lines on stdin; -e: the password is a crypt(3) hash already
crypted=
[ "$1" = -e ] && crypted=1
umask 077
status=0
while IFS= read -r line || [ -n "$line" ]; do
  user=${line%%:*}
  pass=${line#*:}
  if [ -z "$user" ] || [ "$user" = "$line" ] || ! awk -F: -v u="$user" '$1 == u { found = 1 } END { exit !found }' /etc/passwd; then
    echo "chpasswd: no such user" >&2; status=1; continue
  fi
  if [ -n "$crypted" ]; then hash=$pass; else hash=$(printf '%s' "$pass" | mkpasswd -m sha512) || { status=1; continue; }; fi
  awk -F: -v OFS=: -v u="$user" -v h="$hash" '$1 == u { $2 = h; found = 1 } { print } END { if (!found) print u, h, "19000", "0", "99999", "7", "", "", "" }' /etc/shadow > /etc/shadow.new \
    && mv /etc/shadow.new /etc/shadow || status=1
done
exit $status
CHPASSWD
  chmod 0755 "$r/bin/chpasswd"
  # qemu-ga's guest-shutdown runs /sbin/shutdown -h -P|-H|-r +0 (powerdown, halt, reboot), which busybox lacks
  printf '#!/bin/sh\nsync\nfor a; do case "$a" in -r) exec reboot -f;; -H) exec halt -f;; esac; done\nexec poweroff -f\n' > "$r/sbin/shutdown"
  # qemu-ga's guest-set-time runs /sbin/hwclock -w after setting the clock
  ln -sf ../bin/busybox "$r/sbin/hwclock"
  # busybox acpid turns QMP system_powerdown (ACPI power button) into a poweroff
  printf '#!/bin/sh\nexec poweroff -f\n' > "$r/etc/acpi/PWRF/00000080"
  cp "$r/etc/acpi/PWRF/00000080" "$r/etc/acpi/button/power"
  cat > "$r/init" <<'EOF'
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs run /run
export PATH=/sbin:/usr/sbin:/bin:/usr/bin
mkdir -p /run/qemu-ga /var/log
for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci virtio_console evdev button \
         failover net_failover virtio_net virtio_blk crc16 crc32c_generic mbcache jbd2 ext4 loop; do
  [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
done
# /data: a small ext4-driven file system on a loop device, one qemu-ga can freeze (it skips RAM file systems)
mkdir -p /data
dd if=/dev/zero of=/run/data.img bs=1M count=16 2>/dev/null && losetup /dev/loop0 /run/data.img 2>/dev/null \
  && mke2fs -q /dev/loop0 2>/dev/null && mount -t ext4 /dev/loop0 /data 2>/dev/null
hostname -F /etc/hostname
ip link set lo up 2>/dev/null
# a test hook, only when the kernel command line asks for it: agentvisor.mark=vdX writes one line at the start
# of that disk, so a test can see on the host that the guest wrote through QEMU to its disk image
for arg in $(cat /proc/cmdline); do
  case "$arg" in agentvisor.mark=*)
    dev="/dev/${arg#agentvisor.mark=}"
    for i in 1 2 3 4 5 6 7 8 9 10; do [ -b "$dev" ] && break; sleep 0.5; done
    echo "agentvisor-mark $(hostname) $(cat /proc/sys/kernel/random/boot_id)" | dd of="$dev" conv=notrunc 2>/dev/null
    sync;;
  esac
done
# the pod network through QEMU's user-mode NIC (when the VM has one): DHCP, then a small web server on port 80
if ip link show eth0 >/dev/null 2>&1; then
  ip link set eth0 up
  udhcpc -i eth0 -s /etc/udhcpc.script -t 10 -T 1 -b -q >/dev/null 2>&1
  httpd -p 80 -h /www
fi
port=""
for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do
  for p in /sys/class/virtio-ports/*; do
    [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] && port=/dev/$(basename "$p")
  done
  [ -n "$port" ] && [ -e "$port" ] && break
  sleep 0.5
done
# busybox acpid opens /dev/input/event* once at start: give the power button's node a moment to appear
(sleep 1; acpid -c /etc/acpi) &
echo "agentvisor-guest: starting qemu-ga on ${port:-<no agent port>}"
while [ -n "$port" ]; do
  qemu-ga -m virtio-serial -p "$port" -t /run/qemu-ga
  sleep 1
done &
exec /bin/sh </dev/console >/dev/console 2>&1
EOF
  chmod 0755 "$r/init" "$r/sbin/shutdown" "$r/etc/acpi/PWRF/00000080" "$r/etc/acpi/button/power"
  (cd "$r" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initramfs.cpio.gz.new"
  mv "$out/vmlinuz.new" "$out/vmlinuz"; mv "$out/initramfs.cpio.gz.new" "$out/initramfs.cpio.gz"
  echo "$GUEST_RECIPE" > "$out/recipe"
  rm -rf "$work"
  log "  tiny guest ready: $out/vmlinuz ($kver), $out/initramfs.cpio.gz"
}

apt_private_cache() {
  local dir="$AGENTVISOR_CACHE/apt"
  apt-cache -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
    -o Dir::State::Lists="$dir/lists" -o Dir::Cache="$dir" "$@"
}

case "${1:-all}" in
  packages) install_packages;;
  apiserver) install_packages; build_apiserver;;
  guest) install_packages; build_guest;;
  all) install_packages; build_guest; build_apiserver;;
  *) echo "usage: $0 [packages|apiserver|guest|all]" >&2; exit 2;;
esac
