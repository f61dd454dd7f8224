#!/bin/sh
# Print CHANGED_SERVICES=<services> for the services whose src/<service>/ this pipeline changed: all of them on
# a tag or with BUILD_ALL=true, else those touched since the merge request's base, or since the branch's
# previous pipeline (a new branch compares with the default branch).
set -eu
all() { echo "CHANGED_SERVICES=$(echo $SERVICES)"; exit 0; }
[ -n "${CI_COMMIT_TAG:-}" ] && all
[ "${BUILD_ALL:-false}" = "true" ] && all
zero=0000000000000000000000000000000000000000
if [ -n "${CI_MERGE_REQUEST_DIFF_BASE_SHA:-}" ]; then
    base=$CI_MERGE_REQUEST_DIFF_BASE_SHA
elif [ -n "${CI_COMMIT_BEFORE_SHA:-}" ] && [ "$CI_COMMIT_BEFORE_SHA" != "$zero" ] &&
     git cat-file -e "$CI_COMMIT_BEFORE_SHA^{commit}" 2>/dev/null; then
    base=$CI_COMMIT_BEFORE_SHA
elif git rev-parse --verify --quiet "origin/${CI_DEFAULT_BRANCH:-main}" >/dev/null; then
    base=$(git merge-base HEAD "origin/${CI_DEFAULT_BRANCH:-main}")
else
    all
fi
changed=""
for service in $SERVICES; do
    if ! git diff --quiet "$base" "$CI_COMMIT_SHA" -- "src/$service/"; then
        changed="$changed $service"
    fi
done
echo "CHANGED_SERVICES=$(echo $changed)"
