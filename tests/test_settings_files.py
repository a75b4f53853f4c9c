"""Every setting read from the environment may come from a file named by NAME_FILE (secrets mounted as files)."""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _settings(env: dict) -> dict:
    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'tz': s.TIME_ZONE, 'rows': s.INGEST_LIMITS['max_rows'], 'hosts': s.ALLOWED_HOSTS, "
        "'stale': s.RUN_HEARTBEAT_TIMEOUT_SECONDS}))"
    )
    full = {k: v for k, v in os.environ.items() if k not in {"TIME_ZONE", "INGEST_MAX_ROWS", "ALLOWED_HOSTS"}}
    full.update({"DJANGO_SETTINGS_MODULE": "recon.settings", **env})
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=full, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_any_setting_can_be_given_as_a_file(tmp_path):
    values = {"TIME_ZONE": "Asia/Tokyo", "INGEST_MAX_ROWS": "5000", "ALLOWED_HOSTS": "recon.example.cn",
              "RUN_HEARTBEAT_TIMEOUT_SECONDS": "45"}
    env = {}
    for name, value in values.items():
        (tmp_path / name).write_text(value + "\n", encoding="utf-8")
        env[f"{name}_FILE"] = str(tmp_path / name)
    assert _settings(env) == {"tz": "Asia/Tokyo", "rows": 5000, "hosts": ["recon.example.cn"], "stale": 45}


def test_the_variable_itself_wins_over_its_file(tmp_path):
    (tmp_path / "tz").write_text("Asia/Tokyo", encoding="utf-8")
    assert _settings({"TIME_ZONE": "Asia/Shanghai", "TIME_ZONE_FILE": str(tmp_path / "tz")})["tz"] == "Asia/Shanghai"


def test_an_unreadable_file_stops_the_start_naming_it(tmp_path):
    env = {k: v for k, v in os.environ.items()}
    env.update({"DJANGO_SETTINGS_MODULE": "recon.settings", "TIME_ZONE_FILE": str(tmp_path / "missing")})
    env.pop("TIME_ZONE", None)
    out = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode != 0 and f"TIME_ZONE_FILE={str(tmp_path / 'missing')!r} cannot be read" in out.stderr
