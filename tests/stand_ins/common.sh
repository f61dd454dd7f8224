# Sourced by every stand-in after setting TOOL: log the call, honour an injected failure.
STATE=/var/lib/stand-ins
mkdir -p "$STATE/packages" "$STATE/units" "$STATE/sysctl" "$STATE/objects" "$STATE/created"
echo "$TOOL $*" >> /var/log/stand-ins.log
if [ -f "$STATE/fail" ] && grep -qxF "$TOOL $1" "$STATE/fail"; then
    echo "$TOOL $1: failure injected by the test" >&2
    exit 1
fi
installed() { [ -f "$STATE/packages/$1" ]; }
require_package() { installed "$1" || { echo "$TOOL: command not found" >&2; exit 127; }; }
