"""Import boundaries: the engine and the readers import no Django, and the core (recon/) imports no kind's app."""
import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_engine_and_ingest_import_no_django():
    # A fresh interpreter with no settings module. The project package itself (recon/__init__) loads the Celery app,
    # which reads Django's settings lazily; what the two packages add on top of it must hold no Django module.
    code = (
        "import os, sys, pkgutil, importlib\n"
        "os.environ.pop('DJANGO_SETTINGS_MODULE', None)\n"
        "import recon\n"
        "before = set(sys.modules)\n"
        "import recon.engine, recon.ingest\n"
        "names = [m.name for p in (recon.engine, recon.ingest) for m in pkgutil.walk_packages(p.__path__, p.__name__ + '.')]\n"
        "for name in names: importlib.import_module(name)\n"
        "loaded = sorted(m for m in set(sys.modules) - before if m == 'django' or m.startswith('django.'))\n"
        "print(len(names), loaded)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    count, loaded = out.stdout.strip().split(" ", 1)
    assert int(count) >= 15 and loaded == "[]"


def test_no_module_of_the_engine_or_the_readers_names_django():
    import ast

    offenders = []
    for path in sorted((ROOT / "recon" / "engine").rglob("*.py")) + sorted((ROOT / "recon" / "ingest").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n == "django" or n.startswith("django.")]
    assert offenders == []


def test_readers_speak_english_without_a_translator(tmp_path):
    code = (
        "import os\n"
        "os.environ.pop('DJANGO_SETTINGS_MODULE', None)\n"
        "from recon.ingest import read_courier_bill, IngestError\n"
        f"open({str(tmp_path / 'e.csv')!r}, 'w').close()\n"
        "try:\n"
        f"    read_courier_bill({str(tmp_path / 'e.csv')!r}, 'e.csv')\n"
        "except IngestError as exc:\n"
        "    print(exc.message)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "“e.csv” is empty.", out.stderr


KIND_APPS = ("couriers", "orders", "returns", "payments")


def kind_app_imports(root: Path) -> list[str]:
    """Every import statement under `root` (module level or inside a function) that names a kind's app."""
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module or ""]
            else:
                continue
            offenders += [f"{path.relative_to(root.parent)}:{node.lineno}: {n}" for n in names if n.split(".")[0] in KIND_APPS]
    return offenders


def test_the_core_imports_no_kind_app():
    assert kind_app_imports(ROOT / "recon") == []


def test_the_boundary_check_sees_function_level_imports(tmp_path):
    # The walk must not be fooled by an import hidden in a function, nor flag a name that merely starts the same way.
    package = tmp_path / "recon"
    package.mkdir()
    (package / "a.py").write_text("def f():\n    from couriers.services import x\n    import payments.kind\n", encoding="utf-8")
    (package / "b.py").write_text("import ordersheet\nfrom . import couriers\nfrom returnsx import y\n", encoding="utf-8")
    assert kind_app_imports(package) == ["recon/a.py:2: couriers.services", "recon/a.py:3: payments.kind"]
