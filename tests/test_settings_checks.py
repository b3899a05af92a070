"""`manage.py check` in a subprocess, with the environment a server would have.

Settings are read once at start-up, so each case starts its own process with its own environment.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The production environment README's configuration table documents (behind nginx, over https).
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k7Qz-Vx3pL9mN2bR8tY4wE6uI1oA5sD0fG7hJ3kL9zX2cV8bN4mQ6wE1rT5yU3iO",
    "ALLOWED_HOSTS": "fugong.example.gov.cn",
    "CSRF_TRUSTED_ORIGINS": "https://fugong.example.gov.cn",
    "SESSION_COOKIE_SECURE": "1",
    "CSRF_COOKIE_SECURE": "1",
    "SECURE_SSL_REDIRECT": "1",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "1",
    "SECURE_HSTS_PRELOAD": "1",
    "SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https",
    "FUGONG_DATA_KEY": base64.b64encode(bytes(range(32))).decode(),
    "LOG_LEVEL": "INFO",
}
SETTING_NAMES = ("DEBUG", "SECRET_KEY", "FUGONG_DATA_KEY", *PRODUCTION)


def run_check(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    # DJANGO_ALLOW_ASYNC_UNSAFE: set by the browser tests in this process; no server has it
    clean = {k: v for k, v in os.environ.items() if k not in SETTING_NAMES and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean.update(env)
    clean["DATABASE_URL"] = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    clean["FUGONG_VAR_DIR"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--fail-level", "WARNING", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=300,  # a shared, loaded machine: start-up can be slow
    )


def test_the_documented_production_environment_passes_check_deploy_with_no_warning(tmp_path: Path) -> None:
    result = run_check(tmp_path, PRODUCTION, "--deploy")
    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_without_the_https_settings_check_deploy_names_what_is_missing(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if not k.startswith(("SECURE_", "SESSION_", "CSRF_COOKIE"))}
    result = run_check(tmp_path, env, "--deploy")
    assert result.returncode != 0
    for check_id in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check_id in result.stderr


def test_plain_check_warns_in_chinese_when_secret_key_is_the_repository_default(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "SECRET_KEY"}
    result = run_check(tmp_path, env)
    assert result.returncode != 0
    assert "fugong.W001" in result.stderr
    assert "SECRET_KEY 仍是代码库里的开发用默认值" in result.stderr
    assert "fugong.W002" not in result.stderr


def test_plain_check_warns_when_the_data_key_is_unset_outside_debug(tmp_path: Path) -> None:
    env = {k: v for k, v in PRODUCTION.items() if k != "FUGONG_DATA_KEY"}
    result = run_check(tmp_path, env)
    assert result.returncode != 0
    assert "fugong.W002" in result.stderr
    assert "未设置 FUGONG_DATA_KEY" in result.stderr


def test_plain_check_warns_when_the_data_key_is_not_32_bytes_of_base64(tmp_path: Path) -> None:
    result = run_check(tmp_path, {**PRODUCTION, "FUGONG_DATA_KEY": "secret"})
    assert "fugong.W003" in result.stderr


def test_a_development_machine_with_debug_on_gets_no_configuration_warning(tmp_path: Path) -> None:
    result = run_check(tmp_path, {"DEBUG": "1"})
    assert result.returncode == 0, result.stderr
    assert "fugong.W00" not in result.stderr


def test_the_proxy_header_setting_is_read_as_a_pair(tmp_path: Path) -> None:
    code = "from django.conf import settings; print(settings.SECURE_PROXY_SSL_HEADER)"
    clean = {**os.environ, **PRODUCTION, "DATABASE_URL": f"sqlite:///{tmp_path / 'c.sqlite3'}"}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert result.stdout.strip().splitlines()[-1] == "('HTTP_X_FORWARDED_PROTO', 'https')", result.stderr
