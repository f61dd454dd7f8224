"""The bootstrap inventory (platform/inventory.example.yaml, schema platform/inventory.schema.json): read,
checked against its schema and for what a schema cannot say (overlapping networks, duplicate hosts, missing
files), every problem reported at once with its file, line and field, before anything connects to a host."""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from gitops_toolkit.core.address_ranges import Network, networks_of, overlap
from gitops_toolkit.core.bounded_yaml import YamlDocument, YamlRejected, load_yaml_file
from gitops_toolkit.core.errors import ToolError
from gitops_toolkit.core.machines import CONTROL_PLANE, PLATFORM, memory_bytes
from gitops_toolkit.core.object_paths import mapping
from gitops_toolkit.hosts.platform_host import GITOPS_PROJECT, PLATFORM_CA_FILE, PlatformSettings, platform_settings

SCHEMA_FILE = Path("platform") / "inventory.schema.json"
METALLB_POOL = Path("gitops-repo") / "platform" / "metallb" / "pool" / "ip-address-pool.yaml"
DEFAULT_SSH_PORT = 22


def how_to_verify_host_key(address: str, port: int, known_hosts: str) -> str:
    """Keys are never trusted on first use: the operator compares what the network says with the console."""
    scan = f"ssh-keyscan{f' -p {port}' if port != DEFAULT_SSH_PORT else ''} {address}"
    return (
        f"compare the fingerprints `{scan} | ssh-keygen -lf -` prints with those the host shows on its own "
        f"console (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub`); only when they match, add `{scan}`'s "
        f"lines to {known_hosts}"
    )


DEFAULT_CNI = ("calico", "3.32.2")
_EXACT_VERSION_HINT = "must be an exact release such as 1.37.1 (no ranges, no `v`, no minor-only version)"


@dataclass(frozen=True)
class Problem:
    line: int
    field: str  # dotted path, e.g. hosts[1].address
    message: str


class InventoryError(ToolError):
    """Everything wrong with an inventory, one problem per line: `file:line: field: what to change`."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = sorted(problems, key=lambda problem: (problem.line, problem.field))
        super().__init__(
            "\n".join(f"{path}:{problem.line}: {problem.field}: {problem.message}" for problem in self.problems)
        )


@dataclass(frozen=True)
class SshSettings:
    user: str
    port: int
    identity_file: Path
    known_hosts_file: Path


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    roles: tuple[str, ...]
    ssh: SshSettings
    cpus: int = 0  # as the inventory declares them (0: not declared)
    memory_bytes: int = 0


@dataclass(frozen=True)
class Inventory:
    kubernetes_version: str
    control_plane_endpoint: str
    pod_subnet: str
    service_subnet: str
    hosts: tuple[Host, ...]
    lan_subnet: str
    metallb_range: str
    cni: tuple[str, str] = DEFAULT_CNI
    ntp_servers: tuple[str, ...] = ()
    registry: tuple[str, Path] | None = None  # host, CA file
    repository_url: str = ""
    repository_token_file: Path | None = None
    platform: PlatformSettings | None = None  # set when a host has the role platform
    control_planes: tuple[Host, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "control_planes", tuple(h for h in self.hosts if CONTROL_PLANE in h.roles))

    @property
    def platform_host(self) -> Host | None:
        return next((host for host in self.hosts if PLATFORM in host.roles), None)

    @property
    def cluster_hosts(self) -> tuple[Host, ...]:
        return tuple(host for host in self.hosts if PLATFORM not in host.roles)


def _field(path: Any) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _schema_message(error: ValidationError) -> str:
    if error.validator == "required":
        return f"is missing `{error.message.split(chr(39))[1]}`" if "'" in error.message else str(error.message)
    if error.validator == "additionalProperties":
        unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return f"unknown setting {', '.join(f'`{key}`' for key in unknown)}; see {SCHEMA_FILE}"
    if error.validator == "enum":
        return f"`{error.instance}` is not one of {', '.join(map(str, error.validator_value))}"
    if error.validator == "pattern" and list(error.absolute_path)[-1:] == ["kubernetesVersion"]:
        return f"`{error.instance}` {_EXACT_VERSION_HINT}"
    if error.validator == "pattern":
        return f"`{error.instance}` does not have the expected form ({error.validator_value})"
    if error.validator == "type":
        return f"{json.dumps(error.instance)} should be a {error.validator_value}"
    return str(error.message)


def _schema_problems(document: YamlDocument, schema: dict[str, Any]) -> Iterator[Problem]:
    for error in Draft202012Validator(schema).iter_errors(document.data):
        path = list(error.absolute_path)
        yield Problem(document.line_of(path), _field(path), _schema_message(error))


def _expand(path: str, root: Path) -> Path:
    expanded = Path(os.path.expanduser(path))
    return expanded if expanded.is_absolute() else root / expanded


class _Checker:
    """The checks a schema cannot express, tolerant of a document the schema already faulted."""

    def __init__(self, document: YamlDocument, root: Path) -> None:
        self.document = document
        self.data = mapping(document.data)
        self.root = root
        self.problems: list[Problem] = []

    def problem(self, path: Sequence[str | int], message: str) -> None:
        self.problems.append(Problem(self.document.line_of(path), _field(path), message))

    def networks(self, path: Sequence[str | int], text: Any) -> list[Network]:
        if not isinstance(text, str):
            return []
        try:
            return networks_of(text)
        except ValueError as error:
            self.problem(path, f"`{text}` is not a CIDR or FIRST-LAST range ({error})")
            return []

    def existing_file(self, path: Sequence[str | int], value: Any, what: str, how: str = "create it") -> None:
        if isinstance(value, str) and value and not _expand(value, self.root).is_file():
            self.problem(path, f"{what} {value} does not exist; {how} or fix the path")

    def addresses(self) -> dict[int, ipaddress.IPv4Address | ipaddress.IPv6Address]:
        found = {}
        for position, host in enumerate(self.data.get("hosts") or []):
            address = mapping(host).get("address")
            if isinstance(address, str):
                try:
                    found[position] = ipaddress.ip_address(address)
                except ValueError:
                    self.problem(["hosts", position, "address"], f"`{address}` is not an IP address")
        return found

    def check(self, default_pool: str) -> tuple[str, str]:
        """Every problem; returns the LAN subnet and MetalLB range in force (given or defaulted)."""
        hosts = [mapping(host) for host in self.data.get("hosts") or []]
        addresses = self.addresses()
        cluster = mapping(self.data.get("cluster"))
        pods = self.networks(["cluster", "podSubnet"], cluster.get("podSubnet"))
        services = self.networks(["cluster", "serviceSubnet"], cluster.get("serviceSubnet"))
        control_planes = [p for p, host in enumerate(hosts) if CONTROL_PLANE in (host.get("roles") or [])]
        lan = str(self.data.get("lanSubnet") or "")
        if not lan and control_planes and control_planes[0] in addresses:
            first = addresses[control_planes[0]]
            lan = str(ipaddress.ip_network(f"{first}/{24 if first.version == 4 else 64}", strict=False))
        lan_networks = self.networks(["lanSubnet"], lan) if lan else []
        pool = str(self.data.get("metallbRange") or default_pool)
        pool_networks = self.networks(["metallbRange"], pool) if pool else []
        ranges: dict[str, tuple[Sequence[str | int], list[Network]]] = {
            "cluster.podSubnet": (["cluster", "podSubnet"], pods),
            "cluster.serviceSubnet": (["cluster", "serviceSubnet"], services),
            f"the LAN ({lan})": (["lanSubnet"], lan_networks),
            f"MetalLB's range ({pool})": (["metallbRange"], pool_networks),
        }
        names = list(ranges)
        for i, first_name in enumerate(names):
            for second_name in names[i + 1 :]:
                if {first_name, second_name} == {names[2], names[3]}:
                    continue  # MetalLB hands out LAN addresses: that range lies in the LAN by design
                if overlap(ranges[first_name][1], ranges[second_name][1]):
                    where = ranges[first_name][0] if first_name.startswith("cluster") else ranges[second_name][0]
                    self.problem(where, f"{first_name} overlaps {second_name}; choose ranges that do not overlap")
        for position, address in addresses.items():
            for name, (_, networks) in list(ranges.items())[:2]:
                if overlap([ipaddress.ip_network(address)], networks):
                    self.problem(["hosts", position, "address"], f"{address} lies inside {name}; move the range")
        self.duplicates(hosts, "name")
        self.duplicates(hosts, "address")
        if hosts and not control_planes:
            self.problem(["hosts"], f"no host has the role {CONTROL_PLANE}; give one host that role")
        for position in control_planes[1:]:
            self.problem(
                ["hosts", position, "roles"],
                f"a second {CONTROL_PLANE}: the bootstrap makes one control plane (no highly available etcd and API "
                "server); give this host the role worker",
            )
        self.platform_roles(hosts)
        self.named_files(hosts)
        return lan, pool

    def platform_roles(self, hosts: list[dict[str, Any]]) -> None:
        """At most one platform host, never also a node; its settings only with it; its registry instead of one."""
        platform = [p for p, host in enumerate(hosts) if PLATFORM in (host.get("roles") or [])]
        for position in platform[1:]:
            self.problem(
                ["hosts", position, "roles"],
                f"a second {PLATFORM} host: the bootstrap sets up one GitLab; give this host the role worker",
            )
        for position in platform:
            others = [role for role in hosts[position].get("roles") or [] if role != PLATFORM]
            if others:
                self.problem(
                    ["hosts", position, "roles"],
                    f"a {PLATFORM} host is never also a {' or '.join(others)} (GitLab needs ports 80 and 443 and its "
                    f"memory to itself); give it only the role {PLATFORM}, and the cluster roles to other hosts",
                )
        if "platform" in self.data and not platform:
            self.problem(["platform"], f"no host has the role {PLATFORM}; add the platform host or remove this section")
        if platform and "registry" in self.data:
            self.problem(
                ["registry"],
                f"the {PLATFORM} host's registry is trusted by every node already; remove `registry` (or the "
                f"{PLATFORM} host, to use another registry)",
            )

    def named_files(self, hosts: list[dict[str, Any]]) -> None:
        """Every file the inventory names exists, before anything connects."""
        places: list[tuple[list[str | int], dict[str, Any]]] = [(["ssh"], mapping(self.data.get("ssh")))]
        places += [(["hosts", i, "ssh"], mapping(host.get("ssh"))) for i, host in enumerate(hosts)]
        for where, ssh in places:
            self.existing_file([*where, "identityFile"], ssh.get("identityFile"), "SSH key")
            self.existing_file(
                [*where, "knownHostsFile"],
                ssh.get("knownHostsFile"),
                "known_hosts file",
                "create it with each host's key (" + how_to_verify_host_key("ADDRESS", DEFAULT_SSH_PORT, "it") + ")",
            )
        self.existing_file(["registry", "caFile"], mapping(self.data.get("registry")).get("caFile"), "CA file")
        token = mapping(self.data.get("repository")).get("tokenFile")
        self.existing_file(["repository", "tokenFile"], token, "token file")

    def duplicates(self, hosts: list[dict[str, Any]], key: str) -> None:
        seen: dict[str, int] = {}
        for position, host in enumerate(hosts):
            value = host.get(key)
            if not isinstance(value, str):
                continue
            if value in seen:
                self.problem(
                    ["hosts", position, key],
                    f"`{value}` is also the {key} of hosts[{seen[value]}]; every host needs its own",
                )
            seen.setdefault(value, position)


def _default_pool(root: Path) -> str:
    """The first range of the repository's MetalLB pool, else none."""
    try:
        pool = yaml.safe_load((root / METALLB_POOL).read_text(encoding="utf-8"))
        return str(pool["spec"]["addresses"][0])
    except (OSError, yaml.YAMLError, KeyError, IndexError, TypeError):
        return ""


def _ssh(settings: dict[str, Any], override: dict[str, Any], root: Path) -> SshSettings:
    merged = {**settings, **override}
    return SshSettings(
        str(merged["user"]),
        int(merged.get("port", DEFAULT_SSH_PORT)),
        _expand(str(merged["identityFile"]), root),
        _expand(str(merged["knownHostsFile"]), root),
    )


def load_inventory(path: Path, root: Path, repository_url: str = "") -> Inventory:
    """The inventory at `path` (relative paths inside it resolve against `root`, the repository), or an
    InventoryError listing every problem."""
    try:
        documents = load_yaml_file(path)
    except YamlRejected as rejected:
        raise InventoryError(path, [Problem(rejected.line or 1, "(file)", rejected.message)]) from None
    except OSError as error:
        raise ToolError(f"{path}: cannot read the inventory ({error.strerror})") from None
    if len(documents) != 1:
        raise InventoryError(path, [Problem(1, "(file)", "expected exactly one YAML document")])
    document = documents[0]
    schema = json.loads((root / SCHEMA_FILE).read_text(encoding="utf-8"))
    problems = list(_schema_problems(document, schema))
    checker = _Checker(document, root)
    lan, pool = checker.check(_default_pool(root))
    problems += checker.problems
    if problems:
        raise InventoryError(path, problems)
    data = document.data
    cluster, ssh = data["cluster"], data["ssh"]
    registry, repository = data.get("registry"), data.get("repository") or {}
    cni = data.get("cni") or {"name": DEFAULT_CNI[0], "version": DEFAULT_CNI[1]}
    platform = None
    if any(PLATFORM in host["roles"] for host in data["hosts"]):
        platform = platform_settings(data.get("platform") or {}, path.parent / PLATFORM_CA_FILE)
        registry = {"host": platform.registry, "caFile": str(platform.ca_file)}
        repository = {"url": platform.project_url(GITOPS_PROJECT), **repository}
    return Inventory(
        kubernetes_version=str(cluster["kubernetesVersion"]),
        control_plane_endpoint=str(cluster["controlPlaneEndpoint"]),
        pod_subnet=str(cluster["podSubnet"]),
        service_subnet=str(cluster["serviceSubnet"]),
        hosts=tuple(
            Host(
                str(h["name"]),
                str(h["address"]),
                tuple(h["roles"]),
                _ssh(ssh, h.get("ssh") or {}, root),
                int(h["cpus"]),
                memory_bytes(h["memory"]) or 0,
            )
            for h in data["hosts"]
        ),
        lan_subnet=lan,
        metallb_range=pool,
        cni=(str(cni["name"]), str(cni["version"])),
        ntp_servers=tuple(str(server) for server in data.get("ntpServers") or []),
        registry=(str(registry["host"]), _expand(str(registry["caFile"]), root)) if registry else None,
        repository_url=str(repository.get("url") or repository_url),
        repository_token_file=_expand(str(repository["tokenFile"]), root) if repository.get("tokenFile") else None,
        platform=platform,
    )
