#!/bin/sh
# Build (and, unless PUSH_IMAGES=false, push) every service in CHANGED_SERVICES; write BUILT_SERVICES to
# built.env. The registry login is written to a file only BuildKit reads, never echoed.
set -eu
mkdir -p "$HOME/.docker"
auth=$(printf '%s:%s' "$CI_REGISTRY_USER" "$CI_REGISTRY_PASSWORD" | base64 | tr -d '\n')
printf '{"auths":{"%s":{"auth":"%s"}}}' "$CI_REGISTRY" "$auth" > "$HOME/.docker/config.json"  # pragma: allowlist secret (a template: the job's variables fill it)
built=""
for service in ${CHANGED_SERVICES:-}; do
    context="src/$service"
    # Online Boutique keeps cartservice's Dockerfile one level down, beside its C# sources.
    dockerfile=$context
    [ -f "$context/Dockerfile" ] || dockerfile="$context/src"
    [ -f "$dockerfile/Dockerfile" ] || { echo "no Dockerfile for $service in $context" >&2; exit 1; }
    image="$CI_REGISTRY_IMAGE/$service"
    buildctl-daemonless.sh build \
        --frontend dockerfile.v0 \
        --local context="$dockerfile" \
        --local dockerfile="$dockerfile" \
        --opt "label:org.opencontainers.image.source=$CI_PROJECT_URL" \
        --opt "label:org.opencontainers.image.revision=$CI_COMMIT_SHA" \
        --output "type=image,name=$image:$CI_COMMIT_SHA,push=${PUSH_IMAGES:-true}" \
        --import-cache "type=registry,ref=$image:buildcache" \
        --export-cache "type=registry,ref=$image:buildcache,mode=max"
    built="$built $service"
done
echo "BUILT_SERVICES=$(echo $built)" > built.env
cat built.env
