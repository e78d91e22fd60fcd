"""The pinned versions (constraints.txt) install on every Python and platform the README names.

Each target is resolved by pip from the package index with wheels only, as
`pip install --dry-run --only-binary=:all: --python-version V --platform TAG ... -c constraints.txt`.
pip evaluates environment markers for the machine it runs on, not for --platform, so the
project's and the constraints' markers are evaluated here for the target first. lime and jieba
publish only source archives (pure Python, installable anywhere): their own requirements stand
in for them. Skipped when pip cannot reach the index.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.tags import mac_platforms

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
LINUX_X86_64 = [f"manylinux_2_{minor}_x86_64" for minor in range(28, 4, -1)] + [
    "manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]
MACOS_ARM64 = list(mac_platforms((14, 0), "arm64"))
LINUX = {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64", "os_name": "posix"}
MACOS = {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64", "os_name": "posix"}
# The oldest release of each Python (Debian 12 has 3.11.2) and the newest Python on Apple silicon.
TARGETS = {
    "python3.11.0-linux-x86_64": ("3.11.0", LINUX_X86_64, LINUX, "tensorflow-cpu"),
    "python3.11.9-linux-x86_64": ("3.11.9", LINUX_X86_64, LINUX, "tensorflow-cpu"),
    "python3.12.0-linux-x86_64": ("3.12.0", LINUX_X86_64, LINUX, "tensorflow-cpu"),
    "python3.13.0-linux-x86_64": ("3.13.0", LINUX_X86_64, LINUX, "tensorflow-cpu"),
    "python3.13.0-macos-arm64": ("3.13.0", MACOS_ARM64, MACOS, "tensorflow"),
}
SOURCE_ONLY = ("lime", "jieba")   # pure-Python source archives, no wheels on the index
# Packaging tools a virtual environment comes with; TensorFlow asks for them without a version.
INSTALLERS = {"pip", "setuptools", "wheel"}
# pip configuration of this machine (extra local indexes, constraints) is left out: only the index counts.
LOCAL_PIP_SETTINGS = ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_CONSTRAINT", "PIP_REQUIRE_VIRTUALENV")
OFFLINE = ("NewConnectionError", "Max retries exceeded", "Temporary failure in name resolution",
           "Network is unreachable", "ProxyError", "Could not fetch URL", "ConnectTimeout", "ReadTimeout")


def environment(python: str, platform: dict) -> dict:
    """The marker variables of CPython `python` ("3.11.0") on `platform`."""
    return {"python_version": python.rsplit(".", 1)[0], "python_full_version": python,
            "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": "", **platform}


def pip_environment() -> dict:
    env = {key: value for key, value in os.environ.items() if key not in LOCAL_PIP_SETTINGS}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def for_target(lines, env: dict) -> list[str]:
    """The requirements whose markers hold in `env`, without their markers."""
    kept = []
    for line in lines:
        requirement = Requirement(line)
        if requirement.marker is None or requirement.marker.evaluate(env):
            requirement.marker = None
            kept.append(str(requirement))
    return kept


def project_requirements() -> list[str]:
    """The report's dependencies and the test and lint extras, source-only ones replaced by their requirements."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    lines = project["dependencies"] + extras["test"] + extras["lint"]
    theirs = [r for name in SOURCE_ONLY for r in importlib.metadata.requires(name) or [] if ";" not in r]
    return [line for line in lines if Requirement(line).name not in SOURCE_ONLY] + theirs


def constraint_lines() -> list[str]:
    text = (REPO / "constraints.txt").read_text()
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def resolve(target: str, folder: Path) -> tuple[subprocess.CompletedProcess, Path]:
    """pip's dry run for `target` in `folder`: its result and the report it writes."""
    python, platforms, platform, _ = TARGETS[target]
    env = environment(python, platform)
    folder.mkdir(parents=True)
    constraints, report = folder / "constraints.txt", folder / "report.json"
    constraints.write_text("\n".join(for_target(constraint_lines(), env)) + "\n")
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--quiet", "--ignore-installed",
               "--only-binary=:all:", "--python-version", python, "--target", str(folder / "target"),
               "--constraint", str(constraints), "--report", str(report), "--timeout", "20", "--retries", "1"]
    for tag in platforms:
        command += ["--platform", tag]
    result = subprocess.run(command + for_target(project_requirements(), env), capture_output=True, text=True,
                            timeout=900, env=pip_environment())
    return result, report


@pytest.fixture(scope="module")
def resolutions(tmp_path_factory) -> dict:
    """Every target's dry run, run side by side (each mostly waits on the index)."""
    for name in SOURCE_ONLY:
        pytest.importorskip(name, reason=f"{name}'s requirements are read from its installed metadata")
    folder = tmp_path_factory.mktemp("resolutions")
    with ThreadPoolExecutor(max_workers=len(TARGETS)) as pool:
        runs = {target: pool.submit(resolve, target, folder / target) for target in TARGETS}
        return {target: run.result() for target, run in runs.items()}


@pytest.mark.parametrize("target", TARGETS)
def test_the_pinned_versions_resolve_with_wheels_only(target, resolutions):
    python, _, platform, tensorflow = TARGETS[target]
    env = environment(python, platform)
    result, report = resolutions[target]
    offline = [line for line in result.stderr.splitlines() if any(word in line for word in OFFLINE)]
    if result.returncode != 0 and offline:
        pytest.skip(f"pip cannot reach the package index: {offline[0].strip()[:200]}")
    assert result.returncode == 0, result.stderr[-3000:]
    installed = {item["metadata"]["name"].lower().replace("_", "-"): item["metadata"]["version"]
                 for item in json.loads(report.read_text())["install"]}
    other = {"tensorflow": "tensorflow-cpu", "tensorflow-cpu": "tensorflow"}[tensorflow]
    assert installed[tensorflow] == "2.21.0" and other not in installed
    pinned = {Requirement(line).name.lower().replace("_", "-"): str(Requirement(line).specifier).removeprefix("==")
              for line in for_target(constraint_lines(), env)}
    unpinned = sorted(name for name in installed if name not in pinned and name not in INSTALLERS)
    assert unpinned == [], f"pin these in constraints.txt: {unpinned}"
    assert {name: installed[name] for name in pinned if name in installed} == \
        {name: pinned[name] for name in pinned if name in installed}
