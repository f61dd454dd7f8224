"""What the platform host needs (GitLab CE, GitLab Runner with Docker, a local certificate authority and the
certificate GitLab and its registry serve), compared with what the probe found: each difference a Change with
the commands that make it. The CA's key is made on the host and never leaves it; GitLab's first administrator
password stays in /etc/gitlab/initial_root_password; the bootstrap's own API token is made on the host, in a
root-only file, and registered through `gitlab-rails runner` (a Ruby script, never a command line)."""

from __future__ import annotations

import shlex
from pathlib import Path

from gitops_toolkit.hosts.bootstrap.configs import HEADER, ManagedFile, render_template
from gitops_toolkit.hosts.bootstrap.node_steps import Change, file_change, keyring_change, package_changes
from gitops_toolkit.hosts.inventory import Host, Inventory
from gitops_toolkit.hosts.pins import (
    DOCKER_PACKAGE,
    GITLAB_PACKAGE_REVISION,
    GITLAB_REPOSITORIES,
    RUNNER_PACKAGE_REVISION,
)
from gitops_toolkit.hosts.platform_host import (
    API_TOKEN,
    CA_CERTIFICATE,
    CA_KEY,
    RUNNER_TOKEN,
    STATE,
    TOKENS,
    PlatformSettings,
)
from gitops_toolkit.hosts.probe import RUNNER_CONFIG, HostFacts
from gitops_toolkit.tools.ssh import Command, Upload

PLATFORM_PHASE = "platform host"
GITLAB_PHASE = "gitlab"  # through GitLab's API, then the runner's configuration once it has its token
CERTIFICATE_REQUEST = f"{STATE}/certificate.ext"  # the names the certificate holds: a new one when they change
API_TOKEN_REGISTERED = f"{STATE}/api-token.registered"
RUNNER_TEMPLATE = f"{STATE}/gitlab-runner-config.toml"
GITLAB_CONFIG = "/etc/gitlab/gitlab.rb"
RUNNER_NAME = "platform-docker"
RUNNER_DEFAULT_IMAGE = "debian:bookworm-slim"
_KEYRINGS = {name: f"/etc/apt/keyrings/{name}.asc" for name in GITLAB_REPOSITORIES}
# Our token for GitLab's API: the root user's personal access token, registered from a file only root reads.
_REGISTER_TOKEN = """# Written by `invoke bootstrap`: gives the root user the personal access token in {token}.
user = User.find_by_username('root')
user.personal_access_tokens.where(name: 'gitops-bootstrap').each(&:revoke!)
token = user.personal_access_tokens.build(name: 'gitops-bootstrap', scopes: [:api], expires_at: 365.days.from_now)
token.set_token(File.read('{token}').strip)
token.save!
"""


def certificate_paths(settings: PlatformSettings) -> tuple[str, str]:
    return f"/etc/gitlab/ssl/{settings.gitlab_name}.crt", f"/etc/gitlab/ssl/{settings.gitlab_name}.key"


def docker_trust(settings: PlatformSettings) -> str:
    return f"/etc/docker/certs.d/{settings.registry}/ca.crt"


def runner_template(root: Path, settings: PlatformSettings, host: Host) -> ManagedFile:
    """The runner's config.toml with a placeholder where its token goes (filled on the host)."""
    text = render_template(
        root,
        "gitlab-runner-config.toml",
        concurrent=str(settings.runner_concurrent),
        runner_name=RUNNER_NAME,
        gitlab_name=settings.gitlab_name,
        registry_name=settings.registry_name,
        ca_path=CA_CERTIFICATE,
        default_image=RUNNER_DEFAULT_IMAGE,
        address=host.address,
    )
    return ManagedFile(RUNNER_TEMPLATE, text, mode="0600")


def platform_files(
    root: Path, settings: PlatformSettings, host: Host, distribution: str, codename: str
) -> list[ManagedFile]:
    """The files the bootstrap keeps on the platform host before GitLab runs (apt lists, the certificate's
    names, gitlab.rb), in order."""
    certificate, key = certificate_paths(settings)
    sources = [
        ManagedFile(
            f"/etc/apt/sources.list.d/{name}.list",
            HEADER + f"deb [signed-by={_KEYRINGS[name]}] {url.format(distribution=distribution)} {codename} main\n",
        )
        for name, url in GITLAB_REPOSITORIES.items()
    ]
    names = f"DNS:{settings.gitlab_name},DNS:{settings.registry_name},IP:{host.address}"
    return [
        *sources,
        ManagedFile(CERTIFICATE_REQUEST, f"subjectAltName={names}\nextendedKeyUsage=serverAuth\n", mode="0600"),
        ManagedFile(
            GITLAB_CONFIG,
            render_template(
                root,
                "gitlab.rb",
                gitlab_name=settings.gitlab_name,
                registry_name=settings.registry_name,
                registry_port=str(settings.registry_port),
                certificate=certificate,
                certificate_key=key,
            ),
            mode="0600",
        ),
    ]


def watched_platform_files(root: Path, inventory: Inventory) -> list[str]:
    host, settings = inventory.platform_host, inventory.platform
    if host is None or settings is None:
        return []
    managed = [managed.path for managed in platform_files(root, settings, host, "", "")]
    return [
        *managed,
        RUNNER_TEMPLATE,
        *_KEYRINGS.values(),
        CA_CERTIFICATE,
        API_TOKEN_REGISTERED,
        docker_trust(settings),
    ]


def wanted_platform_packages(settings: PlatformSettings) -> dict[str, str]:
    runner = f"{settings.runner_version}-{RUNNER_PACKAGE_REVISION}"
    return {
        "gitlab-ce": f"{settings.gitlab_version}-{GITLAB_PACKAGE_REVISION}",
        "gitlab-runner-helper-images": runner,
        "gitlab-runner": runner,
        DOCKER_PACKAGE: "",  # the distribution's own
    }


def _change(host: Host, kind: str, summary: str, *commands: Command) -> Change:
    return Change(host.name, PLATFORM_PHASE, kind, summary, "", tuple(commands))


def _authority_changes(host: Host, settings: PlatformSettings, facts: HostFacts, request_changed: bool) -> list[Change]:
    changes = []
    certificate, key = certificate_paths(settings)
    if CA_KEY not in facts.present:
        subject = shlex.quote(f"/CN=gitops-platform CA ({settings.domain})")
        changes.append(
            _change(
                host,
                "certificate",
                f"create the platform's certificate authority in {STATE}/ca (its key never leaves the host)",
                ("install", "-d", "-m", "0700", f"{STATE}/ca"),
                (
                    *("umask 077;", "openssl", "req", "-x509", "-new", "-newkey", "ec"),
                    *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "3650", "-subj", subject),
                    *("-addext", "basicConstraints=critical,CA:TRUE"),
                    *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
                    *("-keyout", CA_KEY, "-out", CA_CERTIFICATE, "2>/dev/null"),
                ),
                ("chmod", "0644", CA_CERTIFICATE),
            )
        )
    if request_changed or CA_KEY not in facts.present:
        names = f"{settings.gitlab_name}, {settings.registry_name} and {host.address}"
        changes.append(
            _change(
                host,
                "certificate",
                f"issue the certificate for {names} from that CA ({certificate}, valid 825 days)",
                ("install", "-d", "-m", "0755", "/etc/gitlab/ssl"),
                (
                    *("umask 077;", "openssl", "req", "-new", "-newkey", "ec"),
                    *("-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", f"/CN={settings.gitlab_name}"),
                    *("-keyout", key, "2>/dev/null", "|"),
                    *("openssl", "x509", "-req", "-CA", CA_CERTIFICATE, "-CAkey", CA_KEY, "-CAcreateserial"),
                    *("-days", "825", "-extfile", CERTIFICATE_REQUEST, "-out", certificate, "2>/dev/null"),
                ),
                ("chmod", "0644", certificate),
            )
        )
    return changes


def platform_changes(root: Path, inventory: Inventory, host: Host, facts: HostFacts) -> list[Change]:
    """Everything the apply would change on the platform host before GitLab's API is used, in order."""
    settings = inventory.platform
    assert settings is not None
    files = {m.path: m for m in platform_files(root, settings, host, facts.os, facts.os_codename)}
    changes = [
        keyring_change(host, PLATFORM_PHASE, name, _KEYRINGS[name], url.format(distribution=facts.os) + "gpgkey")
        for name, url in GITLAB_REPOSITORIES.items()
        if _KEYRINGS[name] not in facts.files
    ]
    for path, managed in files.items():
        change = file_change(host.name, PLATFORM_PHASE, managed, facts.files.get(path))
        if change and path != GITLAB_CONFIG:  # gitlab.rb once the certificate it names exists
            changes.append(change)
    lists_changed = any(
        change.summary.startswith(("download", "create /etc/apt/", "update /etc/apt/")) for change in changes
    )
    request_changed = facts.files.get(CERTIFICATE_REQUEST) != files[CERTIFICATE_REQUEST].content
    changes += _authority_changes(host, settings, facts, request_changed)
    gitlab_rb = file_change(host.name, PLATFORM_PHASE, files[GITLAB_CONFIG], facts.files.get(GITLAB_CONFIG))
    if gitlab_rb:
        changes.append(gitlab_rb)
    packages = package_changes(host, PLATFORM_PHASE, facts, wanted_platform_packages(settings), lists_changed, "")
    changes += packages
    certificate_changed = any(change.kind == "certificate" for change in changes)
    if gitlab_rb or certificate_changed or any(c.summary.startswith("install ") for c in packages):
        changes.append(
            _change(
                host,
                "service",
                "gitlab-ctl reconfigure (GitLab reads gitlab.rb and the certificate)",
                ("gitlab-ctl", "reconfigure", ">/dev/null"),
            )
        )
    trust = docker_trust(settings)
    if CA_KEY not in facts.present or facts.files.get(trust) != facts.files.get(CA_CERTIFICATE):
        changes.append(
            _change(
                host,
                "file",
                f"trust the CA in Docker for the runner's pulls and pushes ({trust})",
                ("install", "-D", "-m", "0644", CA_CERTIFICATE, trust),
            )
        )
    if API_TOKEN_REGISTERED not in facts.files or API_TOKEN not in facts.present:
        script = f"{STATE}/register-api-token.rb"
        make_token = (
            f"umask 077; [ -s {API_TOKEN} ] || "
            f"printf 'glpat-%s' \"$(head -c 48 /dev/urandom | base64 | tr -dc A-Za-z0-9 | head -c 32)\" > {API_TOKEN}"
        )
        changes.append(
            _change(
                host,
                "gitlab",
                f"give the bootstrap an API token (root's access token `gitops-bootstrap`, kept in {API_TOKEN})",
                (make_token,),
                Upload(script, _REGISTER_TOKEN.format(token=API_TOKEN), "0600"),
                ("gitlab-rails", "runner", script, ">/dev/null"),
                ("printf", "registered", ">", API_TOKEN_REGISTERED),
            )
        )
    return changes


def runner_config_change(
    root: Path, inventory: Inventory, host: Host, facts: HostFacts, registered: bool
) -> Change | None:
    """The runner's config.toml from its template and the token file (written on the host, never shown)."""
    settings = inventory.platform
    assert settings is not None
    template = runner_template(root, settings, host)
    masked = template.content.replace("@RUNNER_TOKEN@", "***")
    if registered and facts.files.get(RUNNER_CONFIG) == masked and facts.files.get(RUNNER_TEMPLATE) == template.content:
        return None
    fill = (
        f"umask 077; awk 'NR == FNR {{ token = $0; next }} {{ sub(/@RUNNER_TOKEN@/, token); print }}' "
        f"{TOKENS}/{RUNNER_TOKEN} {RUNNER_TEMPLATE} > {RUNNER_CONFIG}.new && mv -f {RUNNER_CONFIG}.new {RUNNER_CONFIG}"
    )
    return Change(
        host.name,
        GITLAB_PHASE,
        "service",
        f"write the runner's configuration ({RUNNER_CONFIG}: docker executor, concurrent {settings.runner_concurrent}, "
        "unprivileged) and restart gitlab-runner",
        "",
        (
            Upload(RUNNER_TEMPLATE, template.content, "0600"),
            ("install", "-d", "-m", "0700", "/etc/gitlab-runner"),
            (fill,),
            ("systemctl", "restart", "gitlab-runner"),
        ),
    )
