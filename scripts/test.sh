#!/usr/bin/env bash
# The one test command: sets up the machine, builds in release mode, runs every test.
# Kernel-lab tests run when root (they create and remove their own namespaces); under CI=true they must.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
if [ "${CI:-}" = "true" ] && [ "$(id -u)" -ne 0 ]; then
  echo "test: CI=true but not root: the kernel-lab tests cannot run" >&2
  exit 1
fi
# Release build: the fuzz, simulated-network and integrity tests push millions of segments.
# -enable-testing lets the unit tests reach internal types.
export TOYTCP_BUILD_CONFIG=release
swift build -c release -Xswiftc -enable-testing
# One test at a time: several suites block a thread while a subprocess or the kernel answers, and on
# 2 cores parallel tests could starve Swift's cooperative pool. The whole run is bounded in time.
timeout --kill-after=30s 50m swift test -c release -Xswiftc -enable-testing --no-parallel "$@"
