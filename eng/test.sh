#!/usr/bin/env bash
# The one test command (README.md, .ci/run): installs what the tests need on a fresh Debian
# machine, restores NuGet packages, builds everything with warnings as errors, runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the tests start or call. Tests fail (never skip) when one is missing.
APT_PACKAGES=(prometheus prometheus-alertmanager docker-compose chromium)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v dotnet >/dev/null 2>&1; then
  echo "The .NET 10 SDK is required (dotnet was not found on PATH)." >&2
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet restore LlmMeter.sln
dotnet build LlmMeter.sln -c Release --no-restore

log=$(mktemp)
status=0
dotnet test LlmMeter.sln -c Release --no-build 2>&1 | tee "$log" || status=$?

# One closing line for CI: "tests: N passed, N failed, N skipped" summed over test projects.
awk '/(Passed|Failed)! +- +Failed:/ {
       gsub(",", ""); for (i = 1; i <= NF; i++) { if ($i == "Failed:") f += $(i+1); if ($i == "Passed:") p += $(i+1); if ($i == "Skipped:") s += $(i+1) } }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s; if (p == 0) exit 1 }' "$log" || status=1
rm -f "$log"
exit $status
