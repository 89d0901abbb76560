#!/bin/sh
# Keeps the agent-driver JVM running inside its container, the way `make run` supervises it locally.
# The VMs' QEMU processes are children of the JVM in this container: if the JVM crashes (even kill -9), they keep
# running (tini, PID 1, reaps them), and the restarted JVM adopts them from what it recorded in the state
# directory. Only SIGTERM (the pod is being deleted) stops the loop: it is passed to the JVM, which shuts the VMs
# down gracefully (AGENTVISOR_DRIVER_STOP_VMS_ON_EXIT=true) before exiting, within terminationGracePeriodSeconds.
set -u
stopping=0
child=0
on_term() {
  stopping=1
  [ "$child" -ne 0 ] && kill -TERM "$child" 2>/dev/null
}
trap on_term TERM INT

backoff=1
while :; do
  started=$(date +%s)
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  java $JAVA_OPTS -jar /deployments/quarkus-run.jar &
  child=$!
  wait "$child"
  rc=$?
  # a trapped signal interrupts `wait`: keep waiting until the JVM has finished its graceful shutdown
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    rc=$?
  done
  child=0
  [ "$stopping" -eq 1 ] && exit "$rc"
  # back-off 1 s doubling to 30 s, reset after a run of 60 s or more
  [ $(( $(date +%s) - started )) -ge 60 ] && backoff=1
  echo "agent-driver-supervise: the driver exited with status $rc; restarting in ${backoff}s" >&2
  sleep "$backoff" &
  wait $!
  [ "$stopping" -eq 1 ] && exit "$rc"
  backoff=$(( backoff * 2 > 30 ? 30 : backoff * 2 ))
done
