# Sourced by the bench scripts: builds the benchmarks with the reactor (no install) and packages what they run
# (the operator jar of P5; the operator, driver and VM launcher that the node benchmarks put into images; bin/helm,
# which renders the chart's operator settings for P5 and installs the chart on the node), and sets BENCH_CP, the
# classpath of the bench module. A benchmark that does not compile stops make bench here, with
# the compiler's errors. Skipped when run.sh has built already (BENCH_CP exported).
if [ -z "${BENCH_CP:-}" ]; then
  echo "==> building the benchmarks, the operator, the driver, the VM launcher and bin/helm (mvn package -DskipTests)" >&2
  if ! "$ROOT/mvnw" -B -q -f "$ROOT/pom.xml" -pl bench,operator,agent-driver,vm-launcher,helm -am package -DskipTests \
      dependency:build-classpath -Dmdep.outputFile=target/classpath.txt; then
    echo "bench: FAILED: the benchmarks do not build (errors above)" >&2
    exit 1
  fi
  BENCH_CP="$ROOT/bench/target/classes:$(cat "$ROOT/bench/target/classpath.txt")"
  export BENCH_CP
fi
