"""Run every benchmark module in this package; exit non-zero only if one of them fails to run."""

import importlib
import logging
import os
import pkgutil
import sys
import traceback


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "musaned.settings")
    import django

    django.setup()
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)  # one line per step and document

    import benchmarks

    failed = []
    for module in sorted(pkgutil.iter_modules(benchmarks.__path__), key=lambda found: found.name):
        if module.name.startswith("_"):
            continue
        print(f"== {module.name} ==", flush=True)
        try:
            importlib.import_module(f"benchmarks.{module.name}").run()
        except Exception:
            traceback.print_exc()
            failed.append(module.name)
        print(flush=True)
    if failed:
        print(f"Benchmarks that could not run: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
