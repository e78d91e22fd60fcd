"""Command line: python -m generator {build,generate,serve,clean,export-assignment} [options]."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator.errors import UserError


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m generator",
                                     description="Build a bilingual explainability report site for a Keras CNN.")
    parser.add_argument("command", choices=("build", "generate", "serve", "clean", "export-assignment"),
                        help="build: pages and site; generate: pages into docs/ only; "
                             "serve: generate, then mkdocs serve; clean: empty the cache and generated pages; "
                             "export-assignment: the course's figure files fig1_0.jpg ... fig4_6.jpg into OUT")
    parser.add_argument("out", nargs="?", type=Path, metavar="OUT",
                        help="export-assignment: folder for the figure files")
    parser.add_argument("--model", type=Path, metavar="PATH",
                        help="export-assignment: a .keras / .h5 model, or an architecture .json with its weights "
                             "beside it, to explain (default: model.path, or train)")
    parser.add_argument("--data", type=Path, metavar="CSV",
                        help="export-assignment: the course's label,feature train.csv (data.format ntu-csv)")
    parser.add_argument("--config", default="report.yml", type=Path, help="report config (default report.yml)")
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                        help="override a config key, e.g. --set model.epochs=5 (repeatable)")
    parser.add_argument("--quiet", action="store_true", help="print only errors and the final result")
    parser.add_argument("--debug", action="store_true", help="show tracebacks and full logs")
    parser.add_argument("--unsafe-model", action="store_true",
                        help="allow loading a model with Lambda layers or other code (trusted files only)")
    args = parser.parse_intermixed_args(argv)
    if args.command == "export-assignment" and args.out is None:
        parser.error("export-assignment needs OUT, the folder for the figure files")
    if args.command != "export-assignment" and (args.out or args.model or args.data):
        parser.error("OUT, --model and --data belong to export-assignment")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    _quiet_libraries(args.debug)
    try:
        return _dispatch(args)
    except UserError as error:
        print(error.line(), file=sys.stderr)
        if args.debug and error.details:
            print(error.details, file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: docs/ and site/ are unchanged", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, not bad input: say so in one line unless debugging
        if args.debug:
            raise
        print(f"error: internal: {type(error).__name__}: {error} (rerun with --debug for the traceback)",
              file=sys.stderr)
        return 1


def _dispatch(args: argparse.Namespace) -> int:
    from generator.config import load_config
    from generator.pipeline import clean, generate, project_paths
    from generator.progress import Progress

    config = load_config(args.config, args.overrides)
    paths = project_paths(args.config)
    if args.command == "clean":
        clean(paths, config)
        print(f"cleaned {paths.root / config.cache} and the generated pages in {paths.docs}")
        return 0
    progress = Progress(quiet=args.quiet)
    start = time.perf_counter()
    quiet_import = None if args.debug else import_tensorflow_quietly
    if args.command == "export-assignment":
        if quiet_import:
            quiet_import()
        from generator.export import export_assignment

        exported = export_assignment(args.out, config, paths, progress, model_path=args.model,
                                     data_path=args.data, unsafe_model=args.unsafe_model)
        progress.summary()
        skipped = f"; no sample image for {', '.join(exported.missing)}" if exported.missing else ""
        print(f"{len(exported.files)} figure files written in {time.perf_counter() - start:.0f} s: "
              f"{args.out}{skipped}")
        return 0
    generate(config, paths, progress, with_site=args.command == "build", unsafe_model=args.unsafe_model,
             before_computing=quiet_import)
    progress.summary()
    took = time.perf_counter() - start
    if args.command == "build":
        print(f"site built in {took:.0f} s: {paths.site / 'index.html'}\n"
              f"preview it with: make serve  (or: mkdocs serve)")
    else:
        print(f"pages generated in {took:.0f} s: {paths.docs}")
    if args.command == "serve":
        return subprocess.call([sys.executable, "-m", "mkdocs", "serve", "--config-file",
                                str(paths.mkdocs_yml)], env=dict(os.environ, NO_MKDOCS_2_WARNING="1"))
    return 0


def _quiet_libraries(debug: bool) -> None:
    """TensorFlow's start-up chatter is noise in a report build; --debug keeps it.

    Set before TensorFlow is imported: TF_CPP_MIN_LOG_LEVEL silences TensorFlow's own C++ log
    (cpu_feature_guard and the like); Python warnings and the tensorflow and absl Python loggers
    are kept to errors.
    """
    if not debug:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import logging
        import warnings

        warnings.filterwarnings("ignore", category=UserWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        for name in ("tensorflow", "absl"):
            logging.getLogger(name).setLevel(logging.ERROR)


def import_tensorflow_quietly() -> None:
    """Import TensorFlow with the process's stderr (file descriptor 2) held in a temporary file.

    While its libraries load, TensorFlow logs through absl before absl is initialised, which no
    environment variable reaches: "WARNING: All log messages before absl::InitializeLog() is
    called are written to STDERR" and the oneDNN notice (port.cc), once per library. Only the
    messages are dropped: oneDNN stays on (TF_ENABLE_ONEDNN_OPTS is left as it is). If the
    import fails, what it printed is shown with the error.
    """
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), 2)
        try:
            import tensorflow  # noqa: F401
        except BaseException:
            os.dup2(saved, 2)
            held.seek(0)
            sys.stderr.write(held.read().decode("utf-8", "replace"))
            raise
        finally:
            os.dup2(saved, 2)
            os.close(saved)
