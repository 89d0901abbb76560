# Sourced by the bench scripts that measure libvirt beside Agentvisor (run-system-bench.sh, run-cli-bench.sh), after
# bench/lib.sh: libvirt on qemu:///system, installed with apt-get only when missing; virtlogd/libvirtd started only
# when not running, and what was started here stopped again by libvirt_down. Uses the script's log and WORK.
VIRSH=(virsh -q -c qemu:///system)
LV_STATUS=""     # empty while fine; else why libvirt cannot be measured
LV_STARTED=()    # virtlogd/libvirtd pids started here (in that order)
LV_TEMPLATE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/src/main/resources/tiny-guest-domain.xml"

# lv_wait HALF_SECONDS: until qemu:///system answers (status 1 if it never did)
lv_wait() {
  for _ in $(seq 1 "$1"); do "${VIRSH[@]}" version >/dev/null 2>&1 && return 0; sleep 0.5; done
  return 1
}

# libvirt_up [HALF_SECONDS]: installs what is missing, starts the daemons that do not run (nothing when
# qemu:///system answers already), then waits up to HALF_SECONDS x 0.5 s for it to answer (default: no wait).
# Sets LV_STATUS when libvirt cannot be used.
libvirt_up() {
  if ! command -v virsh >/dev/null 2>&1 || ! command -v libvirtd >/dev/null 2>&1 || ! command -v virtlogd >/dev/null 2>&1; then
    log "installing libvirt-daemon-system libvirt-clients (apt-get)"
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends \
        libvirt-daemon-system libvirt-clients >"$WORK/apt.log" 2>&1; then
      LV_STATUS="apt-get install libvirt-daemon-system libvirt-clients failed: $(tail -n 2 "$WORK/apt.log" | tr '\n' ' ')"
      return
    fi
  fi
  if "${VIRSH[@]}" version >/dev/null 2>&1; then return; fi   # someone runs it already: use it
  if [ -z "$(pidof virtlogd || true)" ]; then
    virtlogd -d || { LV_STATUS="virtlogd -d failed"; return; }
    sleep 0.5; LV_STARTED+=($(pidof virtlogd))
  fi
  if [ -z "$(pidof libvirtd || true)" ]; then
    libvirtd -d || { LV_STATUS="libvirtd -d failed"; return; }
    sleep 0.5; LV_STARTED+=($(pidof libvirtd))
  fi
  if [ "${1:-0}" -gt 0 ] && ! lv_wait "$1"; then
    LV_STATUS="libvirtd started but qemu:///system does not answer: $("${VIRSH[@]}" version 2>&1 | tail -n 1)"
  fi
}

# libvirt_down OWN_ERE: stops the daemons libvirt_up started, libvirtd first (virtlogd serves it); leaves them
# running, with a warning, while domains whose names do not match OWN_ERE (someone else's) use them
libvirt_down() {
  [ ${#LV_STARTED[@]} -gt 0 ] || return 0
  local others i
  others="$("${VIRSH[@]}" list --all --name 2>/dev/null | grep -Ev -e "$1" -e '^$' | tr '\n' ' ' || true)"
  if [ -n "$others" ]; then
    echo "bench: WARNING: leaving virtlogd/libvirtd (pids ${LV_STARTED[*]}, started by this bench) running: other domains use it: $others" >&2
  else
    for ((i = ${#LV_STARTED[@]} - 1; i >= 0; i--)); do stop_pid "${LV_STARTED[$i]}"; done
  fi
}

# lv_domain_xml NAME DIR: the libvirt domain of the tiny guest (kernel, initrd, agent socket, console log in DIR),
# from bench/src/main/resources/tiny-guest-domain.xml, which the Java P2 harness renders too
lv_domain_xml() {
  local t
  t="$(< "$LV_TEMPLATE")"
  t="${t//@NAME@/"$1"}"
  t="${t//@DIR@/"$2"}"
  printf '%s\n' "$t"
}
