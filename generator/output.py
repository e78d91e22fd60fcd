"""Staged output: nothing reaches docs/ or site/ until a whole run has succeeded.

Pages and figures are written into a staging folder. `build_site` runs
`mkdocs build --strict` on a staged copy of docs/ into a fresh folder, and only
a successful build replaces site/. `publish_docs` then syncs the generated
files into docs/ one by one (atomic rename per file; unchanged files are left
alone so `mkdocs serve` reloads only what changed; stale generated files are
removed). A manifest lists what the generator owns: every other file in docs/
is hand-written and never touched.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from generator.errors import UserError

MANIFEST = ".generated.json"
BUILD_CONFIG_PREFIX = ".mkdocs-build-"   # the site build's own mkdocs.yml, <prefix><pid>.yml
SITE_BUILD_VERSION = 1   # bump when the way the site is built changes
_UMASK = os.umask(0)
os.umask(_UMASK)


class Staging:
    """A temporary folder collecting the generated files of one run (paths relative to docs/)."""

    def __init__(self, root: Path):
        root.mkdir(parents=True, exist_ok=True)
        remove_leftovers(root, ".stage-")
        self.path = Path(tempfile.mkdtemp(prefix=f".stage-{os.getpid()}-", dir=root))
        self.files: set[str] = set()

    def write(self, relative: str, content: bytes | str) -> str:
        target = self.path / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        self.files.add(relative)
        return relative

    def discard(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


def generated_files(docs: Path) -> set[str]:
    """What the previous run generated in `docs` (empty if it never ran)."""
    try:
        return set(json.loads((docs / MANIFEST).read_text())["files"])
    except (OSError, ValueError, KeyError, TypeError):
        return set()


def publish_docs(staging: Staging, docs: Path) -> dict[str, int]:
    """Sync staged files into `docs`; return counts of written, unchanged and removed files."""
    docs.mkdir(parents=True, exist_ok=True)
    written = unchanged = 0
    for relative in sorted(staging.files):
        source, target = staging.path / relative, docs / relative
        content = source.read_bytes()
        if target.is_file() and target.read_bytes() == content:
            unchanged += 1
            continue
        _atomic_write(target, content)
        written += 1
    stale = generated_files(docs) - staging.files
    for relative in stale:
        (docs / relative).unlink(missing_ok=True)
    _atomic_write(docs / MANIFEST, json.dumps({"files": sorted(staging.files)}, indent=1).encode())
    return {"written": written, "unchanged": unchanged, "removed": len(stale)}


def _atomic_write(target: Path, content: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
    os.chmod(temp, 0o666 & ~_UMASK)  # mkstemp makes 0600; published files are ordinary files
    os.replace(temp, target)


def build_site(staging: Staging, docs: Path, mkdocs_yml: Path, site: Path, record: Path | None = None) -> bool:
    """`mkdocs build --strict` of docs/ as it will be after this run; replace `site` only on success.

    With `record` (a file to keep the last build's digest in), the build is skipped when its
    inputs (see `site_inputs`) and `site` itself are as the last successful build left them.
    Returns whether it built.
    """
    if not mkdocs_yml.is_file():
        raise UserError(mkdocs_yml, "MkDocs configuration not found", "keep mkdocs.yml next to the report config")
    files = _preview_files(staging, docs)
    inputs = site_inputs(files, mkdocs_yml)
    if record is not None and _recorded(record) == {"inputs": inputs, "site": _fingerprint(site)}:
        return False
    preview = staging.path.parent / (staging.path.name + "-docs")
    _restore_interrupted_swap(site)
    remove_leftovers(site.parent, ".site-")
    new_site = site.parent / f".site-new-{os.getpid()}"
    # Beside mkdocs.yml, so that its relative paths (theme.custom_dir) mean what they mean there.
    remove_leftovers(mkdocs_yml.parent, BUILD_CONFIG_PREFIX)
    config = mkdocs_yml.parent / f"{BUILD_CONFIG_PREFIX}{os.getpid()}.yml"
    try:
        _copy_preview(files, preview)
        config.write_text(f"INHERIT: {mkdocs_yml.name}\ndocs_dir: {preview.resolve()}\n"
                          f"site_dir: {new_site.resolve()}\n", encoding="utf-8")
        if record is not None:
            record.unlink(missing_ok=True)   # a build that fails half-way leaves no valid record
        _run_mkdocs(config)
        _swap_folder(new_site, site)
    finally:
        shutil.rmtree(preview, ignore_errors=True)
        shutil.rmtree(new_site, ignore_errors=True)
        config.unlink(missing_ok=True)
    if record is not None:
        record.parent.mkdir(parents=True, exist_ok=True)
        _atomic_write(record, json.dumps({"inputs": inputs, "site": _fingerprint(site)}).encode())
    return True


def site_inputs(files: dict[str, Path], mkdocs_yml: Path) -> str:
    """A digest of everything the site build reads: the pages and assets (`files`), mkdocs.yml and
    what it names (an INHERIT parent, the theme's custom_dir, hooks), the environment variables it
    reads (!ENV), the versions of the installed packages (MkDocs, its theme and plugins) and of
    this build step."""
    from generator.cache import digest, installed_packages

    text = mkdocs_yml.read_text(encoding="utf-8")
    variables = sorted(set(re.findall(r"!ENV\s*\[?\s*['\"]?([A-Za-z_]\w*)", text)))
    return digest(SITE_BUILD_VERSION, sorted(files.items()), text, _config_files(mkdocs_yml, text),
                  {name: os.environ.get(name) for name in variables}, installed_packages(), sys.executable)


def _config_files(mkdocs_yml: Path, text: str) -> list[tuple[str, Path]]:
    """The files mkdocs.yml names (INHERIT, theme.custom_dir, hooks), every file of a named folder."""
    names = re.findall(r"^\s*(?:INHERIT|custom_dir)\s*:\s*['\"]?([^'\"#\n]+?)['\"]?\s*(?:#.*)?$", text, re.M)
    names += re.findall(r"^\s*-\s*([^\s#'\"]+\.py)\s*$", text, re.M)   # hooks
    found = []
    for name in names:
        path = mkdocs_yml.parent / name
        inside = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path] * path.is_file()
        found += [(f"{name}/{p.relative_to(path).as_posix()}" if p != path else name, p) for p in inside]
    return found


def _fingerprint(site: Path) -> list:
    """Every file of a built site with its size and modification time (empty: no site)."""
    if not site.is_dir():
        return []
    return sorted([p.relative_to(site).as_posix(), p.stat().st_size, p.stat().st_mtime_ns]
                  for p in site.rglob("*") if p.is_file())


def _recorded(record: Path) -> dict | None:
    try:
        return json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _preview_files(staging: Staging, docs: Path) -> dict[str, Path]:
    """What the site is built from: hand-written files of docs/ plus this run's generated files
    (relative path -> source file)."""
    owned = generated_files(docs) | {MANIFEST}
    files = {}
    if docs.is_dir():
        for source in docs.rglob("*"):
            relative = source.relative_to(docs).as_posix()
            if source.is_file() and relative not in owned and not relative.startswith(".stage-"):
                files[relative] = source
    files.update({relative: staging.path / relative for relative in staging.files})
    return files


def _copy_preview(files: dict[str, Path], preview: Path) -> None:
    for relative, source in files.items():
        (preview / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, preview / relative)


def _run_mkdocs(config: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict",
                             "--config-file", str(config)], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        problems = [line.strip() for line in result.stderr.splitlines()
                    if line.startswith(("WARNING", "ERROR")) or "Error" in line]
        first = problems[0] if problems else (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise UserError("mkdocs.yml", f"mkdocs build --strict failed: {first}",
                        "fix the page or setting it names; --debug shows the whole log",
                        details=result.stderr)


def _swap_folder(new: Path, target: Path) -> None:
    """Put `new` in place of `target` so that `target` always holds a complete site.

    Linux exchanges the two folders in one atomic rename; elsewhere two renames are used,
    and `_restore_interrupted_swap` repairs a run killed between them.
    """
    if target.exists() and _exchange(new, target):
        shutil.rmtree(new, ignore_errors=True)  # `new` now holds the previous site
        return
    old = target.parent / f".site-old-{os.getpid()}"
    if target.exists():
        os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (renameat2 RENAME_EXCHANGE); False where unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0  # AT_FDCWD, EXCHANGE
    except (OSError, AttributeError):
        return False


def _restore_interrupted_swap(site: Path) -> None:
    """A run killed between the two renames of a swap left the previous site as .site-old-PID."""
    if not site.exists():
        for old in sorted(site.parent.glob(".site-old-*")):
            os.replace(old, site)
            return


def remove_leftovers(folder: Path, prefix: str) -> None:
    """Remove `prefix<pid>-...` files and folders that runs no longer alive left behind."""
    for path in folder.glob(prefix + "*"):
        pid = re.search(r"\d+", path.name[len(prefix):])
        if pid and not _alive(int(pid.group())):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
