"""The apply's first phase, the platform host: its changes over SSH; its CA certificate copied home (and into the
plan's node changes that waited for it); what GitLab's API must create, each token GitLab shows once stored at
once in a root-only file on the host; then the runner's configuration. Each change marked done or failed."""

from __future__ import annotations

import sys
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from gitops_toolkit.core.atomic_files import write_atomic
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.hosts.bootstrap.cluster_steps import ClusterInputs, credential_commands
from gitops_toolkit.hosts.bootstrap.configs import PENDING_CA
from gitops_toolkit.hosts.bootstrap.gitlab_objects import Creator
from gitops_toolkit.hosts.bootstrap.node_steps import CONTROL_PLANE_PHASE
from gitops_toolkit.hosts.bootstrap.platform_plan import (
    CA_HOME_KIND,
    fingerprint,
    read_secret_files,
    token_file,
    wait_until_answering,
    with_platform_credentials,
)
from gitops_toolkit.hosts.bootstrap.platform_steps import GITLAB_PHASE, PLATFORM_PHASE
from gitops_toolkit.hosts.bootstrap.report import DONE, FAILED
from gitops_toolkit.hosts.inventory import Host
from gitops_toolkit.hosts.platform_host import API_TOKEN, CA_CERTIFICATE, TOKENS
from gitops_toolkit.hosts.probe import targets
from gitops_toolkit.tools.gitlab import GitLab, IssuedToken
from gitops_toolkit.tools.ssh import Step, Upload

if TYPE_CHECKING:
    from gitops_toolkit.hosts.bootstrap.apply import Apply


@dataclass
class PlatformApply:
    apply: Apply
    host: Host

    def run(self) -> bool:
        """Whether the platform host is as planned (and the rest of the bootstrap may go on)."""
        if self.apply.phase(PLATFORM_PHASE):
            return False
        return self._ca_home() and self._gitlab() and not self.apply.phase(GITLAB_PHASE) and self._fill_credentials()

    def _fill_credentials(self) -> bool:
        """The cluster's credentials planned before GitLab made their deploy tokens get their commands now."""
        changes = self.apply.report.changes
        pending = {c.action: i for i, c in enumerate(changes) if c.phase == CONTROL_PLANE_PHASE and c.action}
        if not pending:
            return True
        try:
            inputs = with_platform_credentials(
                self.apply.root, self.apply.inventory, ClusterInputs(()), self.apply.session, self.apply.connect_timeout
            )
        except ToolError as error:
            self.apply.fail(self.host, str(error))
            return False
        for credential in inputs.credentials:
            if credential.marker not in pending:
                continue
            if credential.pending:
                self.apply.fail(self.host, f"{credential.summary}: its token is not on the platform host; run again")
                return False
            index = pending[credential.marker]
            changes[index] = replace(changes[index], commands=credential_commands(credential))
        return True

    def _indexes(self, phase: str, kind: str) -> list[int]:
        return [i for i, c in enumerate(self.apply.report.changes) if c.phase == phase and c.kind == kind]

    def _ca_home(self) -> bool:
        settings = self.apply.inventory.platform
        assert settings is not None
        answer = self.apply.session.run_command(
            targets([self.host]), f"cat {CA_CERTIFICATE}", self.apply.connect_timeout
        )
        certificate = (answer[self.host.name].output or "").strip("\n") + "\n"
        for index in self._indexes(PLATFORM_PHASE, CA_HOME_KIND):
            try:
                if "BEGIN CERTIFICATE" not in certificate:
                    raise OSError(answer[self.host.name].error or "no certificate on the host")
                write_atomic(settings.ca_file, certificate)
            except OSError as error:
                self.apply.report.status[index] = FAILED
                self.apply.fail(self.host, f"cannot copy the CA certificate home: {error}")
                return False
            self.apply.report.status[index] = DONE
        if "BEGIN CERTIFICATE" in certificate:
            self.apply.report.notes.append(
                f"platform CA: {settings.ca_file} (SHA-256 fingerprint {fingerprint(certificate)}); compare it with "
                f"`openssl x509 -noout -fingerprint -sha256 -in {CA_CERTIFICATE}` on {self.host.name}"
            )
            self._fill_pending_ca(certificate)
        return True

    def _fill_pending_ca(self, certificate: str) -> None:
        """The node changes planned before the CA existed get its certificate now."""
        changes = self.apply.report.changes
        for index, change in enumerate(changes):
            commands = tuple(
                replace(c, content=certificate) if isinstance(c, Upload) and c.content == PENDING_CA else c
                for c in change.commands
            )
            if commands != change.commands:
                changes[index] = replace(change, commands=commands)

    def _store(self, name: str, issued: IssuedToken) -> None:
        """A token GitLab showed once, into its root-only file on the platform host (over SFTP, not a command)."""
        content = f"{issued.username}\n{issued.token}\n" if issued.username else f"{issued.token}\n"
        step = Step(
            f"store the {name} token",
            (("install", "-d", "-m", "0700", TOKENS), Upload(token_file(name), content, "0600")),
        )
        outcome = self.apply.session.run_steps(
            targets([self.host]), {self.host.name: [step]}, self.apply.connect_timeout
        )
        if outcome[self.host.name].error:
            raise ToolError(f"GitLab made the {name} token but it could not be stored: {outcome[self.host.name].error}")

    def _gitlab(self) -> bool:
        wanted = self._indexes(GITLAB_PHASE, "gitlab")
        if not wanted:
            return True
        settings = self.apply.inventory.platform
        assert settings is not None
        changes, report = self.apply.report.changes, self.apply.report
        try:
            token = read_secret_files(self.apply.session, self.host, [API_TOKEN], self.apply.connect_timeout)
            api = GitLab(f"https://{self.host.address}", token.get(API_TOKEN, "").strip(), settings.ca_file)
            wait_until_answering(api)
        except ToolError as error:
            report.status[wanted[0]] = FAILED
            self.apply.fail(self.host, str(error))
            return False
        creator = Creator(
            api, settings, self.apply.root, self.host.address, settings.ca_file, token[API_TOKEN].strip(), self._store
        )
        for index in wanted:
            try:
                creator.create(changes[index].action)
            except (ToolError, LookupError) as error:
                report.status[index] = FAILED
                self.apply.fail(self.host, f"{changes[index].summary}: {error}")
                return False
            report.status[index] = DONE
            if not self.apply.quiet:
                print(f"{self.host.name}: done gitlab: {changes[index].summary}", file=sys.stderr, flush=True)
        return True
